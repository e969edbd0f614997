// Base64 (standard alphabet, padded) for bytes bodies on the wire, and ISO-8601 UTC
// timestamps with milliseconds as Cloudflare prints them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flareq {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string iso8601(int64_t unix_ms);

}  // namespace flareq

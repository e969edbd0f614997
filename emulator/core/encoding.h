// Base64 (standard alphabet, padded) for bytes bodies on the wire, the UTF-8 check for
// text bodies, and ISO-8601 UTC timestamps with milliseconds as Cloudflare prints them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flareq {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// `text` for a URL's query: every byte but A-Z a-z 0-9 - _ . ~ as %XX.
std::string percent_encode(std::string_view text);
// The reverse, for a path in a file:// URL: each well-formed %XX becomes its byte, the rest stays.
std::string percent_decode(std::string_view text);
// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);
std::string iso8601(int64_t unix_ms);
// ASCII letters lowercased (header names, schemes, host names); other bytes kept.
std::string ascii_lower(std::string_view text);
// User-supplied text made safe to quote in a message or print on a terminal: control
// characters (a NUL cut error texts short; an escape sequence could drive the terminal),
// C0, DEL and C1 (U+0080 to U+009F, which terminals may read as CSI), become \xNN or
// \u00NN; with `keep_lines`, newlines and tabs stay. Everything else is kept.
std::string printable(std::string_view text, bool keep_lines = false);

}  // namespace flareq

// How a request names one message: "<row>.<secret>", where the secret is the message id
// (peek refs) or the lease token (pull lease ids). The row makes lookups direct; the
// secret makes a stale or guessed handle match nothing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace flareq::api {

inline std::string message_handle(int64_t seq, const std::string& secret) { return std::to_string(seq) + "." + secret; }

inline std::optional<std::pair<int64_t, std::string>> parse_message_handle(const std::string& text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  int64_t seq = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (text[i] < '0' || text[i] > '9' || seq > (INT64_MAX - 9) / 10) return std::nullopt;
    seq = seq * 10 + (text[i] - '0');
  }
  return std::make_pair(seq, text.substr(dot + 1));
}

}  // namespace flareq::api

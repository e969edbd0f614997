// Just enough of HTTP/1.1 for flareq's Worker front (worker_front.h) to hold each request on a
// connection to the local safety rules before its bytes reach the Worker: the request head
// (method, target, Host, Origin, whether it switches protocols) and where its body ends (RFC 9112,
// section 6). Anything ambiguous about the framing is refused, so the front and workerd can
// never disagree on where one request ends and the next begins.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "emulator/core/result.h"

namespace flareq::api {

constexpr size_t kMaxRequestHeadBytes = 64 * 1024;

struct RequestHead {
  std::string method;
  std::string target;  // the request line's target, as sent ("/path?query")
  std::string host;    // "" when absent
  std::string origin;  // "" when absent
  enum class Body { None, Length, Chunked } body = Body::None;
  uint64_t length = 0;   // with Body::Length
  bool upgrade = false;  // asks to switch protocols (a WebSocket): what follows is not HTTP/1.1
};

// A header value without the spaces and tabs around it; whether a comma-separated list value
// holds `token` (case-insensitive). For request and response heads alike (response_heads.h).
std::string_view trim_ows(std::string_view value);
bool list_has(std::string_view value, std::string_view token);

// Where the head ends in `bytes` (one past its blank line), or npos while it is incomplete.
size_t request_head_end(std::string_view bytes);

// The head (its bytes up to and including the blank line), or why it is malformed.
Result<RequestHead> parse_request_head(std::string_view head);

// Follows a chunked body through the bytes that carry it, chunk sizes, extensions and
// trailers included.
class ChunkedBody {
 public:
  static constexpr size_t kMalformed = static_cast<size_t>(-1);
  // How many of `bytes` belong to the body: all of them, or fewer when it ends inside them
  // (done() is then true); kMalformed when the framing is not valid chunked encoding.
  size_t scan(std::string_view bytes);
  bool done() const { return state_ == State::Done; }

 private:
  enum class State { Size, Extension, SizeLf, Data, DataCr, DataLf, TrailerStart, Trailer, TrailerLf, FinalLf, Done };
  State state_ = State::Size;
  uint64_t remaining_ = 0;  // of the chunk's data
  int size_digits_ = 0;
};

}  // namespace flareq::api

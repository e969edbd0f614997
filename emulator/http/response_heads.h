// Follows the runtime's answers on one connection of the Worker front (worker_front.h), byte
// by byte as they pass to the client, to find each response's status line, so that dev's log
// can say `GET /api/hello 200 OK (3ms)` for each request as `wrangler dev` does. It reads the
// framing only (RFC 9112, section 6): a head, then a body of Content-Length bytes, chunked, or
// none (a HEAD request, 1xx, 204, 304); interim 1xx responses answer nothing. After a 101, a
// body that lasts until the connection closes, or anything it cannot follow, it stops looking.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "emulator/http/request_head.h"

namespace flareq::api {

struct ResponseHead {
  int status = 0;
  std::string reason;  // "OK"; "" when the status line has none
};

class ResponseHeads {
 public:
  // Called with each final response's head (a 101 included), in order; returns whether the
  // request it answers was a HEAD (its response then has no body).
  using OnHead = std::function<bool(const ResponseHead& head)>;
  explicit ResponseHeads(OnHead on_head) : on_head_(std::move(on_head)) {}

  // The next bytes the runtime sent on the connection.
  void feed(std::string_view bytes);
  // Whether it stopped looking (what follows is not responses it can follow).
  bool stopped() const { return state_ == State::Stopped; }

 private:
  enum class State { Head, Length, Chunked, Stopped };
  void on_head_end();  // head_ holds a whole head

  OnHead on_head_;
  State state_ = State::Head;
  std::string head_;       // the head read so far
  uint64_t remaining_ = 0;  // of a Content-Length body
  ChunkedBody chunked_;
};

}  // namespace flareq::api

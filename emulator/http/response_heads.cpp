// Responses' heads in the runtime's bytes (response_heads.h).
#include "emulator/http/response_heads.h"

#include <algorithm>
#include <cctype>

#include "emulator/core/encoding.h"

namespace flareq::api {

void ResponseHeads::feed(std::string_view bytes) {
  while (!bytes.empty() && state_ != State::Stopped) {
    switch (state_) {
      case State::Head: {
        // The blank line may straddle two reads: look from a little before the new bytes.
        size_t before = head_.size();
        size_t take = std::min(kMaxRequestHeadBytes - before, bytes.size());
        head_.append(bytes.data(), take);
        size_t end = head_.find("\r\n\r\n", before > 3 ? before - 3 : 0);
        if (end == std::string::npos) {
          if (head_.size() >= kMaxRequestHeadBytes) state_ = State::Stopped;
          return;  // all of `bytes` is in head_
        }
        bytes.remove_prefix(end + 4 - before);
        head_.resize(end + 4);
        on_head_end();
        head_.clear();
        break;
      }
      case State::Length: {
        uint64_t take = std::min<uint64_t>(remaining_, bytes.size());
        remaining_ -= take;
        bytes.remove_prefix(static_cast<size_t>(take));
        if (remaining_ == 0) state_ = State::Head;
        break;
      }
      case State::Chunked: {
        size_t take = chunked_.scan(bytes);
        if (take == ChunkedBody::kMalformed) {
          state_ = State::Stopped;
          return;
        }
        bytes.remove_prefix(take);
        if (chunked_.done()) state_ = State::Head;
        break;
      }
      case State::Stopped:
        return;
    }
  }
}

void ResponseHeads::on_head_end() {
  // "HTTP/1.1 200 OK"
  size_t line_end = head_.find("\r\n");
  std::string_view line(head_.data(), line_end);
  size_t sp1 = line.find(' ');
  if (line.substr(0, 5) != "HTTP/" || sp1 == std::string_view::npos || line.size() < sp1 + 4 ||
      !std::isdigit(static_cast<unsigned char>(line[sp1 + 1])) || !std::isdigit(static_cast<unsigned char>(line[sp1 + 2])) ||
      !std::isdigit(static_cast<unsigned char>(line[sp1 + 3]))) {
    state_ = State::Stopped;
    return;
  }
  ResponseHead head;
  head.status = std::stoi(std::string(line.substr(sp1 + 1, 3)));
  if (line.size() > sp1 + 5) head.reason = std::string(line.substr(sp1 + 5));
  bool chunked = false, has_length = false;
  uint64_t length = 0;
  for (size_t at = line_end + 2; at < head_.size();) {
    size_t end = head_.find("\r\n", at);
    std::string_view field(head_.data() + at, end - at);
    at = end + 2;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = ascii_lower(field.substr(0, colon));
    std::string_view value = trim_ows(field.substr(colon + 1));
    if (name == "content-length") {
      if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), ::isdigit)) {
        state_ = State::Stopped;
        return;
      }
      has_length = true;
      length = std::stoull(std::string(value));
    } else if (name == "transfer-encoding") {
      chunked = list_has(value, "chunked");
    }
  }
  if (head.status >= 100 && head.status < 200 && head.status != 101) {  // interim: the answer is still to come
    state_ = State::Head;
    return;
  }
  bool answers_head = on_head_(head);
  if (head.status == 101) state_ = State::Stopped;  // another protocol from here on
  else if (answers_head || head.status == 204 || head.status == 304) state_ = State::Head;
  else if (chunked) {
    chunked_ = ChunkedBody();
    state_ = State::Chunked;
  } else if (has_length) {
    remaining_ = length;
    state_ = length ? State::Length : State::Head;
  } else {
    state_ = State::Stopped;  // a body until the connection closes: no response after it
  }
}

}  // namespace flareq::api

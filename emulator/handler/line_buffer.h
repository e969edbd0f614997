// Splits a byte stream into lines as it arrives.
#pragma once
#include <functional>
#include <string>

namespace flareq::handler {

class LineBuffer {
 public:
  template <typename Sink>
  void append(const char* data, size_t n, Sink&& sink) {
    buffer_.append(data, n);
    size_t start = 0, nl;
    while ((nl = buffer_.find('\n', start)) != std::string::npos) {
      size_t end = nl > start && buffer_[nl - 1] == '\r' ? nl - 1 : nl;
      sink(buffer_.substr(start, end - start));
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }
  // The last line, if the stream did not end with a newline.
  template <typename Sink>
  void finish(Sink&& sink) {
    if (!buffer_.empty()) sink(std::move(buffer_));
    buffer_.clear();
  }

 private:
  std::string buffer_;
};

}  // namespace flareq::handler

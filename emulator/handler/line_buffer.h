// Splits a byte stream into lines as it arrives.
#pragma once
#include <unistd.h>

#include <cerrno>
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
  // Reads what `fd` has (after poll said it is readable) and passes whole lines to `sink`;
  // at end of file, or on an error, closes `fd` and sets it to -1.
  template <typename Sink>
  void read_from(int& fd, Sink&& sink) {
    char buf[65536];
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r > 0) {
      append(buf, static_cast<size_t>(r), sink);
    } else if (!(r < 0 && errno == EINTR)) {
      ::close(fd);
      fd = -1;
    }
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

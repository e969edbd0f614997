// Writing a whole buffer to a descriptor (a pipe or a socket), however many writes it takes.
// The process ignores SIGPIPE (cli/main.cpp), so a closed reader is a false return, not a death.
#pragma once
#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace flareq {

// False when the descriptor stopped taking bytes (closed, reset, or an error) before the end.
inline bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace flareq

// The dev log: whole lines to stdout from any thread, never interleaved.
#pragma once
#include <iostream>
#include <mutex>
#include <string>

namespace flareq {

class Log {
 public:
  void line(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::cout << text << '\n' << std::flush;
  }

 private:
  std::mutex mutex_;
};

}  // namespace flareq

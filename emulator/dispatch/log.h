// The dev log: whole lines from any thread, never interleaved; stdout unless a test or
// another front end gives it a sink of its own. Every line is also kept in a feed that the
// dashboard's event stream follows.
#pragma once
#include <functional>
#include <iostream>
#include <mutex>
#include <string>

#include "emulator/core/log_feed.h"

namespace flareq {

class Log {
 public:
  using Sink = std::function<void(const std::string& line)>;
  Log() = default;
  explicit Log(Sink sink) : sink_(std::move(sink)) {}

  void line(const std::string& text) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (sink_) sink_(text);
      else std::cout << text << '\n' << std::flush;
    }
    feed_.add(text);
  }
  const LogFeed& feed() const { return feed_; }

 private:
  LogFeed feed_;
  std::mutex mutex_;
  Sink sink_;
};

}  // namespace flareq

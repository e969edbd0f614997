// The recent lines of the dev log, numbered, for readers that follow it (the dashboard's
// event stream): a bounded ring, so a reader that falls behind loses the oldest lines, never
// the writer's time.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace flareq {

class LogFeed {
 public:
  explicit LogFeed(size_t keep = 1000) : keep_(keep) {}

  void add(const std::string& line) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(++last_, line);
      if (lines_.size() > keep_) lines_.pop_front();
    }
    added_.notify_all();
  }

  // The lines numbered after `after` (those still kept), waiting up to `wait` for one.
  std::vector<std::pair<uint64_t, std::string>> after(uint64_t after, std::chrono::milliseconds wait) const {
    std::unique_lock<std::mutex> lock(mutex_);
    added_.wait_for(lock, wait, [&] { return last_ > after; });
    std::vector<std::pair<uint64_t, std::string>> out;
    for (const auto& entry : lines_)
      if (entry.first > after) out.push_back(entry);
    return out;
  }

  // Wakes every reader now (the server is stopping).
  void wake_all() const { added_.notify_all(); }

 private:
  size_t keep_;
  mutable std::mutex mutex_;
  mutable std::condition_variable added_;
  std::deque<std::pair<uint64_t, std::string>> lines_;
  uint64_t last_ = 0;
};

}  // namespace flareq

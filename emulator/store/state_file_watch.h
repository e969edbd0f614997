// Notices writes to a state file's WAL as they happen (inotify), so that `dev` learns of another
// process's commit (a `flareq send`, another dev, `flareq time advance`) at once rather than by
// looking every few milliseconds; an idle dev then sleeps.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

namespace flareq {

class StateFileWatch {
 public:
  // Calls `changed` (on a thread of its own) after each write to `state`'s WAL, at most once a
  // millisecond. Without inotify (or its folder), watching() is false and nothing is called.
  StateFileWatch(const std::filesystem::path& state, std::function<void()> changed);
  ~StateFileWatch();
  StateFileWatch(const StateFileWatch&) = delete;
  StateFileWatch& operator=(const StateFileWatch&) = delete;
  bool watching() const { return inotify_fd_ >= 0; }

 private:
  void run();

  std::string wal_name_;
  std::function<void()> changed_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd: written once to end run()
  std::thread thread_;
};

}  // namespace flareq

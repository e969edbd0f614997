// Group commit for sends from many threads: the first waiting thread becomes the leader
// and commits every send queued meanwhile in one transaction, so a commit's fixed cost is
// shared by all concurrent producers. A send returns only once its messages are committed.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "emulator/store/store.h"

namespace flareq {

class GroupCommit {
 public:
  // Leaders take turns on one connection of their own, whose page cache stays warm.
  GroupCommit(const std::filesystem::path& path, Durability durability, const Clock& clock,
              std::function<void()> after_commit = {})
      : store_(path, durability, clock), after_commit_(std::move(after_commit)) {}
  // `queue` is an id or a name; an unknown queue throws 10104.
  SendResult send(const std::string& queue, const std::vector<OutgoingMessage>& messages,
                  std::optional<int64_t> batch_delay_secs);

 private:
  struct Waiting {
    explicit Waiting(SendRequest r) : request(std::move(r)) {}
    SendRequest request;
    std::atomic<bool> done{false};  // set under mutex_; also read without it while yielding
    std::condition_variable wake;
  };
  Store store_;
  std::function<void()> after_commit_;  // e.g. wakes the dispatcher
  std::mutex mutex_;
  std::vector<Waiting*> queued_;
  bool leader_active_ = false;
};

}  // namespace flareq

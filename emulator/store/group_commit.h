// Group commit for sends from many threads: a committer thread of its own commits every
// send queued meanwhile in one transaction, so a commit's fixed cost is shared by all
// concurrent producers. A send returns only once its messages are committed.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "emulator/store/store.h"

namespace flareq {

class GroupCommit {
 public:
  // The committer has a connection of its own, whose page cache stays warm.
  GroupCommit(const std::filesystem::path& path, Durability durability, const Clock& clock,
              std::function<void()> after_commit = {});
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // `queue` is an id or a name; an unknown queue throws 10104.
  SendResult send(const std::string& queue, const std::vector<OutgoingMessage>& messages,
                  std::optional<int64_t> batch_delay_secs);

 private:
  struct Waiting {
    SendRequest request;
    uint32_t group;  // the number of the commit that takes this send
  };
  void run();  // the committer thread

  Store store_;
  std::function<void()> after_commit_;  // e.g. wakes the dispatcher
  std::mutex mutex_;
  std::condition_variable work_;  // the committer sleeps here while nothing is queued
  std::vector<Waiting*> queued_;
  uint32_t taken_ = 0;  // commits begun so far (wrapping)
  bool idle_ = false;
  bool stopping_ = false;
  // The number of the latest finished commit of each parity. Senders of commit n sleep on
  // finished_[n % 2], so finishing a commit wakes its own senders and nobody queued after.
  std::atomic<uint32_t> finished_[2] = {0, 0};
  std::thread committer_;
};

}  // namespace flareq

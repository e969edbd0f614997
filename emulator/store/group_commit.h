// Group commit for sends from many threads: a committer thread of its own commits every
// send queued meanwhile in one transaction, so a commit's fixed cost is shared by all
// concurrent producers; without contention a send commits itself at once, on its own
// thread. A send returns only once its messages are committed.
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
  // Commits `requests` in one transaction on the committer's connection (one committing at a
  // time); a failure is each request's error.
  void commit(const std::vector<SendRequest*>& requests);

  Store store_;
  std::function<void()> after_commit_;  // e.g. wakes the dispatcher
  std::mutex mutex_;
  std::condition_variable work_;  // the committer sleeps here while nothing is queued
  std::vector<Waiting*> queued_;
  uint32_t taken_ = 0;  // commits begun so far (wrapping)
  bool committing_ = false;  // the connection is in use, by the committer or a lone send
  bool contended_ = false;   // the last commit met other sends: the next sends queue
  bool stopping_ = false;
  // The number of the latest finished commit of each parity. Senders of commit n sleep on
  // finished_[n % 2], so finishing a commit wakes its own senders and nobody queued after.
  std::atomic<uint32_t> finished_[2] = {0, 0};
  std::thread committer_;
};

}  // namespace flareq

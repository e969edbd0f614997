// Implementation of group_commit.h (leader/follower). Each waiter sleeps on its own
// condition variable, so a commit wakes exactly the sends it committed and, when the
// leader steps down, exactly one waiter to lead next.
//
// Two hand-offs are tuned for a busy 2-core machine (bench/http_push.sh, 16 connections):
// a waiter yields a few times before it sleeps, since a commit takes less time than being
// put to sleep and woken (0.40 → 0.49 of a bare server's requests/s), and the leader yields
// once before it takes the group, so that sends about to arrive join it (+10 %).
#include "emulator/store/group_commit.h"

#include <thread>

namespace flareq {

constexpr int kYieldsBeforeSleeping = 60;

SendResult GroupCommit::send(const std::string& queue, const std::vector<OutgoingMessage>& messages,
                             std::optional<int64_t> batch_delay_secs) {
  Store::check_send(messages, batch_delay_secs);
  Waiting self(SendRequest{queue, &messages, batch_delay_secs, {}, nullptr});
  std::unique_lock<std::mutex> lock(mutex_);
  queued_.push_back(&self);
  if (leader_active_) {
    lock.unlock();
    for (int i = 0; i < kYieldsBeforeSleeping && !self.done; ++i) std::this_thread::yield();
    lock.lock();
  }
  self.wake.wait(lock, [&] { return self.done || !leader_active_; });
  if (!self.done) {
    leader_active_ = true;
    while (!self.done) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
      std::vector<Waiting*> group;
      group.swap(queued_);
      lock.unlock();
      std::vector<SendRequest*> requests;
      requests.reserve(group.size());
      for (Waiting* w : group) requests.push_back(&w->request);
      std::exception_ptr failure;
      try {
        store_.send_all(requests);
      } catch (...) {
        failure = std::current_exception();  // the commit itself failed: every send in it fails
      }
      if (!failure && after_commit_) after_commit_();
      lock.lock();
      for (Waiting* w : group) {
        if (failure) w->request.error = failure;
        w->done = true;
        if (w != &self) w->wake.notify_one();
      }
    }
    leader_active_ = false;
    if (!queued_.empty()) queued_.front()->wake.notify_one();
  }
  lock.unlock();
  if (self.request.error) std::rethrow_exception(self.request.error);
  return std::move(self.request.result);
}

}  // namespace flareq

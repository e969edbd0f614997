// The committer thread and its senders. Senders sleep on a futex word that the committer
// owns, so one system call wakes every sender of a commit, and nothing the committer
// touches after publishing a commit lives on a sender's stack. (C++20's std::atomic::wait
// would do, but libstdc++'s yields before it sleeps cost more context switches than they
// save: measured with bench/http_push.sh.)
#include "emulator/store/group_commit.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <SQLiteCpp/Exception.h>

#include <climits>

#include "emulator/core/error.h"
#include "emulator/store/state_file_error.h"

namespace flareq {

namespace {

// A failed commit fails every send in it, each with its own exception object: one shared
// object would be rethrown, read and freed by several threads, through a reference count and
// a copy-on-write message in uninstrumented libstdc++ (ThreadSanitizer could not tell that
// apart from a race). The copies are built from the message, so they share no string either.
std::exception_ptr own_copy(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const SQLite::Exception& e) {
    return std::make_exception_ptr(state_file_error(e));
  } catch (const Error& e) {
    return std::make_exception_ptr(Error(e.code(), e.http_status(), std::string(e.what())));
  } catch (const std::exception& e) {
    return std::make_exception_ptr(std::runtime_error(std::string(e.what())));
  } catch (...) {
    return std::make_exception_ptr(std::runtime_error("the group commit failed"));
  }
}


static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
              "a futex word is a plain 32-bit integer");

// Whether commit `finished` covers commit `group`, in wrapping arithmetic.
bool covers(uint32_t finished, uint32_t group) { return static_cast<int32_t>(finished - group) >= 0; }

void futex_wait(std::atomic<uint32_t>& word, uint32_t seen) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

GroupCommit::GroupCommit(const std::filesystem::path& path, Durability durability, const Clock& clock,
                         std::function<void()> after_commit)
    : store_(path, durability, clock), after_commit_(std::move(after_commit)), committer_([this] { run(); }) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  committer_.join();
}

SendResult GroupCommit::send(const std::string& queue, const std::vector<OutgoingMessage>& messages,
                             std::optional<int64_t> batch_delay_secs) {
  Waiting self{SendRequest{queue, &messages, batch_delay_secs, {}, nullptr, /*may_fault=*/true}, 0};
  bool committer_idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    self.group = taken_ + 1;
    queued_.push_back(&self);
    committer_idle = idle_;
  }
  if (committer_idle) work_.notify_one();
  std::atomic<uint32_t>& word = finished_[self.group % 2];
  for (uint32_t seen; !covers(seen = word.load(std::memory_order_acquire), self.group);) futex_wait(word, seen);
  if (self.request.error) std::rethrow_exception(self.request.error);
  return std::move(self.request.result);
}

void GroupCommit::run() {
  pthread_setname_np(pthread_self(), "flareq-commit");
  std::vector<Waiting*> group;
  std::vector<SendRequest*> requests;
  for (;;) {
    uint32_t number;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (queued_.empty()) {
        idle_ = true;
        work_.wait(lock, [this] { return !queued_.empty() || stopping_; });
        idle_ = false;
        // Woken by one push: let the pushes that arrived with it queue up and join this
        // commit (+10 % requests/s in bench/http_push.sh).
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
      }
      if (queued_.empty()) return;  // stopping, and every send is answered
      group.swap(queued_);
      number = ++taken_;
    }
    requests.clear();
    for (Waiting* w : group) requests.push_back(&w->request);
    std::exception_ptr failure;
    try {
      store_.send_all(requests);
    } catch (...) {
      failure = std::current_exception();  // the commit itself failed: every send in it fails
    }
    // Committed to a file that was deleted or replaced meanwhile is not committed: refused.
    if (!failure && store_.file_replaced())
      failure = std::make_exception_ptr(Error(code::kInternal, 503,
                                              "the state file " + store_.path().string() +
                                                  " was deleted or replaced while flareq used it; nothing was stored"));
    if (!failure && after_commit_) after_commit_();
    if (failure)
      for (Waiting* w : group) w->request.error = own_copy(failure);
    group.clear();
    std::atomic<uint32_t>& word = finished_[number % 2];
    word.store(number, std::memory_order_release);  // from here on, the senders own their results
    futex_wake_all(word);
  }
}

}  // namespace flareq

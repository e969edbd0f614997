// ThreadPool. Threads are kept once started: a dev session runs few at once, and an idle
// thread costs only its stack's touched pages.
#include "emulator/core/thread_pool.h"

namespace flareq {

ThreadPool::~ThreadPool() { shutdown(); }

void ThreadPool::run(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_.push_back(std::move(task));
  if (queued_.size() > idle_ && threads_.size() < max_threads_)
    threads_.emplace_back([this] { work(); });
  else
    wake_.notify_one();
}

void ThreadPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void ThreadPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
      --idle_;
      if (queued_.empty()) return;  // stopping
      task = std::move(queued_.front());
      queued_.pop_front();
    }
    task();
  }
}

}  // namespace flareq

// Implementation of connection_threads.h. Threads are kept once started: a test run or a
// dev session opens few connections, and an idle thread costs only its stack's touched pages.
#include "emulator/http/connection_threads.h"

namespace flareq::api {

ConnectionThreads::~ConnectionThreads() { shutdown(); }

void ConnectionThreads::enqueue(std::function<void()> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_.push_back(std::move(connection));
  if (queued_.size() > idle_ && threads_.size() < max_threads_)
    threads_.emplace_back([this] { work(); });
  else
    wake_.notify_one();
}

void ConnectionThreads::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void ConnectionThreads::work() {
  for (;;) {
    std::function<void()> connection;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
      --idle_;
      if (queued_.empty()) return;  // stopping
      connection = std::move(queued_.front());
      queued_.pop_front();
    }
    connection();
  }
}

}  // namespace flareq::api

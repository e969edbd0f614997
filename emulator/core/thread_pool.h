// A pool that starts a thread when a task arrives and none is idle, up to a maximum, and
// keeps it for later tasks. Used for HTTP connections (httplib's keep-alive loop holds a
// thread per open connection) and for batches in flight (a handler call blocks until the
// batch ends). Every thread is joined by shutdown(); none is ever detached.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flareq {

class ThreadPool {
 public:
  // Beyond `max_threads` busy threads, new tasks wait for a free one.
  explicit ThreadPool(size_t max_threads) : max_threads_(max_threads) {}
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void run(std::function<void()> task);
  void shutdown();  // runs the tasks already queued, then joins every thread

 private:
  void work();

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queued_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace flareq

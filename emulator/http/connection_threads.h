// httplib's task queue for flareq: one thread per open connection, as httplib's keep-alive
// loop needs, started when a connection arrives and no thread is free. httplib's own
// ThreadPool has a fixed size, and a client beyond it waited until some open connection
// closed, up to the keep-alive timeout, with no answer meanwhile.
#pragma once
#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flareq::api {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  // Beyond `max_threads` open connections, new ones wait for a free thread.
  explicit ConnectionThreads(size_t max_threads) : max_threads_(max_threads) {}
  ~ConnectionThreads() override;
  void enqueue(std::function<void()> connection) override;
  void shutdown() override;  // serves the connections already queued, then joins

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

}  // namespace flareq::api

// httplib's task queue for flareq: one thread per open connection, as httplib's keep-alive
// loop needs, started when a connection arrives and no thread is free. httplib's own
// ThreadPool has a fixed size, and a client beyond it waited until some open connection
// closed, up to the keep-alive timeout, with no answer meanwhile.
#pragma once
#include <httplib.h>

#include "emulator/core/thread_pool.h"

namespace flareq::api {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  // Beyond `max_threads` open connections, new ones wait for a free thread.
  explicit ConnectionThreads(size_t max_threads) : threads_(max_threads) {}
  void enqueue(std::function<void()> connection) override { threads_.run(std::move(connection)); }
  void shutdown() override { threads_.shutdown(); }  // serves the connections already queued, then joins

 private:
  ThreadPool threads_;
};

}  // namespace flareq::api

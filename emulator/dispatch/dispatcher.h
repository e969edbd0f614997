// The delivery loop of `flareq dev`: one scheduler thread that sleeps until the next due
// event (a batch window closing, a delay or a lease running out, a send, a handler
// finishing), leases batches, hands them to handler processes on worker threads, and
// settles their outcomes. All of its state-file work happens on the scheduler thread.
#pragma once
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "emulator/dispatch/log.h"
#include "emulator/handler/handler.h"
#include "emulator/store/store_pool.h"

namespace flareq {

struct DispatchOptions {
  std::map<std::string, handler::HandlerSpec> handlers;  // by queue name
  int64_t handler_timeout_ms = 900000;
  int64_t shutdown_grace_ms = 10000;
  // How often another process's writes are looked for (PRAGMA data_version).
  int64_t poll_ms = 10;
};

// Unset max_concurrency: one batch at a time while the backlog fits in a batch, up to this
// many while full batches wait (production autoscales; this keeps local order readable).
constexpr int kAutoConcurrency = 10;

class Dispatcher {
 public:
  Dispatcher(StorePool& stores, Log& log, DispatchOptions options);
  ~Dispatcher();
  void start();
  void notify();  // something changed in this process: look again now
  // Stops leasing; waits for batches in flight, killing their handlers after the grace period.
  void stop();
  // The consumers with a handler, one line each (printed at start).
  std::vector<std::string> describe(Store& store);

 private:
  struct Runtime {
    std::unique_ptr<handler::Handler> handler;
    int in_flight = 0;
    int64_t opened_after_ms = 0;
    bool reported_not_started = false;
  };
  struct Completion {
    Queue queue;
    ConsumerSettings settings;
    std::string token;
    std::vector<StoredMessage> messages;
    handler::InvocationResult result;
    int64_t elapsed_ms = 0;
  };

  void run();
  int64_t schedule(Store& store, int64_t now);  // returns when to look again
  void launch(Store& store, const Queue& queue, const Consumer& consumer, Runtime& runtime, int64_t count);
  void settle(Store& store, Completion& done);
  void housekeeping(Store& store);
  void report_finished(const std::string& queue, const std::vector<DeadLetterMove>& moves);

  StorePool& stores_;
  Log& log_;
  DispatchOptions options_;
  std::string owner_;
  std::thread scheduler_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool dirty_ = true;
  bool stopping_ = false;
  int in_flight_ = 0;
  std::deque<Completion> completions_;
  std::map<std::string, Runtime> runtimes_;  // by queue name
};

}  // namespace flareq

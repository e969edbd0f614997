// The delivery loop of `flareq dev`: one scheduler thread that sleeps until the next due
// event (a batch window closing, a delay or a lease running out, a send, a handler
// finishing), leases batches, hands them to handlers, and settles their outcomes. All of
// its state-file work happens on the scheduler thread; handler calls, which block for as
// long as a batch runs, happen on the threads of an invocation runner.
//
// Its handlers come from a factory and its time from the store's clock, so a test can
// drive step() by hand with a fake clock and recording handlers.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "emulator/core/thread_pool.h"
#include "emulator/dispatch/log.h"
#include "emulator/handler/handler.h"
#include "emulator/store/state_file_watch.h"
#include "emulator/store/store_pool.h"

namespace flareq {

using HandlerFactory = std::function<std::shared_ptr<handler::Handler>(const handler::HandlerSpec&, handler::LogSink)>;
// Runs one handler call, which blocks until its batch ends; the default runs it on a
// thread of the dispatcher's own pool.
using InvocationRunner = std::function<void(std::function<void()> call)>;

struct DispatchOptions {
  std::map<std::string, handler::HandlerSpec> handlers;  // by queue name
  int64_t handler_timeout_ms = 900000;
  int64_t shutdown_grace_ms = 10000;
  // How often another process's writes are looked for (PRAGMA data_version). start() watches
  // the state file for them too (state_file_watch.h), and then looks only once a second.
  int64_t poll_ms = 10;
  HandlerFactory make_handler = handler::make_handler;
  InvocationRunner run_invocation;  // empty: the dispatcher's own threads
};

class Dispatcher {
 public:
  Dispatcher(StorePool& stores, Log& log, DispatchOptions options);
  ~Dispatcher();
  void start();   // the scheduler thread: step() until stopped
  void notify();  // something changed in this process: look again now
  void wake();    // the state file was written (by this or another process): see whether it changed
  // Stops leasing; waits for batches in flight, killing their handlers after the grace period.
  void stop();
  bool has_handler(const std::string& queue) const { return runtimes_.count(queue) > 0; }

  // One pass of the scheduler, on the calling thread: settles finished batches, expires
  // messages and releases dead processes' leases when due, and leases what may go now.
  // Returns the steady time (Clock::steady_ms) by which it wants to run again, or nullopt
  // once it was asked to stop and nothing is in flight. For start()'s thread, and for
  // tests that drive delivery by hand.
  std::optional<int64_t> step();
  // Stops leasing; batches in flight get the grace period (`now`: none, their handlers are
  // killed at once and their messages delivered again). Returns without waiting.
  void request_stop(bool now = false);
  int in_flight();
  bool finished() const { return finished_; }  // start()'s thread has returned

 private:
  struct Runtime {
    std::shared_ptr<handler::Handler> handler;
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
    bool cut_by_stop = false;  // it failed because dev stopped: its messages are put back, uncounted
  };

  void run();
  int64_t schedule(Store& store, int64_t now);  // returns when (wall time) to look again
  // A batch leased in a scheduler pass, to start once the pass's leases are committed.
  struct Leased {
    Queue queue;
    Consumer consumer;
    Runtime* runtime;
    LeaseResult lease;
  };
  int64_t decide_and_lease(Store& store, int64_t now, Store::LeasePass& pass, std::vector<Leased>& leased);
  // Starts the handler call of a committed lease (runtime.in_flight already counts it).
  void launch(Store& store, const Queue& queue, const Consumer& consumer, Runtime& runtime, LeaseResult lease);
  // Runs one handler call on an invocation thread, with the fault drawn for it.
  handler::InvocationResult invoke(handler::Handler& handler, const std::string& document, const DeliveryFault& fault);
  // The store's settlement of a finished batch, by the outcome rules; and what follows it.
  static Settlement settlement_of(const Completion& done);
  void report_settled(const Completion& done, const SettleResult& settled);
  // Retention, leases of stopped processes, space; true when more space waits to be given back.
  bool housekeeping(Store& store);
  void report_finished(const std::string& queue, const std::vector<DeadLetterMove>& moves);
  // Says which batches have run long (a queue() or handler that may hang), at 10 s, 20 s, 40 s, …,
  // and whether their handler was on the CPU the whole time (a loop that never ends).
  void report_long_batches(int64_t steady);

  StorePool& stores_;
  Log& log_;
  DispatchOptions options_;
  const Clock& clock_;
  std::string owner_;
  std::unique_ptr<ThreadPool> invocation_threads_;
  std::thread scheduler_;

  // Touched only by the thread that runs step().
  std::map<std::string, Runtime> runtimes_;  // by queue name; fixed after construction
  struct Running {
    std::string queue;
    size_t size = 0;
    int batch_size = 0;
    int64_t started_ms = 0;      // steady time
    int64_t next_notice_ms = 0;  // steady time
    // The handler's CPU time when last looked at, and when (steady time; 0: not yet): a notice
    // says when it was on the CPU all the while since.
    std::optional<int64_t> cpu_ms;
    int64_t cpu_looked_ms = 0;
  };
  std::map<std::string, Running> running_;  // batches in flight, by lease token
  // ", and ... on the CPU for 5.0 of the last 5.0s: ..." when the batch's handler, now at
  // `cpu_now`, was busy throughout since it was last looked at; "" otherwise.
  std::string busy_note(Running& batch, std::optional<int64_t> cpu_now, int64_t steady);
  int64_t seen_version_ = -1;
  int64_t next_due_ms_ = 0;
  int64_t next_housekeeping_ms_ = 0;  // steady time: housekeeping runs while the virtual clock stands still
  int64_t stop_deadline_ms_ = 0;  // steady time
  bool killed_ = false;  // the stop killed the handlers (written under mutex_)

  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;     // the scheduler thread
  std::condition_variable stopped_;  // invocations holding a batch back (injected latency)
  bool dirty_ = true;
  bool woken_ = false;  // wake() since the scheduler thread last looked
  bool stopping_ = false;
  bool stop_now_ = false;
  int in_flight_ = 0;
  std::atomic<bool> finished_{false};
  std::deque<Completion> completions_;

  std::unique_ptr<StateFileWatch> state_file_watch_;  // start()'s; calls wake()
};

}  // namespace flareq

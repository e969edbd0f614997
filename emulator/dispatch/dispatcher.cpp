// The scheduler pass, batch launches and settlement of dispatcher.h.
#include "emulator/dispatch/dispatcher.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <chrono>

#include "emulator/core/batch_window.h"
#include "emulator/core/outcome.h"
#include "emulator/dispatch/owner.h"
#include "emulator/dispatch/batch_document.h"

namespace flareq {

namespace {

constexpr int64_t kHousekeepingMs = 1000;
// Free pages given back per pass (1 MiB at the default page size; about 1 ms of write lock), and the next pass comes
// sooner while there is more: short writes, so that pushes never wait long behind one.
constexpr int64_t kReclaimPagesPerPass = 256;
constexpr int64_t kReclaimAgainMs = 20;
constexpr int64_t kLeaseMarginMs = 60000;
constexpr int64_t kFirstBackoffMs = 100;  // after a state file error
constexpr int64_t kMaxBackoffMs = 5000;
// Batches in flight at once across all queues of one process; beyond it, launches wait.
constexpr size_t kMaxInvocationThreads = 2048;
// A batch still running after this long is said, and again each time it has run twice as long.
constexpr int64_t kFirstLongBatchNoticeMs = 10000;
// How often a watched state file is looked at all the same (a write the watch missed).
constexpr int64_t kWatchedPollMs = 1000;

}  // namespace

Dispatcher::Dispatcher(StorePool& stores, Log& log, DispatchOptions options)
    : stores_(stores), log_(log), options_(std::move(options)), clock_(stores.clock()), owner_(this_process_owner()) {
  for (auto& [queue, spec] : options_.handlers) {
    std::string prefix = "[" + queue + "] ";
    runtimes_[queue].handler = options_.make_handler(spec, [this, prefix](const std::string& line) { log_.line(prefix + line); });
  }
  if (!options_.run_invocation) invocation_threads_ = std::make_unique<ThreadPool>(kMaxInvocationThreads);
}

Dispatcher::~Dispatcher() {
  stop();
  invocation_threads_.reset();  // joins them before the handlers they call go away
}

void Dispatcher::start() {
  // Another process's commits wake the scheduler as they happen (where a handler runs here to
  // deliver them); the look every poll_ms stays as it was only where the file cannot be watched.
  if (!runtimes_.empty()) {
    state_file_watch_ = std::make_unique<StateFileWatch>(stores_.path(), [this] { wake(); });
    if (state_file_watch_->watching()) options_.poll_ms = std::max(options_.poll_ms, kWatchedPollMs);
  }
  scheduler_ = std::thread([this] {
    run();
    finished_ = true;
  });
}

int Dispatcher::in_flight() {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_flight_;
}

void Dispatcher::notify() {
  if (runtimes_.empty()) return;  // no handler runs here: nothing for a new message to start
  std::lock_guard<std::mutex> lock(mutex_);
  dirty_ = true;
  wake_.notify_one();
}

void Dispatcher::wake() {
  if (runtimes_.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  woken_ = true;
  wake_.notify_one();
}

void Dispatcher::request_stop(bool now) {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  stop_now_ = stop_now_ || now;
  wake_.notify_one();
  stopped_.notify_all();
}

void Dispatcher::stop() {
  request_stop();
  if (scheduler_.joinable()) scheduler_.join();
  state_file_watch_.reset();
}

void Dispatcher::run() {
  int64_t backoff_ms = 0;
  std::string failing;  // the error being retried, logged once
  while (true) {
    std::optional<int64_t> due;
    try {
      due = step();
      if (!due) return;
      if (!failing.empty()) log_.line("delivery resumed: the state file answers again");
      failing.clear();
      backoff_ms = 0;
    } catch (const std::exception& e) {
      // A busy, full or damaged state file: keep serving and try again later.
      backoff_ms = std::min(backoff_ms == 0 ? kFirstBackoffMs : backoff_ms * 2, kMaxBackoffMs);
      if (failing != e.what()) log_.line(std::string("state file error during delivery: ") + e.what() + "; retrying");
      failing = e.what();
      due = clock_.steady_ms() + backoff_ms;
      // The next pass tries what failed again: one that found nothing to do proves nothing,
      // and would report the state file as answering again.
      std::lock_guard<std::mutex> lock(mutex_);
      dirty_ = true;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (backoff_ms == 0 && (dirty_ || std::exchange(woken_, false) || !completions_.empty())) continue;
    if (stopping_ && backoff_ms > 0 && in_flight_ == 0 && completions_.empty()) return;
    int64_t sleep_ms = backoff_ms > 0 ? backoff_ms : std::min(*due - clock_.steady_ms(), options_.poll_ms);
    if (sleep_ms > 0) wake_.wait_for(lock, std::chrono::milliseconds(sleep_ms));
  }
}

std::optional<int64_t> Dispatcher::step() {
  Store& store = stores_.local();
  std::deque<Completion> done;
  bool look = false, stopping = false, stop_now = false;
  int in_flight = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done.swap(completions_);
    look = dirty_;
    dirty_ = false;
    stopping = stopping_;
    stop_now = stop_now_;
    in_flight = in_flight_;  // calls still running; the finished ones are in `done`
  }
  if (!done.empty()) {
    // Every batch finished since the last pass is settled in one transaction.
    std::vector<Settlement> settlements;
    for (const Completion& c : done) settlements.push_back(settlement_of(c));
    std::vector<SettleResult> settled;
    try {
      settled = store.settle(settlements);
    } catch (...) {
      // Not settled: keep them for the next pass.
      std::lock_guard<std::mutex> lock(mutex_);
      completions_.insert(completions_.begin(), std::make_move_iterator(done.begin()), std::make_move_iterator(done.end()));
      throw;
    }
    for (size_t i = 0; i < done.size(); ++i) report_settled(done[i], settled[i]);
  }
  int64_t steady = clock_.steady_ms();
  if (stopping) {
    if (in_flight == 0) return std::nullopt;
    if (stop_deadline_ms_ == 0) stop_deadline_ms_ = steady + options_.shutdown_grace_ms;
    if (!killed_ && (stop_now || steady >= stop_deadline_ms_)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        killed_ = true;
      }
      log_.line(stop_now ? "killing the handlers of " + std::to_string(in_flight) + " batch(es) in flight: their messages will be delivered again, "
                           "not counted as attempts"
                         : "killing handlers still running after " + std::to_string(options_.shutdown_grace_ms / 1000) + "s");
      for (auto& [name, runtime] : runtimes_) runtime.handler->kill_all();
    }
    return killed_ ? steady + kHousekeepingMs : stop_deadline_ms_;
  }
  report_long_batches(steady);
  // Another process's commit may have moved the virtual clock: read it before anything is scheduled.
  int64_t version = store.data_version();
  if (version != seen_version_) store.sync_clock();
  int64_t now = clock_.now_ms();
  if (steady >= next_housekeeping_ms_) {
    bool more = housekeeping(store);
    next_housekeeping_ms_ = steady + (more ? kReclaimAgainMs : kHousekeepingMs);
    look = true;
  }
  if (look || !done.empty() || version != seen_version_ || now >= next_due_ms_) {
    seen_version_ = version;
    next_due_ms_ = schedule(store, now);
  }
  return steady + std::max<int64_t>(0, std::min(next_due_ms_ - now, next_housekeeping_ms_ - steady));
}

int64_t Dispatcher::schedule(Store& store, int64_t now) {
  int64_t next_due = 0;
  // Every batch this pass decides on is leased in one transaction, then started. Should the
  // pass fail, its leases roll back, and so do the batches counted in flight.
  Store::LeasePass pass(store);
  std::vector<Leased> leased;
  try {
    next_due = decide_and_lease(store, now, pass, leased);
    pass.commit();
  } catch (...) {
    for (const Leased& l : leased)
      if (!l.lease.messages.empty()) l.runtime->in_flight--;
    throw;
  }
  for (Leased& l : leased) {
    report_finished(l.queue.name, l.lease.finished);
    if (!l.lease.messages.empty()) launch(store, l.queue, l.consumer, *l.runtime, std::move(l.lease));
  }
  return next_due;
}

// The batches each queue's window allows now, leased in `pass` (and counted in flight at once,
// so that the next decision sees them); returns when the next one may be due.
int64_t Dispatcher::decide_and_lease(Store& store, int64_t now, Store::LeasePass& pass, std::vector<Leased>& leased) {
  int64_t next_due = now + kHousekeepingMs;
  for (const auto& queue : store.list_queues()) {
    auto it = runtimes_.find(queue.name);
    if (it == runtimes_.end() || queue.settings.delivery_paused) continue;
    auto consumer = store.consumer_of(queue.key);
    if (!consumer || consumer->type != ConsumerType::Worker) continue;
    Runtime& runtime = it->second;
    const auto& s = consumer->settings;
    while (true) {
      auto next_visible = store.next_visible_ms(queue.key);
      if (!next_visible || *next_visible > now) {
        if (next_visible) next_due = std::min(next_due, *next_visible);
        break;
      }
      WindowState window;
      window.now_ms = now;
      window.ready = store.count_ready(queue.key, s.batch_size);
      window.oldest_ready_ms = *next_visible;
      window.opened_after_ms = runtime.opened_after_ms;
      window.batch_size = s.batch_size;
      window.timeout_ms = s.max_wait_time_ms;
      window.flush_ms = queue.flush_ms;
      window.in_flight = runtime.in_flight;
      window.max_concurrency = s.max_concurrency;
      WindowDecision decision = decide_batch(window);
      if (decision.deliver == 0) {
        if (decision.due_ms) next_due = std::min(next_due, *decision.due_ms);
        break;
      }
      if (decision.full) runtime.opened_after_ms = now;
      LeaseResult lease =
          pass.lease(queue, consumer->settings, decision.deliver, options_.handler_timeout_ms + kLeaseMarginMs, owner_);
      if (!lease.messages.empty()) runtime.in_flight++;  // the next decision counts this batch
      leased.push_back({queue, *consumer, &runtime, std::move(lease)});
    }
  }
  return next_due;
}

void Dispatcher::launch(Store& store, const Queue& queue, const Consumer& consumer, Runtime& runtime, LeaseResult lease) {
  QueueMetrics metrics = store.metrics(queue.key);
  // The batch is leased now: a state file error here must not strand it until its lease ends.
  DeliveryFault fault;
  try {
    fault = store.draw_delivery_fault(queue);
  } catch (const std::exception& e) {
    log_.line("[fault] " + queue.name + ": no fault drawn for this batch (" + e.what() + ")");
  }
  std::string fault_prefix = "[fault] " + queue.name + ": batch of " + std::to_string(lease.messages.size()) + " ";
  if (fault.latency_ms > 0) log_.line(fault_prefix + "held back " + std::to_string(fault.latency_ms) + "ms");
  if (fault.fail) log_.line(fault_prefix + "fails as if the handler threw");
  if (fault.crash) log_.line(fault_prefix + "handed over, then the handler process is killed");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_++;
  }
  int64_t now = clock_.steady_ms();
  running_[lease.token] = {queue.name, lease.messages.size(), consumer.settings.batch_size, now,
                           now + kFirstLongBatchNoticeMs, std::nullopt, 0};
  auto job = std::make_shared<Completion>(Completion{queue, consumer.settings, lease.token, std::move(lease.messages), {}, 0});
  handler::Handler* h = runtime.handler.get();
  // The batch document is built on the invocation's thread: the scheduler's is the busiest.
  auto call = [this, job, h, fault, metrics]() mutable {
    int64_t started = clock_.steady_ms();
    job->result = invoke(*h, batch_document(job->queue.name, job->messages, metrics), fault);
    job->elapsed_ms = clock_.steady_ms() - started;
    std::lock_guard<std::mutex> lock(mutex_);
    // The handler killed by the stop, or never reached because dev was stopping: no failure of
    // the batch's (in production nothing stops a consumer so; a deploy lets a batch finish).
    job->cut_by_stop = job->result.report.threw && (killed_ || (stopping_ && job->result.not_started));
    completions_.push_back(std::move(*job));
    in_flight_--;
    wake_.notify_one();
  };
  if (options_.run_invocation) options_.run_invocation(std::move(call));
  else invocation_threads_->run(std::move(call));
}

handler::InvocationResult Dispatcher::invoke(handler::Handler& h, const std::string& document,
                                             const DeliveryFault& fault) {
  handler::InvocationResult result;
  if (fault.latency_ms > 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_.wait_for(lock, std::chrono::milliseconds(fault.latency_ms), [this] { return stopping_; })) {
      result.report.threw = true;
      result.not_started = true;
      result.failure = "dev stopped before the batch was handed over";
      return result;
    }
  }
  if (fault.fail) {
    result.report.threw = true;
    result.failure = kInjectedFailure;
    return result;
  }
  return fault.crash ? h.invoke_and_crash(document) : h.invoke(document);
}

Settlement Dispatcher::settlement_of(const Completion& done) {
  std::vector<std::string> ids;
  std::map<std::string, int64_t> seq_of;
  for (const auto& m : done.messages) {
    ids.push_back(m.id);
    seq_of[m.id] = m.seq;
  }
  Resolution resolution = resolve(ids, done.result.report, done.settings.retry_delay);
  Settlement s{done.queue, done.settings, done.token, {}, {}, {}, done.result.report.threw ? done.result.failure : ""};
  for (const auto& id : resolution.acked) s.acked.push_back(seq_of[id]);
  for (const auto& r : resolution.retried) {
    if (done.cut_by_stop) s.put_back.push_back(seq_of[r.id]);
    else s.retried.emplace_back(seq_of[r.id], r.delay_secs);
  }
  return s;
}

void Dispatcher::report_settled(const Completion& done, const SettleResult& settled) {
  Runtime& runtime = runtimes_[done.queue.name];
  runtime.in_flight--;  // only once settled: a settle that failed is tried again
  running_.erase(done.token);

  std::string line = "QUEUE " + done.queue.name + " " + std::to_string(done.messages.size()) + "/" +
                     std::to_string(done.settings.batch_size) + " (" + std::to_string(done.elapsed_ms) + "ms)";
  if (settled.retried > 0) line += "  " + std::to_string(settled.retried) + " retried";
  if (!settled.finished.empty()) line += "  " + std::to_string(settled.finished.size()) + " out of retries";
  if (done.cut_by_stop) {
    if (settled.put_back > 0)
      line += "  " + std::to_string(settled.put_back) + " put back: dev stopped before the batch finished (delivered "
              "again when dev starts, not counted as an attempt)";
  } else if (done.result.report.threw) {
    if (done.result.not_started && runtime.reported_not_started) line += "  handler not started";
    else line += "  handler failed: " + done.result.failure.substr(0, done.result.failure.find('\n'));
    if (done.result.not_started) runtime.reported_not_started = true;
  } else {
    runtime.reported_not_started = false;
  }
  log_.line(line);
  // The rest of what it threw (a stack) follows, indented.
  if (done.result.report.threw && !done.result.not_started && !done.cut_by_stop) {
    const std::string& failure = done.result.failure;
    for (size_t at = failure.find('\n'); at != std::string::npos;) {
      size_t end = failure.find('\n', at + 1);
      log_.line("    " + failure.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1));
      at = end;
    }
  }
  report_finished(done.queue.name, settled.finished);
}

void Dispatcher::report_long_batches(int64_t steady) {
  // Each handler's CPU time is read from /proc at most once a pass, however many of its batches
  // run long (the Worker host runs them all).
  std::map<handler::Handler*, std::optional<int64_t>> cpu;
  auto cpu_of = [&cpu](handler::Handler& h) {
    auto [it, fresh] = cpu.try_emplace(&h);
    if (fresh) it->second = h.cpu_ms();
    return it->second;
  };
  for (auto& [token, batch] : running_) {
    // The handler's CPU time is first looked at halfway to the first notice, so that the first
    // notice can say how busy it was since.
    if (batch.cpu_looked_ms == 0 && steady >= batch.started_ms + kFirstLongBatchNoticeMs / 2) {
      auto runtime = runtimes_.find(batch.queue);
      if (runtime != runtimes_.end()) batch.cpu_ms = cpu_of(*runtime->second.handler);
      batch.cpu_looked_ms = steady;
    }
    if (steady < batch.next_notice_ms) continue;
    int64_t ran = batch.next_notice_ms - batch.started_ms;
    batch.next_notice_ms = batch.started_ms + 2 * ran;
    if (ran >= options_.handler_timeout_ms) continue;
    std::string head = "QUEUE " + batch.queue + " " + std::to_string(batch.size) + "/" + std::to_string(batch.batch_size);
    std::string timeout = std::to_string(options_.handler_timeout_ms / 1000) + "s, --handler-timeout";
    auto runtime = runtimes_.find(batch.queue);
    if (runtime != runtimes_.end() && runtime->second.handler->holding_for_load())
      log_.line(head + " waiting " + std::to_string(ran / 1000) + "s for the Worker, which threw while it loaded (above): " +
                "queue() gets the batch once the fix is saved, not counted as an attempt (at " + timeout +
                ", it fails and is retried)");
    else
      log_.line(head + " still running after " + std::to_string(ran / 1000) + "s (its handler is ended at " + timeout +
                ", and the batch retried)" +
                (runtime != runtimes_.end() ? busy_note(batch, cpu_of(*runtime->second.handler), steady) : ""));
  }
}

std::string Dispatcher::busy_note(Running& batch, std::optional<int64_t> cpu_now, int64_t steady) {
  std::optional<int64_t> before = batch.cpu_ms;
  int64_t looked = batch.cpu_looked_ms;
  int64_t window = steady - looked;
  batch.cpu_ms = cpu_now;
  batch.cpu_looked_ms = steady;
  if (looked == 0 || !before || !batch.cpu_ms || window < 1000) return "";
  int64_t busy = *batch.cpu_ms - *before;
  if (busy * 10 < window * 9) return "";  // under 90% of a core: waiting on something, not looping
  auto seconds = [](int64_t ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", static_cast<double>(ms) / 1000.0);
    return std::string(text);
  };
  auto spec = options_.handlers.find(batch.queue);
  bool worker = spec != options_.handlers.end() && !spec->second.shared.empty();
  return std::string(", and ") + (worker ? "the Worker's runtime" : "its handler") + " was on the CPU for " +
         seconds(std::min(busy, window)) + " of the last " + seconds(window) + "s: a loop that does not end?" +
         (worker ? " It holds up the Worker's fetch() too; production ends an invocation past its CPU limit "
                   "(limits.cpu_ms, 30s by default); saving a fix hands the batch to the fixed Worker"
                 : "");
}

void Dispatcher::report_finished(const std::string& queue, const std::vector<DeadLetterMove>& moves) {
  for (const auto& m : moves) {
    if (m.to_queue.empty())
      log_.line("  warning: message " + m.id + " of queue " + queue + " deleted after " + std::to_string(m.attempts) +
                " attempts (no dead letter queue)");
    else
      log_.line("  message " + m.id + " moved to dead letter queue " + m.to_queue + " after " +
                std::to_string(m.attempts) + " attempts");
  }
}

bool Dispatcher::housekeeping(Store& store) {
  for (const auto& queue : store.list_queues()) {
    int64_t n = store.expire_messages(queue);
    if (n > 0) log_.line("  " + std::to_string(n) + " message(s) of queue " + queue.name + " expired (retention " +
                         std::to_string(queue.settings.retention_secs) + "s)");
  }
  for (const auto& owner : store.lease_owners()) {
    if (owner == owner_ || owner_alive(owner)) continue;
    int64_t n = store.release_leases(owner);
    if (n > 0) log_.line("  " + std::to_string(n) + " message(s) leased by a stopped process (" + owner +
                         ") are deliverable again, not counted as attempts");
  }
  return store.reclaim_space(kReclaimPagesPerPass) == kReclaimPagesPerPass;
}

}  // namespace flareq

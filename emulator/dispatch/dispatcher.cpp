// Implementation of dispatcher.h.
#include "emulator/dispatch/dispatcher.h"

#include <chrono>
#include <cmath>
#include <sstream>

#include "emulator/core/batch_window.h"
#include "emulator/core/outcome.h"
#include "emulator/dispatch/owner.h"
#include "emulator/handler/protocol.h"

namespace flareq {

namespace {

constexpr int64_t kHousekeepingMs = 1000;
constexpr int64_t kLeaseMarginMs = 60000;

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string seconds(double s) {
  std::ostringstream os;
  os << s << "s";
  return os.str();
}

}  // namespace

Dispatcher::Dispatcher(StorePool& stores, Log& log, DispatchOptions options)
    : stores_(stores), log_(log), options_(std::move(options)), owner_(this_process_owner()) {
  for (auto& [queue, spec] : options_.handlers) {
    std::string prefix = "[" + queue + "] ";
    runtimes_[queue].handler = handler::make_handler(spec, [this, prefix](const std::string& line) { log_.line(prefix + line); });
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() { scheduler_ = std::thread([this] { run(); }); }

void Dispatcher::notify() {
  if (runtimes_.empty()) return;  // no handler runs here: nothing for a new message to start
  std::lock_guard<std::mutex> lock(mutex_);
  dirty_ = true;
  wake_.notify_one();
}

void Dispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !scheduler_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (scheduler_.joinable()) scheduler_.join();
}

std::vector<std::string> Dispatcher::describe(Store& store) {
  std::vector<std::string> lines;
  size_t width = 0;
  for (const auto& q : store.list_queues()) width = std::max(width, q.name.size());
  for (const auto& q : store.list_queues()) {
    auto consumer = store.consumer_of(q.key);
    std::string name = q.name + std::string(width - q.name.size(), ' ');
    bool has_handler = options_.handlers.count(q.name) > 0;
    if (!consumer) continue;
    if (consumer->type == ConsumerType::HttpPull) {
      lines.push_back("  " + name + "  http_pull consumer: pull over HTTP (batch " +
                      std::to_string(consumer->settings.batch_size) + " · visibility " +
                      seconds(consumer->settings.visibility_timeout_ms / 1000.0) + ")");
      continue;
    }
    if (!has_handler) {
      lines.push_back("  " + name + "  no handler: messages are kept until one runs (set \"command\" or --consumer " +
                      q.name + "=COMMAND)");
      continue;
    }
    const auto& s = consumer->settings;
    lines.push_back("  " + name + "  batch " + std::to_string(s.batch_size) + " · timeout " +
                    seconds(s.max_wait_time_ms / 1000.0) + " · retries " + std::to_string(s.max_retries) +
                    " · retry_delay " + std::to_string(s.retry_delay) + "s · dlq " +
                    (s.dead_letter_queue.empty() ? "none" : s.dead_letter_queue) + " · concurrency " +
                    (s.max_concurrency ? std::to_string(*s.max_concurrency) : "auto") +
                    (q.settings.delivery_paused ? " · delivery paused" : ""));
  }
  return lines;
}

void Dispatcher::run() {
  Store& store = stores_.local();
  int64_t seen_version = -1;
  int64_t next_due = 0;
  int64_t next_housekeeping = 0;
  int64_t stop_deadline = 0;
  bool killed = false;
  while (true) {
    std::deque<Completion> done;
    bool look = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stopping_) {
        if (in_flight_ == 0 && completions_.empty()) break;
        if (stop_deadline == 0) {
          stop_deadline = steady_ms() + options_.shutdown_grace_ms;
          log_.line("waiting for " + std::to_string(in_flight_) + " batch(es) in flight");
        }
        if (!killed && steady_ms() >= stop_deadline) {
          killed = true;
          log_.line("killing handlers still running after " + std::to_string(options_.shutdown_grace_ms / 1000) + "s");
          for (auto& [name, runtime] : runtimes_) runtime.handler->kill_all();
        }
      }
      done.swap(completions_);
      look = dirty_;
      dirty_ = false;
    }
    for (auto& c : done) settle(store, c);
    int64_t now = store.clock().now_ms();
    if (now >= next_housekeeping) {
      housekeeping(store);
      next_housekeeping = now + kHousekeepingMs;
      look = true;
    }
    int64_t version = store.data_version();
    if (look || !done.empty() || version != seen_version || now >= next_due) {
      seen_version = version;
      next_due = stopping_ ? now + kHousekeepingMs : schedule(store, now);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (dirty_ || !completions_.empty()) continue;
    int64_t sleep_ms = std::min(next_due - store.clock().now_ms(), options_.poll_ms);
    if (sleep_ms > 0) wake_.wait_for(lock, std::chrono::milliseconds(sleep_ms));
  }
}

int64_t Dispatcher::schedule(Store& store, int64_t now) {
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
      int limit = s.max_concurrency ? *s.max_concurrency : (window.ready >= s.batch_size ? kAutoConcurrency : 1);
      if (runtime.in_flight >= limit) break;
      WindowDecision decision = decide_batch(window);
      if (decision.deliver == 0) {
        if (decision.due_ms) next_due = std::min(next_due, *decision.due_ms);
        break;
      }
      if (decision.full) runtime.opened_after_ms = now;
      launch(store, queue, *consumer, runtime, decision.deliver);
    }
  }
  return next_due;
}

void Dispatcher::launch(Store& store, const Queue& queue, const Consumer& consumer, Runtime& runtime, int64_t count) {
  LeaseResult lease = store.lease(queue, consumer.settings, count, options_.handler_timeout_ms + kLeaseMarginMs, owner_);
  report_finished(queue.name, lease.finished);
  if (lease.messages.empty()) return;
  nlohmann::ordered_json document = handler::batch_document(queue.name, lease.messages, store.metrics(queue.key));
  runtime.in_flight++;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_++;
  }
  auto job = std::make_shared<Completion>(Completion{queue, consumer.settings, lease.token, std::move(lease.messages), {}, 0});
  handler::Handler* h = runtime.handler.get();
  std::thread([this, job, h, document = std::move(document)]() mutable {
    int64_t started = steady_ms();
    job->result = h->invoke(std::move(document));
    job->elapsed_ms = steady_ms() - started;
    std::lock_guard<std::mutex> lock(mutex_);
    completions_.push_back(std::move(*job));
    in_flight_--;
    wake_.notify_one();
  }).detach();
}

void Dispatcher::settle(Store& store, Completion& done) {
  Runtime& runtime = runtimes_[done.queue.name];
  runtime.in_flight--;
  std::vector<std::string> ids;
  std::map<std::string, int64_t> seq_of;
  for (const auto& m : done.messages) {
    ids.push_back(m.id);
    seq_of[m.id] = m.seq;
  }
  Resolution resolution = resolve(ids, done.result.report, done.settings.retry_delay);
  std::vector<int64_t> acked;
  std::vector<std::pair<int64_t, int64_t>> retried;
  for (const auto& id : resolution.acked) acked.push_back(seq_of[id]);
  for (const auto& r : resolution.retried) retried.emplace_back(seq_of[r.id], r.delay_secs);
  SettleResult settled = store.settle(done.queue, done.settings, done.token, acked, retried);

  std::string line = "QUEUE " + done.queue.name + " " + std::to_string(done.messages.size()) + "/" +
                     std::to_string(done.settings.batch_size) + " (" + std::to_string(done.elapsed_ms) + "ms)";
  if (settled.retried > 0) line += "  " + std::to_string(settled.retried) + " retried";
  if (!settled.finished.empty()) line += "  " + std::to_string(settled.finished.size()) + " out of retries";
  if (done.result.report.threw) {
    if (done.result.not_started && runtime.reported_not_started) line += "  handler not started";
    else line += "  handler failed: " + done.result.failure;
    if (done.result.not_started) runtime.reported_not_started = true;
  } else {
    runtime.reported_not_started = false;
  }
  log_.line(line);
  report_finished(done.queue.name, settled.finished);
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

void Dispatcher::housekeeping(Store& store) {
  for (const auto& queue : store.list_queues()) {
    int64_t n = store.expire_messages(queue);
    if (n > 0) log_.line("  " + std::to_string(n) + " message(s) of queue " + queue.name + " expired (retention " +
                         std::to_string(queue.settings.retention_secs) + "s)");
  }
  for (const auto& owner : store.lease_owners()) {
    if (owner == owner_ || owner_alive(owner)) continue;
    int64_t n = store.release_leases(owner);
    if (n > 0) log_.line("  " + std::to_string(n) + " message(s) leased by a stopped process (" + owner +
                         ") are deliverable again");
  }
}

}  // namespace flareq

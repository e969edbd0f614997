// Batches for the Worker's queue(), posted to the delivery service in its runtime (see
// worker_runtime.h); the host process itself is a persistent handler.
#include "emulator/handler/worker_runtime.h"

#include <cstring>

#include "emulator/core/clock.h"
#include "emulator/core/faults.h"
#include "emulator/core/ids.h"
#include "emulator/handler/process.h"
#include "emulator/handler/protocol.h"

namespace flareq::handler {
namespace {

constexpr int64_t kReconnectEveryMs = 20;
// How long a batch waits for the runtime to listen (it starts, reloads or restarts) before it
// counts as a failed delivery; as long as the Worker's port waits for it. The handler timeout
// starts once the batch is handed over. Both fit in the batch's lease (the timeout + 60 s).
constexpr int64_t kRuntimeWaitMs = 30000;
// A Worker that threw while it loaded waits for its author's fix (its host answers for it, see
// worker/load-failure.mjs): a batch waits for that as long as its handler timeout, which its lease
// covers, asking this often, and is not an attempt until then; what is left of the timeout
// is the batch's once the fixed Worker takes it.
constexpr int64_t kNotLoadedPollMs = 250;
// How long a batch's verdict waits for its mark; past it (a host too busy to relay its log in
// time), the batch is reported without it.
constexpr int64_t kMarkWaitMs = 200;
constexpr const char* kMarkPrefix = "flareq-mark ";
// After the runtime ended a batch's connection (it is stopping: a reload, a crash) or was killed
// for a timeout, no batch is posted for this long, so that the ones retried next do not fail on
// the dying runtime too (three such failures in a few milliseconds would dead-letter a message
// over one reload; workerd, the host's grandchild, can still take a connection as it dies).
constexpr int64_t kQuietAfterLossMs = 500;
// The host's line for a reload (worker/host.mjs), written before the old runtime goes. A batch
// whose connection ends is given this long for the line to come through the host's output.
constexpr const char* kReloadLine = "flareq-reload";
constexpr int64_t kReloadNoticeWaitMs = 300;
// A batch cut by a reload goes again only with at least this much of its timeout left.
constexpr int64_t kLeastTimeForAgainMs = 1000;

}  // namespace

WorkerRuntimeHandler::WorkerRuntimeHandler(const HandlerSpec& spec, LogSink log)
    : WorkerRuntimeHandler(spec, std::move(log), system_spawner(), system_clock(), nullptr) {}

WorkerRuntimeHandler::WorkerRuntimeHandler(const HandlerSpec& spec, LogSink log, Spawner& spawner, const Clock& clock,
                                           PostBatch post)
    : timeout_ms_(spec.timeout_ms),
      clock_(clock),
      post_(std::move(post)),
      log_(log),
      host_(make_persistent_handler(
          spec, [this](const std::string& line) { on_host_line(line); }, spawner, clock)) {
  if (!post_) {
    client_ = std::make_unique<DeliveryClient>();
    post_ = [client = client_.get()](const BatchPost& p) { return client->post(p); };
  }
}

WorkerRuntimeHandler::~WorkerRuntimeHandler() = default;

void WorkerRuntimeHandler::deliver_to(int port, const std::string& secret, bool marks) {
  secret_ = secret;
  marks_ = marks;
  port_ = port;
}

void WorkerRuntimeHandler::on_host_line(const std::string& line) {
  if (line == kReloadLine) {
    reloads_++;
    return;
  }
  size_t at = line.find(kMarkPrefix);
  if (at == std::string::npos) {
    log_(line);
    return;
  }
  std::string mark = line.substr(at + std::strlen(kMarkPrefix), 32);
  std::lock_guard<std::mutex> lock(marks_mutex_);
  if (awaited_.erase(mark)) arrived_.insert(mark);  // one that came too late is dropped
  mark_seen_.notify_all();
}

bool WorkerRuntimeHandler::reloaded_since(int reloads) {
  for (int64_t waited = 0;; waited += kReconnectEveryMs) {
    if (reloads_ != reloads) return true;
    if (waited >= kReloadNoticeWaitMs) return false;
    clock_.sleep_ms(kReconnectEveryMs);
  }
}

void WorkerRuntimeHandler::wait_for_mark(const std::string& mark) {
  std::unique_lock<std::mutex> lock(marks_mutex_);
  wait_until_steady(mark_seen_, lock, clock_, clock_.steady_ms() + kMarkWaitMs,
                    [&] { return arrived_.count(mark) > 0; });
}

// A batch with its mark (when marks are on): registered before it is posted, forgotten after.
InvocationResult WorkerRuntimeHandler::post(const std::string& body, bool crash) {
  if (!marks_ || crash) return hand_over(body, crash, "");
  std::string mark = new_id();
  {
    std::lock_guard<std::mutex> lock(marks_mutex_);
    awaited_.insert(mark);
  }
  InvocationResult result = hand_over(body, crash, mark);
  std::lock_guard<std::mutex> lock(marks_mutex_);
  awaited_.erase(mark);
  arrived_.erase(mark);
  return result;
}

InvocationResult WorkerRuntimeHandler::invoke(const std::string& document) {
  return with_sources(port_ ? post(document, false) : host_->invoke(document));
}

InvocationResult WorkerRuntimeHandler::invoke_and_crash(const std::string& document) {
  return with_sources(port_ ? post(document, true) : host_->invoke_and_crash(document));
}

InvocationResult WorkerRuntimeHandler::with_sources(InvocationResult result) {
  if (result.report.threw && !result.failure.empty()) result.failure = source_maps_.map_stack(result.failure);
  return result;
}

void WorkerRuntimeHandler::kill_all() {
  closing_ = true;
  host_->kill_all();
}

InvocationResult WorkerRuntimeHandler::hand_over(const std::string& body, bool crash, const std::string& mark) {
  InvocationResult result;
  result.report.threw = true;
  const int64_t asked = clock_.steady_ms();
  int64_t wait_until = asked + kRuntimeWaitMs;
  // With a crash injected, the batch's connection is cut once the whole batch is written: that
  // invocation ends, and only it. One invocation's crash in production touches neither the
  // Worker's other batches nor its fetch(), so the runtime is not restarted.
  BatchPost request{port_, secret_, body, mark, crash, timeout_ms_};
  // Counted in held_for_load_ from the first answer that the Worker is not loaded until the
  // batch is handed over or given up.
  struct Held {
    std::atomic<int>& count;
    bool on = false;
    void set(bool now) {
      if (now != on) count += now ? 1 : -1;
      on = now;
    }
    ~Held() { set(false); }
  } held{held_for_load_};
  while (true) {
    int64_t quiet = quiet_until_ms_ - clock_.steady_ms();
    if (quiet > 0 && !closing_) clock_.sleep_ms(quiet);
    const int reloads = reloads_;
    const int64_t handed_over = clock_.steady_ms();
    PostAnswer answer = post_(request);
    bool not_loaded = answer.failure == PostAnswer::Failure::NotLoaded;
    // While the batch is held, the host's stand-in takes the asks; a connection lost then is the
    // stand-in ending with its host (the source changed), not a batch handed over: the batch
    // waits for the fixed Worker's runtime as for any runtime starting.
    bool not_listening = answer.failure == PostAnswer::Failure::NotListening ||
                         (held.on && answer.failure == PostAnswer::Failure::ConnectionLost);
    held.set(not_loaded);
    if (not_loaded && !closing_ && clock_.steady_ms() - asked < timeout_ms_ - kLeastTimeForAgainMs) {
      clock_.sleep_ms(kNotLoadedPollMs);
      wait_until = clock_.steady_ms() + kRuntimeWaitMs;  // the fixed Worker's runtime starts after this
      request.timeout_ms = timeout_ms_ - (clock_.steady_ms() - asked);
      continue;
    }
    if (not_listening && !closing_ && clock_.steady_ms() < wait_until) {
      // The runtime is starting, reloading or restarting: the batch was not handed over yet.
      clock_.sleep_ms(kReconnectEveryMs);
      continue;
    }
    if (crash) {
      result.failure = kInjectedCrash;
      return result;
    }
    if (answer.failure == PostAnswer::Failure::None) return verdict(answer, mark);
    if (not_loaded || not_listening) {
      result.not_started = true;
      result.failure = closing_ ? "dev is stopping"
                       : not_loaded ? "the Worker threw while it loaded (see the log) and was not fixed within " +
                                          std::to_string((clock_.steady_ms() - asked) / 1000) + "s"
                       : "the Worker's runtime was not listening for " + std::to_string(kRuntimeWaitMs / 1000) + "s";
    } else if (clock_.steady_ms() - handed_over >= request.timeout_ms - kReconnectEveryMs) {
      host_->kill_process();  // as for any handler: the whole process group ends, and starts again
      result.failure = "timed out after " + std::to_string(timeout_ms_ / 1000) + "s";
      quiet_until_ms_ = clock_.steady_ms() + kQuietAfterLossMs;  // its runtime may still be dying
    } else {
      quiet_until_ms_ = clock_.steady_ms() + kQuietAfterLossMs;
      // A reload cut it: the reloaded Worker gets the batch again, in the same lease and with the
      // same attempts, within what is left of the timeout (which the lease covers).
      const int64_t left = request.timeout_ms - (clock_.steady_ms() - handed_over);
      if (!closing_ && left >= kLeastTimeForAgainMs && reloaded_since(reloads)) {
        log_("the Worker reloaded while its queue() ran a batch: the reloaded Worker gets the batch again "
             "(not counted as an attempt: in production a deploy lets a running batch finish)");
        request.timeout_ms = left;
        wait_until = clock_.steady_ms() + kRuntimeWaitMs;  // for the reloaded runtime to listen
        continue;
      }
      result.failure = "the Worker's runtime ended the batch's connection (it stopped, crashed or reloaded)";
    }
    return result;
  }
}

// The runtime's answer to a batch it took.
InvocationResult WorkerRuntimeHandler::verdict(const PostAnswer& answer, const std::string& mark) {
  InvocationResult result;
  result.report.threw = true;
  if (answer.status != 200) {
    result.failure = "the Worker's runtime answered the batch with status " + std::to_string(answer.status);
    return result;
  }
  if (!mark.empty()) wait_for_mark(mark);  // logged once queue() is done, before the answer
  ParsedResult parsed = parse_result(answer.body);
  if (!parsed.is_result || !parsed.error.empty()) {
    result.failure = "protocol error: " + (parsed.error.empty() ? "the runtime's answer is no result" : parsed.error);
    return result;
  }
  result.report = parsed.report;
  result.report.threw = parsed.outcome_ok != true;
  if (result.report.threw) result.failure = parsed.reason.empty() ? "queue() threw" : parsed.reason;
  return result;
}

}  // namespace flareq::handler

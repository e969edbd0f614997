// Persistent handlers: one process, started on first use and kept alive; each batch is a
// line on its stdin with an "invocation" id, answered by one result line with the same id
// and "outcome". A crash fails every batch in flight; the next batch restarts it, after a
// backoff that doubles while it keeps crashing. One started with start_now() (the Worker host,
// which also serves fetch()) is started again as soon as its backoff allows, batch or not.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "emulator/core/clock.h"
#include "emulator/core/ids.h"
#include "emulator/core/write_all.h"
#include "emulator/handler/group_cpu.h"
#include "emulator/handler/handler.h"
#include "emulator/handler/line_buffer.h"
#include "emulator/handler/process.h"
#include "emulator/handler/protocol.h"

namespace flareq::handler {
namespace {

constexpr int64_t kFirstBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 5000;
// A process that ran this long before it ended was not crashing as it started: it is started
// again after the first backoff, not the grown one (the Worker host that waited for a fix).
constexpr int64_t kSteadyRunMs = 10000;
constexpr int64_t kExitGraceMs = 2000;   // a handler whose stdin closed has this long to finish
constexpr int64_t kKilledGoneMs = 5000;  // a killed group has this long to close its pipes

class PersistentHandler final : public Handler {
 public:
  PersistentHandler(HandlerSpec spec, LogSink log, Spawner& spawner, const Clock& clock)
      : spec_(std::move(spec)), log_(std::move(log)), spawner_(spawner), clock_(clock) {}

  ~PersistentHandler() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    exited_.notify_all();
    if (keeper_.joinable()) keeper_.join();
    close_stdin();  // asks the handler to finish; it is killed if it does not
    std::unique_lock<std::mutex> lock(mutex_);
    if (child_.pid > 0) {
      bool gone = wait_until_steady(exited_, lock, clock_, clock_.steady_ms() + kExitGraceMs, [&] { return child_.pid <= 0; });
      if (!gone) spawner_.kill_group(child_.pid, SIGKILL);
    }
    lock.unlock();
    if (reader_.joinable()) reader_.join();
  }

  Result<Done> start_now() override {
    std::unique_lock<std::mutex> lock(mutex_);
    Result<Done> started = child_.pid > 0 ? Done{} : start(lock);
    if (started && !keeper_.joinable()) keeper_ = std::thread([this] { keep_running(); });
    return started;
  }

  InvocationResult invoke(const std::string& document) override { return run(document, false); }
  InvocationResult invoke_and_crash(const std::string& document) override { return run(document, true); }

  int processes_started() const override { return started_; }

  std::optional<int64_t> cpu_ms() override {
    pid_t pid;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pid = child_.pid;
    }
    return group_cpu_ms(pid);  // its own process group (process.h)
  }

  void kill_all() override {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;  // only a stopping dev kills everything: no restart
    if (child_.pid > 0) spawner_.kill_group(child_.pid, SIGKILL);
  }

  // Returns once the process and its group are gone (their output pipes closed), so that
  // nothing reaches what was killed (the Worker's runtime, which keeps its port).
  void kill_process() override {
    std::unique_lock<std::mutex> lock(mutex_);
    pid_t pid = child_.pid;
    if (pid <= 0) return;
    spawner_.kill_group(pid, SIGKILL);
    wait_until_steady(exited_, lock, clock_, clock_.steady_ms() + kKilledGoneMs, [&] { return child_.pid != pid; });
  }

 private:
  InvocationResult run(const std::string& document, bool crash) {
    InvocationResult result;
    std::unique_lock<std::mutex> lock(mutex_);
    if (child_.pid <= 0) {
      Result<Done> started = start(lock);
      if (!started) {
        result.report.threw = true;
        result.not_started = true;
        result.failure = started.why();
        return result;
      }
    }
    std::string id = new_id();
    Pending pending;
    in_flight_[id] = &pending;
    std::string line = with_invocation(document, id) + "\n";
    pid_t pid = child_.pid;
    // The timeout runs from the hand-over: the handler may answer (or the clock move) before
    // the write below returns.
    const int64_t deadline = clock_.steady_ms() + spec_.timeout_ms;
    // The write happens outside mutex_: the reader thread must keep draining the handler's
    // output (which needs mutex_ for result lines) while a large batch is being written.
    lock.unlock();
    bool written = false;
    {
      std::lock_guard<std::mutex> write_lock(write_mutex_);
      written = stdin_fd_ >= 0 && write_all(stdin_fd_, line.data(), line.size());
    }
    lock.lock();
    if (!written) {
      in_flight_.erase(id);
      spawner_.kill_group(pid, SIGKILL);
      result.report.threw = true;
      result.failure = "the handler process stopped reading its input";
      return result;
    }
    if (crash) spawner_.kill_group(pid, SIGKILL);  // every batch in flight fails, as in a real crash
    bool answered = wait_until_steady(pending.answered, lock, clock_, deadline, [&] { return pending.done; });
    if (!answered) {
      in_flight_.erase(id);
      spawner_.kill_group(pid, SIGKILL);  // fails the other batches in flight too, as a crash would
      result.report.threw = true;
      result.failure = "timed out after " + std::to_string(spec_.timeout_ms / 1000) + "s";
      return result;
    }
    if (crash) {
      // An answer that beat the kill still counts as a throw: its acks stand.
      pending.result.report.threw = true;
      pending.result.failure = kInjectedCrash;
    }
    return pending.result;
  }

  struct Pending {
    bool done = false;
    InvocationResult result;
    std::condition_variable answered;
  };

  // Starts the process (waiting out the backoff first), or says why it could not.
  Result<Done> start(std::unique_lock<std::mutex>& lock) {
    if (not_before_ms_ > clock_.steady_ms()) {
      wait_until_steady(exited_, lock, clock_, not_before_ms_, [&] { return closing_; });
      if (child_.pid > 0) return Done{};
    }
    if (closing_) return Result<Done>::failure("the handler is stopping");
    if (reader_.joinable()) {
      lock.unlock();
      reader_.join();
      lock.lock();
      if (child_.pid > 0) return Done{};
    }
    Result<Child> spawned = spawner_.spawn(spec_.command, spec_.cwd, spec_.env);
    if (!spawned) {
      backoff();
      return Result<Done>::failure("cannot start the handler: " + spawned.why());
    }
    child_ = *spawned;
    ++started_;
    started_ms_ = clock_.steady_ms();
    {
      std::lock_guard<std::mutex> write_lock(write_mutex_);
      stdin_fd_ = child_.stdin_fd;
      child_.stdin_fd = -1;
    }
    reader_ = std::thread([this, child = child_] { read_output(child); });
    return Done{};
  }

  // The keeper of a handler started with start_now(): starts it again whenever it exits.
  void keep_running() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      exited_.wait(lock, [&] { return closing_ || child_.pid <= 0; });
      if (closing_) return;
      // Said as it starts again, once the backoff is waited out: a host that failed to start
      // is closed by dev meanwhile, which says why, and its exit is no news.
      const std::string exit = last_exit_;
      const int64_t pause = std::max<int64_t>(0, not_before_ms_ - clock_.steady_ms());
      wait_until_steady(exited_, lock, clock_, not_before_ms_, [&] { return closing_; });
      if (closing_) return;
      log_(exit + "; starting it again after " + std::to_string(pause) + "ms");
      Result<Done> started = start(lock);
      if (!started && !closing_) log_(started.why());
    }
  }

  void close_stdin() {
    std::lock_guard<std::mutex> write_lock(write_mutex_);
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }

  void backoff() {
    backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
    not_before_ms_ = clock_.steady_ms() + backoff_ms_;
  }

  void on_stdout_line(const std::string& line) {
    ParsedResult parsed = parse_result(line);
    if (!parsed.is_result || parsed.invocation.empty()) {
      log_(line);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = in_flight_.find(parsed.invocation);
    if (it == in_flight_.end()) {
      log_("result for unknown or timed-out invocation " + parsed.invocation + " ignored");
      return;
    }
    Pending* p = it->second;
    in_flight_.erase(it);
    if (!parsed.error.empty()) {
      p->result.report.threw = true;
      p->result.failure = "protocol error: " + parsed.error;
    } else {
      p->result.report = parsed.report;
      p->result.report.threw = parsed.outcome_ok != true;
      if (p->result.report.threw) p->result.failure = parsed.reason.empty() ? "the handler threw" : parsed.reason;
    }
    backoff_ms_ = 0;  // a healthy answer resets the crash backoff
    p->done = true;
    p->answered.notify_one();
  }

  void read_output(Child child) {
    LineBuffer out, err;
    auto on_out = [this](const std::string& line) { on_stdout_line(line); };
    std::string last_said;  // the last line it wrote to stderr that is not blank: why it died, often
    auto on_err = [&](std::string line) {
      if (says_something(line)) last_said = line;
      log_(std::move(line));
    };
    std::optional<int> status;
    while (child.stdout_fd >= 0 || child.stderr_fd >= 0) {
      pollfd fds[2];
      int n = 0, out_i = -1, err_i = -1;
      if (child.stdout_fd >= 0) fds[out_i = n++] = {child.stdout_fd, POLLIN, 0};
      if (child.stderr_fd >= 0) fds[err_i = n++] = {child.stderr_fd, POLLIN, 0};
      poll(fds, static_cast<nfds_t>(n), 200);
      if (out_i >= 0 && (fds[out_i].revents & (POLLIN | POLLHUP | POLLERR))) out.read_from(child.stdout_fd, on_out);
      if (err_i >= 0 && (fds[err_i].revents & (POLLIN | POLLHUP | POLLERR))) err.read_from(child.stderr_fd, on_err);
      // Its own children (workerd under the Worker host) may hold the pipes open after it
      // died: they end with it, which closes the pipes.
      if (!status && (status = spawner_.wait(child.pid, false))) spawner_.kill_group(child.pid, SIGKILL);
    }
    out.finish(on_out);
    err.finish(on_err);
    if (!status) status = spawner_.wait(child.pid, true);
    spawner_.kill_group(child.pid, SIGKILL);
    spawner_.forget_group(child.pid);
    close_stdin();
    std::lock_guard<std::mutex> lock(mutex_);
    std::string why = "the handler process exited (" + describe_status(status.value_or(0)) + ")" +
                      last_words(status.value_or(0), last_said);
    last_exit_ = why;
    if (!in_flight_.empty()) log_(why + "; " + std::to_string(in_flight_.size()) + " batch(es) in flight failed");
    for (auto& [id, p] : in_flight_) {
      p->result.report.threw = true;
      p->result.failure = why;
      p->done = true;
      p->answered.notify_one();
    }
    in_flight_.clear();
    child_ = Child{};
    if (clock_.steady_ms() - started_ms_ >= kSteadyRunMs) backoff_ms_ = 0;
    backoff();
    exited_.notify_all();
  }

  HandlerSpec spec_;
  LogSink log_;
  Spawner& spawner_;
  const Clock& clock_;
  std::mutex mutex_;        // the process, the batches in flight, the backoff
  std::mutex write_mutex_;  // the handler's stdin; never held with mutex_
  int stdin_fd_ = -1;
  std::condition_variable exited_;
  Child child_;
  std::thread reader_;
  std::thread keeper_;    // only for a handler started with start_now()
  bool closing_ = false;  // the handler is being destroyed or killed for good: no restart
  std::string last_exit_;
  std::map<std::string, Pending*> in_flight_;
  int64_t backoff_ms_ = 0;
  int64_t started_ms_ = 0;  // when the process last started (steady clock)
  std::atomic<int> started_{0};
  int64_t not_before_ms_ = 0;
};

}  // namespace

std::unique_ptr<Handler> make_persistent_handler(const HandlerSpec& spec, LogSink log, Spawner& spawner,
                                                 const Clock& clock) {
  return std::make_unique<PersistentHandler>(spec, std::move(log), spawner, clock);
}

}  // namespace flareq::handler

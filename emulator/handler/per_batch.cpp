// Per-batch handlers: a process per batch, the batch on its stdin, the result on the last
// line of its stdout; exit status 0 means it returned.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>

#include "emulator/handler/handler.h"
#include "emulator/handler/line_buffer.h"
#include "emulator/handler/process.h"
#include "emulator/handler/protocol.h"

namespace flareq::handler {
namespace {

// How long a handler that has exited may leave a background process holding its pipes open.
constexpr int64_t kDrainAfterExitMs = 200;
constexpr int kPollMs = 50;

// A handler's stdout: lines go to the log as they come, except one that looks like a result,
// which is held back in case it is the last line, and logged if more output follows.
class StdoutLines {
 public:
  explicit StdoutLines(const LogSink& log) : log_(log) {}
  void operator()(std::string line) {
    if (!held_.empty()) log_(held_);
    held_.clear();
    if (parse_result(line).is_result) held_ = std::move(line);
    else log_(line);
  }
  // The last line, when it looked like a result.
  const std::string& result_line() const { return held_; }

 private:
  const LogSink& log_;
  std::string held_;
};

class PerBatchHandler final : public Handler {
 public:
  PerBatchHandler(HandlerSpec spec, LogSink log, Spawner& spawner, const Clock& clock)
      : spec_(std::move(spec)), log_(std::move(log)), spawner_(spawner), clock_(clock) {}

  InvocationResult invoke(const std::string& document) override { return run(document, false); }
  InvocationResult invoke_and_crash(const std::string& document) override { return run(document, true); }

  void kill_all() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (pid_t pid : running_) spawner_.kill_group(pid, SIGKILL);
  }

 private:
  InvocationResult run(const std::string& document, bool crash) {
    Result<Child> spawned = spawner_.spawn(spec_.command, spec_.cwd, spec_.env);
    if (!spawned) {
      InvocationResult result;
      result.report.threw = true;
      result.not_started = true;
      result.failure = "cannot start the handler: " + spawned.why();
      return result;
    }
    Child child = *spawned;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.insert(child.pid);
    }
    ProcessEnd end = drive(child, document + "\n", crash);
    spawner_.kill_group(child.pid, SIGKILL);  // whatever it left running
    spawner_.forget_group(child.pid);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.erase(child.pid);
    }
    return per_batch_verdict(end, spec_);
  }

  // Writes `input` to the child's stdin while draining its stdout and stderr, until its pipes
  // close (or shortly after it exited), killing it on timeout or once the input is handed over
  // when a crash is injected.
  ProcessEnd drive(Child& child, const std::string& input, bool crash) {
    ProcessEnd end;
    end.crash_injected = crash;
    // Non-blocking, so a large batch never stalls the loop that drains the handler's output.
    fcntl(child.stdin_fd, F_SETFL, fcntl(child.stdin_fd, F_GETFL) | O_NONBLOCK);
    size_t written = 0;
    LineBuffer out, err;
    StdoutLines stdout_lines(log_);
    auto on_stdout = [&](std::string line) { stdout_lines(std::move(line)); };
    auto on_stderr = [&](std::string line) {
      if (says_something(line)) end.last_stderr_line = line;
      log_(std::move(line));
    };
    const int64_t deadline = clock_.steady_ms() + spec_.timeout_ms;
    std::optional<int> status;
    int64_t exited_at = 0;
    while (child.stdout_fd >= 0 || child.stderr_fd >= 0) {
      int64_t now = clock_.steady_ms();
      if (!end.timed_out && now >= deadline) {
        end.timed_out = true;
        spawner_.kill_group(child.pid, SIGKILL);
      }
      if (!status && (status = spawner_.wait(child.pid, false))) exited_at = now;
      if (status && now - exited_at > kDrainAfterExitMs) break;
      pollfd fds[3];
      int n = 0, out_i = -1, err_i = -1, in_i = -1;
      if (child.stdout_fd >= 0) fds[out_i = n++] = {child.stdout_fd, POLLIN, 0};
      if (child.stderr_fd >= 0) fds[err_i = n++] = {child.stderr_fd, POLLIN, 0};
      if (child.stdin_fd >= 0) fds[in_i = n++] = {child.stdin_fd, POLLOUT, 0};
      poll(fds, static_cast<nfds_t>(n), kPollMs);
      if (out_i >= 0 && (fds[out_i].revents & (POLLIN | POLLHUP | POLLERR))) out.read_from(child.stdout_fd, on_stdout);
      if (err_i >= 0 && (fds[err_i].revents & (POLLIN | POLLHUP | POLLERR))) err.read_from(child.stderr_fd, on_stderr);
      if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = write(child.stdin_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        bool retry = w < 0 && (errno == EAGAIN || errno == EINTR);
        if ((w < 0 && !retry) || written == input.size()) {
          close(child.stdin_fd);
          child.stdin_fd = -1;
          if (crash) spawner_.kill_group(child.pid, SIGKILL);  // the whole batch was handed over
        }
      }
    }
    close_pipes(child);
    out.finish(on_stdout);
    err.finish(on_stderr);
    end.wait_status = status ? *status : spawner_.wait(child.pid, true).value_or(0);
    end.result_line = stdout_lines.result_line();
    return end;
  }

  HandlerSpec spec_;
  LogSink log_;
  Spawner& spawner_;
  const Clock& clock_;
  std::mutex mutex_;
  std::set<pid_t> running_;
};

}  // namespace

InvocationResult per_batch_verdict(const ProcessEnd& end, const HandlerSpec& spec) {
  InvocationResult result;
  if (!end.result_line.empty()) {
    ParsedResult parsed = parse_result(end.result_line);
    if (!parsed.error.empty()) result.failure = "protocol error: " + parsed.error + ": " + end.result_line;
    else result.report = parsed.report;
  }
  int status = end.wait_status;
  bool returned = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (end.timed_out) result.failure = "timed out after " + std::to_string(spec.timeout_ms / 1000) + "s";
  else if (!returned && result.failure.empty()) {
    result.failure = describe_status(status) + last_words(status, end.last_stderr_line);
  }
  if (!spec.command.shell.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    result.not_started = true;
    result.failure = "cannot start the handler: " + spec.command.shell + ": command not found";
  }
  if (end.crash_injected) result.failure = kInjectedCrash;
  result.report.threw = end.timed_out || !returned || !result.failure.empty();
  return result;
}

std::unique_ptr<Handler> make_per_batch_handler(const HandlerSpec& spec, LogSink log, Spawner& spawner,
                                                const Clock& clock) {
  return std::make_unique<PerBatchHandler>(spec, std::move(log), spawner, clock);
}

}  // namespace flareq::handler

// Per-batch handlers: a process per batch, the batch on its stdin, the result on the last
// line of its stdout; exit status 0 means it returned.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>

#include "emulator/core/clock.h"
#include "emulator/handler/handler.h"
#include "emulator/handler/line_buffer.h"
#include "emulator/handler/process.h"
#include "emulator/handler/protocol.h"

namespace flareq::handler {
namespace {

class PerBatchHandler final : public Handler {
 public:
  PerBatchHandler(HandlerSpec spec, LogSink log) : spec_(std::move(spec)), log_(std::move(log)) {}

  InvocationResult invoke(const std::string& document) override { return run(document, false); }
  InvocationResult invoke_and_crash(const std::string& document) override { return run(document, true); }

  void kill_all() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (pid_t pid : running_) kill_group(pid, SIGKILL);
  }

 private:
  InvocationResult run(const std::string& document, bool crash) {
    InvocationResult result;
    Spawned spawned = spawn(spec_.command, spec_.cwd, spec_.env);
    if (!spawned.error.empty()) {
      result.report.threw = true;
      result.not_started = true;
      result.failure = "cannot start the handler: " + spawned.error;
      return result;
    }
    Child child = spawned.child;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.insert(child.pid);
    }
    // Non-blocking, so a large batch never stalls the loop that drains the handler's output.
    fcntl(child.stdin_fd, F_SETFL, fcntl(child.stdin_fd, F_GETFL) | O_NONBLOCK);
    std::string input = document + "\n";
    size_t written = 0;
    LineBuffer out, err;
    // Lines go to the log as they come, except one that looks like a result: it is held
    // back in case it is the last line, and logged if more output follows.
    std::string pending_line;
    bool have_pending = false;
    auto on_stdout = [&](std::string line) {
      if (have_pending) log_(pending_line);
      have_pending = parse_result(line).is_result;
      if (have_pending) pending_line = std::move(line);
      else log_(line);
    };
    int64_t deadline = monotonic_ms() + spec_.timeout_ms;
    bool timed_out = false;
    int status = 0;
    bool exited = false;
    int64_t exited_at = 0;
    while (child.stdout_fd >= 0 || child.stderr_fd >= 0) {
      pollfd fds[3];
      int n = 0;
      int out_i = -1, err_i = -1, in_i = -1;
      if (child.stdout_fd >= 0) fds[out_i = n++] = {child.stdout_fd, POLLIN, 0};
      if (child.stderr_fd >= 0) fds[err_i = n++] = {child.stderr_fd, POLLIN, 0};
      if (child.stdin_fd >= 0) fds[in_i = n++] = {child.stdin_fd, POLLOUT, 0};
      int64_t now = monotonic_ms();
      if (!timed_out && now >= deadline) {
        timed_out = true;
        kill_group(child.pid, SIGKILL);
      }
      // A handler that has exited but left a background process holding its pipes open
      // is not waited for long.
      if (!exited && waitpid(child.pid, &status, WNOHANG) == child.pid) {
        exited = true;
        exited_at = now;
      }
      if (exited && now - exited_at > 200) break;
      poll(fds, static_cast<nfds_t>(n), 50);
      if (out_i >= 0 && (fds[out_i].revents & (POLLIN | POLLHUP | POLLERR))) out.read_from(child.stdout_fd, on_stdout);
      if (err_i >= 0 && (fds[err_i].revents & (POLLIN | POLLHUP | POLLERR))) err.read_from(child.stderr_fd, log_);
      if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = write(child.stdin_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        bool retry = w < 0 && (errno == EAGAIN || errno == EINTR);
        if ((w < 0 && !retry) || written == input.size()) {
          close(child.stdin_fd);
          child.stdin_fd = -1;
          if (crash) kill_group(child.pid, SIGKILL);  // the whole batch was handed over
        }
      }
    }
    close_pipes(child);
    out.finish(on_stdout);
    err.finish(log_);
    if (!exited) waitpid(child.pid, &status, 0);
    kill_group(child.pid, SIGKILL);  // whatever it left running
    forget_group(child.pid);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.erase(child.pid);
    }

    if (have_pending) {
      ParsedResult parsed = parse_result(pending_line);
      if (!parsed.error.empty()) result.failure = "protocol error: " + parsed.error + ": " + pending_line;
      else result.report = parsed.report;
    }
    bool returned = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (timed_out) result.failure = "timed out after " + std::to_string(spec_.timeout_ms / 1000) + "s";
    else if (!returned && result.failure.empty()) result.failure = describe_status(status);
    if (!spec_.command.shell.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
      result.not_started = true;
      result.failure = "cannot start the handler: " + spec_.command.shell + ": command not found";
    }
    if (crash) result.failure = kInjectedCrash;
    result.report.threw = timed_out || !returned || !result.failure.empty();
    return result;
  }

  HandlerSpec spec_;
  LogSink log_;
  std::mutex mutex_;
  std::set<pid_t> running_;
};

}  // namespace

std::unique_ptr<Handler> make_per_batch_handler(const HandlerSpec& spec, LogSink log) {
  return std::make_unique<PerBatchHandler>(spec, std::move(log));
}

}  // namespace flareq::handler

// A queue's consumer handler: runs one batch and reports how the invocation ended. Two
// kinds (README, "Consumer handlers"): a process per batch, or one persistent process fed one line
// per batch. Both end the whole process group on timeout.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "emulator/config/config.h"
#include "emulator/core/clock.h"
#include "emulator/core/faults.h"
#include "emulator/core/outcome.h"
#include "emulator/core/result.h"

namespace flareq::handler {

struct HandlerSpec {
  std::string queue;
  config::HandlerCommand command;
  config::HandlerMode mode = config::HandlerMode::PerBatch;
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;
  int64_t timeout_ms = 900000;
  // Set when one handler serves several queues (the Worker host): the same name, the same handler.
  std::string shared;
};

struct InvocationResult {
  InvocationReport report;  // report.threw when it did not return normally
  std::string failure;      // why it threw, for the log
  bool not_started = false; // the command could not be started at all
};

// Where a handler's output goes: one call per line, already prefixed with the queue.
using LogSink = std::function<void(const std::string& line)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // Runs one batch (its batch document, dispatch/batch_document.h); blocks until it ends.
  // Safe to call from several threads at once.
  virtual InvocationResult invoke(const std::string& document) = 0;
  // Hands the batch over, then kills the handler's process as a crash would (an injected
  // fault): the invocation reports a throw, and any acks the handler reported before stand.
  virtual InvocationResult invoke_and_crash(const std::string& document) = 0;
  // Ends every running invocation now (they report a throw).
  virtual void kill_all() = 0;
  // Kills the handler's process now, as a crash would, and returns once it is gone: its
  // invocations report a throw, and a persistent handler is started again. Nothing to do
  // where each batch has its own process.
  virtual void kill_process() {}
  // Starts the process now rather than with the first batch (a persistent handler that
  // must be up before any batch, like the Worker host), or says why it could not.
  virtual Result<Done> start_now() { return Done{}; }
  // How many times a process of this handler has started (a persistent handler's restarts
  // count; a per-batch handler says 0).
  virtual int processes_started() const { return 0; }
  // Whether its batches are being held, not run: the Worker threw while it loaded, and they
  // wait for the fix (uncounted) rather than fail.
  virtual bool holding_for_load() const { return false; }
  // The CPU time, in milliseconds, that the process serving every batch (a persistent handler,
  // the Worker's host and runtime) and what it started have used so far; nullopt where each
  // batch has its own process, or none runs.
  virtual std::optional<int64_t> cpu_ms() { return std::nullopt; }
};

class Spawner;  // process.h

// Each handler starts its processes through `spawner` and measures time on `clock` (the
// system's, or a test's fakes).
std::unique_ptr<Handler> make_per_batch_handler(const HandlerSpec& spec, LogSink log, Spawner& spawner,
                                                const Clock& clock);
std::unique_ptr<Handler> make_persistent_handler(const HandlerSpec& spec, LogSink log, Spawner& spawner,
                                                 const Clock& clock);
// The kind that spec.mode names, on the system's processes and clock.
std::unique_ptr<Handler> make_handler(const HandlerSpec& spec, LogSink log);

// How a per-batch handler's process ended, and the verdict that follows from it.
struct ProcessEnd {
  int wait_status = 0;           // as waitpid() gives it
  bool timed_out = false;        // killed by dev after the handler timeout
  bool crash_injected = false;   // killed by dev as an injected crash
  std::string result_line;       // the last line of its stdout, when that line looked like a result
  std::string last_stderr_line;  // the last line it wrote to stderr that is not blank
};
// Exit status 0 with a valid result line (or none) returned; anything else threw. Another exit
// status is followed in the failure by the last line of its stderr (a traceback's "KeyError:
// 'email'"); a signal is not.
// A shell command's exit status 127 means the command was not found: not started.
InvocationResult per_batch_verdict(const ProcessEnd& end, const HandlerSpec& spec);

}  // namespace flareq::handler

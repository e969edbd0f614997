// Starting a handler command as a child process in its own process group, with pipes
// for stdin, stdout and stderr; waiting for it; and ending the whole group. `Spawner` is the
// one seam between the handlers and the operating system's processes: tests give the
// handlers a fake (tests/unit/fake_spawner.h) and run no process.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "emulator/config/config.h"
#include "emulator/core/result.h"

namespace flareq::handler {

struct Child {
  pid_t pid = -1;  // also the process group id
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

class Spawner {
 public:
  virtual ~Spawner() = default;
  // A string command runs under /bin/sh -c; an argv runs as given (found on PATH). `env` is
  // added to dev's own environment. A command that cannot start (a missing program) is an
  // expected failure, reported to the log and counted as a throw.
  virtual Result<Child> spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
                        const std::map<std::string, std::string>& env) = 0;
  // Sends `sig` to every process of the child's group.
  virtual void kill_group(pid_t pgid, int sig) = 0;
  // The child's wait status once it has exited (reaping it); nullopt while it runs, unless
  // `block`, which waits for the exit.
  virtual std::optional<int> wait(pid_t pid, bool block) = 0;
  // The reaped child's group has ended: nothing watches it any more (its id may be reused).
  virtual void forget_group(pid_t pgid) = 0;
};

// The operating system's: posix_spawn, and the child's whole process group (what it starts
// itself included, such as the Worker host's workerd) is killed should dev die, even by
// kill -9: one guard process per dev watches every group.
Spawner& system_spawner();

// Closes the child's pipes that are still open.
void close_pipes(Child& child);
// "exit status 1", "killed by signal 9 (Killed)".
std::string describe_status(int wait_status);
// Whether `line` (of a handler's stderr) says anything: not blank.
bool says_something(const std::string& line);
// What a handler that exited with an error status said last on stderr, as a failure's end
// (": KeyError: 'email'", at most 300 characters); "" for exit status 0, a signal, or nothing said.
std::string last_words(int wait_status, const std::string& last_stderr_line);

}  // namespace flareq::handler

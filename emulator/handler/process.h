// Starting a handler command as a child process in its own process group, with pipes
// for stdin, stdout and stderr; and ending the whole group.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "emulator/config/config.h"

namespace flareq::handler {

struct Child {
  pid_t pid = -1;  // also the process group id
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// A started child, or why the command could not be started (a missing program is an
// expected failure, reported to the log and counted as a throw, not an exception).
struct Spawned {
  Child child;
  std::string error;  // empty when started
};

// A string command runs under /bin/sh -c; an argv runs as given (found on PATH). The child's
// whole process group (what it starts itself included, such as the Worker host's workerd) is
// killed should dev die, even by kill -9: one guard process per dev watches every group.
Spawned spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
              const std::map<std::string, std::string>& env);
// The group of a child that has been reaped: the guard stops watching it (its id may be reused).
void forget_group(pid_t pgid);

void kill_group(pid_t pgid, int sig);
// Closes the child's pipes that are still open.
void close_pipes(Child& child);
// "exit status 1", "killed by signal 9 (Killed)".
std::string describe_status(int wait_status);

}  // namespace flareq::handler

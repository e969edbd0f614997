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
  pid_t guard_pid = -1;  // see spawn(): ends the group should dev die
};

// A started child, or why the command could not be started (a missing program is an
// expected failure, reported to the log and counted as a throw, not an exception).
struct Spawned {
  Child child;
  std::string error;  // empty when started
};

// A string command runs under /bin/sh -c; an argv runs as given (found on PATH). The child
// is killed when dev dies (a parent-death signal). With `guard_group`, a small guard process
// (a fork of dev, no exec) also waits for dev's death and then kills the child's whole
// process group: what the child started itself (the Worker host's workerd) goes too.
Spawned spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
            const std::map<std::string, std::string>& env, bool guard_group = false);
// Ends and reaps the guard of a child that has ended.
void end_guard(Child& child);

void kill_group(pid_t pgid, int sig);
// Closes the child's pipes that are still open.
void close_pipes(Child& child);
// "exit status 1", "killed by signal 9 (Killed)".
std::string describe_status(int wait_status);

}  // namespace flareq::handler

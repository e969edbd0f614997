// Spawning handler commands with posix_spawn, which is safe in a threaded process, and
// ending their process groups.
#include "emulator/handler/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char** environ;

namespace flareq::handler {

Child spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
            const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = command.argv;
  if (!command.shell.empty()) argv = {"/bin/sh", "-c", command.shell};
  if (argv.empty()) throw SpawnError("no command");

  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (!env.count(key)) envs.push_back(entry);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw SpawnError(strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]);
    throw SpawnError(strerror(errno));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    throw SpawnError(strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);  // dev blocks SIGINT/SIGTERM in its threads
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]), close(out[0]), close(err[0]);
    throw SpawnError(argv[0] + ": " + strerror(rc));
  }
  return Child{pid, in[1], out[0], err[0]};
}

void kill_group(pid_t pgid, int sig) {
  if (pgid > 0) ::kill(-pgid, sig);
}

void close_pipes(Child& c) {
  for (int* fd : {&c.stdin_fd, &c.stdout_fd, &c.stderr_fd})
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

}  // namespace flareq::handler

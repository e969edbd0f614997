// Spawning handler commands with fork and exec (only system calls between the two, as a
// threaded process must), and ending their process groups.
#include "emulator/handler/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char** environ;

namespace flareq::handler {

namespace {

// A fork of dev that does nothing until dev dies (its parent-death signal, SIGUSR1), then
// kills the process group `pgid`. Only async-signal-safe calls after fork().
pid_t spawn_guard(pid_t pgid, pid_t parent) {
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIGUSR1);
  pid_t guard = fork();
  if (guard != 0) return guard;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);  // only sigwait() takes SIGUSR1; SIGKILL ends it
  prctl(PR_SET_PDEATHSIG, SIGUSR1);
  close_range(0, ~0U, 0);
  if (getppid() == parent) {
    int sig = 0;
    sigwait(&wake, &sig);
  }
  ::kill(-pgid, SIGKILL);
  _exit(0);
}

}  // namespace

Spawned spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
            const std::map<std::string, std::string>& env, bool guard_group) {
  std::vector<std::string> argv = command.argv;
  if (!command.shell.empty()) argv = {"/bin/sh", "-c", command.shell};
  if (argv.empty()) return {{}, "no command"};

  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (!env.count(key)) envs.push_back(entry);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);

  // Everything the child needs is prepared here: after fork() it may only make system calls.
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string dir = cwd.string();

  int in[2], out[2], err[2], status[2];
  int* pipes[] = {in, out, err, status};
  int made = 0;
  for (; made < 4; ++made)
    if (pipe2(pipes[made], O_CLOEXEC) != 0) break;
  if (made < 4) {
    int e = errno;
    for (int i = 0; i < made; ++i) close(pipes[i][0]), close(pipes[i][1]);
    return {{}, strerror(e)};
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // The child. Its own process group, so the whole group can be ended; killed when the
    // thread of dev that started it goes away (dev's threads live as long as dev), so a
    // kill -9 of dev leaves no handler running.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // dev died before the line above
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // dev blocks SIGINT/SIGTERM in its threads
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &fallback, nullptr);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // Only stdin, stdout and stderr are inherited: not dev's sockets (a client's keep-alive
    // connection would otherwise hang as long as the handler lives), nor other handlers'
    // pipes. The status pipe closes itself on exec.
    close_range(3, static_cast<unsigned>(status[1]) - 1, 0);
    close_range(static_cast<unsigned>(status[1]) + 1, ~0U, 0);
    int failure = 0;
    if (!dir.empty() && chdir(dir.c_str()) != 0) failure = errno;
    if (!failure) execvpe(args[0], args.data(), envp.data());
    if (!failure) failure = errno;
    ssize_t ignored = write(status[1], &failure, sizeof(failure));
    (void)ignored;
    _exit(127);
  }
  int fork_error = errno;
  close(in[0]), close(out[1]), close(err[1]), close(status[1]);
  int failure = pid < 0 ? fork_error : 0;
  if (pid > 0) {
    ssize_t n;
    do n = read(status[0], &failure, sizeof(failure));
    while (n < 0 && errno == EINTR);
    if (n != sizeof(failure)) failure = 0;  // closed by a successful exec
    if (failure) waitpid(pid, nullptr, 0);
  }
  close(status[0]);
  if (failure) {
    close(in[1]), close(out[0]), close(err[0]);
    return {{}, argv[0] + ": " + strerror(failure)};
  }
  Child child{pid, in[1], out[0], err[0], -1};
  if (guard_group) child.guard_pid = spawn_guard(pid, parent);
  return {child, ""};
}

void end_guard(Child& child) {
  if (child.guard_pid <= 0) return;
  ::kill(child.guard_pid, SIGKILL);
  waitpid(child.guard_pid, nullptr, 0);
  child.guard_pid = -1;
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

// Spawning handler commands with posix_spawn (glibc's uses CLONE_VM|CLONE_VFORK: nothing of
// dev's address space is copied, however many threads and mappings it has), and ending their
// process groups, also when dev dies: one guard process per dev kills every group it was told
// of once dev is gone, and every process that carries its mark in its environment.
#include "emulator/handler/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <vector>

extern char** environ;

namespace flareq::handler {

namespace {

// The guard: a fork of dev, made once, that reads the process groups to watch from a pipe
// (a pid_t each: positive to watch, negative to forget) and, when the pipe ends (dev died,
// even by kill -9, or dev exits), kills every group still watched, then every process whose
// environment carries its mark (`mark()`, which every handler is given): a handler that
// started between its spawn and dev's word to the guard, and what a handler started that left
// its group (setsid, a daemon). Only async-signal-safe calls after fork(), and no allocation:
// the groups live in a fixed table.
class GroupGuard {
 public:
  static GroupGuard& instance() {
    static GroupGuard guard;
    return guard;
  }
  void watch(pid_t pgid) { tell(pgid); }
  void forget(pid_t pgid) { tell(-pgid); }
  // "FLAREQ_GUARD_<the guard's pid>=1", unique among live processes ("" if no guard runs); a
  // handler of a dev started by another's handler carries both marks.
  const std::string& mark() const { return mark_; }

 private:
  static constexpr int kMaxGroups = 65536;

  GroupGuard() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
      char own[48] = "FLAREQ_GUARD_";  // no allocation after fork()
      append_number(own, getpid());
      strcat(own, "=1");
      run(fds[0], fds[1], own);
    }
    close(fds[0]);
    if (pid < 0) {
      close(fds[1]);
      return;
    }
    write_fd_ = fds[1];
    mark_ = "FLAREQ_GUARD_" + std::to_string(pid) + "=1";
  }

  // Appends `n`'s decimal digits to the C string `text`.
  static void append_number(char* text, long n) {
    char digits[24];
    int count = 0;
    do digits[count++] = static_cast<char>('0' + n % 10);
    while ((n /= 10) > 0);
    text += strlen(text);
    while (count > 0) *text++ = digits[--count];
    *text = '\0';
  }

  // Whether /proc/<pid>/environ holds the entry `mark` (its entries are NUL-terminated).
  static bool carries(int proc_fd, const char* pid, const char* mark) {
    char path[64] = "";
    if (strlen(pid) > 20) return false;
    strcat(strcpy(path, pid), "/environ");
    int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // gone, or another user's
    static char chunk[4096];
    size_t length = strlen(mark), matched = 0;  // of the current entry; length + 1 once it differs
    bool found = false;
    ssize_t n;
    while (!found && ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))) {
      for (ssize_t i = 0; i < n && !found; ++i) {
        if (chunk[i] == '\0') {
          found = matched == length;
          matched = 0;
        } else if (matched < length && chunk[i] == mark[matched]) {
          ++matched;
        } else {
          matched = length + 1;
        }
      }
    }
    close(fd);
    return found;
  }

  // Kills every process that carries `mark`, with its group if it leads one, until a pass
  // over /proc finds none (one could fork while the pass runs; a killed one reads as empty).
  static void end_marked(const char* mark) {
    static char entries[8192];
    for (int pass = 0; pass < 8; ++pass) {
      int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (proc_fd < 0) return;
      bool killed = false;
      ssize_t n;
      while ((n = getdents64(proc_fd, entries, sizeof entries)) > 0) {
        for (ssize_t at = 0; at < n;) {
          auto* entry = reinterpret_cast<struct dirent64*>(entries + at);
          at += entry->d_reclen;
          pid_t pid = 0;
          for (const char* c = entry->d_name; *c >= '0' && *c <= '9'; ++c) pid = pid * 10 + (*c - '0');
          if (pid <= 0 || pid == getpid() || !carries(proc_fd, entry->d_name, mark)) continue;
          if (getpgid(pid) == pid) ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
          killed = true;
        }
      }
      close(proc_fd);
      if (!killed) return;
    }
  }

  [[noreturn]] static void run(int read_fd, int write_fd, const char* mark) {
    // Nothing of dev's but the pipe: a listening socket or a client's connection kept open
    // here would outlive dev.
    close(write_fd);
    close_range(0, static_cast<unsigned>(read_fd) - 1, 0);
    close_range(static_cast<unsigned>(read_fd) + 1, ~0U, 0);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);  // only dev's death (the pipe's end) ends it; SIGKILL still does
    setpgid(0, 0);                             // a Ctrl-C to dev's terminal group is not for it
    static pid_t groups[kMaxGroups];
    pid_t message;
    for (;;) {
      ssize_t n = read(read_fd, &message, sizeof message);
      if (n < 0 && errno == EINTR) continue;
      if (n != sizeof message) break;
      pid_t pgid = message > 0 ? message : -message;
      for (int i = 0; i < kMaxGroups; ++i) {
        if (message > 0 ? groups[i] == 0 : groups[i] == pgid) {
          groups[i] = message > 0 ? pgid : 0;
          break;
        }
      }
    }
    for (int i = 0; i < kMaxGroups; ++i)
      if (groups[i] > 0) ::kill(-groups[i], SIGKILL);
    end_marked(mark);
    _exit(0);
  }

  void tell(pid_t message) {
    if (write_fd_ < 0) return;
    std::lock_guard<std::mutex> lock(mutex_);  // one writer at a time keeps the table's order
    ssize_t n;
    do n = write(write_fd_, &message, sizeof message);
    while (n < 0 && errno == EINTR);
  }

  int write_fd_ = -1;  // held by dev alone (close-on-exec): its end is dev's death
  std::string mark_;
  std::mutex mutex_;
};

// dev's environment with the guard's mark and `env` added (their values win).
std::vector<std::string> environment_with(const std::string& mark, const std::map<std::string, std::string>& env) {
  std::vector<std::string> envs;
  if (!mark.empty()) envs.push_back(mark);
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (!env.count(key)) envs.push_back(entry);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  return envs;
}

// posix_spawn's attributes and file actions, released however spawn() returns. The child: its
// own process group (so the whole group can be ended), default signal dispositions and no
// blocked signal (dev blocks SIGINT/SIGTERM/SIGHUP in its threads), and only stdin, stdout and stderr:
// not dev's sockets (a client's keep-alive connection would hang as long as the handler
// lives), nor other handlers' pipes.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup(int stdin_fd, int stdout_fd, int stderr_fd, const std::string& dir) {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

class SystemSpawner final : public Spawner {
 public:
  Result<Child> spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
                const std::map<std::string, std::string>& env) override;
  void kill_group(pid_t pgid, int sig) override {
    if (pgid > 0) ::kill(-pgid, sig);
  }
  std::optional<int> wait(pid_t pid, bool block) override {
    int status = 0;
    pid_t got;
    do got = waitpid(pid, &status, block ? 0 : WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got == pid) return status;
    return std::nullopt;
  }
  void forget_group(pid_t pgid) override {
    if (pgid > 0) GroupGuard::instance().forget(pgid);
  }
};

}  // namespace

Spawner& system_spawner() {
  static SystemSpawner spawner;
  return spawner;
}

Result<Child> SystemSpawner::spawn(const config::HandlerCommand& command, const std::filesystem::path& cwd,
                             const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = command.argv;
  if (!command.shell.empty()) argv = {"/bin/sh", "-c", command.shell};
  if (argv.empty()) return Result<Child>::failure("no command");
  GroupGuard& guard = GroupGuard::instance();  // started before the first handler
  std::vector<std::string> envs = environment_with(guard.mark(), env);
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  int* pipes[] = {in, out, err};
  int made = 0;
  for (; made < 3; ++made)
    if (pipe2(pipes[made], O_CLOEXEC) != 0) break;
  if (made < 3) {
    int e = errno;
    for (int i = 0; i < made; ++i) close(pipes[i][0]), close(pipes[i][1]);
    return Result<Child>::failure(strerror(e));
  }
  std::string dir = cwd.string();
  SpawnSetup setup(in[0], out[1], err[1], dir);

  pid_t pid = -1;
  int failure = posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), envp.data());
  close(in[0]), close(out[1]), close(err[1]);
  if (failure != 0) {
    close(in[1]), close(out[0]), close(err[0]);
    return Result<Child>::failure(argv[0] + ": " + strerror(failure));
  }
  guard.watch(pid);
  return Child{pid, in[1], out[0], err[0]};
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

bool says_something(const std::string& line) { return line.find_first_not_of(" \t\r") != std::string::npos; }

std::string last_words(int status, const std::string& line) {
  size_t text = line.find_first_not_of(" \t\r");
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 0 || text == std::string::npos) return "";
  return ": " + line.substr(text, 300);
}

}  // namespace flareq::handler

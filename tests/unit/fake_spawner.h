// A Spawner whose processes are functions run on threads, talking to the handler over real
// socket pairs in place of pipes: the handlers' logic runs against it with no process started.
// It records what was spawned and killed. A kill shuts the process's sockets down (its reads
// end, its writes fail) and its wait status says "killed by signal 9".
#pragma once
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emulator/handler/process.h"

namespace flareq::testing {

// A fake process's side of its stdin, stdout and stderr.
class FakeProcess {
 public:
  FakeProcess(int in, int out, int err) : in_(in), out_(out), err_(err) {}
  ~FakeProcess() {
    for (int fd : {in_, out_, err_}) close(fd);
  }
  // One line of stdin without its newline; nullopt at its end (closed by the handler, or killed).
  std::optional<std::string> read_line() {
    std::string line;
    char c;
    while (true) {
      ssize_t n = ::read(in_, &c, 1);
      if (n <= 0) return std::nullopt;
      if (c == '\n') return line;
      line += c;
    }
  }
  bool write_out(const std::string& line) { return send_line(out_, line); }
  bool write_err(const std::string& line) { return send_line(err_, line); }
  // Blocks until the process is killed.
  void wait_for_kill() {
    std::unique_lock<std::mutex> lock(mutex_);
    killed_cv_.wait(lock, [&] { return killed_; });
  }
  void kill() {
    std::lock_guard<std::mutex> lock(mutex_);
    killed_ = true;
    for (int fd : {in_, out_, err_}) shutdown(fd, SHUT_RDWR);
    killed_cv_.notify_all();
  }
  bool killed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return killed_;
  }

 private:
  static bool send_line(int fd, const std::string& line) {
    std::string data = line + "\n";
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  int in_, out_, err_;
  std::mutex mutex_;
  std::condition_variable killed_cv_;
  bool killed_ = false;
};

// What a fake process does; returns its exit code.
using FakeProgram = std::function<int(FakeProcess&)>;

class FakeSpawner final : public handler::Spawner {
 public:
  FakeSpawner() { signal(SIGPIPE, SIG_IGN); }  // the handler writes to sockets a kill shut down
  ~FakeSpawner() override {
    for (auto& [pid, p] : processes_) {
      p->process->kill();
      if (p->thread.joinable()) p->thread.join();
    }
  }

  // The programs of the next spawns, in order; past them, `otherwise` (if set) runs.
  void then_run(FakeProgram program) {
    std::lock_guard<std::mutex> lock(mutex_);
    programs_.push_back(std::move(program));
  }
  FakeProgram otherwise;
  // When set, the next spawn fails with this error.
  std::string fail_next_with;

  Result<handler::Child> spawn(const config::HandlerCommand& command, const std::filesystem::path&,
                         const std::map<std::string, std::string>& env) override {
    std::lock_guard<std::mutex> lock(mutex_);
    spawned_.push_back({command.shell, env});
    if (!fail_next_with.empty()) {
      std::string why = std::move(fail_next_with);
      fail_next_with.clear();
      return Result<handler::Child>::failure(why);
    }
    FakeProgram program = otherwise;
    if (!programs_.empty()) {
      program = std::move(programs_.front());
      programs_.pop_front();
    }
    int pairs[3][2];
    for (auto& p : pairs) socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p);
    pid_t pid = next_pid_++;
    auto entry = std::make_unique<Entry>();
    entry->process = std::make_shared<FakeProcess>(pairs[0][1], pairs[1][1], pairs[2][1]);
    Entry* e = entry.get();
    entry->thread = std::thread([e, program] {
      int code = program ? program(*e->process) : 0;
      std::lock_guard<std::mutex> lock(e->mutex);
      e->status = e->process->killed() ? SIGKILL : (code & 0xff) << 8;
      e->process->kill();  // its end of the pipes closes with it
      e->done = true;
      e->done_cv.notify_all();
    });
    processes_[pid] = std::move(entry);
    return handler::Child{pid, pairs[0][0], pairs[1][0], pairs[2][0]};
  }

  void kill_group(pid_t pgid, int sig) override {
    std::lock_guard<std::mutex> lock(mutex_);
    kills_.push_back({pgid, sig});
    auto it = processes_.find(pgid);
    if (it != processes_.end() && sig == SIGKILL) it->second->process->kill();
  }

  std::optional<int> wait(pid_t pid, bool block) override {
    Entry* e;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = processes_.find(pid);
      if (it == processes_.end()) return std::nullopt;
      e = it->second.get();
    }
    std::unique_lock<std::mutex> lock(e->mutex);
    if (!block && !e->done) return std::nullopt;
    e->done_cv.wait(lock, [&] { return e->done; });
    return e->status;
  }

  void forget_group(pid_t pgid) override {
    std::lock_guard<std::mutex> lock(mutex_);
    forgotten_.push_back(pgid);
  }

  struct SpawnedCommand {
    std::string shell;
    std::map<std::string, std::string> env;
  };
  std::vector<SpawnedCommand> spawned() {
    std::lock_guard<std::mutex> lock(mutex_);
    return spawned_;
  }
  // The SIGKILLs sent, by group.
  int kills_of(pid_t pgid) {
    std::lock_guard<std::mutex> lock(mutex_);
    int n = 0;
    for (auto& [pid, sig] : kills_) n += pid == pgid && sig == SIGKILL;
    return n;
  }
  // The process spawned as `pid` (its pipes exist as soon as spawn() returned).
  std::shared_ptr<FakeProcess> process(pid_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : it->second->process;
  }
  std::vector<pid_t> forgotten() {
    std::lock_guard<std::mutex> lock(mutex_);
    return forgotten_;
  }
  static constexpr pid_t kFirstPid = 1000;

 private:
  struct Entry {
    std::shared_ptr<FakeProcess> process;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int status = 0;
  };
  std::mutex mutex_;
  std::deque<FakeProgram> programs_;
  std::map<pid_t, std::unique_ptr<Entry>> processes_;
  std::vector<SpawnedCommand> spawned_;
  std::vector<std::pair<pid_t, int>> kills_;
  std::vector<pid_t> forgotten_;
  pid_t next_pid_ = kFirstPid;
};

}  // namespace flareq::testing

// Running flareq and dev under test with fork/exec and poll.
#include "harness.h"
#include "eventually.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace flareq::testing {

Result run(std::vector<std::string> argv, const std::string& input,
           const std::map<std::string, std::string>& env, const std::filesystem::path& cwd) {
  if (!argv.empty() && argv[0] == "flareq") argv[0] = FLAREQ_BINARY;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves nothing running
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Result r;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    poll(fds, in_fd >= 0 ? 3 : 2, -1);
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      else (i == 0 ? out_open : err_open) = false;
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("flareq-it-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  // A dev killed with SIGKILL at the end of a test takes its runtime down within moments; until
  // then workerd may still write below the directory (its .wrangler), which makes a removal fail
  // half-way with "directory not empty": tried again, so that no test leaves files behind.
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (!std::filesystem::exists(path_, ec)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void TempDir::write(const std::string& name, const std::string& content) const {
  std::ofstream(path_ / name, std::ios::binary) << content;
}

DevServer::DevServer(const std::filesystem::path& state, std::vector<std::string> args,
                     const std::filesystem::path& cwd, const std::map<std::string, std::string>& env,
                     bool wait_ready) {
  static std::atomic<int> counter{0};
  auto dir = state.parent_path();
  auto port_file = dir / ("port-" + std::to_string(counter) + ".txt");
  log_path_ = dir / ("dev-" + std::to_string(counter++) + ".log");
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {FLAREQ_BINARY, "--state", state.string(), "dev", "--port-file", port_file.string()};
  if (std::find(args.begin(), args.end(), "--port") == args.end()) argv.insert(argv.end(), {"--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no dev running
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    // What dev puts in the temp directory goes with the test's own, even when a test ends it with -9.
    setenv("TMPDIR", dir.c_str(), 1);
    // So do its Workers' entries in wrangler's dev registry: tests that run at once with Workers of
    // the same name do not meet there, and none is left in the user's.
    setenv("WRANGLER_REGISTRY_PATH", (dir / "registry").c_str(), 1);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  if (!wait_ready) return;
  bool exited = false;
  auto ready = [&] {
    std::ifstream in(port_file);
    if (in >> port_) return true;
    int status = 0;
    exited = waitpid(pid_, &status, WNOHANG) == pid_;
    return exited;
  };
  if (!eventually(ready, 60s, "dev's port file")) throw std::runtime_error("flareq dev did not start:\n" + log());
  if (exited) {
    pid_ = -1;
    throw std::runtime_error("flareq dev exited early:\n" + log());
  }
}

DevServer::~DevServer() {
  if (pid_ > 0) stop(SIGKILL);
}

std::string DevServer::base() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/client/v4/accounts/local";
}

int DevServer::stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int DevServer::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int status = 0;
  if (!eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, std::chrono::milliseconds(timeout_ms),
                  "dev to exit"))
    return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string DevServer::log() const {
  std::ifstream in(log_path_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool DevServer::wait_for_log(const std::string& text, int timeout_ms) const {
  return eventually([&] { return log().find(text) != std::string::npos; }, std::chrono::milliseconds(timeout_ms),
                    "'" + text + "' in dev's log");
}

}  // namespace flareq::testing

// Runs the real flareq binary for integration tests: one-shot commands with captured
// output, and long-running `dev` processes on port 0 with a temporary state file.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace flareq::testing {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (FLAREQ_BINARY when argv[0] is "flareq") with `input` on stdin.
Result run(std::vector<std::string> argv, const std::string& input = "",
           const std::map<std::string, std::string>& env = {}, const std::filesystem::path& cwd = {});

// A fresh directory per test, removed at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// `flareq dev --port 0` (unless the arguments give a --port) on a temporary state file, killed
// (SIGKILL) when destroyed.
class DevServer {
 public:
  // Extra arguments go after `dev`; global options (--state) are added.
  // Waits for the port file unless `wait_ready` is false (port() is then 0).
  DevServer(const std::filesystem::path& state, std::vector<std::string> args = {},
            const std::filesystem::path& cwd = {}, const std::map<std::string, std::string>& env = {},
            bool wait_ready = true);
  ~DevServer();
  DevServer(const DevServer&) = delete;
  DevServer& operator=(const DevServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base() const;  // http://127.0.0.1:PORT/client/v4/accounts/local
  // Sends `sig` and waits; returns the exit status (128+signal when killed).
  int stop(int sig = 15);
  // Waits until dev exits by itself; its exit status, or -1 when it still runs after `timeout_ms`.
  int wait_exit(int timeout_ms = 20000);
  // Everything dev has printed so far (stdout and stderr).
  std::string log() const;
  // Waits until `log()` contains `text`; false after `timeout_ms`.
  bool wait_for_log(const std::string& text, int timeout_ms = 10000) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_path_;
};

}  // namespace flareq::testing

// `flareq dev` on a terminal (a pseudo-terminal here): the bar of keys, each key acting at once
// without echo, Ctrl-C still a signal, and the terminal's settings given back as dev ends.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;

namespace {

// dev run with a pseudo-terminal as its stdin, stdout and stderr, in its foreground.
class DevOnATerminal {
 public:
  // dev of the state file in `dir`, with the consumer given here, or in `project` (a copy of a
  // Worker fixture there) with its config's.
  explicit DevOnATerminal(const TempDir& dir, const char* extra = nullptr, bool project = false) {
    dir.write("xdg-open", "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/opened.tmp\" && mv \"$(dirname \"$0\")/opened.tmp\" \"$(dirname \"$0\")/opened\"\n");
    std::filesystem::permissions(dir / "xdg-open", std::filesystem::perms::owner_all);
    pid_ = forkpty(&terminal_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      unsetenv("CI");
      // A display, and an xdg-open that notes what it was asked to open.
      setenv("DISPLAY", ":0", 1);
      setenv("PATH", (dir.path().string() + ":" + getenv("PATH")).c_str(), 1);
      std::string state = (dir / "state.sqlite").string();
      if (project) {
        if (chdir(dir.path().c_str()) != 0) _exit(127);
        execl(FLAREQ_BINARY, "flareq", "--state", state.c_str(), "dev", "--port", "0", "--worker-port", "0", nullptr);
      }
      execl(FLAREQ_BINARY, "flareq", "--state", state.c_str(), "dev", "--port", "0", "--consumer",
            "jobs=cat >/dev/null", extra, nullptr);
      _exit(127);
    }
  }
  ~DevOnATerminal() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (terminal_ >= 0) close(terminal_);
  }
  bool started() const { return pid_ > 0; }
  // Reads what dev prints until `text` is in it; false after `timeout_ms`.
  bool wait_for(const std::string& text, int timeout_ms = 20000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (shown_.find(text) == std::string::npos) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) return false;
      pollfd fd{terminal_, POLLIN, 0};
      if (poll(&fd, 1, left) <= 0) continue;
      char chunk[4096];
      ssize_t n = read(terminal_, chunk, sizeof chunk);
      if (n <= 0) return shown_.find(text) != std::string::npos;
      shown_.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }
  void type(const std::string& keys) { ASSERT_EQ(write(terminal_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size())); }
  tcflag_t local_modes() const {
    termios t{};
    tcgetattr(terminal_, &t);
    return t.c_lflag;
  }
  int exit_status() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& shown() const { return shown_; }

 private:
  pid_t pid_ = -1;
  int terminal_ = -1;
  std::string shown_;
};

}  // namespace

TEST(TerminalKeys, DevOnATerminalTakesKeysAndGivesTheTerminalBack) {
  TempDir dir;
  DevOnATerminal dev(dir);
  ASSERT_TRUE(dev.started());
  ASSERT_TRUE(dev.wait_for("[x] to exit  │")) << dev.shown();
  EXPECT_NE(dev.shown().find("│  [b] open a browser [f] flush batches [c] clear console [x] to exit  │"), std::string::npos)
      << dev.shown();
  tcflag_t modes = dev.local_modes();
  EXPECT_FALSE(modes & ECHO);
  EXPECT_FALSE(modes & ICANON);
  EXPECT_TRUE(modes & ISIG);  // Ctrl-C is still the terminal's signal
  dev.type("f");
  EXPECT_TRUE(dev.wait_for("flushed the open batches of jobs")) << dev.shown();
  dev.type("b");  // no Worker here: the browser opens the dashboard
  EXPECT_TRUE(dev.wait_for("opening the dashboard: http://127.0.0.1:")) << dev.shown();
  std::string opened;
  for (int i = 0; i < 500 && opened.empty(); ++i, usleep(20000)) std::getline(std::ifstream(dir / "opened"), opened);
  EXPECT_EQ(opened.rfind("http://127.0.0.1:", 0), 0u) << opened;
  dev.type("\x1b[B");  // the down arrow, whose B is not [b], and keys after it in the same read
  dev.type("f");
  dev.type("x");
  EXPECT_TRUE(dev.wait_for("flareq stopped")) << dev.shown();
  EXPECT_EQ(dev.exit_status(), 0);
  auto count = [&](const std::string& text) {
    size_t n = 0;
    for (size_t at = dev.shown().find(text); at != std::string::npos; at = dev.shown().find(text, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("flushed the open batches of jobs"), 2u) << dev.shown();
  EXPECT_EQ(count("opening"), 1u) << dev.shown();
  modes = dev.local_modes();
  EXPECT_TRUE(modes & ECHO);
  EXPECT_TRUE(modes & ICANON);
}

TEST(TerminalKeys, CtrlCOnTheTerminalStillStopsDev) {
  TempDir dir;
  DevOnATerminal dev(dir);
  ASSERT_TRUE(dev.started());
  ASSERT_TRUE(dev.wait_for("[x] to exit  │")) << dev.shown();
  dev.type("\x03");
  EXPECT_TRUE(dev.wait_for("flareq stopped")) << dev.shown();
  EXPECT_EQ(dev.exit_status(), 0);
  EXPECT_TRUE(dev.local_modes() & ECHO);
}

// Beside a Worker: [b] opens it, [e] Miniflare's local explorer on its port, [o] the dashboard,
// and [d] says how to have a debugger.
TEST(TerminalKeys, AWorkersKeysOpenItItsLocalExplorerAndTheDashboard) {
  TempDir dir;
  std::filesystem::copy(std::filesystem::path(FLAREQ_SOURCE_DIR) / "tests" / "workers" / "js", dir.path(),
                        std::filesystem::copy_options::recursive);
  DevOnATerminal dev(dir, nullptr, /*project=*/true);
  ASSERT_TRUE(dev.started());
  ASSERT_TRUE(dev.wait_for("[x] to exit  │", 60000)) << dev.shown();
  EXPECT_NE(dev.shown().find("│  [b] open a browser [d] open devtools [e] open local explorer [o] open the dashboard "
                             "[f] flush batches [c] clear console [x] to exit  │"),
            std::string::npos)
      << dev.shown();
  auto opened = [&] {
    std::string url;
    for (int i = 0; i < 500 && url.empty(); ++i, usleep(20000)) std::getline(std::ifstream(dir / "opened"), url);
    std::filesystem::remove(dir / "opened");
    return url;
  };
  dev.type("b");
  EXPECT_TRUE(dev.wait_for("opening the Worker: http://127.0.0.1:")) << dev.shown();
  std::string worker = opened();
  EXPECT_EQ(worker.rfind("http://127.0.0.1:", 0), 0u) << worker;
  dev.type("e");
  EXPECT_TRUE(dev.wait_for("opening the local explorer: " + worker + "/cdn-cgi/explorer")) << dev.shown();
  EXPECT_EQ(opened(), worker + "/cdn-cgi/explorer");
  HttpReply explorer = Http(std::stoi(worker.substr(worker.rfind(':') + 1))).get("/cdn-cgi/explorer");
  EXPECT_EQ(explorer.status, 200);
  EXPECT_NE(explorer.text.find("Local Explorer"), std::string::npos) << explorer.text.substr(0, 300);
  dev.type("o");
  EXPECT_TRUE(dev.wait_for("opening the dashboard: http://127.0.0.1:")) << dev.shown();
  dev.type("d");
  EXPECT_TRUE(dev.wait_for("the Worker's debugger is off: start dev with --inspector-port 9229")) << dev.shown();
  dev.type("x");
  EXPECT_TRUE(dev.wait_for("flareq stopped", 30000)) << dev.shown();
  EXPECT_EQ(dev.exit_status(), 0);
}

// wrangler dev's flag turns the keys off, as it does there.
TEST(TerminalKeys, ShowInteractiveDevSessionFalseTakesNoKeys) {
  TempDir dir;
  DevOnATerminal dev(dir, "--show-interactive-dev-session=false");
  ASSERT_TRUE(dev.started());
  ASSERT_TRUE(dev.wait_for("jobs  batch 10")) << dev.shown();
  EXPECT_TRUE(dev.local_modes() & ECHO);
  dev.type("\x03");
  EXPECT_TRUE(dev.wait_for("flareq stopped")) << dev.shown();
  EXPECT_EQ(dev.exit_status(), 0);
  EXPECT_EQ(dev.shown().find("to exit"), std::string::npos) << dev.shown();
}

// Where dev's output is not a terminal (a script, a test, CI), there are no keys and no bar.
TEST(TerminalKeys, NoBarWhereTheOutputIsNoTerminal) {
  TempDir dir;
  DevServer dev(dir / "state.sqlite");
  EXPECT_TRUE(dev.wait_for_log("flareq ready"));
  EXPECT_EQ(dev.log().find("to exit"), std::string::npos) << dev.log();
}

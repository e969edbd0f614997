// Keys from dev's terminal (terminal_keys.h): one thread waits for them, with the terminal
// switched to hand over each key as it is pressed while dev is in its foreground.
#include "emulator/dev/terminal_keys.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <future>

namespace flareq::dev {

namespace {

constexpr int kLookAgainMs = 1000;  // how often the terminal is looked at while no key comes

bool in_foreground() { return tcgetpgrp(STDIN_FILENO) == getpgrp(); }

// Characters on screen, for a box's width: UTF-8 continuation bytes take none.
size_t width(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string repeat(const std::string& piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// An escape sequence is no key of dev's, nor are its letters (the down arrow is ESC [ B, not
// [b]): where the one starting at `at` ends (its last byte), as far as `bytes` hold it. ESC [
// or ESC O, parameter and intermediate bytes, then one final byte; ESC and any other byte (Alt
// and a key) is two.
size_t escape_end(const char* bytes, size_t size, size_t at) {
  size_t i = at + 1;
  if (i < size && (bytes[i] == '[' || bytes[i] == 'O')) {
    ++i;
    while (i < size && bytes[i] >= 0x20 && bytes[i] <= 0x3F) ++i;
  }
  return std::min(i, size - 1);
}

}  // namespace

bool TerminalKeys::available() {
  const char* ci = std::getenv("CI");
  if (ci && *ci && std::string(ci) != "false" && std::string(ci) != "0") return false;
  return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && in_foreground();
}

TerminalKeys::TerminalKeys(std::vector<TerminalKey> keys) : keys_(std::move(keys)) {
  wake_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_ < 0) return;
  // Returns once the terminal hands over keys (what is printed next is shown without echo).
  std::promise<void> taken;
  std::future<void> first = taken.get_future();
  thread_ = std::thread([this, &taken] { run(taken); });
  first.wait();
}

TerminalKeys::~TerminalKeys() {
  stopping_ = true;
  uint64_t one = 1;
  if (wake_ >= 0) [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  if (wake_ >= 0) ::close(wake_);
}

std::string TerminalKeys::bar() const {
  std::vector<std::string> items;
  size_t widest = 0, all = 0;
  for (const auto& key : keys_) {
    items.push_back("[" + key.keys.substr(0, 1) + "] " + key.label);
    widest = std::max(widest, width(items.back()));
    all += width(items.back()) + (all ? 1 : 0);
  }
  winsize size{};
  bool narrow = ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && all + 6 > size.ws_col;
  std::vector<std::string> lines;  // one, or one per key on a narrow terminal
  for (const auto& item : items)
    if (narrow || lines.empty()) lines.push_back(item);
    else lines.back() += " " + item;
  size_t inner = narrow ? widest : all;
  std::string edge = repeat("─", inner + 4);
  std::string out = "╭" + edge + "╮\n";
  for (const auto& line : lines) out += "│  " + line + std::string(inner - width(line), ' ') + "  │\n";
  return out + "╰" + edge + "╯";
}

void TerminalKeys::run(std::promise<void>& taken) {
  // On this thread only: reading or setting the terminal from the background fails with EIO
  // instead of stopping all of dev (SIGTTIN, SIGTTOU); the handlers dev starts are not affected.
  sigset_t tty;
  sigemptyset(&tty);
  sigaddset(&tty, SIGTTIN);
  sigaddset(&tty, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &tty, nullptr);
  for (bool first = true; !stopping_; first = false) {
    bool foreground = in_foreground();
    if (foreground) take_terminal();  // again after Ctrl-Z and fg, which may have restored it
    else taken_ = false;  // the shell has the terminal, with its own settings
    if (first) taken.set_value();  // `taken` is gone after this
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_, POLLIN, 0}};
    int ready = ::poll(fds, 2, kLookAgainMs);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0 || (fds[1].revents & POLLIN)) continue;
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) break;  // the terminal is gone
    char buffer[64];
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {  // EIO in the background: wait until dev is in the foreground again
      if (errno != EINTR && errno != EIO && errno != EAGAIN) break;
      pollfd wait{wake_, POLLIN, 0};
      ::poll(&wait, 1, kLookAgainMs);
      continue;
    }
    if (!foreground) continue;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i)
      if (buffer[i] == '\x1b') i = escape_end(buffer, static_cast<size_t>(n), i);
      else press(buffer[i]);
  }
  give_back_terminal();
}

void TerminalKeys::take_terminal() {
  termios now{};
  if (tcgetattr(STDIN_FILENO, &now) != 0) return;
  if (taken_ && !(now.c_lflag & (ICANON | ECHO))) return;  // still ours
  if (!saved_once_) saved_ = now;  // the first settings only: later ones may be dev's own, kept by the shell
  saved_once_ = true;
  termios keys = now;
  keys.c_lflag &= ~(ICANON | ECHO);  // ISIG stays: Ctrl-C and Ctrl-Z are still signals
  keys.c_cc[VMIN] = 1;
  keys.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &keys) == 0) taken_ = true;
}

void TerminalKeys::give_back_terminal() {
  if (saved_once_ && in_foreground()) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  taken_ = false;
}

void TerminalKeys::press(char key) {
  char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(key)));
  for (const auto& k : keys_)
    if (k.keys.find(lower) != std::string::npos) {
      k.action();
      return;
    }
}

}  // namespace flareq::dev

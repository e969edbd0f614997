// The keys `flareq dev` answers on its terminal, as `wrangler dev` does ([b] open a browser,
// [x] to exit, …): while dev runs in the foreground of a terminal, the terminal hands over each
// key as it is pressed, without echo, and the bar of keys is printed once. Ctrl-C and Ctrl-Z
// keep their usual meaning (the terminal still turns them into signals). The terminal's own
// settings come back when dev stops, or when it is stopped or put in the background (then the
// shell's are left alone); nothing is read while dev is in the background.
#pragma once
#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <termios.h>

namespace flareq::dev {

struct TerminalKey {
  std::string keys;  // the keys that do it, the first one shown ("xq")
  std::string label;  // "to exit"
  std::function<void()> action;  // run on the keys' thread
};

class TerminalKeys {
 public:
  // Whether dev may take keys from its terminal: stdin and stdout are a terminal, dev is in its
  // foreground, and CI is not set (as for wrangler dev).
  static bool available();
  // Starts taking keys (available() must be true).
  explicit TerminalKeys(std::vector<TerminalKey> keys);
  ~TerminalKeys();  // stops taking keys and gives the terminal its settings back
  TerminalKeys(const TerminalKeys&) = delete;
  TerminalKeys& operator=(const TerminalKeys&) = delete;

  // The keys in a box, as wrangler dev shows them: "╭──…╮\n│  [b] open a browser [x] to exit  │\n╰──…╯"
  // (a key a line when the terminal is too narrow for one).
  std::string bar() const;

 private:
  void run(std::promise<void>& taken);  // `taken` is set once the terminal is first taken
  void take_terminal();  // its settings saved, then keys one at a time without echo
  void give_back_terminal();
  void press(char key);

  std::vector<TerminalKey> keys_;
  termios saved_{};
  bool saved_once_ = false;  // only the keys' thread touches these three
  bool taken_ = false;
  int wake_ = -1;  // an eventfd: the destructor ends the wait for a key
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace flareq::dev

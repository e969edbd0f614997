// Ctrl-C, SIGTERM and SIGHUP for `flareq dev` (dev_signals.h): one thread takes them with
// sigtimedwait, so that it also drives the stop between signals.
#include "emulator/dev/dev_signals.h"

#include <ctime>
#include <sstream>

#include "emulator/core/clock.h"

namespace flareq::dev {

namespace {
constexpr long kTickNs = 10'000'000;       // how often the stop is driven between signals
constexpr long kIdleTickNs = 100'000'000;  // how often the config and state file are looked at till then
}

DevSignals::DevSignals(const sigset_t& signals, Log& log, double grace_secs)
    : signals_(signals), log_(log), grace_secs_(grace_secs), thread_([this] { run(); }) {}

DevSignals::~DevSignals() {
  done_ = true;
  thread_.join();
}

void DevSignals::serving(Dispatcher& dispatcher, api::ApiServer& server) {
  std::lock_guard<std::mutex> lock(mutex_);
  dispatcher_ = &dispatcher;
  server_ = &server;
}

void DevSignals::served() {
  std::lock_guard<std::mutex> lock(mutex_);
  dispatcher_ = nullptr;
  server_ = nullptr;
}

// One Ctrl-C reaches dev several times at once: the terminal signals the whole foreground
// group, and each launcher in it (npx, npm run, flareq's npm launcher) forwards its own copy.
// Signals closer together than this are one request; a person's second Ctrl-C comes later.
constexpr int64_t kSignalEchoMs = 300;

void DevSignals::run() {
  int count = 0;
  int64_t last = 0;
  while (!done_) {
    // A signal ends the wait at once; an idle dev wakes ten times a second, not a hundred.
    timespec wait{0, stop_requested_ ? kTickNs : kIdleTickNs};
    int sig = sigtimedwait(&signals_, nullptr, &wait);
    if (sig > 0) {
      int64_t now = system_clock().steady_ms();
      // Ctrl-C while dev stops to start again: it stops for good, the same gentle way.
      if (configs_edited_.exchange(false)) log_.line("stopping");
      else if (count == 0 || now - last >= kSignalEchoMs) on_signal(++count);
      last = now;
    }
    if (count == 0 && lost()) on_signal(++count);
    if (count == 0)
      if (std::string file = edited(); !file.empty()) on_signal(++count, file + " changed: starting again with it");
    tick();
  }
}

bool DevSignals::lost() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!state_file_lost_check_ || !state_file_lost_check_()) return false;
  state_file_lost_ = true;
  return true;
}

std::string DevSignals::edited() {
  std::lock_guard<std::mutex> lock(mutex_);
  // Only while serving: an edit made while the Workers start is seen once dev serves.
  if (!configs_edited_check_ || !dispatcher_) return "";
  std::string file = configs_edited_check_();
  if (!file.empty()) configs_edited_ = true;
  return file;
}

void DevSignals::on_signal(int count, const std::string& stopping) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count == 1) {
    stop_requested_ = true;
    int in_flight = dispatcher_ ? dispatcher_->in_flight() : 0;
    std::ostringstream grace;
    grace << grace_secs_;
    if (in_flight > 0)
      log_.line(stopping + ": finishing " + std::to_string(in_flight) + " batch(es) in flight (up to " + grace.str() +
                "s); Ctrl-C again to stop now");
    else
      log_.line(stopping);
    return;
  }
  if (count == 2 && dispatcher_) {
    log_.line("stopping now");
    dispatcher_->request_stop(/*now=*/true);
  }
}

// Once stopping: the dispatcher is told, and when it has finished, the server is stopped
// (repeatedly: stop() does nothing until serve() listens). The API keeps serving meanwhile,
// so that the batches in flight can still send.
void DevSignals::tick() {
  if (!stop_requested_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!dispatcher_) return;
  if (!dispatcher_told_) {
    dispatcher_->request_stop();
    dispatcher_told_ = true;
  }
  if (dispatcher_->finished()) server_->stop();
}

}  // namespace flareq::dev

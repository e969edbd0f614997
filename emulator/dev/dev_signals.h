// What Ctrl-C (SIGINT), SIGTERM and SIGHUP (its terminal closed) do to `flareq dev`: the
// first stops leasing, says what it waits for, lets the batches in flight finish for the grace
// period and then stops the server; a second kills their handlers at once (their messages are
// delivered again). A
// signal while the Workers start stops the start. A state file deleted or replaced, and a
// config edited (to start again with it), stop dev the same way.
#pragma once
#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "emulator/dispatch/dispatcher.h"
#include "emulator/dispatch/log.h"
#include "emulator/http/api_server.h"

namespace flareq::dev {

class DevSignals {
 public:
  // `signals` must be blocked in every thread already.
  DevSignals(const sigset_t& signals, Log& log, double grace_secs);
  ~DevSignals();  // joins its thread
  DevSignals(const DevSignals&) = delete;
  DevSignals& operator=(const DevSignals&) = delete;

  // From now on a signal stops these (the dispatcher first, then the server).
  void serving(Dispatcher& dispatcher, api::ApiServer& server);
  // serve() has returned: from now on nothing here touches the dispatcher or the server.
  void served();
  // A signal came: whatever dev is starting should give up.
  const std::atomic<bool>& stop_requested() const { return stop_requested_; }
  // Also stop, as on a signal, once `lost()` says the state file is gone (checked between
  // signals); then state_file_lost() is true.
  void watch_state_file(std::function<bool()> lost) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_file_lost_check_ = std::move(lost);
  }
  bool state_file_lost() const { return state_file_lost_; }
  // Also stop, saying "FILE changed: starting again with it", once `edited()` returns the name
  // of a config that was edited (checked between signals, while serving); then configs_edited()
  // is true, and the caller starts dev again.
  void watch_configs(std::function<std::string()> edited) {
    std::lock_guard<std::mutex> lock(mutex_);
    configs_edited_check_ = std::move(edited);
  }
  bool configs_edited() const { return configs_edited_; }

 private:
  void run();
  void on_signal(int count, const std::string& stopping = "stopping");
  bool lost();
  std::string edited();  // the config file edited, or ""
  void tick();

  sigset_t signals_;
  Log& log_;
  double grace_secs_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> done_{false};
  std::mutex mutex_;  // guards what follows
  Dispatcher* dispatcher_ = nullptr;
  api::ApiServer* server_ = nullptr;
  bool dispatcher_told_ = false;
  std::function<bool()> state_file_lost_check_;
  std::atomic<bool> state_file_lost_{false};
  std::function<std::string()> configs_edited_check_;
  std::atomic<bool> configs_edited_{false};
  std::thread thread_;
};

}  // namespace flareq::dev

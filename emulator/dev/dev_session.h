// `flareq dev` as one object: the state file's connections, the API server, the dispatcher and
// the Worker hosts with their fronts, started and stopped together, and the thread that turns
// Ctrl-C and SIGTERM into the stop. The command line (cli/dev_cmd.cpp) maps its options to
// DevSettings and prints the lines it is given.
#pragma once
#include <signal.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/core/clock.h"
#include "emulator/dispatch/log.h"
#include "emulator/handler/handler.h"
#include "emulator/project/consumers.h"
#include "emulator/store/store.h"

namespace flareq {
class Dispatcher;
class StorePool;
namespace api {
class ApiServer;
}
}  // namespace flareq

namespace flareq::dev {

class ConfigWatch;
class DevSignals;
class WorkerHosts;

struct DevSettings {
  std::string host = "127.0.0.1";
  int port = -1;  // unset: 8787, or 8788 when the Worker has 8787
  std::string port_file;  // written with the API's port once it listens
  std::string api_token;  // required when `host` is not loopback
  std::string account_id;
  bool virtual_clock = false;
  std::vector<std::string> pull_queues;               // --http-pull
  std::vector<project::HandlerFlag> handler_flags;    // --consumer, --consumer-persistent
  std::filesystem::path flags_cwd;                    // where the flags' commands run
  int64_t handler_timeout_ms = 900000;
  int64_t shutdown_grace_ms = 10000;
  int worker_port = -1;  // unset: the config's dev.port, else 8787
  int inspector_port = -1;  // the first Worker's debugger; unset: none
  std::string worker_port_file;
  bool no_worker = false;
};

// What dev runs on, as the command line found it.
struct DevProject {
  const std::vector<config::Config>* configs = nullptr;
  std::filesystem::path state_path;
  Durability durability = Durability::Normal;
  const Clock* clock = nullptr;
  Store* store = nullptr;  // the command line's own connection to the state file
  std::function<std::vector<Producer>(const std::string& queue)> producers_of;
};

using Print = std::function<void(const std::string& line)>;

// Blocks SIGINT, SIGTERM and SIGHUP in this thread and in every thread started from it afterwards;
// call it before any other thread exists. A DevSession takes them on a thread of its own.
sigset_t block_stop_signals();

class DevSession {
 public:
  // `signals`: from block_stop_signals(). `print` gets dev's start-up lines; the log (batches,
  // handlers' output) goes to stdout. Throws UsageError for settings that break the local
  // safety rules (a host other than loopback without a token), before any file is touched.
  DevSession(DevSettings settings, const sigset_t& signals, Print print);
  ~DevSession();
  DevSession(const DevSession&) = delete;
  DevSession& operator=(const DevSession&) = delete;

  // Applies the configs to the state file, listens, starts the Worker hosts and says where
  // everything is. False when a signal came while the Workers started (nothing to serve).
  // Throws UsageError for what the user must change (a taken port, a bad flag).
  bool start(DevProject project);
  // Delivers and serves until a signal, until a config is edited (then configs_edited() is
  // true), or until the state file is deleted or replaced (then it throws once everything is
  // stopped). Every handler and host has ended when it returns.
  void serve();
  // serve() ended because a config was edited: the caller starts dev again with it.
  bool configs_edited() const;
  // Where it listened: the API's port, and the first Worker's (-1 when no Worker ran).
  int api_port() const { return api_port_; }
  int worker_port() const { return worker_port_; }
  // Their URLs ("http://127.0.0.1:8788"; the Worker's "" when no Worker runs), and where the
  // first Worker's debugger is (-1: nowhere).
  const std::string& api_url() const { return api_url_; }
  std::string worker_url() const;
  int inspector_port() const { return worker_port_ >= 0 ? settings_.inspector_port : -1; }
  // Ends the open batch windows of every queue with a consumer now, as `flareq flush` does;
  // the names of those queues. Safe from any thread while serve() runs.
  std::vector<std::string> flush_open_batches();
  // A line in dev's log (stdout and the dashboard's), from any thread.
  void say(const std::string& line) { log_.line(line); }

 private:
  void prepare_state_file();
  void start_workers(const std::string& api_url, int first_port);
  void say_ready(const std::string& url);

  DevProject project_;
  DevSettings settings_;
  Print print_;
  Log log_;
  std::map<std::string, handler::HandlerSpec> handlers_;  // queue -> its handler
  std::vector<const config::Config*> workers_;            // the configs whose Worker runs here
  std::unique_ptr<StorePool> stores_;
  std::unique_ptr<ConfigWatch> config_watch_;  // before signals_: its thread calls it until joined
  std::unique_ptr<DevSignals> signals_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<WorkerHosts> hosts_;
  std::string api_url_;  // http://HOST:PORT of the API, once bound
  int api_port_ = -1;
  int worker_port_ = -1;
};

}  // namespace flareq::dev

// `flareq dev` from start to stop (dev_session.h).
#include "emulator/dev/dev_session.h"

#include <sys/resource.h>

#include <fstream>

#include "emulator/core/error.h"
#include "emulator/dev/config_watch.h"
#include "emulator/dev/consumer_report.h"
#include "emulator/dev/dev_signals.h"
#include "emulator/dev/worker_hosts.h"
#include "emulator/dispatch/dispatcher.h"
#include "emulator/http/api_server.h"
#include "emulator/http/dev_address.h"
#include "emulator/http/local_safety.h"
#include "emulator/project/apply_config.h"
#include "emulator/store/store_pool.h"

namespace flareq::dev {
namespace {

// Every open connection holds a descriptor; the soft limit (often 1024) would refuse
// connections long before the server's own limit.
void raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

}  // namespace

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // the terminal closed: stop as gently, cleaning up as on Ctrl-C
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

DevSession::DevSession(DevSettings settings, const sigset_t& signals, Print print)
    : settings_(std::move(settings)), print_(std::move(print)) {
  if (!api::is_loopback_name(settings_.host) && settings_.api_token.empty())
    throw UsageError("refusing to listen on " + settings_.host +
                     " without an API token: pass --api-token (or set FLAREQ_API_TOKEN), or use a loopback address");
  raise_open_files_limit();
  signals_ = std::make_unique<DevSignals>(signals, log_, settings_.shutdown_grace_ms / 1000.0);
}

DevSession::~DevSession() {
  if (signals_) signals_->served();  // nothing of what follows is touched by a signal any more
  if (!api_url_.empty()) api::remove_dev_address(project_.state_path);  // written once started
}

// The file's own conversion, the configs' queues and consumers, and the handler of each queue.
void DevSession::prepare_state_file() {
  const auto& configs = *project_.configs;
  // wrangler refuses the Worker's config if it declares a pull consumer: said before anything
  // is applied, with the ways that work.
  for (const auto& config : configs) {
    if (settings_.no_worker || config.main.empty()) continue;
    for (size_t i = 0; i < config.consumers.size(); ++i)
      if (const auto& c = config.consumers[i]; c.type == "http_pull")
        throw UsageError(c.type_where + "queues.consumers[" + std::to_string(i) + "].type \"http_pull\": wrangler "
                         "refuses any consumer type but \"worker\" in the config of a Worker it runs, so the Worker "
                         "could not start; declare the pull consumer with flareq dev --http-pull " + c.queue +
                         " (or flareq queues consumer http add " + c.queue + "), or run the queues alone with --no-worker");
  }
  Store& store = *project_.store;
  try {
    if (store.enable_space_reclaim())
      print_("Converted the state file so that it gives free space back as queues drain (once)");
  } catch (const std::exception& e) {
    print_(std::string("warning: could not convert the state file to give free space back: ") + e.what());
  }
  if (settings_.virtual_clock) store.freeze_clock();
  for (const auto& config : configs)
    for (const auto& line : project::apply_config(config, store)) print_(line);
  for (const auto& line : project::unconsumed_producer_warnings(configs, store)) print_(line);
  for (const auto& line : project::unfed_consumer_notes(configs, store)) print_(line);
  if (!settings_.no_worker)
    for (const auto& config : configs)
      if (!config.main.empty()) workers_.push_back(&config);
  project::ConsumerChoices choices;
  choices.pull_queues = settings_.pull_queues;
  choices.handlers = settings_.handler_flags;
  choices.handler_timeout_ms = settings_.handler_timeout_ms;
  choices.flags_cwd = settings_.flags_cwd;
  choices.run_worker = !workers_.empty();
  handlers_ = project::choose_handlers(configs, store, choices);
  // After the flags' consumers are registered: a queue only a flag reads is read.
  for (const auto& line : project::stranded_queue_notes(configs, store)) print_(line);
}

bool DevSession::start(DevProject project) {
  project_ = std::move(project);
  // The configs' text now, just after they were read: an edit made while dev starts (or as soon
  // as it says it is ready) is one.
  config_watch_ = std::make_unique<ConfigWatch>(*project_.configs, log_, *project_.clock);
  prepare_state_file();
  stores_ = std::make_unique<StorePool>(project_.state_path, project_.durability, *project_.clock);
  int worker_port = settings_.worker_port >= 0                              ? settings_.worker_port
                    : (!workers_.empty() && workers_.front()->dev_port) ? *workers_.front()->dev_port
                                                                          : 8787;
  api::ServerOptions server;
  server.host = settings_.host;
  server.port = settings_.port >= 0 ? settings_.port : (!workers_.empty() && worker_port == 8787) ? 8788 : 8787;
  server.api_token = settings_.api_token;
  server.account_id = settings_.account_id;
  server.producers_of = project_.producers_of;
  server.after_send = [this] {
    if (dispatcher_) dispatcher_->notify();
  };
  server.log_feed = &log_.feed();
  server.log_line = [this](const std::string& line) { log_.line(line); };
  // The API serves (serve()) only while the Worker hosts exist.
  server.write_r2_object = [this](const api::R2ObjectWrite& write) {
    return hosts_ ? hosts_->write_object(write)
                  : Result<nlohmann::json>::failure("no Worker of this flareq dev binds R2 bucket " + write.bucket);
  };
  server.delivery_of = [this](const std::string& queue) { return delivery_label(handlers_, queue); };
  server_ = std::make_unique<api::ApiServer>(*stores_, server);
  int port = server_->bind();
  api_port_ = port;
  std::string url = "http://" + url_host(settings_.host) + ":" + std::to_string(port);
  api_url_ = url;
  std::string api_url =
      url + "/client/v4/accounts/" + (settings_.account_id.empty() ? "local" : settings_.account_id);
  for (auto& [queue, spec] : handlers_) spec.env = {{"FLAREQ_QUEUE", queue}, {"FLAREQ_API_URL", api_url}};

  try {
    start_workers(api_url, worker_port);
  } catch (const WorkerStartCancelled&) {
    return false;
  }
  DispatchOptions dispatch;
  dispatch.handler_timeout_ms = settings_.handler_timeout_ms;
  dispatch.shutdown_grace_ms = settings_.shutdown_grace_ms;
  WorkerHosts& hosts = *hosts_;
  dispatch.make_handler = [&hosts](const handler::HandlerSpec& spec,
                                   handler::LogSink sink) -> std::shared_ptr<handler::Handler> {
    if (!spec.shared.empty()) return hosts.host(spec.shared);
    return handler::make_handler(spec, std::move(sink));
  };
  dispatch.handlers = handlers_;
  dispatcher_ = std::make_unique<Dispatcher>(*stores_, log_, dispatch);
  // CLI commands that go through dev (flareq r2 object) find it from the moment it says it is
  // ready (the API's socket is bound: a call waits in its backlog until serve() takes it).
  api::write_dev_address(project_.state_path, api_url_, settings_.api_token);
  if (!settings_.port_file.empty()) write_port_file(settings_.port_file, port);
  say_ready(url);
  return true;
}

std::vector<std::string> DevSession::flush_open_batches() {
  Store& store = stores_->local();
  std::vector<std::string> names;
  for (const Queue& q : store.list_consumed_queues()) {
    store.request_flush(q.key);
    names.push_back(q.name);
  }
  return names;
}

std::string DevSession::worker_url() const { return hosts_ ? hosts_->first_url() : ""; }

void DevSession::start_workers(const std::string& api_url, int first_port) {
  WorkerStart start;
  start.first_port = first_port;
  start.first_port_file = settings_.worker_port_file;
  start.api_url = api_url;
  start.api_token = settings_.api_token;
  start.timeout_ms = settings_.handler_timeout_ms;
  start.first_inspector_port = settings_.inspector_port;
  start.cancel = &signals_->stop_requested();
  hosts_ = std::make_unique<WorkerHosts>(workers_, start, log_, print_);
  worker_port_ = hosts_->first_port();
}

void DevSession::say_ready(const std::string& url) {
  print_("flareq ready on " + url + "  (state " + project_.state_path.string() + ")");
  print_("dashboard on " + url + "/");
  // A "dev" script carried over from wrangler (`wrangler dev --port 3000`) means the Worker.
  if (settings_.port > 0 && settings_.worker_port < 0 && worker_port_ > 0)
    print_("note: --port " + std::to_string(settings_.port) + " is flareq's API and dashboard; the Worker's fetch() is on "
           "http://127.0.0.1:" + std::to_string(worker_port_) + " (wrangler dev's --port is flareq dev's --worker-port)");
  std::map<std::string, std::string> workers_not_run;
  if (settings_.no_worker)
    for (const auto& config : *project_.configs)
      for (const auto& c : config.consumers)
        if (std::string worker = project::worker_consumer(config, c); !worker.empty()) workers_not_run[c.queue] = worker;
  for (const auto& line : describe_consumers(*project_.store, handlers_, workers_not_run)) print_(line);
}

void DevSession::serve() {
  // However this ends, the signals stop touching the server and the dispatcher first.
  struct Served {
    DevSignals& signals;
    ~Served() { signals.served(); }
  } served{*signals_};
  signals_->serving(*dispatcher_, *server_);
  const Store& store = *project_.store;
  signals_->watch_state_file([&store] { return store.file_replaced(); });
  signals_->watch_configs([watch = config_watch_.get()] {
    return watch->changed() ? watch->changed_file_shown() : "";
  });
  dispatcher_->start();
  server_->serve();
  signals_->served();
  dispatcher_->stop();
  // The handlers and Worker hosts end before dev's last line: nothing of theirs comes after it.
  dispatcher_.reset();
  hosts_.reset();
  if (signals_->state_file_lost())
    throw Error(code::kInternal, 500,
                "the state file " + project_.state_path.string() +
                    " was deleted or replaced while dev used it: stopped (sends since then were refused, none was "
                    "answered 2xx); start dev again to use the file now there");
}

bool DevSession::configs_edited() const { return signals_->configs_edited(); }

}  // namespace flareq::dev

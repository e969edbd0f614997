// `flareq dev`: creates the queues the config names, registers its consumers, serves the
// HTTP API and delivers batches to consumer handlers until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/dev_report.h"
#include "cli/dev_signals.h"
#include "cli/dev_workers.h"
#include "cli/output.h"
#include "emulator/core/error.h"
#include "emulator/dispatch/dispatcher.h"
#include "emulator/http/api_server.h"
#include "emulator/http/local_safety.h"
#include "emulator/project/apply_config.h"
#include "emulator/project/consumers.h"
#include "emulator/store/store_pool.h"

namespace flareq::cli {
namespace {

struct DevOptions {
  int port = -1;  // unset: 8787, or 8788 when the Worker has 8787
  std::string host = "127.0.0.1";
  std::string port_file;
  std::string api_token;
  std::string api_token_file;
  std::string account_id;
  bool reset = false;
  std::vector<std::string> consumers;             // QUEUE=COMMAND
  std::vector<std::string> persistent_consumers;  // QUEUE=COMMAND
  std::vector<std::string> pull_queues;
  double handler_timeout_secs = 900;
  double shutdown_grace_secs = 10;
  int worker_port = -1;  // unset: the config's dev.port, else 8787
  std::string worker_port_file;
  bool no_worker = false;
  bool virtual_clock = false;
};

// The token from --api-token-file (its first line), else from --api-token / FLAREQ_API_TOKEN.
std::string api_token(const DevOptions& o) {
  if (o.api_token_file.empty()) return o.api_token;
  std::ifstream in(o.api_token_file);
  std::string token;
  if (!in || !std::getline(in, token)) throw UsageError("cannot read an API token from " + o.api_token_file);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) throw UsageError(o.api_token_file + " holds no API token on its first line");
  return token;
}

// Every open connection holds a descriptor; the soft limit (often 1024) would refuse
// connections long before the server's own limit.
void raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void run_dev(const GlobalOptions& g, DevOptions o) {
  o.api_token = api_token(o);
  raise_open_files_limit();
  if (!api::is_loopback_name(o.host) && o.api_token.empty())
    throw UsageError("refusing to listen on " + o.host +
                            " without an API token: pass --api-token (or set FLAREQ_API_TOKEN), or use a loopback address");
  // Signals go to one thread that stops the server; every other thread has them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto ctx = open_context(g, o.reset ? Open::DevReset : Open::Dev);
  try {
    if (ctx->store->enable_space_reclaim())
      std::cout << "Converted the state file so that it gives free space back as queues drain (once)\n";
  } catch (const std::exception& e) {
    std::cout << "warning: could not convert the state file to give free space back: " << e.what() << "\n";
  }
  if (o.virtual_clock) ctx->store->freeze_clock();
  for (const auto& config : ctx->configs)
    for (const auto& line : project::apply_config(config, *ctx->store)) std::cout << line << "\n";
  for (const auto& line : project::unconsumed_producer_warnings(ctx->configs, *ctx->store)) std::cout << line << "\n";
  project::ConsumerChoices choices;
  choices.pull_queues = o.pull_queues;
  for (const auto& c : o.consumers) choices.handlers.push_back({"--consumer", c, config::HandlerMode::PerBatch});
  for (const auto& c : o.persistent_consumers)
    choices.handlers.push_back({"--consumer-persistent", c, config::HandlerMode::Persistent});
  int64_t timeout_ms = static_cast<int64_t>(o.handler_timeout_secs * 1000);
  choices.handler_timeout_ms = timeout_ms;
  choices.flags_cwd = std::filesystem::current_path();
  std::vector<const config::Config*> workers;  // the configs whose Worker runs here
  if (!o.no_worker)
    for (const auto& config : ctx->configs)
      if (!config.main.empty()) workers.push_back(&config);
  choices.run_worker = !workers.empty();
  auto handlers = project::choose_handlers(ctx->configs, *ctx->store, choices);

  StorePool stores(ctx->state_path, ctx->durability, ctx->clock);
  Log log;
  DevSignals stop(signals, log, o.shutdown_grace_secs);
  DispatchOptions dispatch_options;
  dispatch_options.handler_timeout_ms = timeout_ms;
  dispatch_options.shutdown_grace_ms = static_cast<int64_t>(o.shutdown_grace_secs * 1000);
  std::unique_ptr<Dispatcher> dispatcher;
  api::ServerOptions server_options;
  int worker_port = o.worker_port >= 0 ? o.worker_port
                    : (!workers.empty() && workers.front()->dev_port) ? *workers.front()->dev_port : 8787;
  server_options.host = o.host;
  server_options.port = o.port >= 0 ? o.port : (!workers.empty() && worker_port == 8787) ? 8788 : 8787;
  server_options.api_token = o.api_token;
  server_options.account_id = o.account_id;
  const Context* context = ctx.get();
  server_options.producers_of = [context](const std::string& queue) { return context->producers_of(queue); };
  server_options.after_send = [&dispatcher] {
    if (dispatcher) dispatcher->notify();
  };
  server_options.log_feed = &log.feed();
  server_options.delivery_of = [&handlers](const std::string& queue) { return delivery_label(handlers, queue); };
  api::ApiServer server(stores, server_options);
  int port = server.bind();
  std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  std::string url = "http://" + host + ":" + std::to_string(port);
  std::string api_url = url + "/client/v4/accounts/" + (o.account_id.empty() ? "local" : o.account_id);
  for (auto& [queue, spec] : handlers) spec.env = {{"FLAREQ_QUEUE", queue}, {"FLAREQ_API_URL", api_url}};

  WorkerStart start;
  start.first_port = worker_port;
  start.first_port_file = o.worker_port_file;
  start.api_url = api_url;
  start.api_token = o.api_token;
  start.timeout_ms = timeout_ms;
  start.cancel = &stop.stop_requested();
  std::unique_ptr<DevWorkers> started_workers;
  try {
    started_workers = std::make_unique<DevWorkers>(workers, start, log);
  } catch (const WorkerStartCancelled&) {
    std::cout << "flareq stopped" << std::endl;
    return;
  }
  DevWorkers& dev_workers = *started_workers;
  dispatch_options.make_handler = [&dev_workers](const handler::HandlerSpec& spec,
                                                 handler::LogSink sink) -> std::shared_ptr<handler::Handler> {
    if (!spec.shared.empty()) return dev_workers.host(spec.shared);
    return handler::make_handler(spec, std::move(sink));
  };
  dispatch_options.handlers = handlers;
  dispatcher = std::make_unique<Dispatcher>(stores, log, dispatch_options);
  if (!o.port_file.empty()) write_port_file(o.port_file, port);

  // However this function ends, the signals stop touching the server and the dispatcher
  // before either goes away.
  struct Served {
    DevSignals& stop;
    ~Served() { stop.served(); }
  } served{stop};
  stop.serving(*dispatcher, server);
  const Store& store = *ctx->store;
  stop.watch_state_file([&store] { return store.file_replaced(); });
  std::cout << "flareq ready on " << url << "  (state " << ctx->state_path.string() << ")" << std::endl;
  std::cout << "dashboard on " << url << "/" << std::endl;
  std::map<std::string, std::string> workers_not_run;
  if (o.no_worker)
    for (const auto& config : ctx->configs)
      for (const auto& c : config.consumers)
        if (std::string worker = project::worker_consumer(config, c); !worker.empty()) workers_not_run[c.queue] = worker;
  for (const auto& line : describe_consumers(*ctx->store, handlers, workers_not_run)) std::cout << line << "\n";
  if (ctx->clock.virtual_time() != VirtualTime{})
    std::cout << "Virtual time: " << clock_line(ctx->clock)
              << "; `flareq time advance 10m` moves it, `flareq time reset` goes back to real time\n";
  std::cout << std::flush;
  dispatcher->start();
  server.serve();
  stop.served();
  dispatcher->stop();
  // The handlers and Worker hosts end before the last line: nothing of theirs comes after it.
  dispatcher.reset();
  started_workers.reset();
  if (stop.state_file_lost())
    throw Error(code::kInternal, 500,
                "the state file " + ctx->state_path.string() +
                    " was deleted or replaced while dev used it: stopped (sends since then were refused, none was "
                    "answered 2xx); start dev again to use the file now there");
  std::cout << "flareq stopped" << std::endl;
}

}  // namespace

void setup_dev(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<DevOptions>();
  auto* dev = app.add_subcommand("dev", "Serve Cloudflare's Queues API, run the project's Worker (a config with \"main\"), and deliver batches to consumers");
  dev->add_option("--port", o->port,
                  "port of flareq's API (0 picks a free one; default 8787, or 8788 when the Worker has 8787)")
      ->check(CLI::Range(0, 65535));
  dev->add_option("--worker-port", o->worker_port,
                  "port of the Worker's fetch() in a project with \"main\" (0 picks a free one; default: the "
                  "config's dev.port, else 8787); held to the local safety rules like the API, except that any "
                  "page on this machine may call it")
      ->check(CLI::Range(0, 65535));
  dev->add_option("--worker-port-file", o->worker_port_file, "write the Worker's port here once it is ready (for scripts)");
  dev->add_flag("--no-worker", o->no_worker,
                "do not run the project's Worker: serve the queues only, keeping the messages of its consumers");
  dev->add_option("--host", o->host, "address to listen on; other than loopback needs --api-token")->capture_default_str();
  dev->add_option("--port-file", o->port_file, "write the port here once listening (for scripts)");
  dev->add_option("--api-token", o->api_token,
                  "require Authorization: Bearer TOKEN on every request (visible to other users in the process "
                  "list: prefer FLAREQ_API_TOKEN or --api-token-file)")
      ->envname("FLAREQ_API_TOKEN");
  dev->add_option("--api-token-file", o->api_token_file, "read the API token from the first line of this file");
  dev->add_option("--account-id", o->account_id, "accept only this account id in API paths (default: any)");
  dev->add_flag("--reset", o->reset, "start from an empty state file");
  dev->add_flag("--virtual-clock", o->virtual_clock,
                "stop the state file's clock: time moves only with `flareq time advance` (deterministic tests)");
  dev->add_option("--consumer", o->consumers, "run COMMAND (via /bin/sh -c) once per batch of QUEUE: QUEUE=COMMAND");
  dev->add_option("--consumer-persistent", o->persistent_consumers,
                  "keep COMMAND running and feed it one batch per line: QUEUE=COMMAND");
  dev->add_option("--http-pull", o->pull_queues, "give QUEUE an HTTP pull consumer (production's defaults) if it has none");
  dev->add_option("--handler-timeout", o->handler_timeout_secs, "seconds a batch may run before its handler is killed")
      ->capture_default_str()->check(greater_than(0));
  dev->add_option("--shutdown-grace", o->shutdown_grace_secs, "seconds Ctrl-C waits for batches in flight")
      ->capture_default_str()->check(at_least(0));
  dev->callback([&g, o] { run_dev(g, *o); });
}

}  // namespace flareq::cli

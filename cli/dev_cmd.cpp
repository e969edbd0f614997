// `flareq dev`: creates the queues the config names, registers its consumers, serves the
// HTTP API and delivers batches to consumer handlers until SIGINT/SIGTERM (or [x] on its
// terminal).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/error.h"
#include "emulator/dev/config_watch.h"
#include "emulator/dev/dev_keys.h"
#include "emulator/dev/dev_session.h"
#include "emulator/store/state_file_lock.h"

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
  int inspector_port = -1;  // unset: no debugger
  std::string worker_port_file;
  bool no_worker = false;
  bool virtual_clock = false;
  bool keys = true;  // --show-interactive-dev-session
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

dev::DevSettings settings_of(const DevOptions& o) {
  dev::DevSettings s;
  s.host = o.host;
  s.port = o.port;
  s.port_file = o.port_file;
  s.api_token = api_token(o);
  s.account_id = o.account_id;
  s.virtual_clock = o.virtual_clock;
  s.pull_queues = o.pull_queues;
  for (const auto& c : o.consumers) s.handler_flags.push_back({"--consumer", c, config::HandlerMode::PerBatch});
  for (const auto& c : o.persistent_consumers)
    s.handler_flags.push_back({"--consumer-persistent", c, config::HandlerMode::Persistent});
  s.flags_cwd = std::filesystem::current_path();
  s.handler_timeout_ms = static_cast<int64_t>(o.handler_timeout_secs * 1000);
  s.shutdown_grace_ms = static_cast<int64_t>(o.shutdown_grace_secs * 1000);
  s.worker_port = o.worker_port;
  s.inspector_port = o.inspector_port;
  s.worker_port_file = o.worker_port_file;
  s.no_worker = o.no_worker;
  return s;
}

void run_dev(const GlobalOptions& g, const DevOptions& o) {
  sigset_t signals = dev::block_stop_signals();  // before any thread starts
  auto print = [](const std::string& line) { std::cout << line << std::endl; };
  // Once more each time a config is edited: its queues, consumers and bindings are applied at
  // start. Ports that --port 0 or --worker-port 0 picked are kept; so is the state file. An
  // edited version that does not start is said, and the next edit is waited for.
  DevOptions options = o;
  std::vector<config::Config> last_configs;  // of the last session that started
  for (bool edited = false;; edited = true) {
    std::string failure;  // an edited version's, once its session is gone
    {
      dev::DevSession session(settings_of(options), signals, print);
      std::unique_ptr<Context> ctx;
      bool started = false;
      try {
        ctx = open_context(g, options.reset ? Open::DevReset : Open::Dev);
        if (ctx->configs.empty() && !edited)  // dev in the wrong folder looks like dev with nothing to do
          print("note: no wrangler.json, wrangler.jsonc or wrangler.toml in " +
                std::filesystem::current_path().string() +
                " or its parents: dev serves the API with no config's queues (run it in your project's folder, "
                "or give the config with -c)");
        if (!ctx->build_redirect.empty() && !edited)  // a Vite project, once built: what runs is the build
          print("note: the Worker runs from " + dev::ConfigWatch::shown(ctx->configs.front().path) +
                ", which the project's build wrote (" + dev::ConfigWatch::shown(ctx->build_redirect) +
                " points to it, as for wrangler dev): build again after an edit (npm run build), and dev runs "
                "each new build; -c " + dev::ConfigWatch::shown(ctx->user_config) +
                " runs the source instead");
        for (const auto& c : ctx->configs) {  // a build's config older than the config behind it
          std::error_code ec;
          if (edited || c.user_config_path.empty() ||
              std::filesystem::last_write_time(c.user_config_path, ec) <= std::filesystem::last_write_time(c.path, ec))
            continue;
          print("note: " + dev::ConfigWatch::shown(c.user_config_path) + " was edited after the build that wrote " +
                dev::ConfigWatch::shown(c.path) + ": the Worker runs the build's config until the project builds "
                "again (npm run build)");
        }
        if (!edited) {  // a dev left running in another terminal takes some of the batches
          std::string others = other_users(ctx->state_path);
          if (!others.empty())
            print("note: " + others + " uses this state file too: the queues both consume have their batches "
                  "shared between the two, each batch to one (its output is where that one runs); stop it, or "
                  "give this dev a state file of its own (--state)");
        }
        const Context* context = ctx.get();
        dev::DevProject project;
        project.configs = &ctx->configs;
        project.state_path = ctx->state_path;
        project.durability = ctx->durability;
        project.clock = &ctx->clock;
        project.store = ctx->store.get();
        project.producers_of = [context](const std::string& queue) { return context->producers_of(queue); };
        started = session.start(project);
      } catch (const std::exception& e) {
        if (!edited) throw;
        failure = e.what();
      }
      if (failure.empty()) {
        if (!started) break;
        last_configs = ctx->configs;
        if (ctx->clock.virtual_time() != VirtualTime{})
          print("Virtual time: " + clock_line(ctx->clock) +
                "; `flareq time advance 10m` moves it, `flareq time reset` goes back to real time");
        {
          std::unique_ptr<dev::TerminalKeys> keys;  // ends before the session: its keys act on it
          if (options.keys && dev::TerminalKeys::available()) {
            keys = std::make_unique<dev::TerminalKeys>(dev::dev_keys(session));
            print(keys->bar());
          }
          session.serve();
        }
        if (!session.configs_edited()) break;
        options.reset = false;
        if (o.port == 0) options.port = session.api_port();
        if (o.worker_port == 0 && session.worker_port() >= 0) options.worker_port = session.worker_port();
      }
    }
    if (failure.empty()) continue;
    print("error: " + failure);
    print("the edited config did not start: dev waits for the next edit (Ctrl-C to stop)");
    Log log(print);
    if (!dev::wait_for_config_edit(last_configs, signals, log)) break;
  }
  std::cout << "flareq stopped" << std::endl;
}

}  // namespace

void setup_dev(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<DevOptions>();
  auto* dev = app.add_subcommand("dev", "Serve Cloudflare's Queues API, run the project's Worker (a config with \"main\"), and deliver batches to consumers");
  dev->footer("On a terminal, keys as under wrangler dev: [b] open a browser, [d] open devtools, [e] open local "
              "explorer, [o] open the dashboard, [f] flush batches, [c] clear console, [x] or [q] to exit (as Ctrl-C); "
              "--show-interactive-dev-session=false turns them off.");
  dev->add_option("--port", o->port,
                  "port of flareq's API (0 picks a free one; default 8787, or 8788 when the Worker has 8787)")
      ->check(CLI::Range(0, 65535));
  dev->add_option("--worker-port", o->worker_port,
                  "port of the Worker's fetch() in a project with \"main\" (0 picks a free one; default: the "
                  "config's dev.port, else 8787); held to the local safety rules like the API, except that any "
                  "page on this machine may call it")
      ->check(CLI::Range(0, 65535));
  dev->add_option("--inspector-port", o->inspector_port,
                  "serve the Worker's debugger here, as wrangler dev does: Chrome DevTools, breakpoints in "
                  "fetch() and queue(); with several configs, the next Workers' on the ports after it (default: none)")
      ->check(CLI::Range(1, 65535));
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
  dev->add_flag("--show-interactive-dev-session{true}", o->keys,
                "the keys on a terminal ([b] open a browser, [x] to exit, …), as wrangler dev's; "
                "--show-interactive-dev-session=false: none (default: on where stdin and stdout are a terminal)");
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

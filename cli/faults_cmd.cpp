// `flareq faults`: injected failures for tests. Consumer faults act where a batch meets its
// handler (a throw, latency, a killed process); push errors refuse pushes over HTTP (the API
// and the Worker's bindings) with production's retryable 429. Stored in the state file, so a
// running `dev` follows them at once.
#include <iostream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/duration.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/http/api_objects.h"

namespace flareq::cli {
namespace {

struct FaultOptions {
  std::string queue;
  double fail = 0;
  std::string latency;
  double crash = 0;
  double push_errors = 0;
  std::optional<int64_t> seed;
};

std::string injected_line(const FaultRecord& f) {
  std::string out;
  if (f.settings.affects_delivery())
    out = std::to_string(f.deliveries_drawn) + " deliveries: " + std::to_string(f.injected.failures) + " failed, " +
          std::to_string(f.injected.crashes) + " crashed, " + std::to_string(f.injected.latency) + " delayed";
  if (f.settings.affects_pushes())
    out += (out.empty() ? "" : "; ") + std::to_string(f.pushes_drawn) + " pushes: " + std::to_string(f.injected.push_errors) +
           " refused";
  return out;
}

void run_list(const GlobalOptions& g, bool json_output) {
  auto ctx = open_context(g, Open::Read);
  auto faults = ctx->store->list_faults();
  if (json_output) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : faults) out.push_back(api::fault_json(f));
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (faults.empty()) {
    std::cout << "No faults are injected\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : faults)
    rows.push_back({f.queue.empty() ? "(every queue)" : f.queue, describe_faults(f.settings), injected_line(f)});
  print_table({"QUEUE", "FAULTS", "INJECTED SO FAR"}, rows);
}

void run_set(const GlobalOptions& g, const FaultOptions& o) {
  FaultSettings s;
  s.fail = o.fail;
  s.crash = o.crash;
  s.push_errors = o.push_errors;
  if (!o.latency.empty()) {
    auto range = parse_duration_range_ms(o.latency);
    if (!range) throw UsageError("--latency: " + duration_range_hint(o.latency));
    s.latency_min_ms = range->first;
    s.latency_max_ms = range->second;
  }
  s.seed = o.seed ? static_cast<uint64_t>(*o.seed) : new_seed();
  if (!s.any()) throw UsageError("name a fault to inject: --fail, --latency, --crash-handler or --push-errors");
  if (o.queue.empty() && s.affects_delivery())
    throw UsageError("--fail, --latency and --crash-handler act on one queue's deliveries: name the queue");
  auto ctx = open_context(g);
  std::string queue = o.queue.empty() ? "" : ctx->store->queue(o.queue).name;
  ctx->store->set_faults(queue, s);
  std::cout << "Injecting into " << (queue.empty() ? "pushes to every queue" : "queue '" + queue + "'") << ": "
            << describe_faults(s) << "\n";
}

}  // namespace

void setup_faults(CLI::App& app, GlobalOptions& g) {
  auto json_output = std::make_shared<bool>(false);
  auto* faults = app.add_subcommand("faults", "Inject failures for tests: list what is injected, set it, or clear it");
  faults->require_subcommand(0, 1);
  faults->add_flag("--json", *json_output, "print JSON");
  faults->callback([&g, faults, json_output] {
    if (faults->get_subcommands().empty()) run_list(g, *json_output);
  });

  auto o = std::make_shared<FaultOptions>();
  auto* set = faults->add_subcommand("set", "Inject faults into a queue's deliveries, or refuse pushes (replaces what the queue had)");
  set->add_option("queue", o->queue, "queue name or id (leave it out with --push-errors alone: every queue)");
  set->add_option("--fail", o->fail, "fraction of deliveries that fail as if the handler threw, 0 to 1")
      ->check(between(0, 1));
  set->add_option("--latency", o->latency, "added before each batch is handed over: 200ms, or a range 200ms..2s");
  set->add_option("--crash-handler", o->crash, "fraction of deliveries whose handler process is killed mid-batch, 0 to 1")
      ->check(between(0, 1));
  set->add_option("--push-errors", o->push_errors,
                  "fraction of pushes refused with 429 QueueOverloaded (retryable; nothing stored), 0 to 1")
      ->check(between(0, 1));
  set->add_option("--seed", o->seed, "the same seed gives the same sequence of faults (default: a random one, shown)")
      ->check(at_least(0));
  set->callback([&g, o] { run_set(g, *o); });

  auto* clear = faults->add_subcommand("clear", "Stop injecting faults (the counters of what was injected stay)");
  clear->callback([&g] {
    auto ctx = open_context(g);
    int64_t n = ctx->store->clear_faults();
    std::cout << (n == 0 ? "No faults were injected" : "Cleared " + std::to_string(n) + " fault setting(s)") << "\n";
  });
}

}  // namespace flareq::cli

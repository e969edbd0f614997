// The CI helpers. `flareq wait [QUEUE…]` returns once the queues hold no ready, delayed or
// leased messages (so nothing is in flight either), or fails with what is left at the
// timeout (sooner when only an advance of the virtual clock can bring it). `flareq flush
// [QUEUE…]` closes their open batch windows, so tests need not wait out max_batch_timeout.
// Without names, both take every queue with a consumer, as flareq/testing's waitIdle() and
// flush() do.
#include <iostream>
#include <sstream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/clock.h"
#include "emulator/core/error.h"
#include "emulator/store/drain_wait.h"

namespace flareq::cli {
namespace {

struct WaitOptions {
  std::vector<std::string> queues;
  double timeout_secs = 30;
  bool advance_time = false;
};

// The queues named, or every queue with a consumer when none is.
std::vector<Queue> chosen_queues(Store& store, const std::vector<std::string>& names) {
  std::vector<Queue> queues;
  for (const auto& name : names) queues.push_back(store.queue(name));
  return names.empty() ? store.list_consumed_queues() : queues;
}

void run_wait(const GlobalOptions& g, const WaitOptions& o) {
  auto ctx = open_context(g, Open::Read);
  std::vector<Queue> queues = chosen_queues(*ctx->store, o.queues);
  DrainWait wait = wait_until_drained(*ctx->store, queues, static_cast<int64_t>(o.timeout_secs * 1000), system_clock(),
                                      o.advance_time);
  if (wait.left.empty()) return;
  std::string what;
  for (const auto& [queue, backlog] : wait.left) {
    what += (what.empty() ? "" : "; ") + queue.name + ": " + backlog_line(backlog);
    // A paused queue is the usual reason for a wait that never ends.
    if (queue.settings.delivery_paused)
      what += " (delivery paused: flareq queues resume-delivery " + queue.name + ")";
  }
  if (wait.due_after_advance_ms) {
    std::ostringstream due;
    due << static_cast<double>(*wait.due_after_advance_ms) / 1000;
    throw std::runtime_error("the messages left are delayed and the clock is virtual, so only `flareq time advance` "
                             "brings them (" + what + "); the first is due in " + due.str() +
                             "s (`flareq wait --advance-time` moves the clock as far as it takes)");
  }
  std::ostringstream secs;
  secs << o.timeout_secs;
  throw std::runtime_error("timed out after " + secs.str() + "s with messages left: " + what);
}

}  // namespace

void setup_ci(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<WaitOptions>();
  auto* wait = app.add_subcommand("wait", "Wait until queues are drained (no ready, delayed or leased messages)");
  wait->add_option("queues", o->queues, "queue names or ids (default: every queue with a consumer)");
  wait->add_option("--timeout", o->timeout_secs, "give up after this many seconds (exit 1)")
      ->capture_default_str()->check(at_least(0));
  wait->add_flag("--advance-time", o->advance_time,
                 "under a virtual clock, move it to each next message due (delays, retry delays) until drained");
  wait->callback([&g, o] { run_wait(g, *o); });

  auto flush_queues = std::make_shared<std::vector<std::string>>();
  auto* flush = app.add_subcommand("flush", "Deliver the pending partial batches of queues now (for tests)");
  flush->add_option("queues", *flush_queues, "queue names or ids (default: every queue with a consumer)");
  flush->callback([&g, flush_queues] {
    auto ctx = open_context(g);
    std::vector<Queue> queues = chosen_queues(*ctx->store, *flush_queues);
    if (queues.empty()) std::cout << "No queue has a consumer: nothing to flush\n";
    for (const Queue& q : queues) {
      ctx->store->request_flush(q.key);
      std::cout << "Flushed queue '" << q.name << "'\n";
    }
  });
}

}  // namespace flareq::cli

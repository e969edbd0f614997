// The CI helpers. `flareq wait QUEUE…` returns once the queues hold no ready, delayed or
// leased messages (so nothing is in flight either), or fails with what is left at the
// timeout. `flareq flush QUEUE…` closes their open batch windows, so tests need not wait
// out max_batch_timeout.
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/error.h"

namespace flareq::cli {
namespace {

struct WaitOptions {
  std::vector<std::string> queues;
  double timeout_secs = 30;
};

void run_wait(const GlobalOptions& g, const WaitOptions& o) {
  auto ctx = open_context(g, Open::Read);
  std::vector<Queue> queues;
  for (const auto& name : o.queues) queues.push_back(ctx->store->queue(name));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_secs * 1000));
  while (true) {
    std::string left;
    bool timed_out = std::chrono::steady_clock::now() >= deadline;
    for (const auto& q : queues) {
      Backlog b = ctx->store->backlog(q.key);
      if (b.count == 0) continue;
      left += (left.empty() ? "" : "; ") + q.name + ": " + backlog_line(b);
      // A paused queue is the usual reason for a wait that never ends.
      if (timed_out && ctx->store->queue(q.name).settings.delivery_paused)
        left += " (delivery paused: flareq queues resume-delivery " + q.name + ")";
    }
    if (left.empty()) return;
    if (timed_out) {
      std::ostringstream secs;
      secs << o.timeout_secs;
      throw std::runtime_error("timed out after " + secs.str() + "s with messages left: " + left);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

void setup_ci(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<WaitOptions>();
  auto* wait = app.add_subcommand("wait", "Wait until queues are drained (no ready, delayed or leased messages)");
  wait->add_option("queues", o->queues, "queue names or ids")->required();
  wait->add_option("--timeout", o->timeout_secs, "give up after this many seconds (exit 1)")
      ->capture_default_str()->check(at_least(0));
  wait->callback([&g, o] { run_wait(g, *o); });

  auto flush_queues = std::make_shared<std::vector<std::string>>();
  auto* flush = app.add_subcommand("flush", "Deliver the pending partial batches of queues now (for tests)");
  flush->add_option("queues", *flush_queues, "queue names or ids")->required();
  flush->callback([&g, flush_queues] {
    auto ctx = open_context(g);
    for (const auto& name : *flush_queues) {
      Queue q = ctx->store->queue(name);
      ctx->store->request_flush(q.key);
      std::cout << "Flushed queue '" << q.name << "'\n";
    }
  });
}

}  // namespace flareq::cli

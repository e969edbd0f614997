// `flareq dlq replay DLQ`: sends dead-lettered messages back once the bug is fixed.
#include <unistd.h>

#include <iostream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/store/dead_letter_replay.h"

namespace flareq::cli {
namespace {

struct ReplayOptions {
  std::string dlq;
  ReplayFilter filter;
  std::string older_than;
  bool dry_run = false;
};

void run_replay(const GlobalOptions& g, ReplayOptions o) {
  auto ctx = open_context(g);
  Queue dlq = ctx->store->queue(o.dlq);
  if (!o.older_than.empty()) o.filter.older_than_ms = parse_duration_flag(o.older_than);
  if (!o.filter.to.empty()) ctx->store->queue(o.filter.to);  // refuse an unknown --to up front
  bool bar = isatty(STDERR_FILENO) && !o.dry_run;
  auto progress = [&](int64_t done, int64_t total) {
    if (!bar || total < static_cast<int64_t>(kReplayBatch)) return;
    int width = 30, filled = static_cast<int>(width * done / total);
    std::cerr << "\rreplaying [" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << done << "/"
              << total << std::flush;
    if (done == total) std::cerr << "\n";
  };
  ReplayReport report = replay_dead_letters(*ctx->store, dlq, o.filter, o.dry_run, progress);
  int64_t selected = report.without_origin;
  for (const auto& [target, n] : report.by_target) selected += n;
  if (selected == 0) {
    std::cout << "Nothing to replay in '" << dlq.name << "'\n";
    return;
  }
  if (o.dry_run) {
    std::cout << "Would replay " << (selected - report.without_origin) << " message(s) from '" << dlq.name << "':\n";
    for (const auto& [target, n] : report.by_target) std::cout << "  " << n << " to " << target << "\n";
    if (report.without_origin) std::cout << "  " << report.without_origin << " skipped: no origin queue recorded (use --to)\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : report.sample) rows.push_back({c.id, c.target.empty() ? "(skipped)" : c.target, iso8601(c.enqueued_ms)});
    std::cout << "Sample:\n";
    print_table({"ID", "TO", "ENQUEUED"}, rows);
    return;
  }
  std::cout << "Replayed " << report.moved << " message(s) from '" << dlq.name << "'";
  std::string sep = ": ";
  for (const auto& [target, n] : report.by_target) {
    std::cout << sep << n << " to " << target;
    sep = ", ";
  }
  std::cout << "\n";
  if (report.without_origin)
    std::cout << report.without_origin << " message(s) have no origin queue recorded and were left; replay them with --to QUEUE\n";
}

}  // namespace

void setup_dlq(CLI::App& app, GlobalOptions& g) {
  auto* dlq = app.add_subcommand("dlq", "Work with dead letter queues");
  dlq->require_subcommand(1);
  auto o = std::make_shared<ReplayOptions>();
  auto* replay = dlq->add_subcommand("replay", "Move dead-lettered messages back to the queue each came from (or --to)");
  replay->add_option("dlq", o->dlq, "the dead letter queue")->required();
  replay->add_option("--to", o->filter.to, "send them all to this queue instead");
  replay->add_option("--limit", o->filter.limit, "at most this many (oldest first)")->check(at_least(1));
  replay->add_option("--older-than", o->older_than, "only messages sent longer ago than this (e.g. 90s, 30m, 1h, 2d)");
  replay->add_option("--id", o->filter.ids, "only this message (repeatable)");
  replay->add_flag("--dry-run", o->dry_run, "print what would move where, and a sample; move nothing");
  replay->callback([&g, o] { run_replay(g, *o); });
}

}  // namespace flareq::cli

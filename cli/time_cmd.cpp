// `flareq time`: the virtual clock of the state file. Shows it, moves it forward (everything
// flareq schedules follows), or puts it back to real time. Every process on the file,
// a running `dev` included, sees the change within milliseconds.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/http/api_objects.h"

namespace flareq::cli {
namespace {

void print_change(const Clock& clock, const ClockChange& change, bool json_output) {
  if (json_output) {
    nlohmann::json out = api::clock_change_json(change);
    out["clock"] = api::clock_json(clock);
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "Time is now " << clock_line(clock) << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : change.queues)
    rows.push_back({q.queue, std::to_string(q.due) + " due", std::to_string(q.expired) + " expired"});
  if (!rows.empty()) print_table({"QUEUE", "DUE", "EXPIRED"}, rows);
}

}  // namespace

void setup_time(CLI::App& app, GlobalOptions& g) {
  auto json_output = std::make_shared<bool>(false);
  auto* time = app.add_subcommand("time", "Show or move the state file's virtual clock (tests that do not wait)");
  time->require_subcommand(0, 1);
  time->add_flag("--json", *json_output, "print JSON");
  time->callback([&g, time, json_output] {
    if (!time->get_subcommands().empty()) return;
    auto ctx = open_context(g, Open::Read);
    if (*json_output) std::cout << api::clock_json(ctx->clock).dump(2) << "\n";
    else std::cout << clock_line(ctx->clock) << "\n";
  });

  auto by = std::make_shared<std::string>();
  auto* advance = time->add_subcommand(
      "advance", "Move time forward: due delays, retries, batch windows, visibility timeouts and retention act now");
  advance->add_option("duration", *by, "how far: 200ms, 90s, 10m, 1h, 4d, 1h30m (plain numbers are seconds)")->required();
  advance->add_flag("--json", *json_output, "print JSON");
  advance->callback([&g, by, json_output] {
    int64_t ms = parse_duration_flag(*by);
    auto ctx = open_context(g);
    ClockChange change = ctx->store->advance_clock(ms);
    print_change(ctx->clock, change, *json_output);
  });

  auto* reset = time->add_subcommand(
      "reset", "Back to real time (waits under way keep what is left of them; nothing due becomes undue)");
  reset->add_flag("--json", *json_output, "print JSON");
  reset->callback([&g, json_output] {
    auto ctx = open_context(g);
    ClockChange change = ctx->store->reset_clock();
    print_change(ctx->clock, change, *json_output);
  });
}

}  // namespace flareq::cli

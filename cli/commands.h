// One setup function per command group; each adds its subcommands to the app.
#pragma once
#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace flareq::cli {

void setup_queues(CLI::App& app, GlobalOptions& global);
void setup_queue_consumers(CLI::App& queues, GlobalOptions& global);
void setup_send(CLI::App& app, GlobalOptions& global);
void setup_messages(CLI::App& app, GlobalOptions& global);
void setup_dev(CLI::App& app, GlobalOptions& global);
void setup_ci(CLI::App& app, GlobalOptions& global);
void setup_dlq(CLI::App& app, GlobalOptions& global);
void setup_time(CLI::App& app, GlobalOptions& global);
void setup_faults(CLI::App& app, GlobalOptions& global);
void setup_r2(CLI::App& app, GlobalOptions& global);

}  // namespace flareq::cli

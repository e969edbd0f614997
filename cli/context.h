// What every command shares: the global options, the config (if one is found) and the
// state file they point at.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/core/clock.h"
#include "emulator/store/state_file_lock.h"
#include "emulator/store/store.h"

namespace flareq::cli {

struct GlobalOptions {
  std::vector<std::string> configs;  // -c, once (or, for dev, once per Worker)
  std::string env;
  std::string state;
  std::string durability = "normal";
};

struct Context {
  // The configs: none when none was found, more than one only for dev. The first decides
  // where the state file is.
  std::vector<config::Config> configs;
  std::filesystem::path state_path;
  Durability durability = Durability::Normal;
  SystemClock clock;
  std::unique_ptr<StateFileLock> lock;  // dev's hold on the state file (none for other commands)
  std::unique_ptr<Store> store;

  const config::Config* config() const { return configs.empty() ? nullptr : &configs.front(); }
  // The producers the configs bind to `queue` (the queue object lists them).
  std::vector<Producer> producers_of(const std::string& queue) const;
};

// Finds and validates the config (each one of several, for `several_configs`), prints their
// warnings, opens the state file (after deleting it when `reset`, so a broken file can be
// started over). `hold` (dev) keeps a shared lock on the state file while the context lives;
// a reset first takes it exclusively, and is refused while another dev holds it.
std::unique_ptr<Context> open_context(const GlobalOptions& options, bool reset = false, bool several_configs = false,
                                      bool hold = false);

// Adds -c/--config, --env, --state and --durability to an app or subcommand.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Asks "question [y/N]" on a terminal; refuses (false, with a hint to use --force) elsewhere.
bool confirm(const std::string& question);

}  // namespace flareq::cli

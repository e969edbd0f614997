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
  // Set when no config was named and the project's build left one for wrangler: the
  // .wrangler/deploy/config.json followed to it, as `wrangler dev` follows it, and the config
  // the user wrote, found beside it.
  std::filesystem::path build_redirect;
  std::filesystem::path user_config;
  std::filesystem::path state_path;
  Durability durability = Durability::Normal;
  SystemClock clock;
  std::unique_ptr<StateFileLock> lock;  // dev's hold on the state file (none for other commands)
  std::unique_ptr<Store> store;

  const config::Config* config() const { return configs.empty() ? nullptr : &configs.front(); }
  // The producers the configs bind to `queue` (the queue object lists them).
  std::vector<Producer> producers_of(const std::string& queue) const;
};

// What a command does with the state file.
enum class Open {
  Read,      // reads only: a missing file is not created (the command sees an empty one)
  Write,     // creates the file when missing
  Dev,       // `dev`: several configs; holds a shared lock on the file while the context lives
  DevReset,  // `dev --reset`: the same, after deleting the file (refused while another dev holds it)
};

// Finds and validates the config (one; several for dev), prints their warnings, and opens the
// state file as `open` says.
std::unique_ptr<Context> open_context(const GlobalOptions& options, Open open = Open::Write);

// Where the last context's state file is, for messages that find nothing there:
// " in state file PATH", or, when there was none, " (there is no state file at PATH: run
// flareq beside your wrangler config, or pass --state)".
std::string state_file_note();

// Adds -c/--config, --env, --state and --durability to an app or subcommand.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Asks "question [y/N]" on a terminal; refuses (false, with a hint to use --force) elsewhere.
bool confirm(const std::string& question);

}  // namespace flareq::cli

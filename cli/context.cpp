// Locating the config and the state file (README, "Configuration" and "The state file").
#include "cli/context.h"

#include <unistd.h>

#include <iostream>

#include "emulator/core/error.h"
#include "emulator/project/apply_config.h"

namespace flareq::cli {

std::vector<Producer> Context::producers_of(const std::string& queue) const {
  return config ? project::producers_of(*config, queue) : std::vector<Producer>{};
}

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("-c,--config", o.config, "wrangler.json, wrangler.jsonc or wrangler.toml (default: found in . or its parents)");
  app.add_option("-e,--env", o.env, "use the queues of env.NAME in the config");
  app.add_option("--state", o.state, "state file (default .flareq/state.sqlite beside the config)")
      ->envname("FLAREQ_STATE");
  app.add_option("--durability", o.durability,
                 "normal: survives a crash of flareq; full: fsync every commit, survives a power cut")
      ->check(CLI::IsMember({"normal", "full"}))
      ->envname("FLAREQ_DURABILITY");
}

std::unique_ptr<Context> open_context(const GlobalOptions& o, bool reset) {
  auto ctx = std::make_unique<Context>();
  std::optional<std::filesystem::path> config_path;
  if (!o.config.empty()) {
    config_path = o.config;
  } else {
    config_path = config::find_config(std::filesystem::current_path());
  }
  if (config_path) {
    ctx->config = config::load_config(*config_path, o.env);
    for (const auto& w : ctx->config->warnings) std::cerr << "warning: " << w << "\n";
  } else if (!o.env.empty()) {
    throw config::ConfigError("--env " + o.env + " needs a config file, and none was found");
  }
  if (!o.state.empty()) {
    ctx->state_path = o.state;
  } else {
    std::filesystem::path base = config_path ? std::filesystem::absolute(*config_path).parent_path()
                                             : std::filesystem::current_path();
    ctx->state_path = base / ".flareq" / "state.sqlite";
  }
  ctx->durability = *parse_durability(o.durability);
  if (reset) {
    if (auto refusal = Store::reset_refusal(ctx->state_path)) throw UsageError(*refusal);
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(ctx->state_path.string() + suffix, ec);
  }
  ctx->store = std::make_unique<Store>(ctx->state_path, ctx->durability, ctx->clock);
  return ctx;
}

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace flareq::cli

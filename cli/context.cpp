// Locating the config and the state file (README, "Configuration" and "The state file").
#include "cli/context.h"

#include <unistd.h>

#include <fstream>
#include <iostream>

#include "emulator/core/error.h"
#include "emulator/project/apply_config.h"

namespace flareq::cli {

std::vector<Producer> Context::producers_of(const std::string& queue) const {
  std::vector<Producer> out;
  for (const auto& c : configs)
    for (auto& p : project::producers_of(c, queue)) out.push_back(std::move(p));
  return out;
}

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("-c,--config", o.configs,
                 "wrangler.json, wrangler.jsonc or wrangler.toml (default: found in . or its parents, or the "
                 "config a build wrote that .wrangler/deploy/config.json beside it names, as wrangler follows it); "
                 "`dev` takes one per Worker");
  app.add_option("-e,--env", o.env, "use the queues of env.NAME in the config");
  app.add_option("--state", o.state, "state file (default .flareq/state.sqlite beside the config)")
      ->envname("FLAREQ_STATE");
  app.add_option("--durability", o.durability,
                 "normal: survives a crash of flareq; full: fsync every commit, survives a power cut")
      ->check(CLI::IsMember({"normal", "full"}))
      ->envname("FLAREQ_DURABILITY");
}

namespace {
std::filesystem::path opened_state;  // the last context's, for state_file_note()
bool opened_state_missing = false;
}  // namespace

std::string state_file_note() {
  if (opened_state.empty()) return "";
  if (opened_state_missing)
    return " (there is no state file at " + opened_state.string() +
           ": run flareq beside your wrangler config, or pass --state)";
  return " in state file " + opened_state.string();
}

std::unique_ptr<Context> open_context(const GlobalOptions& o, Open open) {
  bool reset = open == Open::DevReset, several_configs = open == Open::Dev || reset, hold = several_configs;
  auto ctx = std::make_unique<Context>();
  if (o.configs.size() > 1 && !several_configs)
    throw UsageError("only `flareq dev` takes several configs (-c); give this command one");
  std::vector<std::filesystem::path> paths(o.configs.begin(), o.configs.end());
  if (paths.empty())
    if (auto found = config::find_config(std::filesystem::current_path())) {
      auto built = config::build_redirect(*found);
      paths.push_back(built ? *built : *found);
      if (built) {
        ctx->build_redirect = config::deploy_pointer(*found);
        ctx->user_config = *found;
      }
    }
  for (const auto& path : paths) {
    // A build's config holds the one environment it was built for, as wrangler reads it.
    bool built = !ctx->build_redirect.empty();
    ctx->configs.push_back(config::load_config(path, built ? "" : o.env));
    if (built && ctx->configs.back().user_config_path.empty())
      ctx->configs.back().user_config_path = std::filesystem::absolute(ctx->user_config);
    const config::Config& c = ctx->configs.back();
    if (built && !o.env.empty() && !c.target_environment.empty() && c.target_environment != o.env)
      throw config::ConfigError(path.string() + ": the project was built for environment \"" + c.target_environment +
                                "\", not \"" + o.env + "\": build it again for \"" + o.env +
                                "\" (CLOUDFLARE_ENV=" + o.env + "), or run the source with -c " +
                                ctx->user_config.filename().string() + " --env " + o.env);
    // Said by `dev`, which applies the config; other commands read it to find the state file, and
    // a script's loop of `flareq send` would repeat them on every line.
    if (several_configs)
      for (const auto& w : c.warnings) std::cerr << "warning: " << w << "\n";
  }
  if (paths.empty() && !o.env.empty()) {
    throw config::ConfigError("--env " + o.env + " needs a config file, and none was found");
  }
  std::error_code ec;
  bool new_state_dir = false;  // flareq's own .flareq, made now
  if (!o.state.empty()) {
    ctx->state_path = o.state;
  } else {
    std::filesystem::path base = ctx->configs.empty() ? std::filesystem::current_path() : ctx->configs.front().project_dir();
    ctx->state_path = base / ".flareq" / "state.sqlite";
    new_state_dir = !std::filesystem::exists(ctx->state_path.parent_path(), ec);
  }
  ctx->durability = *parse_durability(o.durability);
  if (hold || reset) ctx->lock = std::make_unique<StateFileLock>(ctx->state_path, /*exclusive=*/reset);
  if (reset) {
    if (auto refusal = Store::reset_refusal(ctx->state_path)) throw UsageError(*refusal);
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(ctx->state_path.string() + suffix, ec);
  }
  opened_state = std::filesystem::absolute(ctx->state_path, ec);
  opened_state_missing = !std::filesystem::exists(ctx->state_path, ec);
  // A command that only reads sees an empty state where there is no file, and makes none.
  bool in_memory = open == Open::Read && opened_state_missing;
  ctx->store = std::make_unique<Store>(in_memory ? ":memory:" : ctx->state_path, ctx->durability, ctx->clock);
  if (ctx->lock && reset) ctx->lock->share();
  // The state (message bodies, the API's token) stays out of a `git add .`, as tools' caches do.
  if (new_state_dir && std::filesystem::is_directory(ctx->state_path.parent_path(), ec))
    std::ofstream(ctx->state_path.parent_path() / ".gitignore") << "# flareq's state file: not for version control\n*\n";
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

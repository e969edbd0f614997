// wrangler dev's flags that flareq dev does not take, each with what to do instead.
#include "cli/wrangler_dev_flags.h"

#include <array>
#include <utility>

namespace flareq::cli {

std::optional<std::string> wrangler_dev_flag_hint(std::string_view arg) {
  static const std::array<std::pair<std::string_view, std::string_view>, 28> kHints = {{
      {"--local", "it is always local: leave it out"},
      {"--remote", "it runs the Worker and its bindings locally only (wrangler dev --remote reaches Cloudflare's)"},
      {"--test-scheduled", "none is needed: a cron runs at /cdn-cgi/handler/scheduled on the Worker's port, always"},
      {"--persist-to",
       "the queues are in the state file (--state FILE); the Worker's other local data is where wrangler dev keeps it "
       "(.wrangler/state)"},
      {"--var", "give variables in .dev.vars or the config's \"vars\", which the Worker gets as under wrangler dev"},
      {"--env-file",
       "the Worker gets .dev.vars, else .env, from the config's folder, as under wrangler dev without it: give the "
       "variables there"},
      {"--ip", "flareq's API takes --host; the Worker's address is the config's \"dev\": {\"ip\": …}"},
      {"--live-reload", "the Worker reloads on each edit as under wrangler dev; there is no browser live reload"},
      {"--log-level", "FLAREQ_WORKER_LOG_LEVEL=debug|info|log|warn|error|none sets the Worker's"},
      // What the config says, which flareq runs as wrangler does: the flag's place there.
      {"--name", "the Worker's name is the config's \"name\""},
      {"--compatibility-date", "set \"compatibility_date\" in the config"},
      {"--compatibility-flags", "set \"compatibility_flags\" in the config"},
      {"--compatibility-flag", "set \"compatibility_flags\" in the config"},
      {"--latest", "set \"compatibility_date\" in the config"},
      {"--assets", "set \"assets\": {\"directory\": …} in the config"},
      {"--define", "set \"define\" in the config"},
      {"--alias", "set \"alias\" in the config"},
      {"--minify", "set \"minify\" in the config"},
      {"--no-bundle", "set \"no_bundle\": true in the config"},
      {"--tsconfig", "set \"tsconfig\" in the config"},
      {"--jsx-factory", "set \"jsx_factory\" in the config"},
      {"--jsx-fragment", "set \"jsx_fragment\" in the config"},
      {"--routes", "set \"routes\" in the config"},
      {"--local-protocol", "the Worker's port serves http only"},
      {"--https-key-path", "the Worker's port serves http only"},
      {"--https-cert-path", "the Worker's port serves http only"},
      {"--inspector-ip", "the debugger listens on 127.0.0.1, at --inspector-port"},
  }};
  std::string_view flag = arg.substr(0, arg.find('='));
  if (flag == "-l") flag = "--local";
  if (flag == "-r") flag = "--remote";
  for (const auto& [name, hint] : kHints)
    if (flag == name)
      return "flareq dev does not take wrangler dev's " + std::string(name) + ": " + std::string(hint);
  return std::nullopt;
}

}  // namespace flareq::cli

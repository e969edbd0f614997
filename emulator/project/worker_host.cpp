// Finding the Worker host's files and Node.js, and the spec that starts the host.
#include "emulator/project/worker_host.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/core/error.h"
#include "emulator/project/consumers.h"

namespace flareq::project {
namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// The wrangler that will run the Worker, as host.mjs chooses it: the project's (installed in
// its folder or a parent's node_modules), else FLAREQ_WRANGLER_DIR's, else flareq's own.
struct WranglerFound {
  std::string version;
  std::string origin;       // "the project's", "FLAREQ_WRANGLER_DIR's", "flareq's"
  std::string node_range;   // its package.json's engines.node
};

std::optional<WranglerFound> read_wrangler(const std::filesystem::path& node_modules, const std::string& origin) {
  std::ifstream in(node_modules / "wrangler" / "package.json");
  if (!in) return std::nullopt;
  nlohmann::json pkg = nlohmann::json::parse(in, nullptr, false);
  if (!pkg.is_object()) return std::nullopt;
  WranglerFound found{pkg.value("version", ""), origin, ""};
  if (pkg.contains("engines") && pkg["engines"].is_object()) found.node_range = pkg["engines"].value("node", "");
  return found;
}

std::optional<WranglerFound> find_wrangler(const std::filesystem::path& project_dir, const std::filesystem::path& host_dir) {
  for (auto dir = project_dir; !dir.empty(); dir = dir.parent_path()) {
    if (auto found = read_wrangler(dir / "node_modules", "the project's")) return found;
    if (dir == dir.root_path()) break;
  }
  if (const char* chosen = std::getenv("FLAREQ_WRANGLER_DIR"); chosen && *chosen)
    return read_wrangler(std::filesystem::path(chosen) / "node_modules", "FLAREQ_WRANGLER_DIR's");
  return read_wrangler(host_dir / "node_modules", "flareq's");
}

// The version `node --version` prints ("v22.12.0" -> {22, 12, 0}); nullopt when it does not run.
std::optional<std::array<int, 3>> node_version(const std::string& node) {
  std::string command = "'" + node + "' --version 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::array<int, 3> v{};
  int read = fscanf(pipe, "v%d.%d.%d", &v[0], &v[1], &v[2]);
  pclose(pipe);
  if (read != 3) return std::nullopt;
  return v;
}

// The least version a ">=A.B.C" range allows ({0,0,0} for a range of another form: any).
std::array<int, 3> least_version(const std::string& range) {
  std::array<int, 3> v{};
  if (sscanf(range.c_str(), ">=%d.%d.%d", &v[0], &v[1], &v[2]) < 1) return {0, 0, 0};
  return v;
}

std::string dotted(const std::array<int, 3>& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

// Every `node` on the PATH, in its order. More than the first: a package manager's stand-in
// (`bunx --bun` puts bun, named node, first) or an old system Node may come before the one to use.
std::vector<std::string> nodes_on_path() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> nodes;
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "node";
    if (access(candidate.c_str(), X_OK) == 0 &&
        std::find(nodes.begin(), nodes.end(), candidate.string()) == nodes.end())
      nodes.push_back(candidate.string());
    start = end + 1;
  }
  return nodes;
}

// The Node.js that runs the host: FLAREQ_NODE when set; else the first of each `node` on the
// PATH and the one scripts/setup installed beside the host (worker/.node) that the wrangler in
// use accepts (its engines.node). Throws UsageError naming each one seen when none does.
std::string find_node(const std::filesystem::path& host_dir, const std::filesystem::path& project_dir) {
  if (const char* node = std::getenv("FLAREQ_NODE"); node && *node) return node;
  auto wrangler = find_wrangler(project_dir, host_dir);
  std::array<int, 3> least = least_version(wrangler ? wrangler->node_range : "");
  std::vector<std::string> candidates = nodes_on_path();
  std::filesystem::path beside = host_dir / ".node" / "bin" / "node";
  if (access(beside.c_str(), X_OK) == 0) candidates.push_back(beside.string());
  std::string seen;
  for (const auto& node : candidates) {
    auto version = node_version(node);
    if (version && *version >= least) return node;
    seen += (seen.empty() ? "" : ", ") + (version ? dotted(*version) + " (" + node + ")" : node + " (prints no Node.js version)");
  }
  std::string who = wrangler ? "wrangler " + wrangler->version + " (" + wrangler->origin + ") needs Node.js " +
                                   wrangler->node_range
                             : "running the Worker needs Node.js";
  throw UsageError("this project has a Worker (\"main\"), and " + who +
                   (seen.empty() ? ", which was not found" : ", but the Node.js found is " + seen) +
                   ": install a Node.js it accepts and put it first on the PATH, or set FLAREQ_NODE to it (or pass --no-worker to "
                   "serve only the queues)");
}

}  // namespace

std::filesystem::path worker_host_dir() {
  std::error_code ec;
  std::vector<std::filesystem::path> dirs;
  if (const char* chosen = std::getenv("FLAREQ_WORKER_HOST_DIR"); chosen && *chosen) dirs.emplace_back(chosen);
  dirs.push_back(executable_dir() / ".." / "share" / "flareq" / "worker");
  dirs.emplace_back(FLAREQ_WORKER_SOURCE_DIR);
  for (const auto& dir : dirs)
    if (std::filesystem::is_regular_file(dir / "host.mjs", ec)) return std::filesystem::canonical(dir, ec);
  throw UsageError("the Worker host's files (host.mjs) are missing: reinstall flareq, or run scripts/setup");
}

handler::HandlerSpec worker_host_spec(const config::Config& config, const WorkerHostOptions& options) {
  handler::HandlerSpec spec;
  spec.queue = config.script_name();
  std::filesystem::path dir = worker_host_dir();
  spec.command.argv = {find_node(dir, std::filesystem::absolute(config.path).parent_path())};
  // The host's young generation kept small (a MiB per semi-space; about 30 MiB less of its
  // memory): it holds wrangler while the Worker runs and carries no batches. A NODE_OPTIONS that
  // sets it has the last word, as the command line would otherwise.
  const char* node_options = std::getenv("NODE_OPTIONS");
  if (!node_options || !std::strstr(node_options, "semi-space")) spec.command.argv.push_back("--max-semi-space-size=1");
  // Node's own warnings off, as wrangler's bin runs wrangler: they are about wrangler's insides
  // (under Yarn's Plug'n'Play, where no path is in node_modules, its bundle's punycode
  // deprecation), which the Worker's author cannot act on. The Worker's console is not Node's.
  spec.command.argv.push_back("--no-warnings");
  spec.command.argv.push_back((dir / "host.mjs").string());
  spec.mode = config::HandlerMode::Persistent;
  // The project's folder, not a build's config's: each build empties its folder, and a runtime
  // started in a deleted folder does not start (workerd: "getcwd(): No such file or directory").
  spec.cwd = config.project_dir();
  spec.env = {{"FLAREQ_WORKER_CONFIG", std::filesystem::absolute(config.path).string()},
              {"FLAREQ_WORKER_ENV", config.env},
              {"FLAREQ_WORKER_RUNTIME_PORT", std::to_string(options.runtime_port)},
              {"FLAREQ_WORKER_DELIVERY_PORT", std::to_string(options.delivery_port)},
              {"FLAREQ_WORKER_DELIVERY_SECRET", options.delivery_secret},
              {"FLAREQ_WORKER_FRONT_SECRET", options.front_secret},
              {"FLAREQ_API_URL", options.api_url},
              {"FLAREQ_API_TOKEN", options.api_token},
              {"FLAREQ_WORKER_READY", options.ready_file.string()}};
  // A config a build wrote (a Vite project's) keeps its bindings' data where wrangler dev keeps
  // it then: in the project's .wrangler/state, not in the build folder the next build empties.
  // One given to dev (flareq/testing's, a fresh folder per start) has the last word.
  if (!config.user_config_path.empty() && !std::getenv("FLAREQ_WORKER_PERSIST"))
    spec.env["FLAREQ_WORKER_PERSIST"] = (config.project_dir() / ".wrangler" / "state").string();
  // The queues whose batches its queue() gets: a Worker that has none is told so as it loads.
  std::string consumes;
  for (const auto& c : config.consumers)
    if (!worker_consumer(config, c).empty()) consumes += (consumes.empty() ? "" : ",") + c.queue;
  spec.env["FLAREQ_WORKER_CONSUMES"] = consumes;
  std::string peers;
  for (const auto& name : options.peers) peers += (peers.empty() ? "" : ",") + name;
  spec.env["FLAREQ_WORKER_PEERS"] = peers;
  if (!options.temp_dir.empty()) spec.env["TMPDIR"] = options.temp_dir.string();
  if (options.inspector_port > 0) spec.env["FLAREQ_WORKER_INSPECTOR_PORT"] = std::to_string(options.inspector_port);
  spec.timeout_ms = options.timeout_ms;
  spec.shared = config.script_name();
  return spec;
}

}  // namespace flareq::project

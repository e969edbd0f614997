// Finding the Worker host's files and Node.js, and the spec that starts the host.
#include "emulator/project/worker_host.h"

#include <unistd.h>

#include <cstdlib>

#include "emulator/core/error.h"

namespace flareq::project {
namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// FLAREQ_NODE, else the Node.js that scripts/setup installed beside the host (only when the
// PATH's was too old), else `node` on the PATH.
std::string find_node(const std::filesystem::path& host_dir) {
  if (const char* node = std::getenv("FLAREQ_NODE"); node && *node) return node;
  if (access((host_dir / ".node" / "bin" / "node").c_str(), X_OK) == 0) return (host_dir / ".node" / "bin" / "node").string();
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "node";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  throw UsageError("this project has a Worker (\"main\"), and running it needs Node.js 20.3 or later, which was not "
                   "found: run scripts/setup, or set FLAREQ_NODE (or pass --no-worker to serve only the queues)");
}

}  // namespace

std::filesystem::path worker_host_dir() {
  std::error_code ec;
  for (const auto& dir : {executable_dir() / ".." / "share" / "flareq" / "worker",
                          std::filesystem::path(FLAREQ_WORKER_SOURCE_DIR)})
    if (std::filesystem::is_regular_file(dir / "host.mjs", ec)) return std::filesystem::canonical(dir, ec);
  throw UsageError("the Worker host's files (host.mjs) are missing: reinstall flareq, or run scripts/setup");
}

handler::HandlerSpec worker_host_spec(const config::Config& config, const WorkerHostOptions& options) {
  handler::HandlerSpec spec;
  spec.queue = config.script_name();
  std::filesystem::path dir = worker_host_dir();
  spec.command.argv = {find_node(dir), (dir / "host.mjs").string()};
  spec.mode = config::HandlerMode::Persistent;
  spec.cwd = std::filesystem::absolute(config.path).parent_path();
  spec.env = {{"FLAREQ_WORKER_CONFIG", std::filesystem::absolute(config.path).string()},
              {"FLAREQ_WORKER_ENV", config.env},
              {"FLAREQ_WORKER_RUNTIME_PORT", std::to_string(options.runtime_port)},
              {"FLAREQ_WORKER_DELIVERY_PORT", std::to_string(options.delivery_port)},
              {"FLAREQ_WORKER_DELIVERY_SECRET", options.delivery_secret},
              {"FLAREQ_API_URL", options.api_url},
              {"FLAREQ_API_TOKEN", options.api_token},
              {"FLAREQ_WORKER_READY", options.ready_file.string()}};
  spec.timeout_ms = options.timeout_ms;
  spec.shared = config.script_name();
  spec.guard_group = true;  // its workerd processes must not outlive dev
  return spec;
}

}  // namespace flareq::project

// The Worker host of a Worker project (a config with "main"): which files and which Node.js
// run it, and the persistent handler spec that starts it (README, "Your Worker").
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/handler/handler.h"

namespace flareq::project {

struct WorkerHostOptions {
  int runtime_port = 0;  // where the runtime serves fetch() on 127.0.0.1, behind the Worker front
  int delivery_port = 0;  // where the runtime's delivery service takes batches on 127.0.0.1
  std::string delivery_secret;  // what it asks of every batch (X-Flareq-Delivery-Secret)
  std::string front_secret;  // what the Worker's fetch() asks of every request (the Worker front adds it)
  std::vector<std::string> peers;  // the Workers of this dev (by name), which share front_secret
  std::string api_url;  // flareq's API, for the producer bindings
  std::string api_token;
  std::filesystem::path ready_file;  // the host writes {"url",…} or {"error"} there
  std::filesystem::path temp_dir;    // its TMPDIR, when not empty
  int64_t timeout_ms = 900000;
  int inspector_port = -1;  // where wrangler's inspector proxy serves DevTools on 127.0.0.1 (-1: none)
};

// The host's own files: FLAREQ_WORKER_HOST_DIR (the npm package's launcher sets it), else
// beside an installed binary (../share/flareq/worker), else the source tree it was built from. Throws UsageError when neither holds them.
std::filesystem::path worker_host_dir();
// The spec of a Worker's host; every queue the Worker consumes shares it under the Worker's
// name (HandlerSpec::shared). Throws UsageError when no Node.js can be found.
handler::HandlerSpec worker_host_spec(const config::Config& config, const WorkerHostOptions& options);

}  // namespace flareq::project

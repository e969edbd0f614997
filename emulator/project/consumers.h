// Which handler delivers each queue in `flareq dev`: the configs' "command" keys, then the
// command-line flags (which win), and the HTTP pull consumers the flags ask for. Registers
// a consumer in the state file for every queue that gets one and has none. In a Worker
// project, the consumers without a command are the Worker's.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/handler/handler.h"
#include "emulator/store/store.h"

namespace flareq::project {

// One --consumer or --consumer-persistent flag, as given: "QUEUE=COMMAND".
struct HandlerFlag {
  std::string flag;  // the flag's name, for error messages
  std::string value;
  config::HandlerMode mode = config::HandlerMode::PerBatch;
};

struct ConsumerChoices {
  std::vector<std::string> pull_queues;  // --http-pull
  std::vector<HandlerFlag> handlers;
  int64_t handler_timeout_ms = 900000;
  std::filesystem::path flags_cwd;  // where flag commands run (config commands run beside the config)
  // In a config with "main", consumers without "command" are the Worker's (unless --no-worker):
  // their spec only names the Worker whose host runs them (HandlerSpec::shared).
  bool run_worker = true;
};

// The Worker whose queue() a configured consumer is (one with no "command", of type "worker",
// in a config with "main"), or "" when it is not a Worker's.
std::string worker_consumer(const config::Config& config, const config::ConsumerConfig& consumer);

// Throws UsageError for a malformed flag, a queue whose consumer is of the other type, or a
// queue that two configs both consume.
std::map<std::string, handler::HandlerSpec> choose_handlers(const std::vector<config::Config>& configs, Store& store,
                                                            const ConsumerChoices& choices);

}  // namespace flareq::project

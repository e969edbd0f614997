// Makes a state file match a config: the queues it names exist (dead letter queues too),
// each configured consumer is registered with the config's settings, and the producers it
// binds are known, and the faults it injects are set. The one place where a config turns into
// queues and consumers.
#pragma once
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/store/store.h"

namespace flareq::project {

// Returns what it changed that a user should hear about, one line each.
std::vector<std::string> apply_config(const config::Config& config, Store& store);

// The producers the config binds to `queue` (the queue object lists them).
std::vector<Producer> producers_of(const config::Config& config, const std::string& queue);

}  // namespace flareq::project

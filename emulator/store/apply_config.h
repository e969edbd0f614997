// Makes a state file match a config for `flareq dev`: the queues it names exist (dead
// letter queues too), and each configured consumer is registered with the config's settings.
#pragma once
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/store/store.h"

namespace flareq {

// Returns what it changed that a user should hear about, one line each.
std::vector<std::string> apply_config(const config::Config& config, Store& store);

}  // namespace flareq

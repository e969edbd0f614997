// What `flareq dev` prints about each consumer when it starts: its effective settings, or
// why nothing will deliver it.
#pragma once
#include <string>
#include <vector>

#include "emulator/dispatch/dispatcher.h"
#include "emulator/store/store.h"

namespace flareq::cli {

std::vector<std::string> describe_consumers(Store& store, const Dispatcher& dispatcher);

}  // namespace flareq::cli

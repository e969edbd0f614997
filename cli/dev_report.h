// What `flareq dev` prints about each consumer when it starts: its effective settings, or
// why nothing will deliver it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "emulator/handler/handler.h"
#include "emulator/store/store.h"

namespace flareq::cli {

// `handlers`: dev's handler for each queue; those of the Worker host are named `worker_name`.
std::vector<std::string> describe_consumers(Store& store, const std::map<std::string, handler::HandlerSpec>& handlers,
                                            const std::string& worker_name);

}  // namespace flareq::cli

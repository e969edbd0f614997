// What `flareq dev` prints about each consumer when it starts: its effective settings, or
// why nothing will deliver it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "emulator/handler/handler.h"
#include "emulator/store/store.h"

namespace flareq::dev {

// `handlers`: dev's handler for each queue; a Worker's name those of a Worker host.
// `workers_not_run`: the queues whose consumer is a Worker that --no-worker keeps from running
// (queue -> Worker name).
std::vector<std::string> describe_consumers(Store& store, const std::map<std::string, handler::HandlerSpec>& handlers,
                                           const std::map<std::string, std::string>& workers_not_run = {});

// How dev delivers `queue`, in a few words ("worker my-worker", "handler python3 handle.py"),
// or "" when nothing here does.
std::string delivery_label(const std::map<std::string, handler::HandlerSpec>& handlers, const std::string& queue);

}  // namespace flareq::dev

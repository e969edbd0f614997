// Queue, consumer and message objects in Cloudflare's v4 JSON shapes (docs/semantics.md, "The REST API"), shared by
// the HTTP API and the CLI's --json output.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emulator/core/clock.h"
#include "emulator/store/types.h"

namespace flareq::api {

nlohmann::json queue_json(const Queue& queue, const std::vector<Producer>& producers,
                          const std::optional<Consumer>& consumer);
nlohmann::json consumer_json(const Consumer& consumer);
nlohmann::json metrics_json(const QueueMetrics& metrics);
nlohmann::json counters_json(const QueueCounters& counters);
// A message as `messages list --json` and the dashboard show it: state, times, origin, and
// the body decoded (json as JSON, text as the string, bytes and v8 as base64).
nlohmann::ordered_json message_json(const StoredMessage& message, int64_t now_ms);
// flareq's extensions: the virtual clock and injected faults.
nlohmann::json clock_json(const Clock& clock);
nlohmann::json clock_change_json(const ClockChange& change);
nlohmann::json fault_json(const FaultRecord& fault);

}  // namespace flareq::api

// The batch document a handler reads (schema/handler-batch.schema.json), built from the
// leased messages: {"queue", "messages":[{id, timestamp, timestampMs, attempts,
// contentType, body}], "metadata":{"metrics":{backlogCount, backlogBytes,
// oldestMessageTimestampMs}}}, plus "invocation" for persistent handlers.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "emulator/store/types.h"

namespace flareq {

nlohmann::ordered_json batch_document(const std::string& queue, const std::vector<StoredMessage>& messages,
                                      const QueueMetrics& metrics, const std::string& invocation = "");

}  // namespace flareq

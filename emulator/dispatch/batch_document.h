// The batch document a handler reads (schema/handler-batch.schema.json), built from the
// leased messages: {"queue", "messages":[{id, timestamp, timestampMs, attempts,
// contentType, body}], "metadata":{"metrics":{backlogCount, backlogBytes,
// oldestMessageTimestampMs}}}, as compact JSON text on one line. A persistent handler's line
// also carries "invocation" (handler/protocol.h).
#pragma once
#include <string>
#include <vector>

#include "emulator/store/types.h"

namespace flareq {

std::string batch_document(const std::string& queue, const std::vector<StoredMessage>& messages,
                           const QueueMetrics& metrics);

}  // namespace flareq

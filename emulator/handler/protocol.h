// The handler protocol of DESIGN.md: the batch document a handler reads, and the result
// object it may print (schemas in schema/handler-batch.schema.json and
// schema/handler-result.schema.json).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emulator/core/outcome.h"
#include "emulator/store/types.h"

namespace flareq::handler {

// {"queue", "messages":[{id, timestamp, timestampMs, attempts, contentType, body}],
//  "metadata":{"metrics":{backlogCount, backlogBytes, oldestMessageTimestampMs}}}
// plus "invocation" for persistent handlers.
nlohmann::ordered_json batch_document(const std::string& queue, const std::vector<StoredMessage>& messages,
                              const QueueMetrics& metrics, const std::string& invocation = "");

// A result object: {"acks":[id], "retries":[{id, delaySeconds}], "ackAll":bool,
// "retryAll":{delaySeconds}}, every field optional. Where the same message is named in both
// lists, or both ackAll and retryAll are set, the one earlier in the document wins (first
// call wins).
struct ParsedResult {
  bool is_result = false;      // the text was a result object (not just a log line)
  std::string error;           // set when it claimed to be a result but is malformed
  InvocationReport report;     // threw stays false; the caller sets it from the exit
  std::string invocation;      // persistent mode
  std::optional<bool> outcome_ok;  // persistent mode: "outcome":"ok"|"exception"
};

ParsedResult parse_result(const std::string& text);

}  // namespace flareq::handler

// Leased messages as the handler's batch document.
#include "emulator/dispatch/batch_document.h"

#include "emulator/core/encoding.h"
#include "emulator/core/message.h"

namespace flareq {

using ordered = nlohmann::ordered_json;

ordered batch_document(const std::string& queue, const std::vector<StoredMessage>& messages,
                       const QueueMetrics& metrics, const std::string& invocation) {
  ordered list = ordered::array();
  for (const auto& m : messages)
    list.push_back({{"id", m.id},
                    {"timestamp", iso8601(m.enqueued_ms)},
                    {"timestampMs", m.enqueued_ms},
                    {"attempts", m.attempts},
                    {"contentType", content_type_name(m.content_type)},
                    {"body", body_json(m.content_type, m.body)}});
  ordered doc = {{"queue", queue},
              {"messages", list},
              {"metadata",
               {{"metrics",
                 {{"backlogCount", metrics.count},
                  {"backlogBytes", metrics.bytes},
                  {"oldestMessageTimestampMs", metrics.oldest_enqueued_ms.value_or(0)}}}}}};
  if (!invocation.empty()) doc["invocation"] = invocation;
  return doc;
}

}  // namespace flareq

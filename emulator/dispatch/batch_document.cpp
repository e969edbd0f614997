// Leased messages as the handler's batch document, written as text: it is built for every
// batch, and a JSON tree of a hundred messages costs more than the delivery itself.
#include "emulator/dispatch/batch_document.h"

#include <nlohmann/json.hpp>

#include "emulator/core/encoding.h"
#include "emulator/core/message.h"

namespace flareq {
namespace {

void append_string(std::string& out, const std::string& text) { out += nlohmann::json(text).dump(); }

// A JSON body as stored is the sender's JSON text: copied as it is when it is valid JSON on one
// line (the document must stay one line), else read and written again.
void append_body(std::string& out, ContentType type, const std::string& body) {
  if (type == ContentType::Json && body.find_first_of("\r\n") == std::string::npos && nlohmann::json::accept(body))
    out += body;
  else
    out += body_json(type, body).dump();
}

}  // namespace

std::string batch_document(const std::string& queue, const std::vector<StoredMessage>& messages,
                           const QueueMetrics& metrics) {
  std::string out = "{\"queue\":";
  append_string(out, queue);
  out += ",\"messages\":[";
  for (size_t i = 0; i < messages.size(); ++i) {
    const StoredMessage& m = messages[i];
    if (i > 0) out += ',';
    out += "{\"id\":";
    append_string(out, m.id);
    out += ",\"timestamp\":\"" + iso8601(m.enqueued_ms) + "\",\"timestampMs\":" + std::to_string(m.enqueued_ms) +
           ",\"attempts\":" + std::to_string(m.attempts) + ",\"contentType\":\"" +
           content_type_name(m.content_type) + "\",\"body\":";
    append_body(out, m.content_type, m.body);
    out += '}';
  }
  out += "],\"metadata\":{\"metrics\":{\"backlogCount\":" + std::to_string(metrics.count) +
         ",\"backlogBytes\":" + std::to_string(metrics.bytes) +
         ",\"oldestMessageTimestampMs\":" + std::to_string(metrics.oldest_enqueued_ms.value_or(0)) + "}}}";
  return out;
}

}  // namespace flareq

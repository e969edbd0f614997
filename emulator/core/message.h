// What a message is before and after it is stored: its content type, its body as stored
// bytes, how a body looks as JSON, and the delay rules of a send (docs/semantics.md,
// "Producing").
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace flareq {

// Values are stored in the state file; never renumber.
enum class ContentType { Json = 0, Text = 1, Bytes = 2, V8 = 3 };

std::optional<ContentType> parse_content_type(std::string_view name);
const char* content_type_name(ContentType type);

// A stored body as JSON, for peek, the CLI and per-batch handlers: json as the value, text
// as a string, bytes and v8 as base64.
nlohmann::ordered_json body_json(ContentType type, const std::string& body);

// A message on its way in. `body` holds what is stored: JSON text for json, the UTF-8
// string for text, raw bytes for bytes and v8.
struct OutgoingMessage {
  ContentType content_type = ContentType::Json;
  std::string body;
  std::optional<int64_t> delay_secs;  // per-message delay, if given
};

// Per-message delay > batch delay > the queue's (or producer's) default delay.
inline int64_t effective_delay(std::optional<int64_t> message_delay,
                               std::optional<int64_t> batch_delay, int64_t default_delay) {
  if (message_delay) return *message_delay;
  if (batch_delay) return *batch_delay;
  return default_delay;
}

}  // namespace flareq

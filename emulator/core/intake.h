// A message coming in, however it comes: the REST API's pushes, a Worker's queue binding and
// `flareq send` each build it here, once, with production's refusals (docs/semantics.md,
// "Producing"). The store takes what this let through and checks nothing again.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulator/core/message.h"

namespace flareq {

// `body` is what is stored: JSON text for json (valid JSON, nesting at most kMaxJsonDepth
// levels), UTF-8 text for text, raw bytes for bytes and v8. Throws Error with the API's code
// for an invalid body, a body over 128 KB, or a delay outside 0–86400 s.
OutgoingMessage take_message(ContentType type, std::string body, std::optional<int64_t> delay_secs);
// A json message whose body is already a parsed value (a REST push's "body"): it is written out
// once and not parsed again; size and delay are checked as above.
OutgoingMessage take_json_message(const nlohmann::ordered_json& body, std::optional<int64_t> delay_secs);

// A send as a whole: at most 100 messages and 256 KB in all, and a batch delay within range.
void check_send(const std::vector<OutgoingMessage>& messages, std::optional<int64_t> batch_delay_secs);

}  // namespace flareq

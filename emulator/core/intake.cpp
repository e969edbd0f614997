// Building and checking an incoming message (intake.h).
#include "emulator/core/intake.h"

#include <nlohmann/json.hpp>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/json_depth.h"
#include "emulator/core/limits.h"

namespace flareq {

namespace {

// The checks every message passes, whatever its type.
OutgoingMessage sized(ContentType type, std::string body, std::optional<int64_t> delay_secs) {
  limits::check_message_size(body.size());
  if (delay_secs) limits::check_delay(*delay_secs);
  return OutgoingMessage{type, std::move(body), delay_secs};
}

}  // namespace

OutgoingMessage take_json_message(const nlohmann::ordered_json& body, std::optional<int64_t> delay_secs) {
  return sized(ContentType::Json, body.dump(), delay_secs);
}

OutgoingMessage take_message(ContentType type, std::string body, std::optional<int64_t> delay_secs) {
  limits::check_message_size(body.size());
  if (type == ContentType::Json) {
    if (!json_depth_within(body))
      throw bad_request(code::kInvalidBody, "the body nests more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    if (!nlohmann::json::accept(body)) throw bad_request(code::kInvalidBody, "a json message's body is not valid JSON");
  }
  if (type == ContentType::Text && !is_valid_utf8(body))
    throw bad_request(code::kInvalidBody, "a text message's body must be valid UTF-8 (send binary data as content type bytes)");
  return sized(type, std::move(body), delay_secs);
}

void check_send(const std::vector<OutgoingMessage>& messages, std::optional<int64_t> batch_delay_secs) {
  size_t total = 0;
  for (const auto& m : messages) total += m.body.size();
  limits::check_batch(messages.size(), total);
  if (batch_delay_secs) limits::check_delay(*batch_delay_secs);
}

}  // namespace flareq

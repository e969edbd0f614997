// Content type names as Cloudflare spells them, and bodies as JSON.
#include "emulator/core/message.h"

#include "emulator/core/encoding.h"

namespace flareq {

std::optional<ContentType> parse_content_type(std::string_view name) {
  if (name == "json") return ContentType::Json;
  if (name == "text") return ContentType::Text;
  if (name == "bytes") return ContentType::Bytes;
  if (name == "v8") return ContentType::V8;
  return std::nullopt;
}

const char* content_type_name(ContentType type) {
  switch (type) {
    case ContentType::Json: return "json";
    case ContentType::Text: return "text";
    case ContentType::Bytes: return "bytes";
    case ContentType::V8: return "v8";
  }
  return "json";
}

nlohmann::ordered_json body_json(ContentType type, const std::string& body) {
  switch (type) {
    case ContentType::Json: {
      auto v = nlohmann::ordered_json::parse(body, nullptr, false);
      return v.is_discarded() ? nlohmann::ordered_json(body) : v;
    }
    case ContentType::Text: return body;
    case ContentType::Bytes:
    case ContentType::V8: return base64_encode(body);
  }
  return body;
}

}  // namespace flareq

// Content type names as Cloudflare spells them.
#include "emulator/core/message.h"

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

}  // namespace flareq

// Typed reading of a request's JSON body with Cloudflare's error codes. Bodies are
// parsed whatever their Content-Type says: wrangler sends JSON as text/plain. Objects keep
// their key order, so a message body is stored as it was sent.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace flareq::api {

// The body as a JSON object; an empty body is {}. Malformed JSON is 10208; a body that
// is not an object is 10207.
using RequestJson = nlohmann::ordered_json;
RequestJson parse_body(const std::string& text);

class Fields {
 public:
  explicit Fields(const RequestJson& object, std::string prefix = "") : j_(object), prefix_(std::move(prefix)) {}
  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  std::optional<int64_t> integer(const char* key, int error_code, int64_t lo, int64_t hi) const;
  std::optional<double> number(const char* key, int error_code, double lo, double hi) const;
  std::optional<std::string> string(const char* key, int error_code) const;
  std::optional<bool> boolean(const char* key, int error_code) const;

 private:
  std::string name(const char* key) const { return prefix_ + key; }
  const RequestJson& j_;
  std::string prefix_;
};

}  // namespace flareq::api

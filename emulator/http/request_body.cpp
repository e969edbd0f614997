// Parsing request bodies, and reading typed fields with the API's error codes.
#include "emulator/http/request_body.h"

#include <sstream>

#include <cmath>

#include "emulator/core/error.h"
#include "emulator/core/json_depth.h"

namespace flareq::api {

RequestJson parse_body(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return RequestJson::object();
  if (!json_depth_within(text))
    throw bad_request(code::kMalformedBody, "malformed JSON body: nested more than " + std::to_string(kMaxJsonDepth) +
                                                " levels deep");
  RequestJson body;
  try {
    body = RequestJson::parse(text);
  } catch (const RequestJson::parse_error& e) {
    throw bad_request(code::kMalformedBody, std::string("malformed JSON body: ") + e.what());
  } catch (const RequestJson::out_of_range& e) {  // a number too large for a double
    throw bad_request(code::kMalformedBody, std::string("malformed JSON body: ") + e.what());
  }
  if (!body.is_object()) throw bad_request(code::kInvalidBody, "the request body must be a JSON object");
  return body;
}

std::optional<int64_t> Fields::integer(const char* key, int error_code, int64_t lo, int64_t hi) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  bool whole = v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                                         std::abs(v.get<double>()) < 9e15);
  if (!whole)
    throw bad_request(error_code, name(key) + " must be an integer from " + std::to_string(lo) + " to " +
                                      std::to_string(hi) + ", got " + v.dump());
  int64_t n = v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(v.get<double>());
  if (n < lo || n > hi)
    throw bad_request(error_code, name(key) + " must be an integer from " + std::to_string(lo) + " to " +
                                      std::to_string(hi) + ", got " + std::to_string(n));
  return n;
}

std::optional<double> Fields::number(const char* key, int error_code, double lo, double hi) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  std::ostringstream range;
  range << " must be a number from " << lo << " to " << hi << ", got " << v.dump();
  if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi)) throw bad_request(error_code, name(key) + range.str());
  return v.get<double>();
}

std::optional<std::string> Fields::string(const char* key, int error_code) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  if (!v.is_string()) throw bad_request(error_code, name(key) + " must be a string, got " + v.dump());
  return v.get<std::string>();
}

std::optional<bool> Fields::boolean(const char* key, int error_code) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_.at(key);
  if (!v.is_boolean()) throw bad_request(error_code, name(key) + " must be true or false, got " + v.dump());
  return v.get<bool>();
}

}  // namespace flareq::api

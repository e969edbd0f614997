// Reading a handler's result object, strictly: a malformed one is a protocol error.
#include "emulator/handler/protocol.h"

#include "emulator/core/json_depth.h"
#include "emulator/core/limits.h"

namespace flareq::handler {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

std::optional<int64_t> read_delay(const ordered& holder, const std::string& where) {
  if (!holder.is_object()) throw std::runtime_error(where + " must be an object");
  if (!holder.contains("delaySeconds") || holder.at("delaySeconds").is_null()) return std::nullopt;
  const auto& d = holder.at("delaySeconds");
  if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > limits::kMaxDelaySecs)
    throw std::runtime_error(where + ".delaySeconds must be an integer from 0 to 86400");
  return d.get<int64_t>();
}

}  // namespace

ParsedResult parse_result(const std::string& text) {
  ParsedResult r;
  if (!json_depth_within(text)) {
    // Too deep to read safely; if it claims to be a result, the handler broke the protocol.
    r.is_result = text.find_first_not_of(" \t") != std::string::npos && text[text.find_first_not_of(" \t")] == '{';
    if (r.is_result) r.error = "the result nests more than " + std::to_string(kMaxJsonDepth) + " levels deep";
    return r;
  }
  ordered doc = ordered::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return r;
  static const char* keys[] = {"acks", "retries", "ackAll", "retryAll", "invocation", "outcome"};
  bool any = false;
  for (const char* k : keys) any = any || doc.contains(k);
  if (!any) return r;
  r.is_result = true;
  try {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& key = it.key();
      const ordered& v = it.value();
      if (key == "acks") {
        if (!v.is_array()) throw std::runtime_error("acks must be an array of message ids");
        for (const auto& id : v) {
          if (!id.is_string()) throw std::runtime_error("acks must be an array of message ids");
          r.report.per_message.try_emplace(id.get<std::string>(), Call{true, std::nullopt});
        }
      } else if (key == "retries") {
        if (!v.is_array()) throw std::runtime_error("retries must be an array of {id, delaySeconds}");
        for (const auto& item : v) {
          if (!item.is_object() || !item.contains("id") || !item.at("id").is_string())
            throw std::runtime_error("retries must be an array of {id, delaySeconds}");
          r.report.per_message.try_emplace(item.at("id").get<std::string>(), Call{false, read_delay(item, "retries[]")});
        }
      } else if (key == "ackAll") {
        if (!v.is_boolean()) throw std::runtime_error("ackAll must be true or false");
        if (v.get<bool>() && !r.report.batch_call) r.report.batch_call = Call{true, std::nullopt};
      } else if (key == "retryAll") {
        if (v.is_boolean()) {
          if (v.get<bool>() && !r.report.batch_call) r.report.batch_call = Call{false, std::nullopt};
        } else {
          auto delay = read_delay(v, "retryAll");
          if (!r.report.batch_call) r.report.batch_call = Call{false, delay};
        }
      } else if (key == "invocation") {
        if (!v.is_string()) throw std::runtime_error("invocation must be a string");
        r.invocation = v.get<std::string>();
      } else if (key == "outcome") {
        if (v != "ok" && v != "exception") throw std::runtime_error("outcome must be \"ok\" or \"exception\"");
        r.outcome_ok = v == "ok";
      } else if (key == "error" && v.is_string()) {
        r.reason = v.get<std::string>();
      }
    }
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

std::string with_invocation(const std::string& document, const std::string& id) {
  std::string line = "{\"invocation\":" + json(id).dump() + ",";
  line.append(document, 1, std::string::npos);  // one copy of a document that may be megabytes
  return line;
}

}  // namespace flareq::handler

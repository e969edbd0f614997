// /queues/{id}/consumers[/{consumer_id}]: a queue's one consumer, worker or http_pull.
#include <httplib.h>

#include <limits>

#include "emulator/core/error.h"
#include "emulator/http/api_server.h"
#include "emulator/http/request_body.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr int64_t kAny = std::numeric_limits<int32_t>::max();

ConsumerType read_type(const RequestJson& body, ConsumerType fallback) {
  auto type = Fields(body).string("type", code::kInvalidConsumerSettings);
  if (!type) return fallback;
  if (*type == "worker") return ConsumerType::Worker;
  if (*type == "http_pull") return ConsumerType::HttpPull;
  throw bad_request(code::kInvalidConsumerSettings, "type must be \"worker\" or \"http_pull\", got \"" + *type + "\"");
}

// Ranges are checked once, by the store; here only types.
ConsumerSettings read_settings(const RequestJson& body, ConsumerSettings s) {
  constexpr int bad = code::kInvalidConsumerSettings;
  if (auto dlq = Fields(body).string("dead_letter_queue", bad)) s.dead_letter_queue = *dlq;
  if (!body.contains("settings") || body.at("settings").is_null()) return s;
  const RequestJson& settings = body.at("settings");
  if (!settings.is_object()) throw bad_request(bad, "settings must be an object");
  Fields f(settings, "settings.");
  if (auto v = f.integer("batch_size", bad, -kAny, kAny)) s.batch_size = static_cast<int>(*v);
  if (auto v = f.integer("max_retries", bad, -kAny, kAny)) s.max_retries = static_cast<int>(*v);
  if (auto v = f.integer("max_wait_time_ms", bad, -kAny, kAny)) s.max_wait_time_ms = *v;
  if (settings.contains("max_concurrency"))
    s.max_concurrency = f.has("max_concurrency") ? std::optional<int>(static_cast<int>(*f.integer("max_concurrency", bad, -kAny, kAny)))
                                                 : std::nullopt;
  if (auto v = f.integer("retry_delay", bad, -kAny, kAny)) s.retry_delay = *v;
  // wrangler's pull hint still says visibility_timeout.
  if (auto v = f.integer("visibility_timeout", bad, -kAny, kAny)) s.visibility_timeout_ms = *v;
  if (auto v = f.integer("visibility_timeout_ms", bad, -kAny, kAny)) s.visibility_timeout_ms = *v;
  if (auto v = f.string("dead_letter_queue", bad)) s.dead_letter_queue = *v;
  return s;
}

std::string read_script(const RequestJson& body) {
  Fields f(body);
  if (auto s = f.string("script_name", code::kInvalidConsumerSettings)) return *s;
  if (auto s = f.string("script", code::kInvalidConsumerSettings)) return *s;
  return "";
}

}  // namespace

Reply ApiServer::route_consumers(const httplib::Request& req, const std::string& content, Store& store, const Queue& queue, const Segments& rest) {
  const std::string& m = req.method;
  auto consumer = store.consumer_of(queue.key);
  if (rest.empty()) {
    if (m == "GET") {
      json list = json::array();
      if (consumer) list.push_back(consumer_json(*consumer));
      return {200, list, json{{"page", 1}, {"per_page", 20}, {"count", list.size()}, {"total_count", list.size()}, {"total_pages", 1}}};
    }
    if (m != "POST") throw Error(code::kNotFound, 405, "method " + m + " is not allowed on " + req.path);
    RequestJson body = parse_body(content);
    ConsumerType type = read_type(body, ConsumerType::Worker);
    std::string script = read_script(body);
    if (type == ConsumerType::Worker && script.empty())
      throw bad_request(code::kInvalidConsumerSettings, "a worker consumer needs script_name");
    // wrangler sends "settings": {} for a consumer with no flags: production's defaults fill it in.
    ConsumerSettings settings = read_settings(body, ConsumerSettings::defaults_for(type));
    return {200, consumer_json(store.add_consumer(queue, type, script, settings)), std::nullopt};
  }
  if (rest.size() != 1) throw Error(code::kNotFound, 404, "no route for " + m + " " + req.path);
  if (!consumer || consumer->id != rest[0])
    throw not_found(code::kNotFound, "queue '" + queue.name + "' has no consumer '" + std::string(rest[0]) + "'");
  if (m == "GET") return {200, consumer_json(*consumer), std::nullopt};
  if (m == "DELETE") {
    store.remove_consumer(consumer->id);
    return {200, nullptr, std::nullopt};
  }
  if (m == "PUT") {
    RequestJson body = parse_body(content);
    if (read_type(body, consumer->type) != consumer->type)
      throw bad_request(code::kInvalidConsumerSettings, "a consumer's type cannot change; remove it and add a new one");
    Consumer updated = *consumer;
    std::string script = read_script(body);
    if (!script.empty()) updated.script = script;
    updated.settings = read_settings(body, ConsumerSettings::defaults_for(consumer->type));
    return {200, consumer_json(store.update_consumer(updated)), std::nullopt};
  }
  throw Error(code::kNotFound, 405, "method " + m + " is not allowed on " + req.path);
}

}  // namespace flareq::api

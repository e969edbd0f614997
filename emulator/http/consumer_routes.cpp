// /queues/{queue}/consumers[/{consumer}]: a queue's one consumer, worker or http_pull.
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

// The queue's consumer, if it is the one the path names.
Consumer named_consumer(RouteRequest& r) {
  auto consumer = r.store.consumer_of(r.queue->key);
  const std::string& id = r.param("consumer");
  if (!consumer || consumer->id != id)
    throw not_found(code::kNotFound, "queue '" + r.queue->name + "' has no consumer '" + id + "'");
  return *consumer;
}

std::string read_script(const RequestJson& body) {
  Fields f(body);
  if (auto s = f.string("script_name", code::kInvalidConsumerSettings)) return *s;
  if (auto s = f.string("script", code::kInvalidConsumerSettings)) return *s;
  return "";
}

}  // namespace

void add_consumer_routes(RouteTable& routes, ApiContext&) {
  const std::string consumers = "accounts/{account}/queues/{queue}/consumers";
  routes.add("GET", consumers, [](RouteRequest& r) {
    json list = json::array();
    if (auto consumer = r.store.consumer_of(r.queue->key)) list.push_back(consumer_json(*consumer));
    return Reply{200, list,
                 json{{"page", 1}, {"per_page", 20}, {"count", list.size()}, {"total_count", list.size()}, {"total_pages", 1}}};
  });
  routes.add("POST", consumers, [](RouteRequest& r) {
    RequestJson body = r.body();
    ConsumerType type = read_type(body, ConsumerType::Worker);
    std::string script = read_script(body);
    if (type == ConsumerType::Worker && script.empty())
      throw bad_request(code::kInvalidConsumerSettings, "a worker consumer needs script_name");
    // wrangler sends "settings": {} for a consumer with no flags: production's defaults fill it in.
    ConsumerSettings settings = read_settings(body, ConsumerSettings::defaults_for(type));
    return Reply{200, consumer_json(r.store.add_consumer(*r.queue, type, script, settings)), std::nullopt};
  });
  const std::string one = consumers + "/{consumer}";
  routes.add("GET", one, [](RouteRequest& r) { return Reply{200, consumer_json(named_consumer(r)), std::nullopt}; });
  routes.add("DELETE", one, [](RouteRequest& r) {
    r.store.remove_consumer(named_consumer(r).id);
    return Reply{200, nullptr, std::nullopt};
  });
  routes.add("PUT", one, [](RouteRequest& r) {
    Consumer consumer = named_consumer(r);
    RequestJson body = r.body();
    if (read_type(body, consumer.type) != consumer.type)
      throw bad_request(code::kInvalidConsumerSettings, "a consumer's type cannot change; remove it and add a new one");
    std::string script = read_script(body);
    if (!script.empty()) consumer.script = script;
    consumer.settings = read_settings(body, ConsumerSettings::defaults_for(consumer.type));
    return Reply{200, consumer_json(r.store.update_consumer(consumer)), std::nullopt};
  });
}

}  // namespace flareq::api

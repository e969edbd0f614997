// /accounts/{account}/queues[/{queue}]: listing, creating, reading, updating and deleting
// queues, their metrics, and purging them.
#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr int64_t kMaxPerPage = 1000;
constexpr int64_t kMaxPage = 1000000000;

// A paging parameter: absent → fallback; otherwise an integer from 1 to `max`.
int64_t paging_param(const httplib::Request& req, const char* key, int64_t fallback, int64_t max) {
  if (!req.has_param(key)) return fallback;
  const std::string& text = req.get_param_value(key);
  bool digits = !text.empty() && text.size() <= 10 && text.find_first_not_of("0123456789") == std::string::npos;
  int64_t value = digits ? std::stoll(text) : 0;
  if (value < 1 || value > max)
    throw bad_request(code::kInvalidBody, std::string(key) + " must be an integer from 1 to " + std::to_string(max));
  return value;
}

Reply list_queues(ApiContext& context, RouteRequest& r) {
  std::vector<Queue> queues = r.store.list_queues();
  if (r.http.has_param("name")) {
    // Exact names: wrangler takes result[0] without checking it.
    size_t n = r.http.get_param_value_count("name");
    std::vector<Queue> matching;
    for (const auto& q : queues)
      for (size_t i = 0; i < n; ++i)
        if (q.name == r.http.get_param_value("name", i)) matching.push_back(q);
    queues = std::move(matching);
  }
  int64_t total = static_cast<int64_t>(queues.size());
  // Without per_page every queue comes back: the SDK never asks for page 2.
  int64_t per_page = r.http.has_param("per_page") ? paging_param(r.http, "per_page", 0, kMaxPerPage) : std::max<int64_t>(total, 1);
  int64_t page = paging_param(r.http, "page", 1, kMaxPage);
  // Both are bounded above, so (page - 1) * per_page cannot overflow.
  int64_t start = std::min(total, (page - 1) * per_page);
  int64_t end = std::min(total, start + per_page);
  json result = json::array();
  for (int64_t i = start; i < end; ++i) result.push_back(context.queue_object(r.store, queues[static_cast<size_t>(i)]));
  json info = {{"page", page},
               {"per_page", per_page},
               {"count", end - start},
               {"total_count", total},
               {"total_pages", (total + per_page - 1) / per_page}};
  return {200, result, info};
}

QueueSettings read_queue_settings(const RequestJson& body, QueueSettings base) {
  if (!body.contains("settings") || body.at("settings").is_null()) return base;
  const RequestJson& settings = body.at("settings");
  if (!settings.is_object()) throw bad_request(code::kInvalidQueueSettings, "settings must be an object");
  Fields f(settings, "settings.");
  if (auto d = f.integer("delivery_delay", code::kInvalidQueueSettings, 0, limits::kMaxDelaySecs)) base.delivery_delay = *d;
  if (auto r = f.integer("message_retention_period", code::kInvalidQueueSettings, limits::kMinRetentionSecs,
                         limits::kMaxRetentionSecs))
    base.retention_secs = *r;
  if (auto p = f.boolean("delivery_paused", code::kInvalidQueueSettings)) base.delivery_paused = *p;
  return base;
}

Reply update_queue(ApiContext& context, RouteRequest& r, bool replace) {
  const Queue& queue = *r.queue;
  RequestJson body = r.body();
  auto name = Fields(body).string("queue_name", code::kInvalidBody);
  if (name && *name != queue.name) throw bad_request(code::kInvalidQueueSettings, "renaming a queue is not supported locally");
  // PUT replaces the settings (what it leaves out returns to its default); PATCH merges.
  QueueSettings base = replace ? QueueSettings{} : queue.settings;
  if (replace) base.delivery_paused = queue.settings.delivery_paused;
  Queue updated = r.store.update_queue(queue.key, read_queue_settings(body, base));
  return {200, context.queue_object(r.store, updated), std::nullopt};
}

}  // namespace

void add_queue_routes(RouteTable& routes, ApiContext& context) {
  const std::string queues = "accounts/{account}/queues";
  const std::string queue = queues + "/{queue}";
  routes.add("GET", queues, [&context](RouteRequest& r) { return list_queues(context, r); });
  routes.add("POST", queues, [&context](RouteRequest& r) {
    RequestJson body = r.body();
    auto name = Fields(body).string("queue_name", code::kInvalidBody);
    if (!name) throw bad_request(code::kInvalidBody, "queue_name is required");
    Queue q = r.store.create_queue(*name, read_queue_settings(body, {}));
    return Reply{200, context.queue_object(r.store, q), std::nullopt};
  });
  routes.add("GET", queue, [&context](RouteRequest& r) {
    return Reply{200, context.queue_object(r.store, *r.queue), std::nullopt};
  });
  routes.add("PUT", queue, [&context](RouteRequest& r) { return update_queue(context, r, true); });
  routes.add("PATCH", queue, [&context](RouteRequest& r) { return update_queue(context, r, false); });
  routes.add("DELETE", queue, [](RouteRequest& r) {
    r.store.delete_queue(r.queue->key);
    return Reply{200, nullptr, std::nullopt};
  });
  routes.add("GET", queue + "/metrics", [](RouteRequest& r) {
    return Reply{200, metrics_json(r.store.metrics(r.queue->key)), std::nullopt};
  });
  routes.add("GET", queue + "/purge", [&context](RouteRequest& r) {
    std::lock_guard<std::mutex> lock(context.purge_mutex);
    auto it = context.last_purge_ms.find(r.queue->id);
    json started = it == context.last_purge_ms.end() ? json(nullptr) : json(iso8601(it->second));
    return Reply{200, {{"completed", true}, {"started_on", started}}, std::nullopt};
  });
  routes.add("POST", queue + "/purge", [&context](RouteRequest& r) {
    RequestJson body = r.body();
    if (Fields(body).boolean("delete_messages_permanently", code::kInvalidBody) != true)
      throw bad_request(code::kInvalidBody, "purging needs {\"delete_messages_permanently\": true}");
    int64_t started = context.stores.clock().now_ms();
    r.store.purge_queue(r.queue->key);
    std::lock_guard<std::mutex> lock(context.purge_mutex);
    context.last_purge_ms[r.queue->id] = started;
    return Reply{200, {{"completed", true}, {"started_on", iso8601(started)}}, std::nullopt};
  });
}

}  // namespace flareq::api

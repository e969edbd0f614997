// The Workers runtime's own Queue binding protocol, served on the API port so that a Worker's
// producer bindings reach flareq with no Worker in between (README, "Your Worker"): workerd
// posts each send()'s serialized body to POST /message (X-Msg-Fmt, X-Msg-Delay-Secs) and each
// sendBatch() to POST /batch (JSON, base64 bodies), and asks GET /metrics. The Worker host's
// binding names the queue in X-Flareq-Queue and the producer's delivery_delay in
// X-Flareq-Delivery-Delay. A refusal carries production's text and code in the
// CF-Queues-Error-Cause and CF-Queues-Error-Code headers, which workerd turns into the error
// that send() rejects with.
#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/intake.h"
#include "emulator/core/json_depth.h"
#include "emulator/core/limits.h"
#include "emulator/core/message.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

namespace {

std::optional<int64_t> delay_header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  std::string value = req.get_header_value(name);
  if (value.empty()) return std::nullopt;
  if (value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(value) > limits::kMaxDelaySecs)
    throw Error(code::kInvalidDelay, 400,
                std::string(name) + " must be a whole number of seconds up to " + std::to_string(limits::kMaxDelaySecs));
  return std::stoll(value);
}

// The runtime's format name; none means v8, the binding's default.
ContentType content_type_of(const std::string& name) {
  if (name.empty()) return ContentType::V8;
  if (auto type = parse_content_type(name)) return *type;
  throw Error(code::kInvalidMetadata, 400, "unknown message format '" + printable(name) + "'");
}

std::vector<OutgoingMessage> batch_of(const std::string& content) {
  if (!json_depth_within(content)) throw Error(code::kInvalidBody, 400, "the batch nests too deeply");
  json doc = json::parse(content, nullptr, false);
  if (!doc.is_object() || !doc.contains("messages") || !doc["messages"].is_array())
    throw Error(code::kInvalidBody, 400, "a batch is {\"messages\": [...]}");
  const json& items = doc["messages"];
  limits::check_batch(items.size(), 0);
  std::vector<OutgoingMessage> messages;
  messages.reserve(items.size());
  for (const json& item : items) {
    if (!item.is_object() || !item.contains("body") || !item["body"].is_string())
      throw Error(code::kInvalidBody, 400, "each message of a batch has a base64 body");
    auto body = base64_decode(item["body"].get<std::string>());
    if (!body) throw Error(code::kInvalidBody, 400, "a message's body is not base64");
    std::optional<int64_t> delay;
    if (item.contains("delaySecs") && item["delaySecs"].is_number_integer()) delay = item["delaySecs"].get<int64_t>();
    std::string type = item.contains("contentType") && item["contentType"].is_string() ? item["contentType"].get<std::string>() : "";
    messages.push_back(take_message(content_type_of(type), std::move(*body), delay));
  }
  return messages;
}

// Metrics as the runtime reads them (camelCase, as Miniflare's own broker answers).
json runtime_metrics(const QueueMetrics& m) {
  return {{"backlogCount", m.count}, {"backlogBytes", m.bytes}, {"oldestMessageTimestamp", m.oldest_enqueued_ms.value_or(0)}};
}

}  // namespace

bool is_queue_binding_request(const httplib::Request& req) {
  return req.has_header("X-Flareq-Queue") &&
         ((req.method == "POST" && (req.path == "/message" || req.path == "/batch")) ||
          (req.method == "GET" && req.path == "/metrics"));
}

void serve_queue_binding(ApiContext& context, Store& store, const httplib::Request& req, const std::string& content,
                         httplib::Response& res) {
  try {
    std::string queue = req.get_header_value("X-Flareq-Queue");
    checked_queue_ref(queue);
    if (req.method == "GET") {
      res.set_content(runtime_metrics(store.metrics(store.queue(queue).key)).dump(), "application/json");
      return;
    }
    std::optional<int64_t> delay = delay_header(req, "X-Msg-Delay-Secs");
    if (!delay) delay = delay_header(req, "X-Flareq-Delivery-Delay");
    SendResult sent;
    if (req.path == "/message") {
      std::vector<OutgoingMessage> one;
      one.push_back(take_message(content_type_of(req.get_header_value("X-Msg-Fmt")), content, delay));
      check_send(one, std::nullopt);
      sent = context.sends.send(queue, one, std::nullopt);
    } else {
      std::vector<OutgoingMessage> batch = batch_of(content);
      check_send(batch, delay);
      sent = context.sends.send(queue, batch, delay);
    }
    res.set_content(json({{"metadata", {{"metrics", runtime_metrics(sent.metrics)}}}}).dump(), "application/json");
  } catch (const Error& e) {
    std::string why = printable(e.what());
    res.status = e.http_status();
    res.set_header("CF-Queues-Error-Cause", why);
    res.set_header("CF-Queues-Error-Code", std::to_string(e.code()));
    if (e.http_status() == 429) res.set_header("Retry-After", "1");
    res.set_content(why, "text/plain");
  }
}

}  // namespace flareq::api

// /queues/{queue}/messages…: push one, push a batch, peek, and delete peeked messages.
// (Pull and ack live in pull_routes.cpp.)
#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/intake.h"
#include "emulator/http/api_server.h"
#include "emulator/http/message_handle.h"
#include "emulator/http/request_body.h"

namespace flareq::api {

using nlohmann::json;

namespace {

// One message of a push: {body, content_type?, delay_seconds?}.
OutgoingMessage read_message(const RequestJson& item, const std::string& prefix) {
  if (!item.is_object()) throw bad_request(code::kInvalidBody, prefix + "a message must be an object");
  Fields f(item, prefix);
  if (!item.contains("body")) throw bad_request(code::kInvalidBody, prefix + "body is required");
  std::string type = f.string("content_type", code::kInvalidMetadata).value_or("json");
  const RequestJson& body = item.at("body");
  std::optional<int64_t> delay = f.integer("delay_seconds", code::kInvalidDelay, 0, limits::kMaxDelaySecs);
  try {
    if (type == "json") return take_json_message(body, delay);
    if (type == "text") {
      if (!body.is_string()) throw bad_request(code::kInvalidBody, "a text message's body must be a string");
      return take_message(ContentType::Text, body.get<std::string>(), delay);
    }
    if (type == "bytes" || type == "v8") {
      // v8 (a flareq extension, what a Worker's binding sends by default): the structured-clone
      // bytes, base64, delivered to a Worker's queue() as the value they encode.
      auto decoded = body.is_string() ? base64_decode(body.get<std::string>()) : std::nullopt;
      if (!decoded) throw bad_request(code::kInvalidBody, "a " + type + " message's body must be a base64 string");
      return take_message(type == "v8" ? ContentType::V8 : ContentType::Bytes, std::move(*decoded), delay);
    }
  } catch (const Error& e) {
    throw Error(e.code(), e.http_status(), prefix + e.what());
  }
  throw bad_request(code::kInvalidMetadata, prefix + "content_type must be \"json\", \"text\", \"bytes\" or \"v8\", got \"" +
                                                type + "\"");
}

}  // namespace

json pulled_message_json(const StoredMessage& m) {
  // Pull and peek bodies: text as the string, everything else base64, as the docs state.
  json body = m.content_type == ContentType::Text ? json(m.body) : json(base64_encode(m.body));
  return {{"id", m.id},
          {"body", body},
          {"attempts", m.attempts},
          {"timestamp_ms", m.enqueued_ms},
          {"metadata", {{"CF-sourceMessageSource", "api"}, {"CF-Content-Type", content_type_name(m.content_type)}}}};
}

namespace {

Reply push_messages(ApiContext& context, RouteRequest& r, bool batch) {
  // The queue is looked up inside the group commit, not before: the hot path.
  const std::string& queue = checked_queue_ref(r.param("queue_ref"));
  RequestJson body = r.body();
  std::vector<OutgoingMessage> messages;
  std::optional<int64_t> delay;
  if (!batch) {
    messages.push_back(read_message(body, ""));
  } else {
    if (!body.contains("messages") || !body.at("messages").is_array())
      throw bad_request(code::kInvalidBody, "messages must be an array");
    const RequestJson& items = body.at("messages");
    limits::check_batch(items.size(), 0);
    messages.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i)
      messages.push_back(read_message(items[i], "messages[" + std::to_string(i) + "]."));
    delay = Fields(body).integer("delay_seconds", code::kInvalidDelay, 0, limits::kMaxDelaySecs);
  }
  check_send(messages, delay);
  SendResult sent = context.sends.send(queue, messages, delay);
  return {200, {{"metadata", {{"metrics", metrics_json(sent.metrics)}}}}, std::nullopt};
}

Reply peek(RouteRequest& r) {
  int64_t n = Fields(r.body()).integer("batch_size", code::kInvalidBody, 1, 1000).value_or(limits::kDefaultPullBatchSize);
  json messages = json::array();
  for (const auto& m : r.store.peek(r.queue->key, n)) {
    json j = pulled_message_json(m);
    j["ref"] = message_handle(m.seq, m.id);
    messages.push_back(std::move(j));
  }
  return {200, {{"messages", messages}, {"metadata", {{"metrics", metrics_json(r.store.metrics(r.queue->key))}}}}, std::nullopt};
}

Reply delete_peeked(RouteRequest& r) {
  RequestJson body = r.body();
  if (!body.contains("refs") || !body.at("refs").is_array())
    throw bad_request(code::kInvalidBody, "refs must be an array of {\"ref\": …}");
  std::vector<std::pair<int64_t, std::string>> refs;
  for (const auto& item : body.at("refs")) {
    auto ref = item.is_object() && item.contains("ref") && item.at("ref").is_string()
                   ? parse_message_handle(item.at("ref").get<std::string>())
                   : std::nullopt;
    if (ref) refs.push_back(*ref);
  }
  return {200, {{"deleted", r.store.delete_messages(r.queue->key, refs)}}, std::nullopt};
}

}  // namespace

void add_message_routes(RouteTable& routes, ApiContext& context) {
  const std::string push = "accounts/{account}/queues/{queue_ref}/messages";
  routes.add("POST", push, [&context](RouteRequest& r) { return push_messages(context, r, false); });
  routes.add("POST", push + "/batch", [&context](RouteRequest& r) { return push_messages(context, r, true); });
  const std::string messages = "accounts/{account}/queues/{queue}/messages";
  routes.add("POST", messages + "/peek", peek);
  routes.add("POST", messages + "/purge", delete_peeked);
}

}  // namespace flareq::api

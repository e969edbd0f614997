// R2 event notifications (docs/semantics.md, "R2 event notifications"): the rules of a bucket
// at production's paths, as wrangler's `r2 bucket notification` commands call them, and
// flareq's own POST /flareq/r2/events, where the Worker host reports a write through the
// Worker's R2 binding and which answers once the notification is committed, and
// PUT|DELETE /flareq/r2/buckets/{bucket}/objects?key=, writes from outside the Worker made
// through it.
#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr int kInvalid = code::kInvalidNotificationRule;

const std::string& checked_bucket(const std::string& bucket) {
  if (auto problem = r2::bucket_name_problem(bucket)) throw bad_request(kInvalid, *problem);
  return bucket;
}

std::vector<std::string> strings(const RequestJson& body, const char* key, const std::string& what) {
  std::vector<std::string> out;
  if (!body.contains(key) || body.at(key).is_null()) return out;
  const RequestJson& list = body.at(key);
  if (!list.is_array()) throw bad_request(kInvalid, what + " must be an array of strings");
  for (const auto& item : list) {
    if (!item.is_string()) throw bad_request(kInvalid, what + " must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// PUT's body: {"rules": [{"prefix", "suffix", "actions": [...], "description"}], "jurisdiction"?}.
std::vector<r2::Rule> read_rules(const RequestJson& body) {
  if (!body.contains("rules") || !body.at("rules").is_array() || body.at("rules").empty())
    throw bad_request(kInvalid, "rules must be a non-empty array of rules");
  std::vector<r2::Rule> rules;
  for (const auto& item : body.at("rules")) {
    if (!item.is_object()) throw bad_request(kInvalid, "each of rules must be an object");
    Fields f(item, "rules[].");
    r2::Rule rule;
    rule.prefix = f.string("prefix", kInvalid).value_or("");
    rule.suffix = f.string("suffix", kInvalid).value_or("");
    rule.description = f.string("description", kInvalid).value_or("");
    rule.actions = strings(item, "actions", "rules[].actions");
    rules.push_back(std::move(rule));
  }
  if (auto problem = r2::jurisdiction_problem(Fields(body).string("jurisdiction", kInvalid).value_or("")))
    throw bad_request(kInvalid, *problem);
  return rules;
}

json rule_json(const r2::Rule& rule) {
  json j = {{"ruleId", rule.id}, {"createdAt", iso8601(rule.created_ms)}, {"prefix", rule.prefix},
            {"suffix", rule.suffix}, {"actions", rule.actions}};
  if (!rule.description.empty()) j["description"] = rule.description;
  return j;
}

// {bucketName, queues: [{queueId, queueName, rules: [...]}]}, a queue once, in the order of its first rule.
json configuration_json(const std::string& bucket, const std::vector<r2::Rule>& rules) {
  json queues = json::array();
  for (const auto& rule : rules) {
    json* entry = nullptr;
    for (auto& q : queues)
      if (q["queueId"] == rule.queue_id) entry = &q;
    if (!entry) {
      queues.push_back({{"queueId", rule.queue_id}, {"queueName", rule.queue}, {"rules", json::array()}});
      entry = &queues.back();
    }
    (*entry)["rules"].push_back(rule_json(rule));
  }
  return {{"bucketName", bucket}, {"queues", queues}};
}

// POST /flareq/r2/events' body: {bucket, action, key, size?, eTag?, copySource?: {bucket, object}}.
r2::Event read_event(const RequestJson& body) {
  Fields f(body);
  r2::Event e;
  e.bucket = checked_bucket(f.string("bucket", code::kInvalidBody).value_or(""));
  e.action = f.string("action", code::kInvalidBody).value_or("");
  if (!r2::is_action(e.action)) throw bad_request(code::kInvalidBody, "\"" + printable(e.action) + "\" is not an R2 action");
  if (!f.has("key")) throw bad_request(code::kInvalidBody, "an event needs the object's key");
  e.key = *f.string("key", code::kInvalidBody);
  e.size = f.integer("size", code::kInvalidBody, 0, INT64_MAX);
  e.etag = f.string("eTag", code::kInvalidBody);
  if (body.contains("copySource") && body.at("copySource").is_object()) {
    Fields source(body.at("copySource"), "copySource.");
    e.copy_source_bucket = source.string("bucket", code::kInvalidBody).value_or("");
    e.copy_source_key = source.string("object", code::kInvalidBody).value_or("");
  }
  return e;
}

}  // namespace

void add_r2_notification_routes(RouteTable& routes, ApiContext& context) {
  const std::string configuration = "accounts/{account}/event_notifications/r2/{bucket}/configuration";
  routes.add("GET", configuration, [](RouteRequest& r) {
    const std::string& bucket = checked_bucket(r.param("bucket"));
    return Reply{200, configuration_json(bucket, r.store.r2_rules(bucket))};
  });
  const std::string of_queue = configuration + "/queues/{queue}";
  routes.add("PUT", of_queue, [](RouteRequest& r) {
    const std::string& bucket = checked_bucket(r.param("bucket"));
    std::vector<r2::Rule> added = r.store.add_r2_rules(bucket, *r.queue, read_rules(r.body()));
    json ids = json::array();
    for (const auto& rule : added) ids.push_back(rule.id);
    return Reply{200, {{"ruleIds", ids}}};
  });
  routes.add("DELETE", of_queue, [](RouteRequest& r) {
    const std::string& bucket = checked_bucket(r.param("bucket"));
    std::vector<std::string> ids = strings(r.body(), "ruleIds", "ruleIds");
    int64_t deleted = r.store.delete_r2_rules(bucket, r.queue->key, ids);
    if (deleted == 0)
      throw not_found(code::kNotFound, ids.empty() ? "bucket " + bucket + " has no event notification rules for queue " + r.queue->name
                                                   : "bucket " + bucket + " has no such rule for queue " + r.queue->name);
    return Reply{200, nullptr};
  });
  // A write from outside the Worker: PUT (the body is the object) or DELETE, the key in ?key=.
  auto object_write = [&context](RouteRequest& r, bool remove) {
    api::R2ObjectWrite write;
    write.bucket = checked_bucket(r.param("bucket"));
    write.key = r.http.get_param_value("key");
    if (write.key.empty()) throw bad_request(code::kInvalidBody, "name the object with ?key=");
    write.remove = remove;
    if (!remove) {
      write.body = r.content;
      write.content_type = r.http.get_header_value("Content-Type");
    }
    if (!context.options.write_r2_object)
      throw not_found(code::kNotFound, "no Worker of this flareq dev binds bucket " + write.bucket);
    Result<json> done = context.options.write_r2_object(write);
    if (!done) throw Error(code::kNotFound, 404, done.why());
    return Reply{200, *done};
  };
  const std::string objects = "flareq/r2/buckets/{bucket}/objects";
  routes.add("PUT", objects, [object_write](RouteRequest& r) { return object_write(r, false); });
  routes.add("DELETE", objects, [object_write](RouteRequest& r) { return object_write(r, true); });
  routes.add("POST", "flareq/r2/events", [&context](RouteRequest& r) {
    r2::Event event = read_event(r.body());
    auto sent = r.store.notify_r2(event, context.account());
    if (!sent) return Reply{200, {{"sent", false}}};
    context.messages_changed();
    if (context.options.log_line)
      context.options.log_line("r2 " + event.bucket + ": " + event.action + " " + printable(event.key) +
                               " -> queue " + sent->rule.queue + " (rule " + sent->rule.id + ", message " +
                               sent->message.id + ")");
    return Reply{200, {{"sent", true}, {"queue", sent->rule.queue}, {"ruleId", sent->rule.id},
                       {"messageId", sent->message.id}, {"body", sent->body}}};
  });
}

}  // namespace flareq::api

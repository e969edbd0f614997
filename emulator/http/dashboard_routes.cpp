// What the dashboard needs and Cloudflare's API lacks (docs/semantics.md, "flareq's
// extensions"): one overview of every queue, and keyset-paged, searchable message listings.
#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/http/api_server.h"
#include "emulator/http/message_handle.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr size_t kPreviewBytes = 160;
constexpr int64_t kMaxPageSize = 200;

// The start of a body for a listing: text cut at a character boundary, binary as its size.
std::string preview(const StoredMessage& m) {
  if (m.content_type == ContentType::Bytes || m.content_type == ContentType::V8)
    return "<" + std::to_string(m.body.size()) + " bytes>";
  std::string text = printable(m.body);
  if (text.size() <= kPreviewBytes) return text;
  size_t cut = kPreviewBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

std::string cursor_text(const MessageCursor& c) { return std::to_string(c.enqueued_ms) + "." + std::to_string(c.seq); }

std::optional<MessageCursor> read_cursor(const std::string& text) {
  auto parsed = parse_message_handle(text);  // "<ms>.<seq>": the same shape as a handle
  if (!parsed || parsed->second.empty() || parsed->second.size() > 18 ||
      parsed->second.find_first_not_of("0123456789") != std::string::npos)
    throw bad_request(code::kInvalidBody, "cursor must be the \"next\" of an earlier page, got '" + printable(text) + "'");
  return MessageCursor{parsed->first, std::stoll(parsed->second)};
}

MessageQuery read_query(const httplib::Request& req) {
  MessageQuery q;
  auto param = [&req](const char* key) { return req.has_param(key) ? req.get_param_value(key) : std::string(); };
  std::string order = param("order");
  if (order == "newest") q.newest_first = true;
  else if (!order.empty() && order != "oldest")
    throw bad_request(code::kInvalidBody, "order must be \"oldest\" or \"newest\", got '" + printable(order) + "'");
  if (std::string state = param("state"); !state.empty()) {
    q.state = parse_message_state(state);
    if (!q.state)
      throw bad_request(code::kInvalidBody, "state must be ready, delayed or leased, got '" + printable(state) + "'");
  }
  q.search = param("search");
  if (std::string cursor = param("cursor"); !cursor.empty()) q.after = read_cursor(cursor);
  if (std::string limit = param("limit"); !limit.empty()) {
    if (limit.size() > 3 || limit.find_first_not_of("0123456789") != std::string::npos || std::stoll(limit) < 1 ||
        std::stoll(limit) > kMaxPageSize)
      throw bad_request(code::kInvalidBody, "limit must be from 1 to " + std::to_string(kMaxPageSize));
    q.limit = std::stoll(limit);
  }
  return q;
}

}  // namespace

json overview_json(Store& store, const ApiContext& context) {
  std::set<std::string> dead_letter_queues;
  std::vector<std::pair<Queue, std::optional<Consumer>>> queues;
  for (const auto& q : store.list_queues()) {
    auto consumer = store.consumer_of(q.key);
    if (consumer && !consumer->settings.dead_letter_queue.empty()) dead_letter_queues.insert(consumer->settings.dead_letter_queue);
    queues.emplace_back(q, std::move(consumer));
  }
  json out = json::array();
  for (const auto& [q, consumer] : queues) {
    Backlog b = store.backlog(q.key);
    json c = nullptr;
    if (consumer) {
      c = consumer_json(*consumer);
      c["delivery"] = context.options.delivery_of ? context.options.delivery_of(q.name) : "";
    }
    out.push_back({{"queue_id", q.id},
                   {"queue_name", q.name},
                   {"settings", {{"delivery_delay", q.settings.delivery_delay},
                                 {"delivery_paused", q.settings.delivery_paused},
                                 {"message_retention_period", q.settings.retention_secs}}},
                   {"backlog", {{"ready", b.ready}, {"delayed", b.delayed}, {"leased", b.leased}, {"count", b.count},
                                {"bytes", b.bytes}, {"oldest_message_timestamp_ms", b.oldest_enqueued_ms.value_or(0)}}},
                   {"counters", counters_json(q.counters)},
                   {"consumer", c},
                   {"is_dead_letter_queue", dead_letter_queues.count(q.name) > 0}});
  }
  return {{"queues", out}, {"clock", clock_json(store.clock())}};
}

void add_dashboard_routes(RouteTable& routes, ApiContext& context) {
  routes.add("GET", "accounts/{account}/flareq/overview",
             [&context](RouteRequest& r) { return Reply{200, overview_json(r.store, context), std::nullopt}; });
  const std::string messages = "accounts/{account}/queues/{queue}/flareq/messages";
  routes.add("GET", messages, [](RouteRequest& r) {
    MessagePage page = r.store.list_messages(r.queue->key, read_query(r.http));
    int64_t now = r.store.clock().now_ms();
    json list = json::array();
    for (const auto& m : page.messages) {
      json j = message_json(m, now);
      j.erase("body");
      j["preview"] = preview(m);
      j["ref"] = message_handle(m.seq, m.id);
      list.push_back(std::move(j));
    }
    return Reply{200,
                 {{"messages", list}, {"next", page.next ? json(cursor_text(*page.next)) : json(nullptr)},
                  {"scanned", page.scanned}},
                 std::nullopt};
  });
  routes.add("GET", messages + "/{ref}", [](RouteRequest& r) {
    auto ref = parse_message_handle(r.param("ref"));
    auto m = ref ? r.store.message_at(r.queue->key, ref->first, ref->second) : std::nullopt;
    if (!m) throw not_found(code::kNotFound, "no message '" + printable(r.param("ref")) + "' in queue '" + r.queue->name + "'");
    json j = message_json(*m, r.store.clock().now_ms());
    j["ref"] = message_handle(m->seq, m->id);
    j["body_base64"] = base64_encode(m->body);
    return Reply{200, j, std::nullopt};
  });
}

}  // namespace flareq::api

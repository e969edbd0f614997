// flareq's own extensions of the API (docs/semantics.md, "flareq's extensions"): replay a dead letter
// queue, and flush a queue's open batch windows.
#include <httplib.h>

#include "emulator/core/error.h"
#include "emulator/http/api_server.h"
#include "emulator/store/dead_letter_replay.h"

namespace flareq::api {

using nlohmann::json;

namespace {

ReplayFilter read_replay_filter(const RequestJson& body, Store& store) {
  Fields f(body);
  ReplayFilter filter;
  filter.to = f.string("to", code::kInvalidBody).value_or("");
  filter.limit = f.integer("limit", code::kInvalidBody, 1, INT64_MAX);
  if (auto secs = f.integer("older_than_secs", code::kInvalidBody, 0, INT64_MAX / 1000)) filter.older_than_ms = *secs * 1000;
  if (f.has("ids")) {
    if (!body.at("ids").is_array()) throw bad_request(code::kInvalidBody, "ids must be an array of message ids");
    for (const auto& id : body.at("ids")) {
      if (!id.is_string()) throw bad_request(code::kInvalidBody, "ids must be an array of message ids");
      filter.ids.push_back(id.get<std::string>());
    }
  }
  if (!filter.to.empty()) store.queue(filter.to);
  return filter;
}

}  // namespace

void add_flareq_routes(RouteTable& routes, ApiContext& context) {
  const std::string queue = "accounts/{account}/queues/{queue}";
  routes.add("POST", queue + "/replay", [&context](RouteRequest& r) {
    RequestJson body = r.body();
    ReplayFilter filter = read_replay_filter(body, r.store);
    bool dry_run = Fields(body).boolean("dry_run", code::kInvalidBody).value_or(false);
    ReplayReport report = replay_dead_letters(r.store, *r.queue, filter, dry_run);
    if (report.moved > 0) context.messages_changed();
    return Reply{200,
                 {{"dry_run", dry_run}, {"moved", report.moved}, {"by_target", report.by_target},
                  {"without_origin", report.without_origin}},
                 std::nullopt};
  });
  routes.add("POST", queue + "/flush", [&context](RouteRequest& r) {
    r.store.request_flush(r.queue->key);
    context.messages_changed();
    return Reply{200, {{"flushed", true}}, std::nullopt};
  });
}

}  // namespace flareq::api

// /accounts/{account}/flareq/time…: the state file's virtual clock, so that a test in any
// language can move time (docs/semantics.md, "Time"). A flareq extension.
#include "emulator/core/duration.h"
#include "emulator/core/error.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

namespace {

// {"by": "10m"} or {"ms": 600000}.
int64_t advance_by(const RequestJson& body) {
  Fields f(body);
  if (auto by = f.string("by", code::kInvalidBody)) {
    auto ms = parse_duration_ms(*by);
    if (!ms) throw bad_request(code::kInvalidBody, "by: " + duration_hint(*by));
    return *ms;
  }
  if (auto ms = f.integer("ms", code::kInvalidBody, 0, *parse_duration_ms("36500d"))) return *ms;
  throw bad_request(code::kInvalidBody, "say how far to move the clock: {\"by\": \"10m\"} or {\"ms\": 600000}");
}

json change_reply(Store& store, const ClockChange& change) {
  json out = clock_change_json(change);
  out["clock"] = clock_json(store.clock());
  return out;
}

}  // namespace

void add_time_routes(RouteTable& routes, ApiContext& context) {
  const std::string time = "accounts/{account}/flareq/time";
  routes.add("GET", time, [](RouteRequest& r) {
    r.store.sync_clock();
    return Reply{200, clock_json(r.store.clock()), std::nullopt};
  });
  routes.add("POST", time + "/advance", [&context](RouteRequest& r) {
    ClockChange change = r.store.advance_clock(advance_by(r.body()));
    context.messages_changed();
    return Reply{200, change_reply(r.store, change), std::nullopt};
  });
  routes.add("POST", time + "/reset", [&context](RouteRequest& r) {
    ClockChange change = r.store.reset_clock();
    context.messages_changed();
    return Reply{200, change_reply(r.store, change), std::nullopt};
  });
}

}  // namespace flareq::api

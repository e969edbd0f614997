// /accounts/{account}/flareq/faults: injected faults, read, set per queue and cleared
// (docs/semantics.md, "Faults"). A flareq extension.
#include "emulator/core/duration.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

namespace {

// {queue?, fail?, latency?: "200ms..2s", crash_handler?, push_errors?, seed?}
FaultSettings read_fault_settings(const RequestJson& body) {
  Fields f(body);
  const int bad = code::kInvalidConsumerSettings;
  FaultSettings s;
  s.fail = f.number("fail", bad, 0, 1).value_or(0);
  s.crash = f.number("crash_handler", bad, 0, 1).value_or(0);
  s.push_errors = f.number("push_errors", bad, 0, 1).value_or(0);
  if (auto latency = f.string("latency", bad)) {
    auto range = parse_duration_range_ms(*latency);
    if (!range) throw bad_request(bad, "latency: " + duration_range_hint(*latency));
    s.latency_min_ms = range->first;
    s.latency_max_ms = range->second;
  }
  auto seed = f.integer("seed", bad, 0, INT64_MAX);
  s.seed = seed ? static_cast<uint64_t>(*seed) : new_seed();
  if (!s.any()) throw bad_request(bad, "name a fault to inject: fail, latency, crash_handler or push_errors");
  return s;
}

json faults_json(Store& store) {
  json out = json::array();
  for (const auto& f : store.list_faults()) out.push_back(fault_json(f));
  return out;
}

}  // namespace

void add_fault_routes(RouteTable& routes, ApiContext&) {
  const std::string faults = "accounts/{account}/flareq/faults";
  routes.add("GET", faults, [](RouteRequest& r) { return Reply{200, faults_json(r.store), std::nullopt}; });
  routes.add("POST", faults, [](RouteRequest& r) {
    RequestJson body = r.body();
    std::string queue;
    if (auto name = Fields(body).string("queue", code::kInvalidBody)) queue = r.store.queue(checked_queue_ref(*name)).name;
    r.store.set_faults(queue, read_fault_settings(body));
    for (const auto& f : r.store.list_faults())
      if (f.queue == queue) return Reply{200, fault_json(f), std::nullopt};
    throw Error(code::kInternal, 500, "the fault was set but cannot be read back");
  });
  routes.add("DELETE", faults, [](RouteRequest& r) {
    return Reply{200, {{"cleared", r.store.clear_faults()}}, std::nullopt};
  });
}

}  // namespace flareq::api

// What the route files share, and the one function each of them offers: registering its
// routes. Adding a route means adding it to the file whose paths it belongs with.
#pragma once
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "emulator/http/api_objects.h"
#include "emulator/http/route_table.h"
#include "emulator/store/group_commit.h"
#include "emulator/store/store_pool.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace flareq::api {

struct ServerOptions;

// The server's state that routes use.
struct ApiContext {
  StorePool& stores;
  GroupCommit& sends;
  const ServerOptions& options;
  std::mutex purge_mutex;
  std::map<std::string, int64_t> last_purge_ms;  // queue id → when it was last purged

  nlohmann::json queue_object(Store& store, const Queue& queue) const;
  // The account id in notifications and account objects: --account-id, else "local".
  std::string account() const;
  void messages_changed() const;  // wakes the dispatcher after messages were added
};

// A message as pull and peek return it (docs/semantics.md, "HTTP pull consumers").
nlohmann::json pulled_message_json(const StoredMessage& message);

void add_account_routes(RouteTable& routes, ApiContext& context);   // account_routes.cpp
void add_queue_routes(RouteTable& routes, ApiContext& context);     // queue_routes.cpp
void add_consumer_routes(RouteTable& routes, ApiContext& context);  // consumer_routes.cpp
void add_message_routes(RouteTable& routes, ApiContext& context);   // message_routes.cpp
void add_pull_routes(RouteTable& routes, ApiContext& context);      // pull_routes.cpp
void add_flareq_routes(RouteTable& routes, ApiContext& context);    // flareq_routes.cpp
void add_time_routes(RouteTable& routes, ApiContext& context);      // time_routes.cpp
void add_fault_routes(RouteTable& routes, ApiContext& context);     // fault_routes.cpp
void add_dashboard_routes(RouteTable& routes, ApiContext& context); // dashboard_routes.cpp
void add_r2_notification_routes(RouteTable& routes, ApiContext& context);  // r2_notification_routes.cpp
// The Workers runtime's Queue binding protocol (queue_binding.cpp): POST /message, POST /batch
// and GET /metrics, with the queue in X-Flareq-Queue. Answers as workerd expects, not in the envelope.
bool is_queue_binding_request(const httplib::Request& req);
void serve_queue_binding(ApiContext& context, Store& store, const httplib::Request& req, const std::string& content,
                         httplib::Response& res);
// Every queue with its backlog, counters and consumer, and the clock: what the dashboard's
// overview shows, answered by a route and sent by the event stream every second.
nlohmann::json overview_json(Store& store, const ApiContext& context);

}  // namespace flareq::api

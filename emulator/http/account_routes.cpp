// What wrangler asks before it knows the account: /memberships, /accounts and
// /user/tokens/verify, answered with one local account.
#include "emulator/http/api_server.h"

namespace flareq::api {

using nlohmann::json;

void add_account_routes(RouteTable& routes, ApiContext& context) {
  auto account = [&context] {
    return json{{"id", context.account()}, {"name", "flareq local account"}};
  };
  auto one = [](json item) {
    return Reply{200, json::array({item}),
                 json{{"page", 1}, {"per_page", 20}, {"count", 1}, {"total_count", 1}, {"total_pages", 1}}};
  };
  routes.add("GET", "memberships", [=](RouteRequest&) {
    return one({{"id", "local"}, {"account", account()}, {"status", "accepted"}});
  });
  routes.add("GET", "accounts", [=](RouteRequest&) { return one(account()); });
  routes.add("GET", "user/tokens/verify", [](RouteRequest&) {
    return Reply{200, {{"id", "local"}, {"status", "active"}}, std::nullopt};
  });
}

}  // namespace flareq::api

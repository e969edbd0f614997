// The API's route table: patterns with {…} segments, 404 for a path no route has, 405 for a
// path some route has under another method, and the check of a queue named in a path.
#include <gtest/gtest.h>
#include <httplib.h>

#include "emulator/core/error.h"
#include "emulator/http/route_table.h"

using namespace flareq;
using namespace flareq::api;

namespace {

httplib::Request request(const std::string& method, const std::string& path) {
  httplib::Request r;
  r.method = method;
  r.path = path;
  return r;
}

std::vector<std::string_view> segments(const std::vector<std::string>& parts) {
  return {parts.begin(), parts.end()};
}

class RouteTableTest : public ::testing::Test {
 protected:
  RouteTableTest() {
    table.add("GET", "accounts/{account}/queues", [](RouteRequest&) { return Reply{200, "list", std::nullopt}; });
    table.add("POST", "accounts/{account}/queues", [](RouteRequest&) { return Reply{200, "create", std::nullopt}; });
    table.add("POST", "accounts/{account}/queues/{queue}/messages/pull",
              [](RouteRequest&) { return Reply{200, "pull", std::nullopt}; });
  }
  RouteTable table;
};

}  // namespace

TEST_F(RouteTableTest, AMethodAndAPatternFindTheirRouteWithItsParameters) {
  std::vector<std::string> parts = {"client", "v4", "accounts", "acc1", "queues", "jobs", "messages", "pull"};
  RouteTable::Match m = table.find(request("POST", "/x"), segments(parts));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("account"), "acc1");
  EXPECT_EQ(m.params.at("queue"), "jobs");
  std::vector<std::string> list = {"client", "v4", "accounts", "acc1", "queues"};
  const Route* get = table.find(request("GET", "/x"), segments(list)).route;
  const Route* post = table.find(request("POST", "/x"), segments(list)).route;
  ASSERT_NE(get, nullptr);
  ASSERT_NE(post, nullptr);
  EXPECT_NE(get, post) << "one path, one route per method";
}

TEST_F(RouteTableTest, APatternFromTheRootIsOutsideTheApi) {
  table.add("GET", "/metrics", [](RouteRequest&) { return Reply{}; });
  std::vector<std::string> metrics = {"metrics"};
  EXPECT_NE(table.find(request("GET", "/metrics"), segments(metrics)).route, nullptr);
  std::vector<std::string> under_api = {"client", "v4", "metrics"};
  EXPECT_THROW(table.find(request("GET", "/client/v4/metrics"), segments(under_api)), Error);
}

TEST_F(RouteTableTest, AnUnknownPathIs404AndAnotherMethodIs405) {
  std::vector<std::string> unknown = {"client", "v4", "accounts", "acc1", "nothing"};
  try {
    table.find(request("GET", "/client/v4/accounts/acc1/nothing"), segments(unknown));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_STREQ(e.what(), "no route for GET /client/v4/accounts/acc1/nothing: flareq serves Cloudflare's Queues API "
                           "(/accounts/{account}/queues…) and R2 event notification rules "
                           "(/accounts/{account}/event_notifications/r2/…), not the rest of Cloudflare's API");
  }
  std::vector<std::string> queues = {"client", "v4", "accounts", "acc1", "queues"};
  try {
    table.find(request("DELETE", "/client/v4/accounts/acc1/queues"), segments(queues));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.http_status(), 405);
    EXPECT_STREQ(e.what(), "method DELETE is not allowed on /client/v4/accounts/acc1/queues");
  }
}

TEST(RouteTable, AQueueInAPathIsAnIdOrAValidName) {
  EXPECT_EQ(checked_queue_ref("my-queue"), "my-queue");
  EXPECT_EQ(checked_queue_ref("0123456789abcdef0123456789abcdef"), "0123456789abcdef0123456789abcdef");
  try {
    checked_queue_ref("no spaces");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code::kMalformedQueueId);
    EXPECT_STREQ(e.what(), "'no spaces' is neither a queue id nor a queue name");
  }
}

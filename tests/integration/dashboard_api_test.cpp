// What the dashboard adds to the API (docs/semantics.md, "flareq's extensions"): its files,
// the overview, keyset-paged and searched message listings, one message whole, and the event
// stream, including a client that goes away mid-stream.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class DashboardApi : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<DevServer> dev;
  std::unique_ptr<Http> api;

  void SetUp() override {
    dev = std::make_unique<DevServer>(dir / "state.sqlite");
    api = std::make_unique<Http>(dev->port());
    ASSERT_EQ(api->post("queues", {{"queue_name", "q"}}).status, 200);
  }
  void send(int n, const std::string& tag = "hay", int delay = 0) {
    std::string input;
    for (int i = 0; i < n; ++i) input += json{{"n", i}, {"tag", tag}}.dump() + "\n";
    std::vector<std::string> args = {"flareq", "--state", (dir / "state.sqlite").string(), "send", "q", "--ndjson", "-q"};
    if (delay) args.insert(args.end(), {"--delay-secs", std::to_string(delay)});
    ASSERT_EQ(run(args, input).exit_code, 0);
  }
  json page(const std::string& query) {
    HttpReply r = api->get("queues/q/flareq/messages?" + query);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["result"];
  }
};

}  // namespace

TEST_F(DashboardApi, PagesWalkTheQueueByKeysetInBothOrdersAndPastTheEnd) {
  send(120);  // sent in batches of 100: many share one timestamp, which the keyset must keep apart
  std::vector<std::string> oldest;
  std::string cursor;
  std::vector<size_t> sizes;
  do {
    json p = page("limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor));
    sizes.push_back(p["messages"].size());
    for (const auto& m : p["messages"]) oldest.push_back(m["id"]);
    cursor = p["next"].is_null() ? "" : p["next"].get<std::string>();
  } while (!cursor.empty());
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 50, 20}));
  EXPECT_EQ(std::set<std::string>(oldest.begin(), oldest.end()).size(), 120u);
  json newest = page("order=newest&limit=120");
  ASSERT_EQ(newest["messages"].size(), 120u);
  EXPECT_EQ(newest["messages"][0]["id"], oldest.back());
  EXPECT_EQ(newest["messages"][119]["id"], oldest.front());
  // Past the end: an empty page and no next.
  json last = page("limit=50&cursor=99999999999999.999999");
  EXPECT_EQ(last["messages"].size(), 0u);
  EXPECT_TRUE(last["next"].is_null());
}

TEST_F(DashboardApi, StateFiltersAndSearchesInBounds) {
  send(3, "needle");
  send(2, "later", 600);
  EXPECT_EQ(page("state=delayed")["messages"].size(), 2u);
  EXPECT_EQ(page("state=ready")["messages"].size(), 3u);
  json found = page("search=NEEDLE");  // ASCII letters in any case
  EXPECT_EQ(found["messages"].size(), 3u);
  EXPECT_EQ(found["messages"][0]["preview"], "{\"n\":0,\"tag\":\"needle\"}");
  json none = page("search=no%20such%20text");
  EXPECT_EQ(none["messages"].size(), 0u);
  EXPECT_TRUE(none["next"].is_null());
  EXPECT_EQ(none["scanned"], 5);
}

TEST_F(DashboardApi, ASearchWithoutMatchesAnswersAfterItsBudgetAndSaysWhereToGoOn) {
  send(25000);
  json first = page("search=needle");
  EXPECT_EQ(first["messages"].size(), 0u);
  EXPECT_EQ(first["scanned"], 20000);
  ASSERT_TRUE(first["next"].is_string());
  json rest = page("search=needle&cursor=" + first["next"].get<std::string>());
  EXPECT_EQ(rest["scanned"], 5000);
  EXPECT_TRUE(rest["next"].is_null());
}

TEST_F(DashboardApi, BadListingParametersAreRefusedInPlainWords) {
  for (const auto& [query, text] : std::vector<std::pair<std::string, std::string>>{
           {"order=sideways", "order must be \"oldest\" or \"newest\", got 'sideways'"},
           {"state=gone", "state must be ready, delayed or leased, got 'gone'"},
           {"cursor=abc", "cursor must be the \"next\" of an earlier page, got 'abc'"},
           {"limit=0", "limit must be from 1 to 200"},
           {"limit=99999999999999999999", "limit must be from 1 to 200"}}) {
    HttpReply r = api->get("queues/q/flareq/messages?" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.body["errors"][0]["message"], text) << query;
  }
  EXPECT_EQ(api->get("queues/nope/flareq/messages").status, 404);
}

TEST_F(DashboardApi, OneMessageWholeByItsRef) {
  ASSERT_EQ(api->post("queues/q/messages", {{"body", "AQL/"}, {"content_type", "bytes"}}).status, 200);
  json listed = page("")["messages"][0];
  EXPECT_EQ(listed["preview"], "<3 bytes>");
  EXPECT_FALSE(listed.contains("body"));
  HttpReply one = api->get("queues/q/flareq/messages/" + listed["ref"].get<std::string>());
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(one.body["result"]["body_base64"], "AQL/");
  EXPECT_EQ(one.body["result"]["content_type"], "bytes");
  EXPECT_EQ(api->get("queues/q/flareq/messages/1.ffff").status, 404);
}

TEST_F(DashboardApi, TheOverviewHasEveryQueueWithItsBacklogAndConsumer) {
  send(2);
  HttpReply r = api->get("flareq/overview");
  ASSERT_EQ(r.status, 200);
  json q = r.body["result"]["queues"][0];
  EXPECT_EQ(q["queue_name"], "q");
  EXPECT_EQ(q["backlog"]["ready"], 2);
  EXPECT_TRUE(q["consumer"].is_null());
  EXPECT_EQ(r.body["result"]["clock"]["frozen"], false);
}

TEST_F(DashboardApi, TheFilesAreServedWithHeadersThatKeepOtherPagesOut) {
  HttpReply page = api->get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.text.find("<title>flareq</title>"), std::string::npos);
  EXPECT_EQ(page.headers.find("Content-Type")->second, "text/html; charset=utf-8");
  auto csp = page.headers.find("Content-Security-Policy");
  ASSERT_NE(csp, page.headers.end());
  EXPECT_NE(csp->second.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(api->get("/dashboard/app.js").headers.find("Content-Type")->second, "text/javascript; charset=utf-8");
  EXPECT_EQ(api->get("/dashboard/nope.js").status, 404);
  // A foreign Host (DNS rebinding) gets nothing, the page included.
  httplib::Client raw("127.0.0.1", dev->port());
  auto foreign = raw.Get("/", {{"Host", "evil.example"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
}

TEST_F(DashboardApi, WithATokenThePageLoadsButItsDataNeedsTheToken) {
  TempDir other;
  DevServer guarded(other / "state.sqlite", {"--api-token", "s3cret"});
  Http anonymous(guarded.port());
  EXPECT_EQ(anonymous.get("/").status, 200);
  EXPECT_EQ(anonymous.get("flareq/overview").status, 403);
  EXPECT_EQ(anonymous.get("flareq/events").status, 403);
  EXPECT_EQ(Http(guarded.port(), "s3cret").get("flareq/overview").status, 200);
}

TEST_F(DashboardApi, TheEventStreamSendsTheOverviewAndLogLinesAndSurvivesAClientThatLeaves) {
  httplib::Client client("127.0.0.1", dev->port());
  client.set_read_timeout(10, 0);
  std::string received;
  auto r = client.Get("/client/v4/accounts/local/flareq/events", [&](const char* data, size_t size) {
    received.append(data, size);
    return received.find("event: overview") == std::string::npos;  // leave after the first overview
  });
  EXPECT_NE(received.find("event: overview\ndata: {\"clock\":"), std::string::npos) << received;
  // The server noticed nothing wrong: it still answers, and stops promptly.
  EXPECT_EQ(api->get("/healthz").status, 200);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(dev->stop(), 0) << dev->log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(DashboardApi, TheEventStreamCarriesDevsLogLines) {
  TempDir project;
  project.write("wrangler.jsonc", R"({"queues": {"consumers": [{"queue": "work", "max_batch_timeout": 0, "command": "cat > /dev/null"}]}})");
  DevServer worker_dev(project / "state.sqlite", {}, project.path());
  Http http(worker_dev.port());
  ASSERT_EQ(http.post("queues/work/messages", {{"body", 1}}).status, 200);
  ASSERT_TRUE(worker_dev.wait_for_log("QUEUE work 1/10"));
  httplib::Client client("127.0.0.1", worker_dev.port());
  std::string received;
  client.Get("/client/v4/accounts/local/flareq/events", [&](const char* data, size_t size) {
    received.append(data, size);
    return received.find("QUEUE work 1/10") == std::string::npos;
  });
  EXPECT_NE(received.find("event: log\ndata: {\"line\":\"QUEUE work 1/10"), std::string::npos) << received;
}

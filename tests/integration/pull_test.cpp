// HTTP pull consumers (docs/semantics.md, "HTTP pull consumers"): pull, ack, retry, lease expiry, DLQ, pause, isolation
// between queues, and concurrent pullers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class Pull : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path state() const { return dir / "state.sqlite"; }
  std::unique_ptr<DevServer> dev;
  // Moves dev's virtual clock (flareq time advance): leases expire without waiting.
  void advance_time(const std::string& by) {
    ASSERT_EQ(http->post("flareq/time/advance", {{"by", by}}).status, 200);
  }
  std::unique_ptr<Http> http;

  void SetUp() override {
    dev = std::make_unique<DevServer>(state());
    http = std::make_unique<Http>(dev->port());
  }
  void queue_with_pull_consumer(const std::string& name, json settings = json::object(), const std::string& dlq = "") {
    ASSERT_EQ(http->post("queues", {{"queue_name", name}}).status, 200);
    json body = {{"type", "http_pull"}, {"settings", settings}};
    if (!dlq.empty()) body["dead_letter_queue"] = dlq;
    HttpReply r = http->post("queues/" + name + "/consumers", body);
    ASSERT_EQ(r.status, 200) << r.text;
  }
  json pull(const std::string& queue, json body = json::object()) {
    HttpReply r = http->post("queues/" + queue + "/messages/pull", body);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["result"];
  }
  json ack(const std::string& queue, json acks, json retries = json::array()) {
    HttpReply r = http->post("queues/" + queue + "/messages/ack", {{"acks", acks}, {"retries", retries}});
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["result"];
  }
  json info(const std::string& queue) {
    return json::parse(run({"flareq", "--state", state().string(), "queues", "info", queue, "--json"}).out);
  }
};

}  // namespace

TEST_F(Pull, NeedsAnHttpPullConsumer) {
  http->post("queues", {{"queue_name", "q"}});
  HttpReply r = http->post("queues/q/messages/pull", json::object());
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body["errors"][0]["message"].get<std::string>().find("has no HTTP pull consumer"), std::string::npos);
  http->post("queues/q/consumers", {{"script_name", "w"}});
  r = http->post("queues/q/messages/pull", json::object());
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body["errors"][0]["message"].get<std::string>().find("its consumer is a worker"), std::string::npos);
  EXPECT_EQ(http->post("queues/q/consumers", {{"type", "http_pull"}}).body["errors"][0]["code"], 11004);
}

TEST_F(Pull, PullLeasesAndAnswersAtOnce) {
  queue_with_pull_consumer("q");
  json empty = pull("q");
  EXPECT_EQ(empty["messages"], json::array());
  EXPECT_EQ(empty["message_backlog_count"], 0);

  http->post("queues/q/messages/batch",
             {{"messages", {{{"body", "hello"}, {"content_type", "text"}}, {{"body", {{"k", 1}}}}, {{"body", 3}}}}});
  json result = pull("q", {{"batch_size", 2}, {"visibility_timeout_ms", 60000}});
  json messages = result["messages"];
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["body"], "hello");
  EXPECT_EQ(messages[0]["metadata"]["CF-Content-Type"], "text");
  EXPECT_EQ(messages[1]["body"], "eyJrIjoxfQ==");
  EXPECT_EQ(messages[1]["metadata"]["CF-Content-Type"], "json");
  EXPECT_EQ(messages[0]["attempts"], 1);
  EXPECT_EQ(messages[0]["id"].get<std::string>().size(), 32u);
  EXPECT_GT(messages[0]["lease_id"].get<std::string>().size(), 40u);
  EXPECT_EQ(result["message_backlog_count"], 3);
  EXPECT_TRUE(result["metadata"]["metrics"].contains("backlog_count"));
  // The default batch size is the consumer's (5); leased messages are not pulled again.
  EXPECT_EQ(pull("q")["messages"].size(), 1u);
  EXPECT_EQ(pull("q")["messages"].size(), 0u);
  EXPECT_EQ(info("q")["backlog"]["leased"], 3);
}

TEST_F(Pull, AckAndRetry) {
  queue_with_pull_consumer("q");
  http->post("queues/q/messages/batch", {{"messages", {{{"body", 1}}, {{"body", 2}}}}});
  json messages = pull("q")["messages"];
  ASSERT_EQ(messages.size(), 2u);
  json result = ack("q", {{{"lease_id", messages[0]["lease_id"]}}},
                    {{{"lease_id", messages[1]["lease_id"]}, {"delay_seconds", 600}}});
  EXPECT_EQ(result["ackCount"], 1);
  EXPECT_EQ(result["retryCount"], 1);
  EXPECT_EQ(result["warnings"], json::array());
  json i = info("q");
  EXPECT_EQ(i["backlog"]["count"], 1);
  EXPECT_EQ(i["backlog"]["delayed"], 1);
  EXPECT_EQ(i["counters"]["acked"], 1);
  EXPECT_EQ(i["counters"]["retried"], 1);
}

TEST_F(Pull, BadLeaseIdsAreWarnings) {
  queue_with_pull_consumer("q");
  http->post("queues/q/messages", {{"body", 1}});
  json m = pull("q")["messages"][0];
  json result = ack("q", {{{"lease_id", "garbage"}}, {{"lease_id", "1.0000"}}, {{"nope", 1}}});
  EXPECT_EQ(result["ackCount"], 0);
  EXPECT_EQ(result["warnings"].size(), 3u);
  EXPECT_EQ(info("q")["backlog"]["count"], 1);
  EXPECT_EQ(ack("q", {{{"lease_id", m["lease_id"]}}})["ackCount"], 1);
  // Acking twice: the second matches nothing.
  EXPECT_EQ(ack("q", {{{"lease_id", m["lease_id"]}}})["ackCount"], 0);
}

TEST_F(Pull, ALeaseIdFromAnotherQueueDoesNothing) {
  queue_with_pull_consumer("a");
  queue_with_pull_consumer("b");
  http->post("queues/a/messages", {{"body", 1}});
  json m = pull("a")["messages"][0];
  json result = ack("b", {{{"lease_id", m["lease_id"]}}});
  EXPECT_EQ(result["ackCount"], 0);
  EXPECT_EQ(result["warnings"].size(), 1u);
  EXPECT_EQ(info("a")["backlog"]["count"], 1);
}

TEST_F(Pull, ExpiredLeasesComeBackAndCountAsAttemptsThenDeadLetter) {
  queue_with_pull_consumer("q", {{"max_retries", 1}}, "q-dlq");
  http->post("queues/q/messages", {{"body", {{"keep", true}}}});
  json first = pull("q", {{"visibility_timeout_ms", 1}})["messages"][0];
  advance_time("1s");  // past the 1 ms visibility timeout, on the state file's clock
  json second = pull("q", {{"visibility_timeout_ms", 1}})["messages"][0];
  EXPECT_EQ(second["id"], first["id"]);
  EXPECT_EQ(second["attempts"], 2);
  // A late ack of the first lease is not accepted once the message was leased again...
  EXPECT_EQ(ack("q", {{{"lease_id", first["lease_id"]}}})["ackCount"], 0);
  advance_time("1s");  // past the 1 ms visibility timeout, on the state file's clock
  // ...and after its last allowed delivery ran out, the next pull moves it to the DLQ.
  EXPECT_EQ(pull("q")["messages"].size(), 0u);
  json dlq = json::parse(run({"flareq", "--state", state().string(), "messages", "list", "q-dlq", "--json"}).out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0]["id"], first["id"]);
  EXPECT_EQ(info("q")["counters"]["dead_lettered"], 1);
}

TEST_F(Pull, LateAcksAreAccepted) {
  queue_with_pull_consumer("q");
  http->post("queues/q/messages", {{"body", 1}});
  json m = pull("q", {{"visibility_timeout_ms", 1}})["messages"][0];
  advance_time("1s");  // past the 1 ms visibility timeout, on the state file's clock
  EXPECT_EQ(ack("q", {{{"lease_id", m["lease_id"]}}})["ackCount"], 1);
  EXPECT_EQ(info("q")["backlog"]["count"], 0);
}

TEST_F(Pull, PausedQueueAnswers409) {
  queue_with_pull_consumer("q");
  http->patch("queues/q", {{"settings", {{"delivery_paused", true}}}});
  HttpReply r = http->post("queues/q/messages/pull", json::object());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["errors"][0]["code"], 10252);
  EXPECT_NE(r.body["errors"][0]["message"].get<std::string>().find("queue_delivery_paused"), std::string::npos);
}

TEST_F(Pull, LimitsAreChecked) {
  queue_with_pull_consumer("q");
  EXPECT_EQ(http->post("queues/q/messages/pull", {{"batch_size", 101}}).status, 400);
  EXPECT_EQ(http->post("queues/q/messages/pull", {{"visibility_timeout_ms", 43200001}}).status, 400);
}

TEST_F(Pull, TwoConcurrentPullersGetEachMessageOnce) {
  queue_with_pull_consumer("q", {{"batch_size", 10}});
  for (int batch = 0; batch < 10; ++batch) {
    json messages = json::array();
    for (int i = 0; i < 100; ++i) messages.push_back({{"body", batch * 100 + i}});
    ASSERT_EQ(http->post("queues/q/messages/batch", {{"messages", messages}}).status, 200);
  }
  std::mutex mutex;
  std::multiset<std::string> seen;
  auto puller = [&] {
    Http client(dev->port());
    int empty = 0;
    while (empty < 3) {
      HttpReply r = client.post("queues/q/messages/pull", {{"batch_size", 7}, {"visibility_timeout_ms", 600000}});
      json messages = r.body["result"]["messages"];
      if (messages.empty()) {
        ++empty;
        continue;
      }
      json acks = json::array();
      {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& m : messages) {
          seen.insert(m["id"].get<std::string>());
          acks.push_back({{"lease_id", m["lease_id"]}});
        }
      }
      client.post("queues/q/messages/ack", {{"acks", acks}});
    }
  };
  std::thread a(puller), b(puller);
  a.join();
  b.join();
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1000u);
  json i = info("q");
  EXPECT_EQ(i["backlog"]["count"], 0);
  EXPECT_EQ(i["counters"]["acked"], 1000);
}

TEST(PullDev, HttpPullFlagDeclaresAConsumer) {
  TempDir dir;
  DevServer dev(dir / "state.sqlite", {"--http-pull", "jobs"});
  Http http(dev.port());
  json c = http.get("queues/jobs/consumers").body["result"][0];
  EXPECT_EQ(c["type"], "http_pull");
  EXPECT_EQ(c["settings"]["batch_size"], 5);
  EXPECT_EQ(c["settings"]["visibility_timeout_ms"], 30000);
  EXPECT_TRUE(dev.wait_for_log("http_pull consumer"));
}

// Injected faults end to end (docs/semantics.md, "Faults"): consumer faults at the handler
// boundary of a running `dev`, push errors on the API, their counters, and their determinism.
#include "delivery_fixture.h"
#include "emulator/core/faults.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class Faults : public Delivery {
 protected:
  void set_faults(std::vector<std::string> args) {
    args.insert(args.begin(), {"faults", "set"});
    Result r = flareq(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  json faults() {
    Result r = flareq({"faults", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
};

}  // namespace

TEST_F(Faults, FailOneFailsEveryDeliveryWithoutRunningTheHandlerAndCountsItAsInjected) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 1, \"dead_letter_queue\": \"q-dlq\"");
  auto d = dev();
  set_faults({"q", "--fail", "1.0", "--seed", "3"});
  send("q", {json{{"n", 1}}});
  ASSERT_TRUE(eventually([&] { return info("q-dlq")["backlog"]["count"] == 1; })) << d->log();
  EXPECT_TRUE(batches().empty()) << "the handler ran";
  json c = info("q")["counters"];
  EXPECT_EQ(c["delivered"], 2);
  EXPECT_EQ(c["injected_failures"], 2);
  EXPECT_EQ(c["dead_lettered"], 1);
  json f = faults();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]["injected"]["deliveries_drawn"], 2);
  EXPECT_EQ(f[0]["injected"]["failed"], 2);
  EXPECT_NE(d->log().find("[fault] q: batch of 1 fails as if the handler threw"), std::string::npos) << d->log();
  EXPECT_NE(d->log().find("handler failed: [fault] failed as if the handler threw (injected)"), std::string::npos);
  Http api(d->port());
  EXPECT_NE(api.get("/metrics").text.find("flareq_queue_injected_failures_total{queue=\"q\"} 2"), std::string::npos);
  // Cleared, the next delivery reaches the handler.
  ASSERT_EQ(flareq({"faults", "clear"}).exit_code, 0);
  send("q", {json{{"n", 2}}});
  ASSERT_TRUE(drained("q")) << d->log();
  EXPECT_EQ(batches().size(), 1u);
}

TEST_F(Faults, PushErrorsRefuseWithARetryableStatusAndStoreNothing) {
  config("");
  auto d = dev();
  set_faults({"--push-errors", "1.0"});
  Http api(d->port());
  HttpReply r = api.post("queues/q/messages", {{"body", {{"n", 1}}}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body["success"], false);
  EXPECT_EQ(r.body["errors"][0]["code"], 10250);
  EXPECT_EQ(r.body["errors"][0]["message"], "Queue is overloaded. Please back off. (a fault injected by flareq)");
  EXPECT_EQ(r.headers.count("x-should-retry"), 0u) << "the SDK must retry it";
  EXPECT_EQ(r.headers.count("Retry-After"), 1u);
  HttpReply batch = api.post("queues/q/messages/batch", {{"messages", {{{"body", 1}}, {{"body", 2}}}}});
  EXPECT_EQ(batch.status, 429);
  json i = info("q");
  EXPECT_EQ(i["backlog"]["count"], 0);
  EXPECT_EQ(i["counters"]["received"], 0);
  EXPECT_EQ(i["counters"]["injected_push_errors"], 2);
  EXPECT_EQ(faults()[0]["injected"]["pushes_refused"], 2);
  // `flareq send` is not a push over the network: it still stores.
  send("q", {json{{"n", 3}}});
  EXPECT_EQ(info("q")["counters"]["received"], 1);
}

TEST_F(Faults, TheSameSeedGivesTheSameSequenceOfFaults) {
  // One message a batch, one batch at a time, no retries: delivery i is message i, and the
  // handler sees exactly the messages whose draw did not fail.
  config("\"max_batch_size\": 1, \"max_batch_timeout\": 0, \"max_concurrency\": 1, \"max_retries\": 0");
  flareq::FaultSettings settings;
  settings.fail = 0.5;
  settings.seed = 42;
  std::vector<json> expected_seen;
  std::vector<json> bodies;
  for (int n = 0; n < 20; ++n) {
    bodies.push_back(json{{"n", n}});
    if (!flareq::draw_delivery_fault(settings, static_cast<uint64_t>(n)).fail) expected_seen.push_back(json{{"n", n}});
  }
  ASSERT_GT(expected_seen.size(), 0u);
  ASSERT_LT(expected_seen.size(), 20u);
  for (int run = 0; run < 2; ++run) {
    std::remove(record().c_str());
    Result reset = flareq({"queues", "purge", "q", "--force"});
    auto d = dev();
    set_faults({"q", "--fail", "0.5", "--seed", "42"});
    send("q", bodies);
    ASSERT_TRUE(drained("q")) << d->log();
    std::vector<json> seen;
    for (const auto& b : batches()) seen.push_back(b["bodies"][0]);
    EXPECT_EQ(seen, expected_seen) << "run " << run;
    EXPECT_EQ(faults()[0]["injected"]["failed"], 20 - static_cast<int>(expected_seen.size()));
  }
}

TEST_F(Faults, ACrashedHandlerIsKilledMidBatchAndItsBatchIsRetried) {
  for (bool persistent : {false, true}) {
    // The retry waits a minute of virtual time, so the test decides when it comes.
    config("\"max_batch_timeout\": 0, \"retry_delay\": 60", persistent);
    auto d = dev({"--reset"});
    set_faults({"q", "--crash-handler", "1.0", "--seed", "1"});
    send("q", {json{{"n", 1}}});
    ASSERT_TRUE(eventually([&] { return info("q")["backlog"]["delayed"] == 1; })) << d->log();
    json c = info("q")["counters"];
    EXPECT_EQ(c["injected_crashes"], 1);
    EXPECT_EQ(c["retried"], 1);
    EXPECT_NE(d->log().find("handed over, then the handler process is killed"), std::string::npos) << d->log();
    EXPECT_NE(d->log().find("handler failed: [fault] handler process killed mid-batch (injected)"), std::string::npos);
    ASSERT_EQ(flareq({"faults", "clear"}).exit_code, 0);
    ASSERT_EQ(flareq({"time", "advance", "1m"}).exit_code, 0);
    ASSERT_TRUE(drained("q")) << d->log();
    EXPECT_EQ(info("q")["counters"]["acked"], 1);
    EXPECT_EQ(batches().back()["attempts"][0], 2);
    std::remove(record().c_str());
  }
}

TEST_F(Faults, LatencyHoldsBatchesBackAndIsCounted) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  set_faults({"q", "--latency", "20ms..40ms", "--seed", "5"});
  send("q", {json{{"n", 1}}});
  ASSERT_TRUE(drained("q")) << d->log();
  EXPECT_EQ(info("q")["counters"]["injected_latency"], 1);
  EXPECT_NE(d->log().find("[fault] q: batch of 1 held back "), std::string::npos) << d->log();
}

TEST_F(Faults, TheConfigCanInjectFaultsForAFixedTestSetup) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0, \"faults\": {\"fail\": 1, \"seed\": 9}");
  auto d = dev();
  EXPECT_TRUE(d->wait_for_log("Injecting into queue 'q' (the config's \"faults\"): fail 1 · seed 9")) << d->log();
  send("q", {json{{"n", 1}}});
  ASSERT_TRUE(eventually([&] { return info("q")["counters"]["injected_failures"] == 1; })) << d->log();
}

TEST_F(Faults, TheApiSetsListsAndClearsFaults) {
  config("");
  auto d = dev();
  Http api(d->port());
  HttpReply set = api.post("flareq/faults", {{"queue", "q"}, {"fail", 0.25}, {"latency", "1s..2s"}, {"seed", 11}});
  ASSERT_EQ(set.status, 200) << set.text;
  EXPECT_EQ(set.body["result"]["latency_min_ms"], 1000);
  EXPECT_EQ(set.body["result"]["latency_max_ms"], 2000);
  EXPECT_EQ(api.get("flareq/faults").body["result"].size(), 1u);
  EXPECT_NE(flareq({"faults"}).out.find("fail 0.25 · latency 1s..2s · seed 11"), std::string::npos);
  HttpReply bad = api.post("flareq/faults", {{"queue", "q"}, {"fail", 2}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["errors"][0]["message"].get<std::string>().find("fail must be a number from 0 to 1"), std::string::npos);
  HttpReply no_queue = api.post("flareq/faults", {{"fail", 0.5}});
  EXPECT_EQ(no_queue.status, 400);
  HttpReply unknown = api.post("flareq/faults", {{"queue", "nope"}, {"fail", 0.5}});
  EXPECT_EQ(unknown.status, 404);
  HttpReply cleared = api.del("flareq/faults");
  EXPECT_EQ(cleared.body["result"]["cleared"], 1);
  EXPECT_EQ(flareq({"faults"}).out, "No faults are injected\n");
}

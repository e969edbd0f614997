// The virtual clock end to end (docs/semantics.md, "Time"): `flareq time advance` makes retries,
// delays, windows and retention happen without waiting for them, for a running `dev` and for
// every other process on the state file.
#include <chrono>

#include "delivery_fixture.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class Time : public Delivery {
 protected:
  json advance(const std::string& by) {
    Result r = flareq({"time", "advance", by, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  json clock() {
    Result r = flareq({"time", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  bool backlog_is(const std::string& queue, const std::string& state, int n) {
    return eventually([&] { return info(queue)["backlog"][state] == n; });
  }
};

}  // namespace

TEST_F(Time, ARetryAnHourAwayEndsInTheDeadLetterQueueAfterThreeAdvancesWithoutWaiting) {
  config("\"max_batch_timeout\": 0, \"retry_delay\": 3600, \"max_retries\": 3, \"dead_letter_queue\": \"q-dlq\"");
  auto d = dev();
  auto started = std::chrono::steady_clock::now();
  send("q", {json{{"batch", "throw"}}});
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(eventually([&] { return batches().size() == static_cast<size_t>(attempt); })) << d->log();
    ASSERT_TRUE(backlog_is("q", "delayed", 1)) << d->log();  // retried, an hour away
    json change = advance("1h");
    EXPECT_EQ(change["queues"][0]["queue"], "q");
    EXPECT_EQ(change["queues"][0]["due"], 1);
  }
  ASSERT_TRUE(eventually([&] { return info("q-dlq")["backlog"]["count"] == 1; })) << d->log();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(batches().size(), 4u);
  EXPECT_EQ(batches().back()["attempts"][0], 4);
  EXPECT_EQ(info("q")["counters"]["dead_lettered"], 1);
  EXPECT_LT(seconds, 60) << "three hours of retry delays must not be waited for";
  std::cout << "  [three 1h retries into the DLQ took " << seconds << " s of real time]\n";
}

TEST_F(Time, AMessageDelayedADayIsDeliveredAfterADayAndNotBefore) {
  config("\"max_batch_timeout\": 0", false, /*probe=*/true);
  auto d = dev();
  send("q", {json{{"n", 1}}}, {"--delay-secs", "86400"});
  EXPECT_EQ(advance("23h59m")["queues"].size(), 0u);
  scheduler_has_looked();
  for (const auto& b : batches()) EXPECT_NE(b["queue"], "q") << "delivered a minute early";
  json change = advance("1m");
  EXPECT_EQ(change["queues"][0]["due"], 1);
  ASSERT_TRUE(drained("q")) << d->log();
  EXPECT_EQ(info("q")["counters"]["acked"], 1);
}

TEST_F(Time, RetentionRemovesAMessageAfterFiveDays) {
  Result created = flareq({"queues", "create", "kept"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  send("kept", {json{{"n", 1}}});
  json change = advance("3d");
  EXPECT_EQ(info("kept")["backlog"]["count"], 1);
  change = advance("2d");
  ASSERT_EQ(change["queues"].size(), 1u);
  EXPECT_EQ(change["queues"][0]["expired"], 1);
  EXPECT_EQ(info("kept")["backlog"]["count"], 0);
  EXPECT_EQ(info("kept")["counters"]["expired"], 1);
}

TEST_F(Time, EveryProcessOnTheStateFileAgreesOnTheTime) {
  config("\"max_batch_timeout\": 0");
  auto first = dev();
  auto second = dev();
  Http api1(first->port()), api2(second->port());
  advance("2h");  // a third process: the CLI
  int64_t cli_now = clock()["now_ms"];
  for (Http* api : {&api1, &api2}) {
    ASSERT_TRUE(eventually([&] { return api->get("flareq/time").body["result"]["offset_ms"].get<int64_t>() >= 7200000; }));
    int64_t dev_now = api->get("flareq/time").body["result"]["now_ms"];
    EXPECT_GE(dev_now, cli_now);
    EXPECT_LT(dev_now - cli_now, 60000);
  }
  // And the other way: the API moves it for the CLI.
  HttpReply moved = api1.post("flareq/time/advance", {{"by", "1h"}});
  ASSERT_EQ(moved.status, 200) << moved.text;
  int64_t offset = clock()["offset_ms"];
  EXPECT_GE(offset, 3 * 3600000);
  EXPECT_LT(offset, 3 * 3600000 + 60000);
  ASSERT_TRUE(eventually([&] { return api2.get("flareq/time").body["result"]["offset_ms"].get<int64_t>() >= 3 * 3600000; }));
  // Messages are stamped with the virtual time, whichever process takes them.
  HttpReply pushed = api2.post("queues/q/messages", {{"body", {{"n", 1}}}});
  ASSERT_EQ(pushed.status, 200) << pushed.text;
  ASSERT_TRUE(eventually([&] { return batches().size() == 1; }));
  int64_t stamped = batches()[0]["timestamps"][0];
  EXPECT_GE(stamped, cli_now + 3600000);
  EXPECT_LT(stamped, cli_now + 3600000 + 60000);
}

TEST_F(Time, AVirtualClockStandsStillUntilAdvanced) {
  config("\"max_batch_timeout\": 30", false, /*probe=*/true);
  auto d = dev({"--virtual-clock"});
  EXPECT_TRUE(d->wait_for_log("Virtual time: ")) << d->log();
  EXPECT_NE(flareq({"time"}).out.find("standing still"), std::string::npos);
  int64_t before = clock()["now_ms"];
  send("q", {json{{"n", 1}}});
  scheduler_has_looked();
  EXPECT_EQ(clock()["now_ms"], before);
  for (const auto& b : batches()) EXPECT_NE(b["queue"], "q") << "the 30 s window closed while time stood still";
  advance("30s");
  ASSERT_TRUE(drained("q")) << d->log();
  EXPECT_EQ(clock()["now_ms"], before + 30000);
}

// `flareq wait` under a virtual clock: what only an advance can bring ends the wait after a
// second, with how far to advance, not at its timeout; after the advance it drains.
TEST_F(Time, AWaitForWhatOnlyAnAdvanceCanBringSaysHowFarToAdvance) {
  config("\"max_batch_timeout\": 0", false, /*probe=*/true);
  auto d = dev({"--virtual-clock"});
  send("q", {json{{"n", 1}}}, {"--delay-secs", "600"});
  Result r = flareq({"wait", "q", "--timeout", "120"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the messages left are delayed and the clock is virtual, so only `flareq time advance` brings "
                       "them (q: 0 ready, 1 delayed, 0 leased); the first is due in 600s"),
            std::string::npos)
      << r.err;
  advance("10m");
  r = flareq({"wait", "q", "--timeout", "60"});
  EXPECT_EQ(r.exit_code, 0) << r.err << d->log();
}

// `flareq wait --advance-time` moves the virtual clock itself, to each next message due, and
// no further than the last.
TEST_F(Time, AWaitWithAdvanceTimeMovesTheClockToEachMessageDue) {
  config("\"max_batch_timeout\": 0", false, /*probe=*/true);
  auto d = dev({"--virtual-clock"});
  int64_t before = clock()["now_ms"];
  send("q", {json{{"n", 1}}}, {"--delay-secs", "600"});
  send("q", {json{{"n", 2}}}, {"--delay-secs", "1200"});
  Result r = flareq({"wait", "q", "--advance-time", "--timeout", "60"});
  EXPECT_EQ(r.exit_code, 0) << r.err << d->log();
  EXPECT_EQ(batches().size(), 2u) << d->log();
  int64_t moved = clock()["now_ms"].get<int64_t>() - before;
  EXPECT_GE(moved, 1200000);
  EXPECT_LT(moved, 1200000 + 1000);
}

TEST_F(Time, ResetGoesBackToRealTimeWithoutMovingAnyMessageBackwards) {
  Result created = flareq({"queues", "create", "kept"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  advance("1h");
  send("kept", {json{{"n", "due"}}});
  send("kept", {json{{"n", "waits"}}}, {"--delay-secs", "7200"});
  Result reset = flareq({"time", "reset"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_NE(reset.out.find("(real time)"), std::string::npos) << reset.out;
  EXPECT_LT(std::abs(clock()["offset_ms"].get<int64_t>()), 60000);
  json backlog = info("kept")["backlog"];
  EXPECT_EQ(backlog["ready"], 1);    // stamped an hour ahead, still due
  EXPECT_EQ(backlog["delayed"], 1);  // still two hours to go, not three
  EXPECT_EQ(advance("1h59m")["queues"].size(), 0u);
  EXPECT_EQ(advance("1m")["queues"][0]["due"], 1);
}

TEST_F(Time, BadDurationsAreRefusedInPlainWords) {
  Result r = flareq({"time", "advance", "soon"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'soon' is not a duration like 200ms, 90s, 30m, 1h, 2d or 1h30m"), std::string::npos) << r.err;
  r = flareq({"time", "advance", "-5m"});
  EXPECT_NE(r.exit_code, 0);
  config("");
  auto d = dev();
  HttpReply bad = Http(d->port()).post("flareq/time/advance", {{"by", "yesterday"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["success"], false);
  HttpReply none = Http(d->port()).post("flareq/time/advance", json::object());
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body["errors"][0]["message"].get<std::string>().find("{\"by\": \"10m\"}"), std::string::npos);
}

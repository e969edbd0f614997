// Delivery end to end (docs/semantics.md, "Batching" and "The consumer's verdict"): `flareq dev` with real handler processes. Tests
// wait for what they expect with generous deadlines; none depends on how fast the machine is.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "delivery_fixture.h"

using namespace flareq::testing;
using nlohmann::json;

TEST_F(Delivery, BatchesOf5And5And1FromSendsOf6Then5) {
  config("\"max_batch_size\": 5, \"max_batch_timeout\": 3");
  auto d = dev();
  send("q", std::vector<json>(6, json{{"n", 1}}));
  send("q", std::vector<json>(5, json{{"n", 2}}));
  ASSERT_TRUE(eventually([&] { return batches().size() == 3; })) << d->log();
  EXPECT_EQ(sizes(batches()), (std::vector<int64_t>{5, 5, 1}));
  EXPECT_TRUE(drained("q"));
  EXPECT_NE(d->log().find("QUEUE q 5/5 ("), std::string::npos) << d->log();
  EXPECT_NE(d->log().find("QUEUE q 1/5 ("), std::string::npos);
}

TEST_F(Delivery, ImplicitAckAndHandlerOutputInTheLog) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  send("q", {json{{"n", 1}}, json{{"n", 2}}, json{{"n", 3}}});
  ASSERT_TRUE(drained("q")) << d->log();
  json c = info("q")["counters"];
  EXPECT_EQ(c["acked"], 3);
  EXPECT_EQ(c["retried"], 0);
  EXPECT_TRUE(d->wait_for_log("[q] handler started"));
  EXPECT_TRUE(d->wait_for_log("[q] a line on stderr"));
  EXPECT_EQ(batches()[0]["queue"], "q");
  EXPECT_EQ(batches()[0]["env_queue"], "q");
}

TEST_F(Delivery, RetryOneAndAckAll) {
  config("\"max_batch_timeout\": 0, \"max_batch_size\": 3");
  auto d = dev({"--shutdown-grace", "0"});
  send("q", {json{{"do", "retry"}}, json{{"batch", "ackAll"}}, json{{"n", 3}}});
  ASSERT_TRUE(eventually([&] { return batches().size() >= 2; })) << d->log();
  std::vector<json> b = batches();
  EXPECT_EQ(b[0]["ids"].size(), 3u);
  // The retried message alone comes back, on its second attempt.
  EXPECT_EQ(b[1]["ids"], json::array({b[0]["ids"][0]}));
  EXPECT_EQ(b[1]["attempts"], json::array({2}));
  EXPECT_EQ(info("q")["counters"]["acked"], 2);
}

TEST_F(Delivery, AckThenThrowKeepsTheAck) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 1");
  auto d = dev();
  send("q", {json{{"do", "ack"}}, json{{"batch", "throw"}}});
  ASSERT_TRUE(drained("q")) << d->log();
  std::vector<json> b = batches();
  ASSERT_EQ(b.size(), 2u) << d->log();
  EXPECT_EQ(b[1]["ids"], json::array({b[0]["ids"][1]}));  // the acked one is not redelivered
  json c = info("q")["counters"];
  EXPECT_EQ(c["acked"], 1);
  EXPECT_EQ(c["dead_lettered"], 1);  // the thrower ran out of retries (no DLQ: deleted)
  EXPECT_TRUE(d->wait_for_log("handler failed: exit status 1"));
  EXPECT_TRUE(d->wait_for_log("deleted after 2 attempts (no dead letter queue)"));
}

// A handler that dies of an uncaught exception: the last line of its stderr (the traceback's
// last) says why, in the log, in the message's last error and in `messages list`.
TEST_F(Delivery, WhatAHandlerSaidLastOnStderrIsWhyItFailed) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0, \"dead_letter_queue\": \"q-dlq\"");
  auto d = dev();
  send("q", {json{{"batch", "raise"}}});
  ASSERT_TRUE(drained("q")) << d->log();
  EXPECT_TRUE(d->wait_for_log("handler failed: exit status 1: KeyError: 'email'\n")) << d->log();
  Result listed = flareq({"messages", "list", "q-dlq"});
  EXPECT_NE(listed.out.find("  exit status 1: KeyError: 'email'  "), std::string::npos) << listed.out;
}

TEST_F(Delivery, RetryAllWithDelay) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  send("q", {json{{"batch", "retryAll"}, {"delay", 600}}, json{{"n", 2}}});
  ASSERT_TRUE(eventually([&] { return info("q")["backlog"]["delayed"] == 2; })) << d->log();
  json messages = json::parse(flareq({"messages", "list", "q", "--json"}).out);
  // Retried 600 s after its delivery, which came within moments of the send.
  int64_t retried_at = messages[0]["visible_at_ms"].get<int64_t>() - 600000;
  int64_t sent_at = messages[0]["timestamp_ms"].get<int64_t>();
  EXPECT_GE(retried_at, sent_at);
  EXPECT_LT(retried_at, sent_at + 30000);
  EXPECT_EQ(messages[0]["attempts"], 1);
}

TEST_F(Delivery, ThrowUsesRetryDelay) {
  config("\"max_batch_timeout\": 0, \"retry_delay\": 120");
  auto d = dev();
  send("q", {json{{"batch", "throw"}}});
  ASSERT_TRUE(eventually([&] { return info("q")["backlog"]["delayed"] == 1; })) << d->log();
  json m = json::parse(flareq({"messages", "list", "q", "--json"}).out)[0];
  int64_t delay = m["visible_at_ms"].get<int64_t>() - m["timestamp_ms"].get<int64_t>();
  EXPECT_GE(delay, 120000);
  EXPECT_LT(delay, 120000 + 30000);  // the consumer's retry_delay after a delivery within moments
}

TEST_F(Delivery, OnePlusMaxRetriesDeliveriesThenTheDeadLetterQueue) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 2, \"dead_letter_queue\": \"q-dlq\"");
  auto d = dev();
  send("q", {json{{"batch", "throw"}, {"keep", "me"}}});
  ASSERT_TRUE(eventually([&] { return info("q-dlq")["backlog"]["count"] == 1; })) << d->log();
  std::vector<json> b = batches();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2]["attempts"], json::array({3}));
  json moved = json::parse(flareq({"messages", "list", "q-dlq", "--json"}).out)[0];
  EXPECT_EQ(moved["id"], b[0]["ids"][0]);
  EXPECT_EQ(moved["body"]["keep"], "me");
  EXPECT_EQ(moved["attempts"], 0);  // its first delivery from the DLQ will be attempt 1
  EXPECT_EQ(moved["origin_queue"], "q");
  EXPECT_EQ(info("q")["counters"]["dead_lettered"], 1);
  EXPECT_TRUE(d->wait_for_log("moved to dead letter queue q-dlq after 3 attempts"));
}

TEST_F(Delivery, PerMessageDelayBeatsTheQueueDeliveryDelay) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  ASSERT_EQ(flareq({"queues", "update", "q", "--delivery-delay-secs", "3600"}).exit_code, 0);
  send("q", {json{{"n", "delayed by the queue"}}});
  send("q", {json{{"n", "now"}}}, {"--delay-secs", "0"});
  ASSERT_TRUE(eventually([&] { return batches().size() == 1; })) << d->log();
  EXPECT_EQ(batches()[0]["bodies"][0]["n"], "now");
  EXPECT_EQ(info("q")["backlog"]["delayed"], 1);
}

TEST_F(Delivery, AHandlerThatHangsIsKilledAtTheTimeout) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0");
  auto d = dev({"--handler-timeout", "1"});
  send("q", {json{{"batch", "hang"}}});
  ASSERT_TRUE(d->wait_for_log("handler failed: timed out after 1s", 20000)) << d->log();
  EXPECT_TRUE(drained("q"));
  // The whole process group is gone.
  std::ifstream pg(record() + ".hang");
  pid_t pgid = 0;
  ASSERT_TRUE(pg >> pgid);
  EXPECT_TRUE(eventually([&] { return kill(-pgid, 0) != 0; }));
}

TEST_F(Delivery, PersistentHandlerCrashIsRestarted) {
  config("\"max_batch_timeout\": 0, \"max_batch_size\": 1, \"max_concurrency\": 1", /*persistent=*/true);
  auto d = dev();
  send("q", {json{{"n", 1}}});
  ASSERT_TRUE(eventually([&] { return info("q")["counters"]["acked"] == 1; })) << d->log();
  send("q", {json{{"batch", "crash"}}});
  ASSERT_TRUE(d->wait_for_log("the handler process exited (killed by signal 9")) << d->log();
  send("q", {json{{"n", 3}}});
  ASSERT_TRUE(eventually([&] { return info("q")["counters"]["acked"] == 2; })) << d->log();
  std::vector<json> b = batches();
  EXPECT_NE(b.front()["pid"], b.back()["pid"]);  // a new process
  EXPECT_EQ(b[0]["pid"], b[1]["pid"]);           // one process for many batches before the crash
}

TEST_F(Delivery, PersistentHandlerOutcomes) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0", /*persistent=*/true);
  auto d = dev();
  send("q", {json{{"do", "ack"}}, json{{"batch", "throw"}}});
  ASSERT_TRUE(drained("q")) << d->log();
  json c = info("q")["counters"];
  EXPECT_EQ(c["acked"], 1);
  EXPECT_EQ(c["dead_lettered"], 1);
}

// dev's death is no failure of the batch's: the next dev delivers it again as the same attempt,
// so a message with no retries left is not lost to a kill -9.
TEST_F(Delivery, Kill9MidBatchThenRestartRedeliversItUncounted) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0");
  {
    auto d = dev();
    send("q", {json{{"batch", "hang"}}});
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(record() + ".hang"); })) << d->log();
    EXPECT_EQ(d->stop(SIGKILL), 128 + SIGKILL);
    std::ifstream pg(record() + ".hang");
    pid_t pgid = 0;
    pg >> pgid;
    kill(-pgid, SIGKILL);  // the orphaned handler
  }
  EXPECT_EQ(info("q")["backlog"]["leased"], 1);
  // The message now says "hang"; let the next delivery ack it by retrying nothing special.
  auto d = dev();
  ASSERT_TRUE(eventually([&] { return batches().size() == 2; })) << d->log();
  EXPECT_EQ(batches()[1]["ids"], batches()[0]["ids"]);
  EXPECT_EQ(batches()[1]["attempts"], json::array({1}));
  EXPECT_TRUE(d->wait_for_log("leased by a stopped process"));
  EXPECT_EQ(d->log().find("deleted after"), std::string::npos) << d->log();
}

TEST_F(Delivery, CtrlCLetsBatchesInFlightFinish) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  send("q", {json{{"batch", "sleep"}, {"seconds", 1}}});
  ASSERT_TRUE(eventually([&] { return batches().size() == 1; })) << d->log();
  EXPECT_EQ(d->stop(SIGINT), 0);
  EXPECT_EQ(info("q")["counters"]["acked"], 1);
  EXPECT_EQ(info("q")["backlog"]["count"], 0);
}

// Closing dev's terminal (SIGHUP) stops it as Ctrl-C does: the batch in flight finishes, and
// dev cleans up after itself rather than dying on the spot.
TEST_F(Delivery, ClosingTheTerminalStopsDevAsCtrlCDoes) {
  config("\"max_batch_timeout\": 0");
  auto d = dev();
  send("q", {json{{"batch", "sleep"}, {"seconds", 1}}});
  ASSERT_TRUE(eventually([&] { return batches().size() == 1; })) << d->log();
  EXPECT_EQ(d->stop(SIGHUP), 0) << d->log();
  EXPECT_NE(d->log().find("stopping: finishing 1 batch(es) in flight"), std::string::npos) << d->log();
  EXPECT_NE(d->log().find("flareq stopped"), std::string::npos) << d->log();
  EXPECT_EQ(info("q")["counters"]["acked"], 1);
}

TEST_F(Delivery, CtrlCKillsHandlersAfterTheGracePeriod) {
  config("\"max_batch_timeout\": 0, \"max_retries\": 0");
  auto d = dev({"--shutdown-grace", "0.2"});
  send("q", {json{{"batch", "hang"}}});
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(record() + ".hang"); })) << d->log();
  EXPECT_EQ(d->stop(SIGINT), 0);
  // Not acknowledged, so not lost: put back as it was (the stop is no failure of the batch's,
  // and with no retries left it would be gone), to be delivered by the next dev.
  EXPECT_NE(d->log().find("1 put back: dev stopped before the batch finished"), std::string::npos) << d->log();
  json i = info("q");
  EXPECT_EQ(i["counters"]["acked"], 0);
  EXPECT_EQ(i["counters"]["retried"], 0);
  EXPECT_EQ(i["backlog"]["count"], 1);
  EXPECT_EQ(i["backlog"]["ready"], 1);
}

TEST_F(Delivery, LargeBatchesAndChattyHandlersDoNotDeadlock) {
  // Each handler writes 300 KB of log lines before it reads a ~250 KB batch: more than a
  // pipe holds, in both directions at once.
  const std::string handlers = std::string(FLAREQ_SOURCE_DIR) + "/tests/integration/handlers/";
  std::vector<json> bodies(100, json(std::string(2400, 'm')));
  for (const std::string mode : {"per-batch", "persistent"}) {
    std::string script = mode == "persistent" ? "chatty_persistent.py" : "chatty.sh";
    dir.write("wrangler.jsonc", "{\"queues\":{\"consumers\":[{\"queue\":\"" + mode +
                                    "\",\"max_batch_size\":100,\"max_batch_timeout\":0,\"mode\":\"" + mode +
                                    "\",\"command\":[\"" + handlers + script + "\"]}]}}");
    auto d = dev();
    send(mode, bodies, {"--content-type", "text"});
    send(mode, bodies, {"--content-type", "text"});
    ASSERT_TRUE(drained(mode)) << mode << "\n" << d->log().substr(0, 2000);
    EXPECT_EQ(info(mode)["counters"]["acked"], 200) << mode;
  }
}

TEST_F(Delivery, AMissingCommandIsReportedOnceAndCountsAsAFailedDelivery) {
  dir.write("wrangler.jsonc", R"({"queues":{"consumers":[{"queue":"q","max_batch_timeout":0,"max_retries":2,
      "command":["/nonexistent/handler"]}]}})");
  auto d = dev();
  send("q", {json{{"n", 1}}});
  ASSERT_TRUE(drained("q")) << d->log();
  std::string log = d->log();
  size_t first = log.find("cannot start the handler: /nonexistent/handler");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("cannot start the handler", first + 1), std::string::npos) << log;
  EXPECT_EQ(info("q")["counters"]["delivered"], 3);
}

TEST_F(Delivery, PauseStopsDeliveryAndResumeRestartsIt) {
  config("\"max_batch_timeout\": 0", false, /*probe=*/true);
  auto d = dev();
  ASSERT_EQ(flareq({"queues", "pause-delivery", "q"}).exit_code, 0);
  send("q", {json{{"n", 1}}});
  scheduler_has_looked();
  EXPECT_EQ(batches().size(), 1u);  // the probe's alone
  EXPECT_EQ(info("q")["backlog"]["ready"], 1);
  ASSERT_EQ(flareq({"queues", "resume-delivery", "q"}).exit_code, 0);
  EXPECT_TRUE(drained("q")) << d->log();
}

TEST_F(Delivery, AQueueWithoutAHandlerKeepsItsMessages) {
  dir.write("wrangler.jsonc", R"({"queues":{"consumers":[{"queue":"q","max_batch_timeout":0},
    {"queue":"probe","max_batch_timeout":0,"command":[")" + kHandler + R"("]}]}})");
  auto d = dev();
  EXPECT_TRUE(d->wait_for_log("no handler: messages are kept"));
  send("q", {json{{"n", 1}}});
  scheduler_has_looked();
  EXPECT_EQ(info("q")["backlog"]["ready"], 1);
}

TEST_F(Delivery, ConsumerFlagAndHttpPushes) {
  ASSERT_EQ(flareq({"queues", "create", "jobs"}).exit_code, 0);
  ASSERT_EQ(flareq({"queues", "consumer", "add", "jobs", "w", "--batch-timeout", "0"}).exit_code, 0);
  auto d = dev({"--consumer", "jobs=" + kHandler});
  Http http(d->port());
  ASSERT_EQ(http.post("queues/jobs/messages", {{"body", {{"n", 1}}}}).status, 200);
  ASSERT_TRUE(eventually([&] { return batches().size() == 1; })) << d->log();
  EXPECT_TRUE(drained("jobs"));
}

TEST_F(Delivery, TwoDevProcessesNeverHoldTheSameMessage) {
  config("\"max_batch_timeout\": 0, \"max_batch_size\": 7");
  auto a = dev();
  auto b = dev();
  std::vector<json> bodies;
  for (int i = 0; i < 300; ++i) bodies.push_back({{"n", i}});
  send("q", bodies);
  ASSERT_TRUE(drained("q")) << a->log() << b->log();
  std::set<std::string> ids;
  size_t deliveries = 0;
  for (const auto& batch : batches())
    for (const auto& id : batch["ids"]) {
      ids.insert(id.get<std::string>());
      ++deliveries;
    }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(deliveries, 300u);
  EXPECT_EQ(info("q")["counters"]["acked"], 300);
}

// Dead-letter replay, inspection and the CI helpers (`wait`, `flush`, `dev --reset`).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class Dlq : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path state() const { return dir / "state.sqlite"; }
  Result flareq(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"flareq", "--state", state().string()});
    return run(args, input, {}, dir.path());
  }
  json info(const std::string& queue) { return json::parse(flareq({"queues", "info", queue, "--json"}).out); }
  json list(const std::string& queue) { return json::parse(flareq({"messages", "list", queue, "--limit", "100000", "--json"}).out); }

  // `count` messages of queue `q` dead-lettered into `q-dlq`, through an HTTP pull consumer
  // with max_retries 0 that retries everything it pulls.
  void dead_letter(int count, const std::string& q = "q") {
    DevServer dev(state());
    Http http(dev.port());
    ASSERT_EQ(http.post("queues", {{"queue_name", q}}).status, 200);
    ASSERT_EQ(http.post("queues/" + q + "/consumers",
                        {{"type", "http_pull"}, {"settings", {{"max_retries", 0}}}, {"dead_letter_queue", q + "-dlq"}})
                  .status,
              200);
    for (int sent = 0; sent < count; sent += 100) {
      json messages = json::array();
      for (int i = sent; i < std::min(count, sent + 100); ++i) messages.push_back({{"body", {{"n", i}}}});
      ASSERT_EQ(http.post("queues/" + q + "/messages/batch", {{"messages", messages}}).status, 200);
    }
    // Each round dead-letters what it pulls (max_retries 0): at most one round per message.
    for (int round = 0; round <= count; ++round) {
      json pulled = http.post("queues/" + q + "/messages/pull", {{"batch_size", 100}}).body["result"]["messages"];
      if (pulled.empty()) break;
      json retries = json::array();
      for (const auto& m : pulled) retries.push_back({{"lease_id", m["lease_id"]}});
      http.post("queues/" + q + "/messages/ack", {{"retries", retries}});
    }
    ASSERT_EQ(http.del("queues/" + q + "/consumers/" + http.get("queues/" + q + "/consumers").body["result"][0]["consumer_id"].get<std::string>()).status, 200);
  }
};

}  // namespace

TEST_F(Dlq, ReplayBackToTheOrigin) {
  dead_letter(3);
  json dead = list("q-dlq");
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead[0]["origin_queue"], "q");
  // The listing for people says where each failed, and what to do next.
  Result listed = flareq({"messages", "list", "q-dlq"});
  EXPECT_NE(listed.out.find("CAME FROM"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("  q (1 attempt)  "), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("`flareq dlq replay q-dlq` sends them back"), std::string::npos) << listed.out;
  EXPECT_EQ(flareq({"messages", "list", "q"}).out.find("CAME FROM"), std::string::npos);
  EXPECT_EQ(listed.out.find("LAST ERROR"), std::string::npos) << "a pull consumer's retry throws nothing\n" << listed.out;

  Result r = flareq({"dlq", "replay", "q-dlq", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Would replay 3 message(s) from 'q-dlq':\n  3 to q\n"), std::string::npos) << r.out;
  EXPECT_EQ(list("q-dlq").size(), 3u);  // a dry run moves nothing

  r = flareq({"dlq", "replay", "q-dlq"});
  EXPECT_EQ(r.out, "Replayed 3 message(s) from 'q-dlq': 3 to q\n");
  json back = list("q");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0]["id"], dead[0]["id"]);
  EXPECT_EQ(back[0]["timestamp_ms"], dead[0]["timestamp_ms"]);
  EXPECT_EQ(back[0]["body"], dead[0]["body"]);
  EXPECT_EQ(back[0]["attempts"], 0);  // the first redelivery is attempt 1
  EXPECT_EQ(back[0]["state"], "ready");
  EXPECT_EQ(info("q-dlq")["counters"]["replayed"], 3);
  EXPECT_EQ(flareq({"dlq", "replay", "q-dlq"}).out, "Nothing to replay in 'q-dlq'\n");
}

TEST_F(Dlq, ReplayFilters) {
  dead_letter(5);
  flareq({"queues", "create", "other"});
  json dead = list("q-dlq");
  Result r = flareq({"dlq", "replay", "q-dlq", "--id", dead[4]["id"], "--id", dead[3]["id"]});
  EXPECT_EQ(r.out, "Replayed 2 message(s) from 'q-dlq': 2 to q\n");
  r = flareq({"dlq", "replay", "q-dlq", "--to", "other", "--limit", "2"});
  EXPECT_EQ(r.out, "Replayed 2 message(s) from 'q-dlq': 2 to other\n");
  EXPECT_EQ(list("other")[0]["id"], dead[0]["id"]);  // oldest first
  r = flareq({"dlq", "replay", "q-dlq", "--older-than", "1h"});
  EXPECT_EQ(r.out, "Nothing to replay in 'q-dlq'\n");
  EXPECT_NE(flareq({"dlq", "replay", "q-dlq", "--older-than", "soon"}).exit_code, 0);
  r = flareq({"dlq", "replay", "q-dlq", "--to", "missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: queue 'missing' does not exist in state file " + state().string() + "\n");
  EXPECT_EQ(list("q-dlq").size(), 1u);
}

TEST_F(Dlq, ReplayIntoADeletedOriginIsRefused) {
  dead_letter(2);
  ASSERT_EQ(flareq({"queues", "delete", "q", "--force"}).exit_code, 0);
  Result r = flareq({"dlq", "replay", "q-dlq"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot replay into 'q': no such queue"), std::string::npos) << r.err;
  EXPECT_EQ(list("q-dlq").size(), 2u);
}

TEST_F(Dlq, MessagesWithoutAnOriginNeedTo) {
  flareq({"queues", "create", "plain-dlq"});
  flareq({"send", "plain-dlq", "1"});
  Result r = flareq({"dlq", "replay", "plain-dlq"});
  EXPECT_NE(r.out.find("1 message(s) have no origin queue recorded"), std::string::npos) << r.out;
  flareq({"queues", "create", "target"});
  EXPECT_EQ(flareq({"dlq", "replay", "plain-dlq", "--to", "target"}).out,
            "Replayed 1 message(s) from 'plain-dlq': 1 to target\n");
}

TEST_F(Dlq, AnInterruptedReplayLeavesEveryMessageInExactlyOnePlace) {
  dead_letter(10000);
  ASSERT_EQ(list("q-dlq").size(), 10000u);
  auto check = [&] {
    std::set<std::string> ids;
    size_t total = 0;
    for (const char* queue : {"q", "q-dlq"})
      for (const auto& m : list(queue)) {
        ids.insert(m["id"].get<std::string>());
        ++total;
      }
    EXPECT_EQ(total, 10000u);
    EXPECT_EQ(ids.size(), 10000u);
  };
  // Kill -9 at a range of moments until one lands mid-replay (the moment depends on the
  // machine's speed, so the delays sweep until one does); after each, every message is in
  // one place only.
  int interrupted_midway = 0;
  for (int delay_us = 1000; delay_us < 2000000 && interrupted_midway == 0; delay_us = delay_us * 3 / 2) {
    if (!list("q").empty()) {  // an earlier kill came too late: start over with all in the DLQ
      ASSERT_EQ(flareq({"dlq", "replay", "q", "--to", "q-dlq"}).exit_code, 0);
      ASSERT_EQ(list("q-dlq").size(), 10000u);
    }
    pid_t pid = fork();
    if (pid == 0) {
      std::string state_arg = state().string();
      execl(FLAREQ_BINARY, FLAREQ_BINARY, "--state", state_arg.c_str(), "--durability", "full", "dlq", "replay", "q-dlq",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    usleep(delay_us);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    check();
    size_t moved = list("q").size();
    if (moved > 0 && moved < 10000) ++interrupted_midway;
  }
  ASSERT_EQ(interrupted_midway, 1) << "no kill landed while the replay was moving messages";
  // Running it again finishes the job, counting exactly what it moved.
  int64_t replayed_before = info("q-dlq")["counters"]["replayed"];
  int64_t left = static_cast<int64_t>(list("q-dlq").size());
  Result r = flareq({"dlq", "replay", "q-dlq"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list("q-dlq").size(), 0u);
  EXPECT_EQ(list("q").size(), 10000u);
  check();
  EXPECT_EQ(info("q-dlq")["counters"]["replayed"], replayed_before + left);
}

TEST_F(Dlq, ShowAndDeleteOneMessage) {
  dead_letter(1);
  std::string id = list("q-dlq")[0]["id"];
  Result r = flareq({"messages", "show", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Queue:       q-dlq"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Came from:   q (dead-lettered after 1 attempt)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"n\": 0"), std::string::npos);
  json j = json::parse(flareq({"messages", "show", id, "--json"}).out);
  EXPECT_EQ(j["origin_queue"], "q");
  EXPECT_EQ(j["origin_attempts"], 1);  // max_retries 0
  EXPECT_EQ(j["body"]["n"], 0);
  EXPECT_EQ(flareq({"messages", "delete", id}).out, "Deleted message " + id + " from queue 'q-dlq'\n");
  EXPECT_EQ(flareq({"messages", "show", id}).err,
            "error: no message with id '" + id + "' in state file " + state().string() + "\n");
  EXPECT_EQ(flareq({"messages", "delete", id}).exit_code, 1);
}

TEST_F(Dlq, ReplayAndFlushOverHttp) {
  dead_letter(2);
  DevServer dev(state());
  Http http(dev.port());
  HttpReply r = http.post("queues/q-dlq/replay", {{"dry_run", true}});
  EXPECT_EQ(r.body["result"]["by_target"]["q"], 2);
  EXPECT_EQ(r.body["result"]["moved"], 0);
  EXPECT_EQ(http.post("queues/q-dlq/replay", {{"to", "nope"}}).status, 404);
  r = http.post("queues/q-dlq/replay", {{"limit", 1}});
  EXPECT_EQ(r.body["result"]["moved"], 1);
  EXPECT_EQ(http.post("queues/q/flush", json::object()).body["result"]["flushed"], true);
}

TEST_F(Dlq, CountersInMetrics) {
  dead_letter(2);
  flareq({"dlq", "replay", "q-dlq"});
  DevServer dev(state());
  std::string text = Http(dev.port()).get("/metrics").text;
  EXPECT_NE(text.find("flareq_queue_dead_lettered_total{queue=\"q\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("flareq_queue_replayed_total{queue=\"q-dlq\"} 2"), std::string::npos);
  EXPECT_NE(text.find("flareq_queue_delivered_total{queue=\"q\"} 2"), std::string::npos);
}

TEST_F(Dlq, WaitSucceedsWhenDrainedAndTimesOutWithASummary) {
  flareq({"queues", "create", "q"});
  EXPECT_EQ(flareq({"wait", "q", "--timeout", "1"}).exit_code, 0);
  flareq({"send", "q", "1"});
  flareq({"send", "q", "2", "--delay-secs", "600"});
  Result r = flareq({"wait", "q", "--timeout", "0.2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: timed out after 0.2s with messages left: q: 1 ready, 1 delayed, 0 leased\n");
  EXPECT_NE(flareq({"wait", "missing"}).exit_code, 0);
}

namespace {

// A config whose queues `q` (with their max_batch_timeout) are consumed by the scripted handler.
std::string scripted_consumers(const std::vector<std::pair<std::string, int>>& queues) {
  const std::string handler = std::string(FLAREQ_SOURCE_DIR) + "/tests/integration/handlers/scripted.py";
  std::string consumers;
  for (const auto& [queue, timeout] : queues)
    consumers += std::string(consumers.empty() ? "" : ", ") + "{\"queue\":\"" + queue + "\",\"max_batch_timeout\":" +
                 std::to_string(timeout) + ",\"command\":[\"" + handler + "\"]}";
  return "{\"queues\":{\"consumers\":[" + consumers + "]}}";
}

}  // namespace

TEST_F(Dlq, FlushDeliversAPartialBatchNow) {
  dir.write("wrangler.jsonc", scripted_consumers({{"q", 60}, {"probe", 0}}));
  DevServer dev(state(), {}, dir.path(), {{"RECORD", (dir / "record.jsonl").string()}});
  flareq({"send", "q", "1"});
  // Once a later message to another queue is delivered, dev has looked at q's window.
  flareq({"send", "probe", "1"});
  ASSERT_EQ(flareq({"wait", "probe", "--timeout", "20"}).exit_code, 0) << dev.log();
  EXPECT_EQ(info("q")["backlog"]["ready"], 1);  // waiting for its 60 s window
  EXPECT_EQ(flareq({"flush", "q"}).out, "Flushed queue 'q'\n");
  Result r = flareq({"wait", "q", "--timeout", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.err << dev.log();
}

// Without names, flush and wait take every queue with a consumer (as flareq/testing's flush()
// and waitIdle() do): a queue nobody consumes, whose messages wait, does not hold wait up.
TEST_F(Dlq, FlushAndWaitWithoutNamesTakeEveryQueueWithAConsumer) {
  EXPECT_EQ(flareq({"flush"}).out, "No queue has a consumer: nothing to flush\n");
  dir.write("wrangler.jsonc", scripted_consumers({{"a", 60}, {"b", 60}}));
  DevServer dev(state(), {}, dir.path(), {{"RECORD", (dir / "record.jsonl").string()}});
  flareq({"queues", "create", "parked"});
  for (const char* q : {"a", "b", "parked"}) flareq({"send", q, "1"});
  Result flushed = flareq({"flush"});
  EXPECT_EQ(flushed.exit_code, 0) << flushed.err;
  EXPECT_NE(flushed.out.find("Flushed queue 'a'\n"), std::string::npos) << flushed.out;
  EXPECT_NE(flushed.out.find("Flushed queue 'b'\n"), std::string::npos) << flushed.out;
  EXPECT_EQ(flushed.out.find("parked"), std::string::npos) << flushed.out;
  Result waited = flareq({"wait", "--timeout", "20"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err << dev.log();
  EXPECT_EQ(info("a")["backlog"]["ready"], 0);
  EXPECT_EQ(info("b")["backlog"]["ready"], 0);
  EXPECT_EQ(info("parked")["backlog"]["ready"], 1) << "nothing consumes it: not waited for";
}

TEST_F(Dlq, DevResetStartsFromAnEmptyStateFile) {
  flareq({"queues", "create", "old"});
  {
    DevServer dev(state(), {"--reset"});
    EXPECT_EQ(Http(dev.port()).get("queues").body["result"].size(), 0u);
  }
  // Even a state file that cannot be opened can be started over.
  std::filesystem::remove(state().string() + "-wal");
  std::filesystem::remove(state().string() + "-shm");
  dir.write("state.sqlite", "garbage, not a database at all, but long enough to be read as one....");
  EXPECT_NE(flareq({"queues", "list"}).exit_code, 0);
  DevServer dev(state(), {"--reset"});
  EXPECT_EQ(Http(dev.port()).get("queues").status, 200);
}

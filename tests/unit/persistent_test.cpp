// Persistent handlers, on a fake spawner and a fake clock: one process for many batches, each
// batch a line with its own invocation id and answered by the line with that id; a crash
// fails the batches in flight and the next batch starts the process again after a backoff.
// No process runs, nothing sleeps.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>

#include "emulator/core/faults.h"
#include "emulator/handler/handler.h"
#include "fake_spawner.h"

using namespace flareq;
using namespace flareq::handler;
using flareq::testing::FakeProcess;
using flareq::testing::FakeSpawner;

namespace {

// A well-behaved persistent handler: answers every batch line with outcome ok, acking the
// batch's "ack" field (when present).
int answer_every_line(FakeProcess& p) {
  while (auto line = p.read_line()) {
    auto batch = nlohmann::json::parse(*line);
    nlohmann::json result = {{"invocation", batch["invocation"]}, {"outcome", "ok"}};
    if (batch.contains("ack")) result["acks"] = {batch["ack"]};
    p.write_out(result.dump());
  }
  return 0;
}

class PersistentHandlerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Handler> make(int64_t timeout_ms = 30000) {
    HandlerSpec spec;
    spec.queue = "jobs";
    spec.command.shell = "node consume.mjs";
    spec.mode = config::HandlerMode::Persistent;
    spec.timeout_ms = timeout_ms;
    return make_persistent_handler(
        spec,
        [this](const std::string& line) {
          std::lock_guard<std::mutex> lock(log_mutex);
          log.push_back(line);
        },
        spawner, clock);
  }
  bool logged(const std::string& part) {
    std::lock_guard<std::mutex> lock(log_mutex);
    for (const auto& line : log)
      if (line.find(part) != std::string::npos) return true;
    return false;
  }
  FakeSpawner spawner;
  FakeClock clock;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

}  // namespace

TEST_F(PersistentHandlerTest, OneProcessAnswersEveryBatchByItsInvocationId) {
  spawner.otherwise = answer_every_line;
  auto h = make();
  InvocationResult first = h->invoke(R"({"ack":"m1"})");
  InvocationResult second = h->invoke(R"({"ack":"m2"})");
  EXPECT_FALSE(first.report.threw) << first.failure;
  EXPECT_TRUE(first.report.per_message.count("m1"));
  EXPECT_TRUE(second.report.per_message.count("m2"));
  EXPECT_FALSE(second.report.per_message.count("m1"));
  EXPECT_EQ(spawner.spawned().size(), 1u);
}

TEST_F(PersistentHandlerTest, AnswersOutOfOrderReachTheirOwnBatches) {
  std::promise<void> both_read;
  spawner.then_run([&](FakeProcess& p) {
    auto a = nlohmann::json::parse(*p.read_line());
    auto b = nlohmann::json::parse(*p.read_line());
    EXPECT_NE(a["invocation"], b["invocation"]);
    p.write_out(nlohmann::json{{"invocation", b["invocation"]}, {"outcome", "ok"}, {"acks", {b["ack"]}}}.dump());
    p.write_out("not a result: logged");
    p.write_out(nlohmann::json{{"invocation", "nobody"}, {"outcome", "ok"}}.dump());
    p.write_out(nlohmann::json{{"invocation", a["invocation"]}, {"outcome", "exception"}, {"error", "boom"}}.dump());
    while (p.read_line()) {
    }
    return 0;
  });
  auto h = make();
  h->start_now();
  auto first = std::async(std::launch::async, [&] { return h->invoke(R"({"ack":"a"})"); });
  auto second = std::async(std::launch::async, [&] { return h->invoke(R"({"ack":"b"})"); });
  InvocationResult ra = first.get(), rb = second.get();
  // Which call wrote first is up to the threads: each result names its own batch.
  const InvocationResult& answered_ok = rb.report.threw ? ra : rb;
  const InvocationResult& threw = rb.report.threw ? rb : ra;
  EXPECT_FALSE(answered_ok.report.threw);
  EXPECT_EQ(answered_ok.report.per_message.size(), 1u);
  EXPECT_TRUE(threw.report.threw);
  EXPECT_EQ(threw.failure, "boom");
  EXPECT_TRUE(logged("not a result: logged"));
  EXPECT_TRUE(logged("result for unknown or timed-out invocation nobody ignored"));
}

// A handler that dies of an uncaught exception said why on stderr (a traceback's last line):
// that line is the batch's failure, after the exit status.
TEST_F(PersistentHandlerTest, AHandlerThatExitsWithAnErrorSaysWhyWithItsLastLineOnStderr) {
  spawner.then_run([](FakeProcess& p) {
    p.read_line();
    p.write_err("Traceback (most recent call last):");
    p.write_err("  KeyError: 'email'");
    p.write_err("   ");
    return 1;
  });
  spawner.otherwise = answer_every_line;
  auto h = make();
  InvocationResult crashed = h->invoke(R"({"ack":"m1"})");
  EXPECT_TRUE(crashed.report.threw);
  EXPECT_EQ(crashed.failure, "the handler process exited (exit status 1): KeyError: 'email'");
}

TEST_F(PersistentHandlerTest, ACrashFailsTheBatchInFlightAndTheNextBatchStartsItAgain) {
  spawner.then_run([](FakeProcess& p) {
    p.read_line();
    return 2;  // exits without answering
  });
  spawner.otherwise = answer_every_line;
  auto h = make();
  InvocationResult crashed = h->invoke(R"({"ack":"m1"})");
  EXPECT_TRUE(crashed.report.threw);
  EXPECT_EQ(crashed.failure, "the handler process exited (exit status 2)");
  EXPECT_TRUE(logged("1 batch(es) in flight failed"));

  clock.advance_ms(100);  // the first backoff after a crash
  InvocationResult next = h->invoke(R"({"ack":"m2"})");
  EXPECT_FALSE(next.report.threw) << next.failure;
  EXPECT_TRUE(next.report.per_message.count("m2"));
  EXPECT_EQ(spawner.spawned().size(), 2u);
}

// The backoff grows while the process keeps dying as it starts; one that ran a while before it
// ended (the Worker host that waited for a fix) is started again after the first backoff.
TEST_F(PersistentHandlerTest, AProcessThatRanAWhileIsStartedAgainAfterTheFirstBackoff) {
  auto dies_at_once = [](FakeProcess& p) {
    p.read_line();
    return 1;
  };
  spawner.then_run(dies_at_once);
  spawner.then_run(dies_at_once);
  spawner.then_run([&](FakeProcess& p) {
    p.read_line();            // a batch, once it surely runs
    clock.advance_ms(10000);  // it ran ten seconds, then ended
    return 1;
  });
  spawner.otherwise = answer_every_line;
  auto h = make();
  EXPECT_TRUE(h->invoke(R"({"ack":"m1"})").report.threw);  // dies as it starts: 100 ms
  clock.advance_ms(100);
  EXPECT_TRUE(h->invoke(R"({"ack":"m1"})").report.threw);  // again: 200 ms
  clock.advance_ms(200);
  EXPECT_TRUE(h->invoke(R"({"ack":"m1"})").report.threw);  // ran ten seconds: 100 ms, not 400
  clock.advance_ms(100);
  auto next = std::async(std::launch::async, [&] { return h->invoke(R"({"ack":"m1"})"); });
  bool started = next.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!started) clock.advance_ms(300);  // let the grown backoff pass, so that the test ends
  EXPECT_TRUE(started) << "still waiting out a grown backoff";
  EXPECT_FALSE(next.get().report.threw);
  EXPECT_EQ(spawner.spawned().size(), 4u);
}

TEST_F(PersistentHandlerTest, ABatchPastTheTimeoutKillsTheProcess) {
  spawner.then_run([&](FakeProcess& p) {
    p.read_line();
    clock.advance_ms(1500);
    p.wait_for_kill();
    return 0;
  });
  auto h = make(1000);
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "timed out after 1s");
  EXPECT_GE(spawner.kills_of(FakeSpawner::kFirstPid), 1);
}

TEST_F(PersistentHandlerTest, AnInjectedCrashKillsTheProcessAndThrows) {
  spawner.then_run([](FakeProcess& p) {
    p.read_line();
    p.wait_for_kill();
    return 0;
  });
  auto h = make();
  InvocationResult r = h->invoke_and_crash("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, kInjectedCrash);
  EXPECT_GE(spawner.kills_of(FakeSpawner::kFirstPid), 1);
}

TEST_F(PersistentHandlerTest, ACommandThatCannotStartReportsWhy) {
  spawner.fail_next_with = "node: No such file or directory";
  auto h = make();
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_TRUE(r.not_started);
  EXPECT_EQ(r.failure, "cannot start the handler: node: No such file or directory");
}

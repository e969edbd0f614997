// The Worker's handler, on a fake spawner (its host process), a fake clock and a fake post: the wait
// for a runtime that is restarting, the timeout, the quiet period after a lost connection, the
// injected crash and the mark that orders queue()'s output before its verdict. No process runs,
// no socket is opened, nothing sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "emulator/core/faults.h"
#include "emulator/handler/worker_runtime.h"
#include "fake_spawner.h"

using namespace flareq;
using namespace flareq::handler;
using flareq::testing::FakeProcess;
using flareq::testing::FakeSpawner;

namespace {

constexpr const char* kOk = R"({"outcome":"ok","acks":["m1"]})";

class WorkerRuntimeTest : public ::testing::Test {
 protected:
  WorkerRuntimeTest() {
    // The host: runs until its stdin ends or it is killed; the post below makes it print.
    spawner.otherwise = [](FakeProcess& p) {
      while (p.read_line()) {
      }
      return 0;
    };
  }
  std::unique_ptr<WorkerRuntimeHandler> make(PostBatch post, int64_t timeout_ms = 30000) {
    HandlerSpec spec;
    spec.shared = "my-worker";
    spec.command.argv = {"node", "host.mjs"};
    spec.mode = config::HandlerMode::Persistent;
    spec.timeout_ms = timeout_ms;
    auto h = std::make_unique<WorkerRuntimeHandler>(
        spec,
        [this](const std::string& line) {
          std::lock_guard<std::mutex> lock(log_mutex);
          log.push_back(line);
        },
        spawner, clock, std::move(post));
    EXPECT_TRUE(h->start_now());
    h->deliver_to(4242, "s3cret", marks);
    return h;
  }
  std::vector<std::string> logged() {
    std::lock_guard<std::mutex> lock(log_mutex);
    return log;
  }
  FakeSpawner spawner;
  FakeClock clock;
  bool marks = false;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

PostAnswer answered(int status, std::string body) {
  PostAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

PostAnswer failed(PostAnswer::Failure why) {
  PostAnswer a;
  a.failure = why;
  return a;
}

}  // namespace

TEST_F(WorkerRuntimeTest, ABatchWaitsForARuntimeThatIsStartingAndIsPostedWithItsSecret) {
  int posts = 0;
  BatchPost seen;
  auto h = make([&](const BatchPost& p) {
    seen = p;
    return ++posts <= 3 ? failed(PostAnswer::Failure::NotListening) : answered(200, kOk);
  });
  InvocationResult r = h->invoke(R"({"messages":[]})");
  EXPECT_FALSE(r.report.threw) << r.failure;
  EXPECT_TRUE(r.report.per_message.count("m1"));
  EXPECT_EQ(posts, 4);
  EXPECT_EQ(clock.steady_ms(), 3 * 20) << "three waits of 20 ms, on the clock";
  EXPECT_EQ(seen.port, 4242);
  EXPECT_EQ(seen.secret, "s3cret");
  EXPECT_EQ(seen.document, R"({"messages":[]})");
  EXPECT_FALSE(seen.cut_after_write);
}

TEST_F(WorkerRuntimeTest, ARuntimeThatNeverListensFailsTheBatchAfter30s) {
  auto h = make([&](const BatchPost&) { return failed(PostAnswer::Failure::NotListening); });
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_TRUE(r.not_started);
  EXPECT_EQ(r.failure, "the Worker's runtime was not listening for 30s");
  EXPECT_GE(clock.steady_ms(), 30000);
  EXPECT_LE(clock.steady_ms(), 30000 + 20);
}

// A Worker that threw while it loaded waits for its fix (its host answers "not loaded"): the
// batch waits past the 30 s for a runtime, then, once the fixed Worker's runtime listens, is
// handed over with what is left of its timeout: no attempt lost to the author's edit.
TEST_F(WorkerRuntimeTest, ABatchWaitsForAWorkerThatThrewWhileItLoadedToBeFixed) {
  int posts = 0;
  std::vector<int64_t> timeouts;
  std::vector<bool> holding;  // what the handler said of itself at each ask (dev's long-batch notice reads it)
  Handler* self = nullptr;
  auto h = make([&](const BatchPost& p) {
    timeouts.push_back(p.timeout_ms);
    holding.push_back(self->holding_for_load());
    ++posts;
    if (clock.steady_ms() < 120000) return failed(PostAnswer::Failure::NotLoaded);  // two minutes to fix it
    if (clock.steady_ms() < 123000) return failed(PostAnswer::Failure::NotListening);  // the fixed one starts
    return answered(200, kOk);
  }, 900000);
  self = h.get();
  InvocationResult r = h->invoke("{}");
  EXPECT_FALSE(r.report.threw) << r.failure;
  EXPECT_TRUE(r.report.per_message.count("m1"));
  ASSERT_GE(holding.size(), 3u);
  EXPECT_FALSE(holding.front()) << "not before the first answer that the Worker is not loaded";
  EXPECT_TRUE(holding[1]) << "held from then on, while the Worker is not loaded";
  EXPECT_FALSE(h->holding_for_load()) << "and no longer once handed over";
  EXPECT_GE(clock.steady_ms(), 123000);
  EXPECT_LT(clock.steady_ms(), 124000);
  EXPECT_EQ(timeouts.back(), 900000 - 120000) << "the handler timeout counts from the first ask";
}

// The host's stand-in answers the asks while the Worker waits for its fix, and ends (killed with
// its host) once the source changes: an ask whose connection it took down with it was never
// handed to the Worker, so the batch waits for the fixed Worker's runtime as for any runtime
// starting, rather than failing as a lost connection (an attempt for nothing).
TEST_F(WorkerRuntimeTest, AnAskCutByTheStandInsEndIsNotAnAttempt) {
  std::vector<PostAnswer::Failure> answers = {PostAnswer::Failure::NotLoaded, PostAnswer::Failure::NotLoaded,
                                              PostAnswer::Failure::ConnectionLost, PostAnswer::Failure::NotListening,
                                              PostAnswer::Failure::NotListening};
  size_t posts = 0;
  auto h = make([&](const BatchPost&) { return posts < answers.size() ? failed(answers[posts++]) : answered(200, kOk); },
                900000);
  InvocationResult r = h->invoke("{}");
  EXPECT_FALSE(r.report.threw) << r.failure;
  EXPECT_TRUE(r.report.per_message.count("m1"));
  EXPECT_EQ(posts, answers.size());
}

// A connection lost when the Worker was loaded is a batch handed over and cut: it fails, as before.
TEST_F(WorkerRuntimeTest, AConnectionLostWithoutAStandInFailsTheBatch) {
  auto h = make([&](const BatchPost&) { return failed(PostAnswer::Failure::ConnectionLost); });
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_FALSE(r.not_started);
  EXPECT_EQ(r.failure, "the Worker's runtime ended the batch's connection (it stopped, crashed or reloaded)");
}

// Not fixed within the handler timeout: the batch fails, not handed over, and says why.
TEST_F(WorkerRuntimeTest, AWorkerNotFixedWithinTheTimeoutFailsTheBatch) {
  auto h = make([&](const BatchPost&) { return failed(PostAnswer::Failure::NotLoaded); }, 60000);
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_TRUE(r.not_started);
  EXPECT_EQ(r.failure, "the Worker threw while it loaded (see the log) and was not fixed within 59s");
}

// The killed runtime (workerd, the host's grandchild) may take the next batch's connection
// while it dies, which would count an attempt for nothing: the next batch waits the quiet
// period first, as after a lost connection, and finds the runtime started again.
TEST_F(WorkerRuntimeTest, ABatchPastTheTimeoutKillsTheHostAndTheNextWaitsOutTheQuietPeriod) {
  std::vector<int64_t> posted_at;
  auto h = make([&](const BatchPost& p) {
    posted_at.push_back(clock.steady_ms());
    if (posted_at.size() > 1) return answered(200, kOk);
    clock.advance_ms(p.timeout_ms);  // queue() never answers
    return failed(PostAnswer::Failure::ConnectionLost);
  }, 5000);
  InvocationResult r = h->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "timed out after 5s");
  EXPECT_GE(spawner.kills_of(FakeSpawner::kFirstPid), 1);
  InvocationResult next = h->invoke("{}");
  EXPECT_FALSE(next.report.threw) << next.failure;
  ASSERT_EQ(posted_at.size(), 2u);
  EXPECT_EQ(posted_at[1] - posted_at[0], 5000 + 500);
}

TEST_F(WorkerRuntimeTest, ALostConnectionFailsTheBatchAndTheNextWaitsOutTheQuietPeriod) {
  int posts = 0;
  std::vector<int64_t> posted_at;
  auto h = make([&](const BatchPost&) {
    posted_at.push_back(clock.steady_ms());
    return ++posts == 1 ? failed(PostAnswer::Failure::ConnectionLost) : answered(200, kOk);
  });
  InvocationResult lost = h->invoke("{}");
  EXPECT_TRUE(lost.report.threw);
  EXPECT_FALSE(lost.not_started);
  EXPECT_EQ(lost.failure, "the Worker's runtime ended the batch's connection (it stopped, crashed or reloaded)");
  EXPECT_EQ(spawner.kills_of(FakeSpawner::kFirstPid), 0) << "a reload is not a timeout: the host is left alone";
  InvocationResult next = h->invoke("{}");
  EXPECT_FALSE(next.report.threw) << next.failure;
  ASSERT_EQ(posted_at.size(), 2u);
  EXPECT_EQ(posted_at[1] - posted_at[0], 500);
}

// Editing the Worker's source reloads it and cuts the batch queue() is running: the reloaded
// Worker gets the same batch again, within what is left of the timeout, and no attempt is spent.
TEST_F(WorkerRuntimeTest, ABatchCutByAReloadGoesAgainToTheReloadedWorker) {
  std::vector<BatchPost> posts;
  int64_t cut_at = -1;
  auto h = make([&](const BatchPost& p) {
    posts.push_back(p);
    // The reloaded runtime takes 29 s to listen (a slow build): the batch waits for it.
    if (posts.size() > 1) return clock.steady_ms() < cut_at + 29000 ? failed(PostAnswer::Failure::NotListening)
                                                                      : answered(200, kOk);
    clock.advance_ms(2000);  // queue() ran for 2 s
    cut_at = clock.steady_ms();
    auto host = spawner.process(FakeSpawner::kFirstPid);
    host->write_out("flareq-reload");
    host->write_out("⎔ Reloading local server...");
    // The host's output is read on a thread of its own: once the line after it is in the log,
    // the reload line was taken.
    for (auto lines = logged(); std::find(lines.begin(), lines.end(), "⎔ Reloading local server...") == lines.end();
         lines = logged())
      std::this_thread::yield();
    return failed(PostAnswer::Failure::ConnectionLost);
  }, 30000);
  InvocationResult r = h->invoke("{}");
  EXPECT_FALSE(r.report.threw) << r.failure;
  ASSERT_GT(posts.size(), 2u);
  EXPECT_EQ(posts.back().document, "{}");
  EXPECT_LE(posts.back().timeout_ms, 28000) << "what is left of the timeout";
  auto lines = logged();
  EXPECT_NE(std::find_if(lines.begin(), lines.end(),
                         [](const std::string& l) { return l.find("the reloaded Worker gets the batch again") != std::string::npos; }),
            lines.end());
  for (const auto& line : lines) EXPECT_NE(line, "flareq-reload") << "the host's reload line is not logged";
  // Without a reload, a lost connection fails the batch (the ALostConnection… test) after a short
  // wait for the host's line, which may come after the cut.
}

TEST_F(WorkerRuntimeTest, AnInjectedCrashCutsOnlyItsOwnConnection) {
  BatchPost seen;
  auto h = make([&](const BatchPost& p) {
    seen = p;
    return failed(PostAnswer::Failure::ConnectionLost);
  });
  InvocationResult r = h->invoke_and_crash("{}");
  EXPECT_TRUE(seen.cut_after_write);
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, kInjectedCrash);
  EXPECT_EQ(spawner.kills_of(FakeSpawner::kFirstPid), 0);
}

TEST_F(WorkerRuntimeTest, AnAnswerOtherThan200OrNoResultThrows) {
  auto h = make([&](const BatchPost&) { return answered(500, "oops"); });
  EXPECT_EQ(h->invoke("{}").failure, "the Worker's runtime answered the batch with status 500");
  auto h2 = make([&](const BatchPost&) { return answered(200, "hello"); });
  EXPECT_EQ(h2->invoke("{}").failure, "protocol error: the runtime's answer is no result");
  auto h3 = make([&](const BatchPost&) { return answered(200, R"({"outcome":"exception","error":"Error: boom"})"); });
  InvocationResult r = h3->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "Error: boom");
}

TEST_F(WorkerRuntimeTest, WithMarksTheVerdictWaitsForQueueOutputToReachTheLog) {
  marks = true;
  std::string mark;
  auto h = make([&](const BatchPost& p) {
    mark = p.mark;
    auto process = spawner.process(FakeSpawner::kFirstPid);
    process->write_out("console.log from queue()");
    process->write_out("flareq-mark " + p.mark);
    return answered(200, kOk);
  });
  InvocationResult r = h->invoke("{}");
  EXPECT_FALSE(r.report.threw) << r.failure;
  EXPECT_EQ(mark.size(), 32u);
  auto lines = logged();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "console.log from queue()"), lines.end())
      << "queue()'s output is in the log before its verdict";
  for (const auto& line : lines) EXPECT_EQ(line.find("flareq-mark"), std::string::npos) << "marks are not logged";
  EXPECT_EQ(clock.steady_ms(), 0) << "the mark came: no wait for it";
}

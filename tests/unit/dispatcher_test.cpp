// The delivery loop driven by hand: a recording fake handler, invocations that run only
// when the test says so, and a fake clock. No process is started and nothing sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>

#include "emulator/core/batch_window.h"
#include "emulator/dispatch/dispatcher.h"
#include "test_dir.h"

using namespace flareq;

namespace {

// Holds each handler call until the test runs it on its own thread.
class ManualRunner {
 public:
  InvocationRunner runner() {
    return [this](std::function<void()> call) { held_.push_back(std::move(call)); };
  }
  size_t held() const { return held_.size(); }
  void run_all() {
    while (!held_.empty()) run_one();
  }
  void run_one() {
    auto call = std::move(held_.front());
    held_.pop_front();
    call();
  }

 private:
  std::deque<std::function<void()>> held_;
};

// Records every batch it is given and answers with the test's script.
struct FakeHandler final : handler::Handler {
  std::vector<nlohmann::ordered_json> batches;
  std::function<handler::InvocationResult(const nlohmann::ordered_json&)> answer;
  int kills = 0;
  bool killed = false;

  handler::InvocationResult invoke(const std::string& document) override {
    auto batch = nlohmann::ordered_json::parse(document);
    batches.push_back(batch);
    if (killed) {
      handler::InvocationResult r;
      r.report.threw = true;
      r.failure = "killed";
      return r;
    }
    return answer ? answer(batch) : handler::InvocationResult{};
  }
  handler::InvocationResult invoke_and_crash(const std::string& document) override {
    batches.push_back(nlohmann::ordered_json::parse(document));
    ++crashes;
    handler::InvocationResult r;
    r.report.threw = true;
    r.failure = kInjectedCrash;
    return r;
  }
  void kill_all() override {
    ++kills;
    killed = true;
  }
  bool holding_for_load() const override { return holding; }
  std::optional<int64_t> cpu_ms() override {
    ++cpu_asked;
    return cpu;
  }
  int cpu_asked = 0;
  int crashes = 0;
  bool holding = false;  // as a Worker's handler says while the Worker does not load
  std::optional<int64_t> cpu;  // the CPU time its process has used, as the test sets it
};

handler::InvocationResult threw() {
  handler::InvocationResult r;
  r.report.threw = true;
  r.failure = "the handler threw";
  return r;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_test_dir("flareq-dispatch-");
    stores_ = std::make_unique<StorePool>(dir_ / "state.sqlite", Durability::Normal, clock_);
    writer_ = std::make_unique<Store>(dir_ / "state.sqlite", Durability::Normal, clock_);
  }
  void TearDown() override {
    dispatcher_.reset();
    writer_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The test's own connection, as the API's threads have theirs: the dispatcher notices its
  // commits through PRAGMA data_version.
  Store& store() { return *writer_; }

  // A queue "q" with a consumer of these settings, delivered by the fake handler.
  void start(ConsumerSettings settings, int64_t grace_ms = 10000) {
    Queue q = store().ensure_queue("q");
    store().add_consumer(q, ConsumerType::Worker, "w", settings);
    DispatchOptions options;
    options.handlers["q"] = handler::HandlerSpec{"q", {}, config::HandlerMode::PerBatch, {}, {}, 900000, ""};
    options.shutdown_grace_ms = grace_ms;
    options.make_handler = [this](const handler::HandlerSpec&, handler::LogSink) {
      auto h = std::make_unique<FakeHandler>();
      handler_ = h.get();
      return h;
    };
    options.run_invocation = runner_.runner();
    dispatcher_ = std::make_unique<Dispatcher>(*stores_, log_, std::move(options));
  }

  static ConsumerSettings settings(int batch_size, int64_t timeout_ms, std::optional<int> concurrency = 1,
                                   int max_retries = 3) {
    ConsumerSettings s = ConsumerSettings::defaults_for(ConsumerType::Worker);
    s.batch_size = batch_size;
    s.max_wait_time_ms = timeout_ms;
    s.max_concurrency = concurrency;
    s.max_retries = max_retries;
    return s;
  }

  void send(int n, std::optional<int64_t> delay = std::nullopt) {
    std::vector<OutgoingMessage> messages;
    for (int i = 0; i < n; ++i) messages.push_back({ContentType::Json, std::to_string(sent_++), delay});
    store().send(store().queue("q"), messages);
  }

  // The batch sizes handed to the handler so far.
  std::vector<size_t> batch_sizes() const {
    std::vector<size_t> sizes;
    for (const auto& b : handler_->batches) sizes.push_back(b["messages"].size());
    return sizes;
  }
  QueueCounters counters() { return store().queue("q").counters; }
  // Sets the faults of "q", sends `n` messages, runs their batch and settles it.
  void deliver_once_with(FaultSettings faults, int n) {
    faults.seed = 1;
    store().set_faults("q", faults);
    send(n);
    dispatcher_->step();
    runner_.run_all();
    dispatcher_->step();
  }
  bool logged(const std::string& text) const {
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<StorePool> stores_;
  std::unique_ptr<Store> writer_;
  std::vector<std::string> lines_;
  Log log_{[this](const std::string& line) { lines_.push_back(line); }};
  ManualRunner runner_;
  FakeHandler* handler_ = nullptr;
  std::unique_ptr<Dispatcher> dispatcher_;
  int sent_ = 0;
};

}  // namespace

TEST_F(DispatcherTest, AFullBatchGoesAtOnce) {
  start(settings(10, 5000));
  send(10);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
  runner_.run_all();
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{10}));
  dispatcher_->step();
  EXPECT_EQ(counters().acked, 10);  // a handler that returns acks everything
  EXPECT_TRUE(logged("QUEUE q 10/10"));
}

TEST_F(DispatcherTest, APartialBatchWaitsForItsWindowAndLaterSendsDoNotExtendIt) {
  start(settings(10, 5000));
  send(3);
  std::optional<int64_t> due = dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  ASSERT_TRUE(due);
  EXPECT_GT(*due, clock_.steady_ms());
  clock_.advance_ms(3000);
  send(2);  // later messages join the open window
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  clock_.advance_ms(1999);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  clock_.advance_ms(1);
  dispatcher_->step();
  runner_.run_all();
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{5}));
}

TEST_F(DispatcherTest, LeftoversOfAFullBatchOpenANewWindow) {
  start(settings(5, 5000, 2));
  send(7);
  dispatcher_->step();
  runner_.run_all();
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{5}));
  clock_.advance_ms(4999);
  dispatcher_->step();
  runner_.run_all();
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{5}));
  clock_.advance_ms(1);
  dispatcher_->step();
  runner_.run_all();
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{5, 2}));
}

TEST_F(DispatcherTest, MaxConcurrencyBoundsTheBatchesInFlight) {
  start(settings(2, 0, 2));
  send(10);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 2u);  // five full batches wait, two may run
  runner_.run_one();
  dispatcher_->step();  // one settled, one more launched
  EXPECT_EQ(runner_.held(), 2u);
  runner_.run_all();
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 2u);  // the fourth and fifth
  runner_.run_all();
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  EXPECT_EQ(batch_sizes(), (std::vector<size_t>{2, 2, 2, 2, 2}));
  EXPECT_EQ(counters().acked, 10);
}

TEST_F(DispatcherTest, AutoConcurrencyRunsFullBatchesInParallel) {
  start(settings(2, 0, std::nullopt));
  send(30);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), static_cast<size_t>(kAutoConcurrency));
}

TEST_F(DispatcherTest, APausedQueueIsNotDeliveredUntilResumed) {
  start(settings(1, 0));
  Queue q = store().queue("q");
  QueueSettings paused = q.settings;
  paused.delivery_paused = true;
  store().update_queue(q.key, paused);
  send(3);
  clock_.advance_ms(60000);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  paused.delivery_paused = false;
  store().update_queue(q.key, paused);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
}

TEST_F(DispatcherTest, ARetriedMessageComesBackAfterItsDelayAndEndsDeadLettered) {
  ConsumerSettings s = settings(1, 0, 1, /*max_retries=*/1);
  s.retry_delay = 30;
  s.dead_letter_queue = "q-dlq";
  start(s);
  handler_->answer = [](const nlohmann::ordered_json&) { return threw(); };
  send(1);
  dispatcher_->step();
  runner_.run_all();
  dispatcher_->step();  // settles: retried with retry_delay
  EXPECT_EQ(counters().retried, 1);
  EXPECT_EQ(runner_.held(), 0u);
  clock_.advance_ms(29999);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  clock_.advance_ms(1);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 1u);
  runner_.run_all();
  EXPECT_EQ(handler_->batches.back()["messages"][0]["attempts"], 2);
  dispatcher_->step();
  EXPECT_EQ(counters().dead_lettered, 1);
  EXPECT_EQ(store().queue("q-dlq").message_count, 1);
  EXPECT_TRUE(logged("moved to dead letter queue q-dlq after 2 attempts"));
}

TEST_F(DispatcherTest, AnAckBeforeAThrowStands) {
  start(settings(2, 0));
  handler_->answer = [](const nlohmann::ordered_json& batch) {
    handler::InvocationResult r = threw();
    r.report.per_message[batch["messages"][0]["id"]] = Call{true, std::nullopt};
    return r;
  };
  send(2);
  dispatcher_->step();
  runner_.run_all();
  dispatcher_->step();
  EXPECT_EQ(counters().acked, 1);
  EXPECT_EQ(counters().retried, 1);
}

// A batch that runs long (a queue() that may hang) is said at 10 s, then each time it has run
// twice as long, until it ends; a quick one is not.
TEST_F(DispatcherTest, ABatchThatRunsLongIsSaidAt10sThenAtEachDoubling) {
  start(settings(1, 0));
  send(1);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 1u);
  auto notices = [&] {
    return std::count_if(lines_.begin(), lines_.end(), [](const std::string& l) { return l.find("still running") != std::string::npos; });
  };
  clock_.advance_ms(9999);
  dispatcher_->step();
  EXPECT_EQ(notices(), 0);
  clock_.advance_ms(1);
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 still running after 10s (its handler is ended at 900s, --handler-timeout, and the "
                     "batch retried)"));
  clock_.advance_ms(9999);
  dispatcher_->step();
  EXPECT_EQ(notices(), 1);
  clock_.advance_ms(1);
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 still running after 20s"));
  clock_.advance_ms(20000);
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 still running after 40s"));
  runner_.run_all();
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 ("));
  clock_.advance_ms(600000);
  dispatcher_->step();
  EXPECT_EQ(notices(), 3);
}

// A batch whose handler was on the CPU all the while it ran long (a loop that never ends) is
// said to be so, from the first notice on; one whose handler waits (on I/O, a timer) is not.
TEST_F(DispatcherTest, ALongBatchWhoseHandlerIsOnTheCpuAllTheWhileIsSaidToLoop) {
  start(settings(1, 0));
  send(1);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 1u);
  auto notice = [&](const std::string& after) {
    for (const auto& l : lines_)
      if (l.find("still running after " + after + " ") != std::string::npos) return l;
    return std::string("(none)");
  };
  const std::string head = "QUEUE q 1/1 still running after ";
  const std::string retried = " (its handler is ended at 900s, --handler-timeout, and the batch retried)";
  handler_->cpu = 700;
  clock_.advance_ms(5000);
  dispatcher_->step();  // first looked at, halfway to the first notice
  handler_->cpu = 700 + 4950;
  clock_.advance_ms(5000);
  dispatcher_->step();
  EXPECT_EQ(notice("10s"), head + "10s" + retried + ", and its handler was on the CPU for 5.0 of the last 5.0s: a loop "
                           "that does not end?");
  handler_->cpu = 700 + 4950 + 1200;  // 1.2 s of 10: it waits on something now
  clock_.advance_ms(10000);
  dispatcher_->step();
  EXPECT_EQ(notice("20s"), head + "20s" + retried);
  handler_->cpu = std::nullopt;  // its process is gone: nothing to say
  clock_.advance_ms(20000);
  dispatcher_->step();
  EXPECT_EQ(notice("40s"), head + "40s" + retried);
  runner_.run_all();
  dispatcher_->step();
}

// However many of its batches run long, a handler's CPU time (a walk through /proc) is read
// once a pass.
TEST_F(DispatcherTest, AHandlersCpuIsReadOnceAPassForAllItsLongBatches) {
  start(settings(1, 0, 3));
  send(3);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 3u);
  handler_->cpu = 0;
  clock_.advance_ms(5000);
  dispatcher_->step();
  EXPECT_EQ(handler_->cpu_asked, 1);
  handler_->cpu = 3 * 5000;
  clock_.advance_ms(5000);
  dispatcher_->step();
  EXPECT_EQ(handler_->cpu_asked, 2);
  EXPECT_TRUE(logged("on the CPU for 5.0 of the last 5.0s"));
  runner_.run_all();
  dispatcher_->step();
}

// A batch held for a Worker that threw while it loaded is said to wait for the fix, not to run.
TEST_F(DispatcherTest, ABatchHeldForAWorkerThatDoesNotLoadIsSaidToWaitForTheFix) {
  start(settings(1, 0));
  send(1);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 1u);
  handler_->holding = true;
  clock_.advance_ms(10000);
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 waiting 10s for the Worker, which threw while it loaded (above): queue() gets the batch "
                     "once the fix is saved, not counted as an attempt (at 900s, --handler-timeout, it fails and is retried)"));
  EXPECT_FALSE(logged("still running"));
  handler_->holding = false;  // fixed: the batch runs now
  clock_.advance_ms(10000);
  dispatcher_->step();
  EXPECT_TRUE(logged("QUEUE q 1/1 still running after 20s"));
}

TEST_F(DispatcherTest, AHandlerThatNeverAnswersHoldsItsSlotAndIsKilledAfterTheShutdownGrace) {
  start(settings(1, 0), /*grace_ms=*/2000);
  send(2);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
  clock_.advance_ms(600000);  // the handler still has not answered: nothing else is leased
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);

  dispatcher_->request_stop();
  std::optional<int64_t> due = dispatcher_->step();
  ASSERT_TRUE(due);  // still waiting for the batch in flight
  EXPECT_EQ(dispatcher_->in_flight(), 1);
  EXPECT_EQ(handler_->kills, 0);
  clock_.advance_ms(1999);
  EXPECT_TRUE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 0);
  clock_.advance_ms(1);
  EXPECT_TRUE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 1);
  EXPECT_TRUE(logged("killing handlers still running after 2s"));
  runner_.run_all();  // the killed call returns as a throw
  EXPECT_FALSE(dispatcher_->step());  // settled, nothing in flight: the loop ends
  // The stop cut it, no failure of its own: put back, its delivery not counted as an attempt.
  EXPECT_EQ(counters().retried, 0);
  EXPECT_TRUE(logged("1 put back: dev stopped before the batch finished (delivered again when dev starts, not "
                     "counted as an attempt)"));
  EXPECT_FALSE(logged("handler failed"));
  EXPECT_EQ(runner_.held(), 0u);  // nothing new is leased while stopping
  EXPECT_EQ(store().backlog(store().queue("q").key).count, 2);
  EXPECT_EQ(store().backlog(store().queue("q").key).ready, 2);
  for (const auto& m : store().peek(store().queue("q").key, 10)) EXPECT_EQ(m.attempts, 0);
}

// With max_retries 0, a message whose batch the stop cut would otherwise be deleted (or
// dead-lettered) by the next dev: it is kept, and its first delivery then is attempt 1.
TEST_F(DispatcherTest, ABatchTheStopCutIsNoAttemptEvenWithNoRetriesLeft) {
  start(settings(1, 0, 1, /*max_retries=*/0), /*grace_ms=*/0);
  send(1);
  dispatcher_->step();
  dispatcher_->request_stop();
  EXPECT_TRUE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 1);
  runner_.run_all();
  EXPECT_FALSE(dispatcher_->step());
  EXPECT_FALSE(logged("deleted after"));
  auto kept = store().peek(store().queue("q").key, 10);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].attempts, 0);
}

// A batch that fails on its own while dev waits for it to finish is a failed attempt as ever.
TEST_F(DispatcherTest, ABatchThatThrowsDuringTheShutdownGraceIsCounted) {
  start(settings(1, 0), /*grace_ms=*/10000);
  send(1);
  dispatcher_->step();
  handler_->answer = [](const nlohmann::ordered_json&) { return threw(); };
  dispatcher_->request_stop();
  EXPECT_TRUE(dispatcher_->step());
  runner_.run_all();
  EXPECT_FALSE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 0);
  EXPECT_EQ(counters().retried, 1);
  EXPECT_TRUE(logged("handler failed: the handler threw"));
}

TEST_F(DispatcherTest, StoppingNowKillsTheHandlersInFlightWithoutAGrace) {
  start(settings(1, 0), /*grace_ms=*/600000);
  send(1);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
  dispatcher_->request_stop();
  EXPECT_TRUE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 0);
  dispatcher_->request_stop(/*now=*/true);  // a second Ctrl-C
  EXPECT_TRUE(dispatcher_->step());
  EXPECT_EQ(handler_->kills, 1);
  EXPECT_TRUE(logged("killing the handlers of 1 batch(es) in flight: their messages will be delivered again, not "
                     "counted as attempts"));
  runner_.run_all();
  EXPECT_FALSE(dispatcher_->step());
  EXPECT_EQ(counters().retried, 0);
  EXPECT_EQ(store().backlog(store().queue("q").key).count, 1);  // kept, to be delivered again
}

TEST_F(DispatcherTest, StoppingWithNothingInFlightEndsAtOnce) {
  start(settings(1, 0));
  dispatcher_->request_stop();
  EXPECT_FALSE(dispatcher_->step());
}

TEST_F(DispatcherTest, DelayedMessagesAreDeliveredWhenTheirDelayEnds) {
  start(settings(1, 0));
  send(1, /*delay=*/60);
  std::optional<int64_t> due = dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  ASSERT_TRUE(due);
  EXPECT_LE(*due, clock_.steady_ms() + 60000);
  clock_.advance_ms(60000);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
}

TEST_F(DispatcherTest, AnotherProcessMovingTheClockClosesAWindowAndBringsARetryBack) {
  start(settings(10, 60000));
  send(1);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);
  // Another process (its own connection and clock) moves the file's clock a minute on.
  FakeClock other_clock;
  Store other(dir_ / "state.sqlite", Durability::Normal, other_clock);
  other.advance_clock(60000);
  dispatcher_->step();
  ASSERT_EQ(runner_.held(), 1u);
  handler_->answer = [](const nlohmann::ordered_json&) {
    handler::InvocationResult r;
    r.report.batch_call = Call{false, 3600};
    return r;
  };
  runner_.run_all();
  dispatcher_->step();
  EXPECT_EQ(counters().retried, 1);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);  // an hour to go
  other.advance_clock(3600000);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 0u);  // due again, in a new batch window
  other.advance_clock(60000);
  dispatcher_->step();
  EXPECT_EQ(runner_.held(), 1u);
}

TEST_F(DispatcherTest, AnInjectedFailureNeverReachesTheHandlerAndIsRetried) {
  start(settings(10, 0));
  FaultSettings f;
  f.fail = 1;
  deliver_once_with(f, 2);
  EXPECT_TRUE(handler_->batches.empty());
  QueueCounters c = counters();
  EXPECT_EQ(c.retried, 2);
  EXPECT_EQ(c.injected.failures, 2);  // the retry went out again at once, and failed again
  EXPECT_EQ(c.delivered, 4);
  EXPECT_TRUE(logged("[fault] q: batch of 2 fails as if the handler threw"));
  EXPECT_TRUE(logged("handler failed: [fault] failed as if the handler threw (injected)"));
}

TEST_F(DispatcherTest, AnInjectedCrashHandsTheBatchOverThenFailsIt) {
  start(settings(10, 0));
  FaultSettings f;
  f.crash = 1;
  deliver_once_with(f, 1);
  EXPECT_EQ(handler_->crashes, 1);
  EXPECT_EQ(counters().retried, 1);
  EXPECT_EQ(counters().injected.crashes, 2);  // the retry went out again at once
}

// The pure rules of delivery, with a fake clock and no sleeping: batch windows, outcome
// resolution, retry delays and the last attempt.
#include <gtest/gtest.h>

#include "emulator/core/batch_window.h"
#include "emulator/core/clock.h"
#include "emulator/core/outcome.h"

using namespace flareq;

namespace {

WindowState window(int64_t now, int64_t ready, std::optional<int64_t> oldest, int batch = 5, int64_t timeout = 5000,
                   int64_t opened_after = 0) {
  WindowState s;
  s.now_ms = now;
  s.ready = ready;
  s.oldest_ready_ms = oldest;
  s.batch_size = batch;
  s.timeout_ms = timeout;
  s.opened_after_ms = opened_after;
  return s;
}

}  // namespace

TEST(BatchWindow, NeverAnEmptyBatch) {
  WindowDecision d = decide_batch(window(1000, 0, std::nullopt));
  EXPECT_EQ(d.deliver, 0);
  EXPECT_FALSE(d.due_ms);
}

TEST(BatchWindow, FullBatchGoesAtOnce) {
  WindowDecision d = decide_batch(window(1000, 5, 1000));
  EXPECT_EQ(d.deliver, 5);
  EXPECT_TRUE(d.full);
}

TEST(BatchWindow, PartialBatchWaitsForTheTimeoutFromTheFirstMessage) {
  FakeClock clock(0);
  WindowDecision d = decide_batch(window(clock.now_ms(), 1, 0));
  EXPECT_EQ(d.deliver, 0);
  EXPECT_EQ(d.due_ms, 5000);
  // A later message does not extend the window.
  clock.advance_ms(3000);
  d = decide_batch(window(clock.now_ms(), 2, 0));
  EXPECT_EQ(d.due_ms, 5000);
  clock.advance_ms(2000);
  d = decide_batch(window(clock.now_ms(), 2, 0));
  EXPECT_EQ(d.deliver, 2);
  EXPECT_FALSE(d.full);
}

TEST(BatchWindow, LeftoversOfAFullBatchOpenANewWindow) {
  // 6 sent at t=0 with batch size 5: 5 go at once; the leftover's window opens at the cut.
  WindowDecision first = decide_batch(window(0, 5, 0));
  ASSERT_TRUE(first.full);
  WindowDecision leftover = decide_batch(window(100, 1, 0, 5, 5000, /*opened_after=*/0 + 100));
  EXPECT_EQ(leftover.deliver, 0);
  EXPECT_EQ(leftover.due_ms, 5100);
}

TEST(BatchWindow, SendsOf6Then5GiveBatchesOf5And5And1) {
  std::vector<int64_t> batches;
  int64_t ready = 6, opened_after = 0, now = 0;
  auto step = [&] {
    while (true) {
      WindowDecision d = decide_batch(window(now, std::min<int64_t>(ready, 5), ready ? std::optional<int64_t>(0) : std::nullopt,
                                             5, 5000, opened_after));
      if (d.deliver == 0) return d.due_ms;
      batches.push_back(d.deliver);
      ready -= d.deliver;
      if (d.full) opened_after = now;
    }
  };
  step();
  now = 1000;
  ready += 5;
  auto due = step();
  ASSERT_TRUE(due);
  now = *due;
  step();
  EXPECT_EQ(batches, (std::vector<int64_t>{5, 5, 1}));
}

TEST(BatchWindow, AFlushClosesWindowsOpenedBeforeIt) {
  WindowState s = window(1000, 2, 500, 10, 60000);
  s.flush_ms = 900;
  EXPECT_EQ(decide_batch(s).deliver, 2);
  s.oldest_ready_ms = 950;
  s.flush_ms = 900;  // a window opened after the flush waits as usual
  EXPECT_EQ(decide_batch(s).deliver, 0);
}

TEST(BatchWindow, TimeoutZeroDeliversAtOnce) {
  EXPECT_EQ(decide_batch(window(10, 1, 10, 5, 0)).deliver, 1);
}

TEST(BatchWindow, APausedQueueGetsNothing) {
  WindowState s = window(1000, 5, 0);
  s.paused = true;
  WindowDecision d = decide_batch(s);
  EXPECT_EQ(d.deliver, 0);
  EXPECT_FALSE(d.due_ms);  // resuming is a change that makes the dispatcher look again
}

TEST(BatchWindow, MaxConcurrencyHoldsBackFullBatches) {
  WindowState s = window(1000, 5, 0);
  s.max_concurrency = 2;
  s.in_flight = 1;
  EXPECT_EQ(decide_batch(s).deliver, 5);
  s.in_flight = 2;
  WindowDecision d = decide_batch(s);
  EXPECT_EQ(d.deliver, 0);
  EXPECT_FALSE(d.due_ms);  // a finishing batch makes the dispatcher look again
}

TEST(BatchWindow, AutoConcurrencyIsOneUntilFullBatchesWait) {
  WindowState partial = window(10000, 3, 0);  // window closed, a partial batch
  partial.in_flight = 1;
  EXPECT_EQ(decide_batch(partial).deliver, 0);
  WindowState full = window(10000, 5, 0);
  full.in_flight = kAutoConcurrency - 1;
  EXPECT_EQ(decide_batch(full).deliver, 5);
  full.in_flight = kAutoConcurrency;
  EXPECT_EQ(decide_batch(full).deliver, 0);
}

TEST(Outcome, ImplicitAckWhenTheHandlerReturns) {
  Resolution r = resolve({"a", "b"}, InvocationReport{}, 0);
  EXPECT_EQ(r.acked, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.retried.empty());
}

TEST(Outcome, ThrowRetriesEverythingNotExplicitlyAcked) {
  InvocationReport report;
  report.threw = true;
  report.per_message["a"] = Call{true, std::nullopt};
  Resolution r = resolve({"a", "b"}, report, 7);
  EXPECT_EQ(r.acked, (std::vector<std::string>{"a"}));
  ASSERT_EQ(r.retried.size(), 1u);
  EXPECT_EQ(r.retried[0].id, "b");
  EXPECT_EQ(r.retried[0].delay_secs, 7);  // a throw uses retry_delay
}

TEST(Outcome, AckAllBeforeAThrowStands) {
  InvocationReport report;
  report.threw = true;
  report.batch_call = Call{true, std::nullopt};
  EXPECT_EQ(resolve({"a", "b"}, report, 0).acked.size(), 2u);
}

TEST(Outcome, PerMessageBeatsBatchCalls) {
  InvocationReport report;
  report.per_message["a"] = Call{false, std::nullopt};
  report.batch_call = Call{true, std::nullopt};
  Resolution r = resolve({"a", "b"}, report, 0);
  EXPECT_EQ(r.acked, (std::vector<std::string>{"b"}));
  ASSERT_EQ(r.retried.size(), 1u);
  EXPECT_EQ(r.retried[0].id, "a");
}

TEST(Outcome, RetryAllRetriesWhatIsNotExplicitlyAcked) {
  InvocationReport report;
  report.per_message["a"] = Call{true, std::nullopt};
  report.batch_call = Call{false, 30};
  Resolution r = resolve({"a", "b"}, report, 5);
  EXPECT_EQ(r.acked, (std::vector<std::string>{"a"}));
  ASSERT_EQ(r.retried.size(), 1u);
  EXPECT_EQ(r.retried[0].delay_secs, 30);
}

TEST(Outcome, RetryDelayPrecedence) {
  InvocationReport report;
  report.per_message["a"] = Call{false, 1};
  report.per_message["b"] = Call{false, std::nullopt};
  report.batch_call = Call{false, 2};
  Resolution r = resolve({"a", "b", "c"}, report, 3);
  ASSERT_EQ(r.retried.size(), 3u);
  EXPECT_EQ(r.retried[0].delay_secs, 1);  // retry({delaySeconds})
  EXPECT_EQ(r.retried[1].delay_secs, 2);  // retryAll({delaySeconds})
  EXPECT_EQ(r.retried[2].delay_secs, 2);
  InvocationReport plain;
  plain.per_message["a"] = Call{false, std::nullopt};
  EXPECT_EQ(resolve({"a"}, plain, 3).retried[0].delay_secs, 3);  // consumer retry_delay
}

TEST(Outcome, LastAttempt) {
  EXPECT_FALSE(retries_exhausted(1, 3));
  EXPECT_FALSE(retries_exhausted(3, 3));
  EXPECT_TRUE(retries_exhausted(4, 3));  // 1 + max_retries deliveries
  EXPECT_TRUE(retries_exhausted(1, 0));
}

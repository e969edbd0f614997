// `flareq wait` (drain_wait.h) over a fake clock: it returns once the queues are empty, gives up
// at its timeout, and stops early, saying how far to advance, when only a move of a virtual
// clock that stands still could bring what is left. Nothing sleeps: the fake clock moves itself.
#include <gtest/gtest.h>

#include "emulator/store/drain_wait.h"
#include "one_queue_store.h"

using namespace flareq;

namespace {

class DrainWaitTest : public OneQueueStore {
 protected:
  DrainWait wait(int64_t timeout_ms) { return wait_until_drained(*store_, {queue_}, timeout_ms, clock_); }
};

}  // namespace

TEST_F(DrainWaitTest, AnEmptyQueueReturnsAtOnce) {
  int64_t started = clock_.steady_ms();
  EXPECT_TRUE(wait(30000).left.empty());
  EXPECT_EQ(clock_.steady_ms(), started);
}

TEST_F(DrainWaitTest, AReadyMessageNobodyTakesIsLeftAtTheTimeout) {
  send();
  int64_t started = clock_.steady_ms();
  DrainWait w = wait(5000);
  ASSERT_EQ(w.left.size(), 1u);
  EXPECT_EQ(w.left[0].backlog.ready, 1);
  EXPECT_FALSE(w.due_after_advance_ms);
  EXPECT_GE(clock_.steady_ms() - started, 5000);
}

TEST_F(DrainWaitTest, OnlyDelayedMessagesUnderAFrozenClockEndTheWaitAfterASecondWithHowFarToAdvance) {
  store_->freeze_clock();
  send(600);
  send(900);
  int64_t started = clock_.steady_ms();
  DrainWait w = wait(30000);
  ASSERT_EQ(w.left.size(), 1u);
  EXPECT_EQ(w.left[0].backlog.delayed, 2);
  ASSERT_TRUE(w.due_after_advance_ms);
  EXPECT_EQ(*w.due_after_advance_ms, 600000);
  EXPECT_GE(clock_.steady_ms() - started, 1000);
  EXPECT_LT(clock_.steady_ms() - started, 2000);
}

TEST_F(DrainWaitTest, DelayedMessagesUnderARunningClockAreWaitedFor) {
  send(2);
  DrainWait w = wait(30000);  // the fake clock moves as the wait sleeps: due after 2 s, then ready
  ASSERT_EQ(w.left.size(), 1u);
  EXPECT_EQ(w.left[0].backlog.ready, 1);
  EXPECT_FALSE(w.due_after_advance_ms);
}

TEST_F(DrainWaitTest, AReadyMessageBesideADelayedOneKeepsTheWaitGoingUnderAFrozenClock) {
  store_->freeze_clock();
  send();
  send(600);
  DrainWait w = wait(5000);
  ASSERT_EQ(w.left.size(), 1u);
  EXPECT_FALSE(w.due_after_advance_ms);  // a consumer may still take the ready one
}

// The state file's virtual clock with a fake clock underneath: what an advance makes due,
// what it must leave alone (a running handler's lease), retention, reset and a clock that
// stands still. Nothing sleeps.
#include <gtest/gtest.h>

#include "one_queue_store.h"

using namespace flareq;

namespace {

constexpr int64_t kHour = 3600000;

class VirtualTimeTest : public OneQueueStore {
 protected:
  Backlog backlog() { return store_->backlog(queue_.key); }
};

}  // namespace

TEST_F(VirtualTimeTest, AnAdvanceMakesWhatItPassesDueAndSaysSo) {
  send(3600);
  send(7200);
  EXPECT_EQ(store_->count_ready(queue_.key, 10), 0);
  ClockChange change = store_->advance_clock(kHour);
  EXPECT_EQ(change.to_ms - change.from_ms, kHour);
  ASSERT_EQ(change.queues.size(), 1u);
  EXPECT_EQ(change.queues[0].queue, "q");
  EXPECT_EQ(change.queues[0].due, 1);
  EXPECT_EQ(store_->count_ready(queue_.key, 10), 1);
  EXPECT_EQ(clock_.now_ms() - clock_.real_ms(), kHour);
}

TEST_F(VirtualTimeTest, MessagesAreStampedInVirtualTime) {
  store_->advance_clock(2 * kHour);
  send();
  EXPECT_EQ(store_->peek(queue_.key, 1)[0].enqueued_ms, clock_.real_ms() + 2 * kHour);
}

TEST_F(VirtualTimeTest, APullLeaseRunsOutWithTheClockAndARunningHandlersLeaseMovesWithIt) {
  send();
  send();
  ConsumerSettings s = ConsumerSettings::defaults_for(ConsumerType::Worker);
  LeaseResult pulled = store_->lease(queue_, s, 1, 30000, kPullLeaseOwner);
  LeaseResult pushed = store_->lease(queue_, s, 1, 960000, "1234:5678");
  ASSERT_EQ(pulled.messages.size(), 1u);
  ASSERT_EQ(pushed.messages.size(), 1u);
  store_->advance_clock(kHour);
  Backlog b = backlog();
  EXPECT_EQ(b.ready, 1);   // the visibility timeout ran out
  EXPECT_EQ(b.leased, 1);  // the handler still holds its batch
  LeaseResult again = store_->lease(queue_, s, 10, 30000, kPullLeaseOwner);
  ASSERT_EQ(again.messages.size(), 1u);
  EXPECT_EQ(again.messages[0].id, pulled.messages[0].id);
}

TEST_F(VirtualTimeTest, RetentionRunsAsTheClockPassesIt) {
  send();
  EXPECT_TRUE(store_->advance_clock(4 * 24 * kHour - 1).queues.empty());
  ClockChange change = store_->advance_clock(2);
  ASSERT_EQ(change.queues.size(), 1u);
  EXPECT_EQ(change.queues[0].expired, 1);
  EXPECT_EQ(store_->queue("q").counters.expired, 1);
}

TEST_F(VirtualTimeTest, ResetKeepsWhatIsLeftOfEachWaitAndWhatIsDueStaysDue) {
  store_->advance_clock(kHour);
  send();       // due now, stamped an hour ahead of real time
  send(1800);   // half an hour to go
  ClockChange change = store_->reset_clock();
  EXPECT_EQ(change.to_ms, clock_.real_ms());
  EXPECT_EQ(clock_.now_ms(), clock_.real_ms());
  EXPECT_EQ(backlog().ready, 1);
  EXPECT_EQ(store_->next_visible_ms(queue_.key), clock_.real_ms());
  clock_.advance_ms(1800000 - 1);
  EXPECT_EQ(store_->count_ready(queue_.key, 10), 1);
  clock_.advance_ms(1);
  EXPECT_EQ(store_->count_ready(queue_.key, 10), 2);
}

TEST_F(VirtualTimeTest, AFrozenClockStandsStillUntilAdvanced) {
  store_->freeze_clock();
  int64_t frozen = clock_.now_ms();
  clock_.advance_ms(10 * kHour);
  EXPECT_EQ(clock_.now_ms(), frozen);
  store_->advance_clock(5000);
  EXPECT_EQ(clock_.now_ms(), frozen + 5000);
  store_->reset_clock();
  EXPECT_EQ(clock_.now_ms(), clock_.real_ms());  // real time was ahead: nothing to shift
}

TEST_F(VirtualTimeTest, AnotherConnectionReadsTheClockFromTheFile) {
  FakeClock other_clock;
  Store other(dir_ / "state.sqlite", Durability::Normal, other_clock);
  store_->advance_clock(kHour);
  EXPECT_EQ(other_clock.now_ms(), other_clock.real_ms());  // not yet read
  other.sync_clock();
  EXPECT_EQ(other_clock.now_ms() - other_clock.real_ms(), kHour);
  Store reopened(dir_ / "state.sqlite", Durability::Normal, other_clock);  // opening reads it too
  EXPECT_EQ(other_clock.virtual_time().offset_ms, kHour);
}

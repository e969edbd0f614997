// The state file: migrations, refusal of files that are not ours, queues, consumers and
// messages, with a fake clock.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "emulator/core/error.h"
#include "emulator/store/migrations.h"
#include "emulator/store/store.h"
#include "test_dir.h"

using namespace flareq;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_test_dir("flareq-store-");
    path_ = dir_ / "state.sqlite";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> open() { return std::make_unique<Store>(path_, Durability::Normal, clock_); }
  std::string refusal() {
    try {
      open();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  static std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_, path_;
  FakeClock clock_;
};

OutgoingMessage json_message(const std::string& body, std::optional<int64_t> delay = std::nullopt) {
  return OutgoingMessage{ContentType::Json, body, delay};
}

}  // namespace

TEST_F(StoreTest, CreatesAndMigratesANewFile) {
  open();
  SQLite::Database db(path_.string());
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), Store::schema_version());
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

// Opening a file at the current schema migrates nothing again: its version and its data stay.
TEST_F(StoreTest, ReopeningACurrentFileChangesNothing) {
  Queue created = open()->create_queue("kept", {});
  auto reopened = open();
  EXPECT_EQ(reopened->queue("kept").id, created.id);
  ASSERT_EQ(reopened->list_queues().size(), 1u);
  SQLite::Database db(path_.string());
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), Store::schema_version());
}

TEST_F(StoreTest, RefusesAForeignSqliteDatabaseAndLeavesItUntouched) {
  std::filesystem::create_directories(dir_);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE notes (x TEXT)");
  }
  std::string before = file_bytes(path_);
  EXPECT_NE(refusal().find("not a flareq state file"), std::string::npos);
  EXPECT_EQ(file_bytes(path_), before);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + "-wal"));
}

TEST_F(StoreTest, RefusesAFileFromANewerFlareq) {
  open();
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
  }
  std::string e = refusal();
  EXPECT_NE(e.find("written by a newer flareq (schema version 999"), std::string::npos) << e;
}

TEST_F(StoreTest, RefusesAFileThatIsNotSqlite) {
  std::filesystem::create_directories(dir_);
  std::ofstream(path_) << "hello, this is not a database at all, but it is long enough to look like one......";
  std::string before = file_bytes(path_);
  EXPECT_NE(refusal().find("not an SQLite database"), std::string::npos);
  EXPECT_EQ(file_bytes(path_), before);
}

TEST_F(StoreTest, QueueLifecycle) {
  auto store = open();
  Queue q = store->create_queue("my-app-events", {});
  EXPECT_EQ(q.id.size(), 32u);
  EXPECT_EQ(q.settings.retention_secs, 345600);
  EXPECT_EQ(store->queue(q.id).name, "my-app-events");
  EXPECT_EQ(store->queue("my-app-events").id, q.id);
  try {
    store->create_queue("my-app-events", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.http_status(), 409);
  }
  clock_.advance_ms(1000);
  QueueSettings s = q.settings;
  s.delivery_delay = 30;
  s.delivery_paused = true;
  Queue updated = store->update_queue(q.key, s);
  EXPECT_EQ(updated.settings.delivery_delay, 30);
  EXPECT_TRUE(updated.settings.delivery_paused);
  EXPECT_EQ(updated.modified_ms, q.created_ms + 1000);
  EXPECT_EQ(store->list_queues().size(), 1u);
  store->send(updated, {json_message("1"), json_message("2")});
  EXPECT_EQ(store->delete_queue(q.key), 2);
  EXPECT_FALSE(store->find_queue("my-app-events"));
  try {
    store->queue("my-app-events");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code::kQueueNotFound);
  }
}

TEST_F(StoreTest, QueueSettingsAreChecked) {
  auto store = open();
  EXPECT_THROW(store->create_queue("bad name", {}), Error);
  EXPECT_THROW(store->create_queue(std::string(64, 'a'), {}), Error);
  EXPECT_NO_THROW(store->create_queue(std::string(63, 'a'), {}));
  QueueSettings s;
  s.retention_secs = 59;
  EXPECT_THROW(store->create_queue("q", s), Error);
  s.retention_secs = 60;
  s.delivery_delay = 86401;
  EXPECT_THROW(store->create_queue("q", s), Error);
}

TEST_F(StoreTest, SendPeekAndBacklog) {
  auto store = open();
  QueueSettings settings;
  settings.delivery_delay = 10;
  Queue q = store->create_queue("q", settings);
  store->send(q, {json_message("{\"a\":1}"), json_message("2", 0), json_message("3", 100)}, std::nullopt);
  // Per-message delay beats the queue's delivery delay; an explicit 0 overrides it.
  auto ready = store->peek(q.key, 10, MessageState::Ready);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].body, "2");
  auto delayed = store->peek(q.key, 10, MessageState::Delayed);
  ASSERT_EQ(delayed.size(), 2u);
  EXPECT_EQ(delayed[0].visible_ms, clock_.now_ms() + 10000);
  EXPECT_EQ(delayed[1].visible_ms, clock_.now_ms() + 100000);
  Backlog b = store->backlog(q.key);
  EXPECT_EQ(b.count, 3);
  EXPECT_EQ(b.ready, 1);
  EXPECT_EQ(b.delayed, 2);
  EXPECT_EQ(b.leased, 0);
  EXPECT_EQ(b.bytes, 7 + 1 + 1);
  EXPECT_EQ(b.oldest_enqueued_ms, clock_.now_ms());
  clock_.advance_ms(10000);
  EXPECT_EQ(store->backlog(q.key).ready, 2);
  EXPECT_EQ(store->queue("q").counters.received, 3);
  // A batch delay sits between the per-message delay and the queue's.
  store->send(q, {json_message("4")}, 50);
  auto later = store->peek(q.key, 10, MessageState::Delayed);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].body, "4");
  EXPECT_EQ(later[0].visible_ms, clock_.now_ms() + 50000);
}

TEST_F(StoreTest, MessagesSurviveReopening) {
  {
    auto store = open();
    Queue q = store->create_queue("q", {});
    store->send(q, {json_message("\"kept\"")});
  }
  auto store = open();
  auto messages = store->peek(store->queue("q").key, 10);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].body, "\"kept\"");
  EXPECT_EQ(messages[0].id.size(), 32u);
}

TEST_F(StoreTest, ConsumersOnePerQueue) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.dead_letter_queue = "q-dlq";
  Consumer c = store->add_consumer(q, ConsumerType::Worker, "my-worker", s);
  EXPECT_EQ(c.queue_name, "q");
  EXPECT_EQ(c.settings.dead_letter_queue, "q-dlq");
  try {
    store->add_consumer(q, ConsumerType::HttpPull, "", ConsumerSettings::defaults_for(ConsumerType::HttpPull));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code::kConsumerExists);
  }
  c.settings.batch_size = 101;
  EXPECT_THROW(store->update_consumer(c), Error);
  c.settings.batch_size = 50;
  EXPECT_EQ(store->update_consumer(c).settings.batch_size, 50);
  store->remove_consumer(c.id);
  EXPECT_FALSE(store->consumer_of(q.key));
  s.dead_letter_queue = "q";
  EXPECT_THROW(store->add_consumer(q, ConsumerType::Worker, "w", s), Error);
}

TEST_F(StoreTest, TwoConnectionsSeeEachOthersWrites) {
  auto a = open();
  auto b = open();
  Queue q = a->create_queue("q", {});
  EXPECT_TRUE(b->find_queue("q"));
  b->send(q, {json_message("1")});
  EXPECT_EQ(a->backlog(q.key).count, 1);
}

// A dispatcher pass leases its batches in one transaction: each lease sees those before it,
// another connection sees none until the commit, and a pass left uncommitted leases nothing.
TEST_F(StoreTest, ALeasePassIsOneTransaction) {
  auto store = open();
  auto other = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  store->send(q, {json_message("1"), json_message("2"), json_message("3")});
  {
    Store::LeasePass pass(*store);
    LeaseResult first = pass.lease(q, s, 2, 30000, "owner");
    LeaseResult second = pass.lease(q, s, 2, 30000, "owner");
    ASSERT_EQ(first.messages.size(), 2u);
    ASSERT_EQ(second.messages.size(), 1u);
    EXPECT_EQ(second.messages[0].body, "3");
    EXPECT_NE(first.token, second.token);
  }  // not committed: rolled back
  EXPECT_EQ(other->backlog(q.key).leased, 0);
  EXPECT_EQ(other->backlog(q.key).ready, 3);
  Store::LeasePass pass(*store);
  EXPECT_EQ(pass.lease(q, s, 10, 30000, "owner").messages.size(), 3u);
  pass.commit();
  EXPECT_EQ(other->backlog(q.key).leased, 3);
  EXPECT_EQ(other->queue("q").counters.delivered, 3);
}

TEST_F(StoreTest, LeaseSettleAndLeaseExpiry) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.max_retries = 1;
  s.dead_letter_queue = "q-dlq";
  store->send(q, {json_message("1"), json_message("2"), json_message("3")});
  LeaseResult lease = store->lease(q, s, 2, 30000, "owner-a");
  ASSERT_EQ(lease.messages.size(), 2u);
  EXPECT_EQ(lease.messages[0].attempts, 1);
  Backlog b = store->backlog(q.key);
  EXPECT_EQ(b.leased, 2);
  EXPECT_EQ(b.ready, 1);
  // Concurrent leases never hand out the same message.
  LeaseResult other = store->lease(q, s, 10, 30000, "owner-b");
  ASSERT_EQ(other.messages.size(), 1u);
  EXPECT_EQ(other.messages[0].body, "3");

  SettleResult settled = store->settle(q, s, lease.token, {lease.messages[0].seq}, {{lease.messages[1].seq, 10}});
  EXPECT_EQ(settled.acked, 1);
  EXPECT_EQ(settled.retried, 1);
  EXPECT_EQ(store->backlog(q.key).delayed, 1);
  // A token that no longer holds a message changes nothing.
  EXPECT_EQ(store->settle(q, s, "stale", {other.messages[0].seq}, {}).acked, 0);

  // The other lease runs out unsettled: the message is ready again, and that was attempt 1.
  clock_.advance_ms(30001);
  EXPECT_EQ(store->backlog(q.key).ready, 2);
  LeaseResult again = store->lease(q, s, 10, 30000, "owner-b");
  ASSERT_EQ(again.messages.size(), 2u);  // "3" (lease ran out) and "2" (retry delay over)
  for (const auto& m : again.messages) EXPECT_EQ(m.attempts, 2);
  // Its second lease runs out too: that was its last allowed delivery (1 + max_retries).
  clock_.advance_ms(30001);
  LeaseResult last = store->lease(q, s, 10, 30000, "owner-b");
  EXPECT_TRUE(last.messages.empty());
  ASSERT_EQ(last.finished.size(), 2u);
  EXPECT_EQ(last.finished[0].to_queue, "q-dlq");
  Queue dlq = store->queue("q-dlq");
  auto moved = store->peek(dlq.key, 10);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].attempts, 0);
  EXPECT_EQ(moved[0].origin_queue, "q");
  EXPECT_EQ(moved[0].origin_attempts, 2);
  Queue after = store->queue("q");
  EXPECT_EQ(after.counters.delivered, 5);
  EXPECT_EQ(after.counters.acked, 1);
  EXPECT_EQ(after.counters.dead_lettered, 2);
  EXPECT_EQ(after.message_count, 0);
}

TEST_F(StoreTest, LastRetryWithoutADeadLetterQueueDeletes) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.max_retries = 0;
  store->send(q, {json_message("1")});
  LeaseResult lease = store->lease(q, s, 1, 1000, "o");
  SettleResult settled = store->settle(q, s, lease.token, {}, {{lease.messages[0].seq, 0}});
  ASSERT_EQ(settled.finished.size(), 1u);
  EXPECT_EQ(settled.finished[0].to_queue, "");
  EXPECT_EQ(store->backlog(q.key).count, 0);
}

// A dev that died (kill -9) cut its deliveries short: they are put back uncounted, so a message
// with max_retries 0 is delivered again rather than deleted, even once its lease ran out.
TEST_F(StoreTest, ReleasingADeadOwnersLeasesGivesTheirAttemptsBack) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.max_retries = 0;
  store->send(q, {json_message("1"), json_message("2")});
  store->lease(q, s, 1, 900000, "12345:1");
  store->lease(q, s, 1, 1000, "12345:1");
  clock_.advance_ms(2000);  // the second lease has run out, unsettled
  EXPECT_EQ(store->lease_owners(), (std::vector<std::string>{"12345:1"}));
  EXPECT_EQ(store->release_leases("12345:1"), 2);
  EXPECT_EQ(store->backlog(q.key).ready, 2);
  EXPECT_TRUE(store->lease_owners().empty());
  LeaseResult again = store->lease(q, s, 10, 1000, "o");
  EXPECT_TRUE(again.finished.empty());
  ASSERT_EQ(again.messages.size(), 2u);
  EXPECT_EQ(again.messages[0].attempts, 1);
  EXPECT_EQ(again.messages[1].attempts, 1);
}

// A delivery that dev's stop cut short is put back the same way, beside the batch's acks.
TEST_F(StoreTest, APutBackMessageIsDeliverableAgainUncounted) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.max_retries = 0;
  store->send(q, {json_message("acked"), json_message("cut")});
  LeaseResult lease = store->lease(q, s, 2, 900000, "o");
  Settlement cut{q, s, lease.token, {lease.messages[0].seq}, {}, {lease.messages[1].seq}, "killed"};
  SettleResult settled = store->settle(std::vector<Settlement>{cut}).front();
  EXPECT_EQ(settled.acked, 1);
  EXPECT_EQ(settled.put_back, 1);
  EXPECT_TRUE(settled.finished.empty());
  LeaseResult again = store->lease(q, s, 10, 1000, "o");
  ASSERT_EQ(again.messages.size(), 1u);
  EXPECT_EQ(again.messages[0].attempts, 1);
  EXPECT_EQ(again.messages[0].last_error, "") << "a stop is no error of the message's";
}

TEST_F(StoreTest, RetentionExpiresOldMessages) {
  auto store = open();
  QueueSettings s;
  s.retention_secs = 60;
  Queue q = store->create_queue("q", s);
  store->send(q, {json_message("old")});
  clock_.advance_ms(30000);
  store->send(q, {json_message("new")});
  clock_.advance_ms(30001);
  EXPECT_EQ(store->expire_messages(q), 1);
  auto left = store->peek(q.key, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].body, "new");
  EXPECT_EQ(store->queue("q").counters.expired, 1);
}

TEST_F(StoreTest, NextVisibleAndReadyCount) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  EXPECT_FALSE(store->next_visible_ms(q.key));
  store->send(q, {json_message("1", 5), json_message("2", 5)});
  EXPECT_EQ(store->next_visible_ms(q.key), clock_.now_ms() + 5000);
  EXPECT_EQ(store->count_ready(q.key, 10), 0);
  clock_.advance_ms(5000);
  EXPECT_EQ(store->count_ready(q.key, 10), 2);
  EXPECT_EQ(store->count_ready(q.key, 1), 1);
}

TEST_F(StoreTest, MigratesAnOlderFileForwardKeepingItsData) {
  std::filesystem::create_directories(dir_);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(migrations().at(0).sql);
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO queues (queue_id, name, created_ms, modified_ms) VALUES ('0123456789abcdef0123456789abcdef', 'old', 1, 1)");
    db.exec("INSERT INTO messages (qkey, id, content_type, body, size, enqueued_ms, visible_ms) "
            "VALUES (1, 'fedcba9876543210fedcba9876543210', 0, '1', 1, 1, 1)");
  }
  auto store = open();
  SQLite::Database db(path_.string());
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), Store::schema_version());
  Queue q = store->queue("old");
  EXPECT_EQ(q.flush_ms, 0);
  EXPECT_EQ(store->backlog(q.key).count, 1);
}

TEST_F(StoreTest, CountsAndBytesMatchWhatIsStoredAfterEveryKindOfChange) {
  auto store = open();
  Queue q = store->create_queue("q", {});
  ConsumerSettings s;
  s.max_retries = 0;
  s.dead_letter_queue = "q-dlq";
  store->send(q, {json_message("1"), json_message("22"), json_message("333")});
  LeaseResult lease = store->lease(q, s, 2, 1000, "o");
  store->settle(q, s, lease.token, {lease.messages[0].seq}, {{lease.messages[1].seq, 0}});  // ack; retry → DLQ
  Queue dlq = store->queue("q-dlq");
  store->replay(dlq, store->replay_candidates(dlq, {}));
  store->send(q, {json_message("4444")});
  auto left = store->peek(q.key, 10);
  store->delete_message(q.key, left[0].seq);
  SQLite::Database db(path_.string());
  for (const auto& queue : store->list_queues()) {
    SQLite::Statement actual(db, "SELECT count(*), coalesce(sum(size), 0) FROM messages WHERE qkey = ?");
    actual.bind(1, queue.key);
    actual.executeStep();
    EXPECT_EQ(queue.message_count, actual.getColumn(0).getInt64()) << queue.name;
    EXPECT_EQ(queue.message_bytes, actual.getColumn(1).getInt64()) << queue.name;
  }
  EXPECT_EQ(store->queue("q").message_count, 2);
}

namespace {

// Fills a queue with `count` messages of 4 KB, then purges it: leaves many free pages.
void fill_and_drain(Store& store, int count) {
  Queue q = store.ensure_queue("space");
  std::vector<OutgoingMessage> batch(50, json_message("\"" + std::string(4000, 'x') + "\""));
  for (int i = 0; i < count / 50; ++i) store.send(q, batch);
  store.purge_queue(q.key);
}

int64_t pragma(const std::filesystem::path& path, const std::string& name) {
  SQLite::Database db(path.string());
  return db.execAndGet("PRAGMA " + name).getInt64();
}

}  // namespace

TEST_F(StoreTest, GivesFreeSpaceBackAsAQueueDrainsInBoundedSteps) {
  auto store = open();
  EXPECT_EQ(pragma(path_, "auto_vacuum"), 2);  // incremental, from the first table on
  fill_and_drain(*store, 5000);
  int64_t before = pragma(path_, "page_count");
  int64_t free_before = pragma(path_, "freelist_count");
  ASSERT_GT(free_before, 5000);
  EXPECT_FALSE(store->enable_space_reclaim());  // already on

  EXPECT_EQ(store->reclaim_space(500), 500);  // one bounded step
  int64_t steps = 1;
  while (store->reclaim_space(500) > 0) ++steps;
  EXPECT_GE(steps, (free_before - 1024) / 500);
  EXPECT_EQ(pragma(path_, "freelist_count"), 1024);  // a few kept for the next sends
  int64_t after = pragma(path_, "page_count");
  EXPECT_LE(after, before - (free_before - 1024));  // pointer-map pages may go too
  EXPECT_EQ(store->reclaim_space(500), 0);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path_)), after * pragma(path_, "page_size"));
}

TEST_F(StoreTest, TheWalIsCutBackAfterACheckpoint) {
  auto store = open();
  fill_and_drain(*store, 10000);  // ~40 MB through the WAL
  std::filesystem::path wal = path_.string() + "-wal";
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  store->send(store->ensure_queue("space"), {json_message("1")});  // the next write starts the WAL over
  EXPECT_LE(std::filesystem::file_size(wal), 4u << 20);
}

TEST_F(StoreTest, AnOlderFileIsConvertedOnceToGiveSpaceBack) {
  std::filesystem::create_directories(dir_);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA auto_vacuum = NONE");
    db.exec("CREATE TABLE t (x)");  // fixes auto_vacuum off, as files of earlier flareqs have it
    db.exec("DROP TABLE t");
  }
  auto store = open();
  EXPECT_EQ(pragma(path_, "auto_vacuum"), 0);
  Queue q = store->ensure_queue("kept");
  store->send(q, {json_message("{\"a\":1}")});
  EXPECT_TRUE(store->enable_space_reclaim());
  EXPECT_EQ(pragma(path_, "auto_vacuum"), 2);
  EXPECT_FALSE(store->enable_space_reclaim());
  EXPECT_EQ(store->peek(q.key, 10).size(), 1u);  // data kept
}

// Group commit: sends from many threads are all committed, each gets its own result, and
// a send to an unknown queue fails alone; a commit that fails fails its sends and stores
// nothing of them, and the state file's own error reaches the sender as flareq's Error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "emulator/core/error.h"
#include "emulator/store/group_commit.h"
#include "emulator/store/state_file_error.h"

using namespace flareq;

TEST(GroupCommit, ManyThreadsEachGetTheirOwnCommittedResult) {
  auto dir = std::filesystem::temp_directory_path() / ("flareq-gc-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  FakeClock clock;
  constexpr int kThreads = 8, kSends = 200;
  std::atomic<int> commits{0}, entered{0};
  Store store(dir / "state.sqlite", Durability::Normal, clock);
  store.create_queue("q", {});
  // The first commit holds the committer until every thread is sending, so sends queue up
  // behind it and the next commits must take several at once.
  GroupCommit group(dir / "state.sqlite", Durability::Normal, clock, [&] {
    if (commits++ == 0)
      while (entered < kThreads) std::this_thread::yield();
  });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, refused{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSends; ++i) {
        if (i == 0) ++entered;
        std::vector<OutgoingMessage> one{{ContentType::Text, std::to_string(t * kSends + i), std::nullopt}};
        try {
          SendResult r = group.send(i % 50 == 0 ? "missing" : "q", one, std::nullopt);
          EXPECT_EQ(r.messages.size(), 1u);
          EXPECT_GE(r.metrics.count, 1);  // its own message at least, the whole run's at most
          EXPECT_LE(r.metrics.count, kThreads * kSends);
          ++ok;
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), code::kQueueNotFound);
          ++refused;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused, kThreads * kSends / 50);
  EXPECT_EQ(ok, kThreads * kSends - refused);
  EXPECT_EQ(store.backlog(store.queue("q").key).count, ok);
  // Concurrent sends shared commits: fewer commits than committed sends.
  EXPECT_LT(commits, ok);
  EXPECT_GE(commits, 2);
  std::filesystem::remove_all(dir);
}

TEST(GroupCommit, AFailedCommitFailsItsSendAndStoresNothing) {
  auto dir = std::filesystem::temp_directory_path() / ("flareq-gc-fail-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  FakeClock clock;
  Store store(dir / "state.sqlite", Durability::Normal, clock);
  Queue q = store.create_queue("q", {});
  {
    // A commit that fails inside SQLite, as on a full disk.
    SQLite::Database db((dir / "state.sqlite").string(), SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN CAST(NEW.body AS TEXT) = 'refused' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  GroupCommit group(dir / "state.sqlite", Durability::Normal, clock);
  std::vector<OutgoingMessage> two{{ContentType::Text, "first", std::nullopt}, {ContentType::Text, "refused", std::nullopt}};
  // The store's SQLite error leaves it as flareq's Error (store/state_file_error.h).
  try {
    group.send("q", two, std::nullopt);
    ADD_FAILURE() << "the send was not refused";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "state file error: disk full");
    EXPECT_EQ(e.http_status(), 500);  // a constraint, not a passing state of the disk
  }
  EXPECT_EQ(store.backlog(q.key).count, 0);
  std::vector<OutgoingMessage> fine{{ContentType::Text, "fine", std::nullopt}};
  EXPECT_EQ(group.send("q", fine, std::nullopt).metrics.count, 1);
  std::filesystem::remove_all(dir);
}

TEST(StateFileError, ABusyFullOrFailingDiskPassesAndAnythingElseIsAFault) {
  EXPECT_EQ(state_file_error(SQLite::Exception("database is locked", SQLITE_BUSY)).http_status(), 503);
  EXPECT_EQ(state_file_error(SQLite::Exception("disk I/O error", SQLITE_IOERR_WRITE)).http_status(), 503);
  EXPECT_EQ(state_file_error(SQLite::Exception("database or disk is full", SQLITE_FULL)).http_status(), 503);
  Error corrupt = state_file_error(SQLite::Exception("file is not a database", SQLITE_NOTADB));
  EXPECT_EQ(corrupt.http_status(), 500);
  EXPECT_EQ(corrupt.code(), code::kInternal);
  EXPECT_STREQ(corrupt.what(), "state file error: file is not a database");
}

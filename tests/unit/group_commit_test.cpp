// Group commit: sends from many threads are all committed, each gets its own result, and
// a send to an unknown queue fails alone; a commit that fails fails its sends and stores
// nothing of them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "emulator/core/error.h"
#include "emulator/store/group_commit.h"

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
  EXPECT_THROW(group.send("q", two, std::nullopt), SQLite::Exception);
  EXPECT_EQ(store.backlog(q.key).count, 0);
  std::vector<OutgoingMessage> fine{{ContentType::Text, "fine", std::nullopt}};
  EXPECT_EQ(group.send("q", fine, std::nullopt).metrics.count, 1);
  std::filesystem::remove_all(dir);
}

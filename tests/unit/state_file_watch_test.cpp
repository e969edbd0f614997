// Noticing writes to a state file's WAL (emulator/store/state_file_watch.h).
#include "emulator/store/state_file_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "test_dir.h"

namespace flareq {
namespace {

// Polls `done` for up to 10 s: only a failing test waits that long.
bool within_10s(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST(StateFileWatch, AWriteToTheWalCallsBackAndOtherFilesDoNot) {
  auto dir = fresh_test_dir("flareq-watch-");
  std::atomic<int> calls{0};
  {
    StateFileWatch watch(dir / "state.sqlite", [&] { ++calls; });
    ASSERT_TRUE(watch.watching());
    std::ofstream(dir / "state.sqlite.api.json") << "{}";  // other files of the folder
    std::ofstream(dir / "state.sqlite") << "x";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(calls.load(), 0);
    std::ofstream(dir / "state.sqlite-wal") << "frame";
    ASSERT_TRUE(within_10s([&] { return calls.load() > 0; }));
    // A WAL made again (every connection closed it) is still watched: the folder is.
    std::filesystem::remove(dir / "state.sqlite-wal");
    int before = calls.load();
    std::ofstream(dir / "state.sqlite-wal") << "frame";
    EXPECT_TRUE(within_10s([&] { return calls.load() > before; }));
  }
  int after = calls.load();
  std::ofstream(dir / "state.sqlite-wal", std::ios::app) << "more";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), after) << "no call once the watch is gone";
  std::filesystem::remove_all(dir);
}

TEST(StateFileWatch, AFolderThatCannotBeWatchedSaysSo) {
  StateFileWatch watch("/nonexistent-flareq-folder/state.sqlite", [] {});
  EXPECT_FALSE(watch.watching());
}

}  // namespace
}  // namespace flareq

// ConfigWatch (emulator/dev/config_watch.h) over a fake clock and real files: an edit that
// loads is a change, a save of the same text is not (each build of a build's config is), an
// edit that does not load is logged once, and the files are looked at no more than every 250 ms.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>

#include "emulator/config/config.h"
#include "emulator/dev/config_watch.h"
#include "test_dir.h"

using namespace flareq;

namespace {

constexpr const char* kConfig = R"({ "name": "w", "queues": { "consumers": [{ "queue": "q", "max_batch_size": 1 }] } })";

class ConfigWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_test_dir("flareq-config-watch-");
    write(kConfig);
    configs_.push_back(config::load_config(path(), ""));
    watch_ = std::make_unique<dev::ConfigWatch>(configs_, log_, clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path path() const { return dir_ / "wrangler.jsonc"; }
  void write(const std::string& text) { std::ofstream(path(), std::ios::trunc) << text; }
  // Asks after the 250 ms between looks.
  bool changed() {
    clock_.advance_ms(250);
    return watch_->changed();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::vector<std::string> lines_;
  Log log_{[this](const std::string& line) { lines_.push_back(line); }};
  std::vector<config::Config> configs_;
  std::unique_ptr<dev::ConfigWatch> watch_;
};

}  // namespace

TEST_F(ConfigWatchTest, AnEditThatLoadsIsAChangeAndNamesTheFile) {
  EXPECT_FALSE(changed());
  write(std::string(kConfig) + "\n// a comment\n");
  EXPECT_TRUE(changed());
  EXPECT_EQ(watch_->changed_file(), path());
  EXPECT_TRUE(lines_.empty());
}

TEST_F(ConfigWatchTest, SavingTheSameTextIsNoChange) {
  write(kConfig);
  EXPECT_FALSE(changed());
}

TEST_F(ConfigWatchTest, AnEditThatDoesNotLoadIsLoggedOnceAndItsFixIsAChange) {
  std::string broken = kConfig;
  broken.replace(broken.find("1 }"), 1, "\"one\"");
  write(broken);
  EXPECT_FALSE(changed());
  EXPECT_FALSE(changed());
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find("wrangler.jsonc:1:"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[1], path().string() + " changed but does not load: dev keeps running on the version it started with");
  write(std::string(kConfig) + " ");
  EXPECT_TRUE(changed());
}

TEST_F(ConfigWatchTest, FilesAreLookedAtNoMoreThanEvery250Ms) {
  EXPECT_FALSE(changed());
  write(std::string(kConfig) + " ");
  clock_.advance_ms(100);
  EXPECT_FALSE(watch_->changed());  // 100 ms after the last look
  clock_.advance_ms(150);
  EXPECT_TRUE(watch_->changed());
}

TEST_F(ConfigWatchTest, AFileIsShownRelativeToTheCurrentDirectoryWhenBelowIt) {
  EXPECT_EQ(dev::ConfigWatch::shown(std::filesystem::current_path() / "b" / "wrangler.jsonc"), "b/wrangler.jsonc");
  EXPECT_EQ(dev::ConfigWatch::shown("b/wrangler.jsonc"), "b/wrangler.jsonc");
  EXPECT_EQ(dev::ConfigWatch::shown(path()), path().string());  // the test's folder is not below it
}

// A config that a build wrote (a Vite project's) is written again by each build, mostly with the
// same text: each build is a change, so that dev runs it (wrangler dev keeps the first one).
TEST_F(ConfigWatchTest, EachBuildOfABuildsConfigIsAChangeEvenWithTheSameText) {
  std::string built = R"({ "name": "w", "main": "index.js", "userConfigPath": "../../wrangler.jsonc" })";
  write(built);
  configs_ = {config::load_config(path(), "")};
  watch_ = std::make_unique<dev::ConfigWatch>(configs_, log_, clock_);
  EXPECT_FALSE(changed());
  struct timespec later[2] = {{0, UTIME_OMIT}, {time(nullptr) + 5, 0}};  // the build writes it again
  write(built);
  ASSERT_EQ(utimensat(AT_FDCWD, path().c_str(), later, 0), 0);
  EXPECT_TRUE(changed());
  EXPECT_EQ(watch_->changed_file_shown(), path().string() + " (a new build)");
}

// Behind a build's config, the user's own: an edit of it is not what runs (the build's config
// is), so it is said, once per edit, with what brings it in; dev does not start again for it.
TEST_F(ConfigWatchTest, AnEditOfTheUsersConfigBehindABuildIsSaidNotApplied) {
  std::filesystem::path built = dir_ / "build.json";
  std::ofstream(built) << R"({ "name": "w", "main": "index.js", "userConfigPath": "wrangler.jsonc" })";
  configs_ = {config::load_config(built, "")};
  watch_ = std::make_unique<dev::ConfigWatch>(configs_, log_, clock_);
  EXPECT_FALSE(changed());
  write(std::string(kConfig) + "\n// a new queue, say\n");
  EXPECT_FALSE(changed());
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "note: " + path().string() + " changed; the Worker runs the build's config, which takes the "
                       "change when the project builds again (npm run build)");
  EXPECT_FALSE(changed());
  EXPECT_EQ(lines_.size(), 1u) << "said once per edit";
}

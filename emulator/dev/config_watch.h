// Noticing that a config `flareq dev` runs on was edited, so that dev starts again with it
// (its queues, consumers and bindings are applied at start). A file whose text changed and
// still loads is a change; one that no longer loads is logged once, with its file:line, and
// dev keeps running on the last good one, as wrangler keeps the last good build. A config a
// build wrote (a Vite project's) changes with each build, its text or not: the new build is run;
// an edit of the user's config behind it is said (it reaches dev with the next build).
#pragma once
#include <signal.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/core/clock.h"
#include "emulator/dispatch/log.h"

namespace flareq::dev {

class ConfigWatch {
 public:
  // Takes the files' text now: later edits are compared with it.
  ConfigWatch(const std::vector<config::Config>& configs, Log& log, const Clock& clock);

  // True once a config's text has changed and the file loads; the files are looked at no more
  // than every 250 ms of `clock`'s steady time (and only read when their size or time moved).
  bool changed();
  // The file that changed, once changed() said so; and as dev shows it: relative to the
  // current directory when it is below it ("wrangler.jsonc", "b/wrangler.jsonc").
  const std::filesystem::path& changed_file() const { return changed_file_; }
  std::string changed_file_shown() const { return shown(changed_file_) + (changed_build_ ? " (a new build)" : ""); }

  static std::string shown(const std::filesystem::path& file);

 private:
  struct Watched {
    std::filesystem::path path;
    std::string env;
    std::string text;        // as dev loaded it
    struct timespec mtime{};  // of the last look
    off_t size = 0;
    std::string refused;     // the text whose error was logged, so that it is logged once
    bool built = false;      // written by the project's build
    bool source_of_build = false;  // the user's config behind a build's: its edits are said, not applied
  };
  Log& log_;
  const Clock& clock_;
  std::vector<Watched> files_;
  int64_t next_look_ms_ = 0;
  std::filesystem::path changed_file_;
  bool changed_build_ = false;
};

// After an edited config failed to start: waits until a config is edited again into one that
// loads (true), or until one of `signals` (blocked: SIGINT, SIGTERM) comes (false).
bool wait_for_config_edit(const std::vector<config::Config>& configs, const sigset_t& signals, Log& log);

}  // namespace flareq::dev

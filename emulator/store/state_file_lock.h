// Who uses a state file: every `flareq dev` holds a shared lock on it (a flock on
// STATE.lock beside it), and a reset takes the lock exclusively first, so that nothing deletes
// the file under a running dev (which would go on answering 2xx into a deleted file).
#pragma once
#include <filesystem>
#include <string>

namespace flareq {

class StateFileLock {
 public:
  // Takes the lock for `state` (the lock file is created beside it): shared, waiting for an
  // exclusive holder to finish; or, when `exclusive`, without waiting, throwing Error with
  // the processes that hold it when it cannot.
  StateFileLock(const std::filesystem::path& state, bool exclusive);
  ~StateFileLock();
  StateFileLock(const StateFileLock&) = delete;
  StateFileLock& operator=(const StateFileLock&) = delete;

  // From exclusive to shared (after a reset made the new file).
  void share();

 private:
  int fd_ = -1;
};

// The processes that hold a lock on `lock_file` ("flareq dev (pid 1234)"), from /proc/locks;
// "another process" when they cannot be told.
std::string lock_holders(const std::filesystem::path& lock_file);
// The other processes that use the state file `state` (that hold its lock), as above; empty when
// there are none.
std::string other_users(const std::filesystem::path& state);

}  // namespace flareq

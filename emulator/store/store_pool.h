// One Store connection per thread, opened on first use: SQLite connections must not be
// shared between threads, and the HTTP server and the dispatcher run many threads.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "emulator/store/store.h"

namespace flareq {

class StorePool {
 public:
  StorePool(std::filesystem::path path, Durability durability, const Clock& clock);
  ~StorePool();
  Store& local();  // this thread's connection
  const std::filesystem::path& path() const { return path_; }
  const Clock& clock() const { return clock_; }
  Durability durability() const { return durability_; }

 private:
  std::filesystem::path path_;
  Durability durability_;
  const Clock& clock_;
  uint64_t serial_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Store>> stores_;
};

}  // namespace flareq

// One connection per thread: a thread-local cache in front of a locked list.
#include "emulator/store/store_pool.h"

#include <atomic>

namespace flareq {
namespace {
std::atomic<uint64_t> next_serial{1};
struct LocalStore {
  uint64_t serial = 0;
  Store* store = nullptr;
};
thread_local LocalStore local_store;
}  // namespace

StorePool::StorePool(std::filesystem::path path, Durability durability, const Clock& clock)
    : path_(std::move(path)), durability_(durability), clock_(clock), serial_(next_serial++) {}

StorePool::~StorePool() = default;

Store& StorePool::local() {
  if (local_store.serial == serial_) return *local_store.store;
  auto store = std::make_unique<Store>(path_, durability_, clock_);
  Store* raw = store.get();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stores_.push_back(std::move(store));
  }
  local_store = {serial_, raw};
  return *raw;
}

}  // namespace flareq

// An IMMEDIATE transaction that first takes a process-wide lock: writers in one process
// take turns on a mutex instead of spinning in SQLite's busy handler, which sleeps in
// milliseconds; SQLite's own lock (and busy timeout) still orders writers across processes.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <mutex>

namespace flareq {

class WriteTransaction {
 public:
  explicit WriteTransaction(SQLite::Database& db)
      : lock_(mutex()), tx_(db, SQLite::TransactionBehavior::IMMEDIATE) {}
  void commit() { tx_.commit(); }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::unique_lock<std::mutex> lock_;
  SQLite::Transaction tx_;
};

}  // namespace flareq

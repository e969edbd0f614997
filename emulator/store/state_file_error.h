// A failure of the state file (SQLite's), as flareq's Error: where the store's SQLite errors
// leave the store. A busy, full or failing disk passes (503: try again; the SDK retries it by
// itself); anything else is a fault of the file (500).
#pragma once
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "emulator/core/error.h"

namespace flareq {

inline Error state_file_error(const SQLite::Exception& e) {
  int primary = e.getErrorCode() & 0xff;
  bool passing = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL || primary == SQLITE_IOERR;
  return Error(code::kInternal, passing ? 503 : 500, std::string("state file error: ") + e.what());
}

}  // namespace flareq

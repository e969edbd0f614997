// The SQL migrations of schema/, embedded at build time; version N brings a state file
// from user_version N-1 to N.
#pragma once
#include <vector>

namespace flareq {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& migrations();

}  // namespace flareq

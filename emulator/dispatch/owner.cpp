// Lease owners as "pid:start time", read from /proc/PID/stat (field 22), so a reused pid
// is not mistaken for the process that took the lease.
#include "emulator/dispatch/owner.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace flareq {
namespace {

std::string start_time_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  // The command name (field 2) may hold spaces; fields after it follow the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return "";
}

}  // namespace

std::string this_process_owner() {
  long pid = static_cast<long>(getpid());
  return std::to_string(pid) + ":" + start_time_of(pid);
}

bool owner_alive(const std::string& owner) {
  size_t colon = owner.find(':');
  if (colon == std::string::npos || colon == 0) return true;
  long pid = 0;
  try {
    pid = std::stol(owner.substr(0, colon));
  } catch (const std::exception&) {
    return true;
  }
  std::string start = start_time_of(pid);
  return !start.empty() && start == owner.substr(colon + 1);
}

}  // namespace flareq

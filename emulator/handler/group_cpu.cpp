// A process group's CPU time from /proc (group_cpu.h).
#include "emulator/handler/group_cpu.h"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace flareq::handler {

namespace {

struct ProcessStat {
  pid_t pgrp = 0;
  int64_t ticks = 0;  // utime + stime
};

// /proc/PID/stat: the fields after the command name, which may hold spaces and parentheses,
// so it is skipped up to its last ')'. pgrp is field 5, utime and stime fields 14 and 15.
std::optional<ProcessStat> read_stat(const char* pid) {
  std::ifstream in(std::string("/proc/") + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  ProcessStat stat;
  int64_t utime = 0, stime = 0;
  fields >> skip >> skip >> stat.pgrp;  // state, ppid, pgrp
  for (int field = 6; field <= 13; ++field) fields >> skip;
  fields >> utime >> stime;
  if (!fields) return std::nullopt;
  stat.ticks = utime + stime;
  return stat;
}

}  // namespace

std::optional<int64_t> group_cpu_ms(pid_t pgid) {
  if (pgid <= 0) return std::nullopt;
  DIR* proc = opendir("/proc");
  if (!proc) return std::nullopt;
  int64_t ticks = 0;
  bool found = false;
  while (dirent* entry = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    auto stat = read_stat(entry->d_name);
    if (!stat || stat->pgrp != pgid) continue;
    ticks += stat->ticks;
    found = true;
  }
  closedir(proc);
  if (!found) return std::nullopt;
  static const long per_second = sysconf(_SC_CLK_TCK);
  return ticks * 1000 / (per_second > 0 ? per_second : 100);
}

}  // namespace flareq::handler

// How much CPU a process group has used: what dev says of a batch that runs long, when the
// handler's processes (the Worker's runtime) were busy on the CPU all the while (a loop that
// never ends, rather than a wait on I/O).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace flareq::handler {

// The user and system CPU time, in milliseconds, of the live processes of group `pgid` (from
// /proc; what exited processes used is not counted); nullopt when no process of it is found.
std::optional<int64_t> group_cpu_ms(pid_t pgid);

}  // namespace flareq::handler

// Who holds a lease: a process, named so that another process can tell whether it is
// still running ("pid:start-time", immune to pid reuse).
#pragma once
#include <string>

namespace flareq {

std::string this_process_owner();
// False only when the owner is a process of this machine that is gone.
bool owner_alive(const std::string& owner);

}  // namespace flareq

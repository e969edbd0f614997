// The state file's lock (state_file_lock.h): flock(2) on a file of its own, since SQLite's
// own POSIX locks on the database are dropped when any descriptor of it is closed.
#include "emulator/store/state_file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "emulator/core/error.h"
#include "emulator/store/state_file_access.h"

namespace flareq {

namespace {

std::filesystem::path lock_path(const std::filesystem::path& state) { return state.string() + ".lock"; }

// "flareq dev (pid 1234)": the process's command line, shortened to its program and first word.
std::string describe_process(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> words;
  std::istringstream split(raw);
  for (std::string w; std::getline(split, w, '\0') && words.size() < 8;) words.push_back(w);
  std::string name = words.empty() ? "a process" : std::filesystem::path(words[0]).filename().string();
  for (size_t i = 1; i < words.size(); ++i)
    if (words[i] == "dev") name += " dev";
  return name + " (pid " + std::to_string(pid) + ")";
}

// The processes other than this one that hold a lock on `lock_file`, from /proc/locks.
std::set<int> holder_pids(const std::filesystem::path& lock_file) {
  std::set<int> pids;
  struct stat st {};
  if (::stat(lock_file.c_str(), &st) != 0) return pids;
  // Lines like "1: FLOCK  ADVISORY  READ  1234 08:01:5678 0 EOF" (device numbers in hex).
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string number, kind, advisory, mode, device;
    int pid = 0;
    if (!(fields >> number >> kind) || kind != "FLOCK") continue;
    if (!(fields >> advisory >> mode >> pid >> device)) continue;
    size_t colon = device.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::stoull(device.substr(colon + 1)) == st.st_ino && pid != getpid()) pids.insert(pid);
  }
  return pids;
}

std::string describe_processes(const std::set<int>& pids) {
  std::string out;
  for (int pid : pids) out += (out.empty() ? "" : ", ") + describe_process(pid);
  return out;
}

}  // namespace

StateFileLock::StateFileLock(const std::filesystem::path& state, bool exclusive) {
  std::error_code ec;
  if (state.has_parent_path()) std::filesystem::create_directories(state.parent_path(), ec);
  std::filesystem::path path = lock_path(state);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    std::string why = errno == EACCES || errno == EROFS ? state_file_access_problem(state) : "";
    throw Error(code::kInternal, 500, "cannot open " + path.string() + ": " + (why.empty() ? strerror(errno) : why));
  }
  int taken;
  do taken = flock(fd_, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH);
  while (taken != 0 && errno == EINTR);
  if (taken == 0) return;
  int e = errno;
  ::close(fd_);
  fd_ = -1;
  if (e == EWOULDBLOCK)
    throw Error(code::kInternal, 409,
                "refusing to reset " + state.string() + ": " + lock_holders(path) +
                    " is using it; stop it first, or give this dev a state file of its own (--state)");
  throw Error(code::kInternal, 500, "cannot lock " + path.string() + ": " + strerror(e));
}

StateFileLock::~StateFileLock() {
  if (fd_ >= 0) ::close(fd_);
}

void StateFileLock::share() {
  if (fd_ >= 0) flock(fd_, LOCK_SH);
}

std::string lock_holders(const std::filesystem::path& lock_file) {
  std::set<int> pids = holder_pids(lock_file);
  return pids.empty() ? "another process" : describe_processes(pids);
}

std::string other_users(const std::filesystem::path& state) { return describe_processes(holder_pids(lock_path(state))); }

}  // namespace flareq

// Why this process may not write a state file (state_file_access.h).
#include "emulator/store/state_file_access.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace flareq {

namespace {

std::string user_name(uid_t uid) {
  if (passwd* pw = getpwuid(uid)) return pw->pw_name;
  return std::to_string(uid);
}

// The sentence for one path that exists and is not writable, or "". What flareq made (the file,
// its .flareq folder) is `give_back`, to be given back to the user; "" for a folder of theirs.
std::string not_writable(const std::filesystem::path& path, const std::filesystem::path& give_back) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || ::access(path.c_str(), W_OK) == 0) return "";
  if (errno == EROFS) return path.string() + " is on a read-only file system: pass --state with a path you can write";
  std::string me = user_name(geteuid());
  std::string problem = path.string() + " belongs to " + user_name(st.st_uid) + ", and you (" + me + ") cannot write it";
  if (give_back.empty()) return problem + ": pass --state with a path you can write";
  if (st.st_uid != geteuid())
    return problem + (st.st_uid == 0 ? ": was flareq run with sudo? " : ": ") + "give it back (sudo chown -R " + me +
           " " + give_back.string() + ") or pass --state";
  return problem + ": chmod u+w it, or pass --state";
}

}  // namespace

std::string state_file_access_problem(const std::filesystem::path& state) {
  std::filesystem::path file = std::filesystem::absolute(state), folder = file.parent_path();
  std::error_code ec;
  // A folder not made yet is to be made in the nearest one that is.
  std::filesystem::path existing = folder;
  while (!std::filesystem::exists(existing, ec) && existing != existing.parent_path()) existing = existing.parent_path();
  bool flareqs_folder = existing == folder && folder.filename() == ".flareq";
  if (std::string problem = not_writable(existing, flareqs_folder ? folder : ""); !problem.empty()) return problem;
  return not_writable(file, flareqs_folder ? folder : file);
}

}  // namespace flareq

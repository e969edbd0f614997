// Runs the real flareq binary for integration tests: one-shot commands with captured
// output, and long-running `dev` processes on port 0 with a temporary state file.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace flareq::testing {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (FLAREQ_BINARY when argv[0] is "flareq") with `input` on stdin.
Result run(std::vector<std::string> argv, const std::string& input = "",
           const std::map<std::string, std::string>& env = {}, const std::filesystem::path& cwd = {});

// A fresh directory per test, removed at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace flareq::testing

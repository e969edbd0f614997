// Rewriting a request line's path prefix (path_rewrites.h).
#include "emulator/http/path_rewrites.h"

namespace flareq::api {

std::string rewrite_request_line(std::string_view line, const PathRewrites& rules) {
  size_t target = line.find(' ');
  if (target == std::string_view::npos) return std::string(line);
  ++target;
  size_t target_end = line.find(' ', target);
  if (target_end == std::string_view::npos) return std::string(line);
  std::string_view path = line.substr(target, target_end - target);
  for (const auto& rule : rules) {
    if (rule.from.empty() || path.substr(0, rule.from.size()) != rule.from) continue;
    if (path.size() > rule.from.size() && path[rule.from.size()] != '/' && path[rule.from.size()] != '?') continue;
    std::string out(line.substr(0, target));
    out += rule.to;
    out += line.substr(target + rule.from.size());
    return out;
  }
  return std::string(line);
}

}  // namespace flareq::api

// Stack frames of a bundled Worker pointed back at the files they were built from: a frame's
// "path:line:column" whose file has a source map beside it (path + ".map", as wrangler writes
// the bundle it runs) names the original file, line and column instead, as `wrangler dev` shows
// them. Text with no such frame is left as it is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace flareq::handler {

// One source map (version 3), decoded: for each generated line, its segments in column order.
class SourceMap {
 public:
  struct Position {
    std::string source;  // the original file's path (or URL), resolved against the map's place
    int64_t line;        // 1-based
    int64_t column;      // 1-based
  };
  // nullopt when the text is not a version 3 source map. map_dir: the map file's directory,
  // which relative sources (and a relative sourceRoot) are resolved against.
  static std::optional<SourceMap> parse(const std::string& text, const std::filesystem::path& map_dir);
  // Where a generated position (1-based, as in a stack frame) came from, if the map knows.
  std::optional<Position> find(int64_t line, int64_t column) const;

 private:
  struct Segment {
    int64_t column;         // generated, 0-based
    int64_t source;         // index into sources_; -1 for a segment that maps to nothing
    int64_t line;           // original, 0-based
    int64_t source_column;  // original, 0-based
  };
  std::vector<std::string> sources_;
  std::vector<std::vector<Segment>> lines_;
};

// Source maps as found on disk, each read again only when its file changes (a rebuild).
class SourceMaps {
 public:
  // The text with every frame that a map beside its file knows rewritten to the original place.
  std::string map_stack(const std::string& text);

 private:
  const SourceMap* map_for(const std::string& bundle);
  struct Loaded {
    std::filesystem::file_time_type modified;
    uintmax_t size = 0;
    std::optional<SourceMap> map;
  };
  std::mutex mutex_;
  std::map<std::string, Loaded> loaded_;
};

}  // namespace flareq::handler

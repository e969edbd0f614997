// A parsed config file: its value as JSON, and where each value stood in the file, so
// that every later error can name file:line:column and the field's path.
#pragma once
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flareq::config {

struct SourcePos {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct Document {
  nlohmann::json value;
  // Keyed by the field's path as wrangler prints it: queues.consumers[0].max_batch_size
  std::map<std::string, SourcePos> positions;

  SourcePos position_of(const std::string& path) const {
    auto it = positions.find(path);
    return it == positions.end() ? SourcePos{} : it->second;
  }
};

class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(SourcePos pos, const std::string& message)
      : std::runtime_error(message), pos_(pos) {}
  SourcePos pos() const { return pos_; }

 private:
  SourcePos pos_;
};

// JSON with // and /* */ comments and trailing commas, as wrangler reads wrangler.jsonc.
Document parse_jsonc(std::string_view text);
// wrangler.toml through toml++.
Document parse_toml(std::string_view text, const std::string& source_name);
// A config file read and parsed by its extension; throws ConfigError or SyntaxError.
Document read_document(const std::filesystem::path& file);

}  // namespace flareq::config

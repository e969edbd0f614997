// wrangler.toml → the same Document as JSONC gives, positions included, so the loader's
// rules are written once.
#include <toml++/toml.h>

#include <cmath>

#include "emulator/config/document.h"

namespace flareq::config {
namespace {

// Deeper than any real config, and shallow enough for toml++'s and our own recursion: a
// table header of 30,000 segments overflowed the stack.
constexpr int kMaxTomlDepth = 64;

// Finds, without parsing, the first line whose key has more than kMaxTomlDepth dotted
// segments or where arrays and inline tables nest deeper than that; throws there.
void check_nesting(std::string_view text) {
  int line = 1, brackets = 0, dots = 0;
  size_t line_start = 0;
  char quote = 0;
  bool comment = false, in_key = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      comment = false;
      in_key = brackets == 0;
      dots = 0;
      if (quote == '"' || quote == '\'') quote = 0;  // single-line strings end here
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '#') comment = true;
    else if (c == '=') in_key = false;
    else if (c == '.' && in_key && ++dots > kMaxTomlDepth)
      throw SyntaxError({line, static_cast<int>(i - line_start + 1)}, "a key nests more than " + std::to_string(kMaxTomlDepth) + " levels deep");
    else if ((c == '[' || c == '{') && !in_key && ++brackets > kMaxTomlDepth)
      throw SyntaxError({line, static_cast<int>(i - line_start + 1)}, "values nest more than " + std::to_string(kMaxTomlDepth) + " levels deep");
    else if ((c == ']' || c == '}') && !in_key && brackets > 0)
      --brackets;
  }
}

nlohmann::json convert(const toml::node& node, const std::string& path, Document& doc) {
  const auto& src = node.source();
  doc.positions[path] = {static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)};
  if (auto* t = node.as_table()) {
    nlohmann::json obj = nlohmann::json::object();
    for (auto&& [key, value] : *t) {
      std::string k(key.str());
      obj[k] = convert(value, path.empty() ? k : path + "." + k, doc);
    }
    return obj;
  }
  if (auto* a = node.as_array()) {
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < a->size(); ++i)
      arr.push_back(convert(*a->get(i), path + "[" + std::to_string(i) + "]", doc));
    return arr;
  }
  if (auto* v = node.as_string()) return v->get();
  if (auto* v = node.as_integer()) return v->get();
  if (auto* v = node.as_floating_point()) {
    if (!std::isfinite(v->get()))
      throw SyntaxError({static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)},
                        path + " must be a finite number, got " + (std::isnan(v->get()) ? "nan" : "inf"));
    return v->get();
  }
  if (auto* v = node.as_boolean()) return v->get();
  // Dates and times have no meaning in a queues config; keep them as text.
  std::ostringstream os;
  node.visit([&os](auto&& n) { os << n; });
  return os.str();
}

}  // namespace

Document parse_toml(std::string_view text, const std::string& source_name) {
  Document doc;
  check_nesting(text);
  try {
    toml::table table = toml::parse(text, source_name);
    doc.value = convert(table, "", doc);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    throw SyntaxError({static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)},
                      std::string(e.description()));
  }
  return doc;
}

}  // namespace flareq::config

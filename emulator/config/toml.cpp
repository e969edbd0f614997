// wrangler.toml → the same Document as JSONC gives, positions included, so the loader's
// rules are written once.
#include <toml++/toml.h>

#include "emulator/config/document.h"

namespace flareq::config {
namespace {

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
  if (auto* v = node.as_floating_point()) return v->get();
  if (auto* v = node.as_boolean()) return v->get();
  // Dates and times have no meaning in a queues config; keep them as text.
  std::ostringstream os;
  node.visit([&os](auto&& n) { os << n; });
  return os.str();
}

}  // namespace

Document parse_toml(std::string_view text, const std::string& source_name) {
  Document doc;
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

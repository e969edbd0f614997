// wrangler's own diagnostics of a config ("compatibility_date" field should be …) given the
// place of the field they name, as flareq's config errors have it.
#pragma once
#include <filesystem>
#include <string>

namespace flareq::config {

// `text` with "file:line:column: " put after the "- " of each item of wrangler's list of
// diagnostics that names a field of `file` in double quotes; the field of environment `env` where
// it has one. Other lines, and all of them when the file cannot be read, stay as they are.
std::string place_fields(const std::filesystem::path& file, const std::string& env, const std::string& text);

}  // namespace flareq::config

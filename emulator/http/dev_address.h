// Where a running `flareq dev` serves its API, for CLI commands that must go through it (an R2
// write is made by the Worker that binds the bucket): dev writes STATE.api.json beside its
// state file while it serves ({url, token, pid}; readable by its user only) and removes it
// when it stops; a command reads it and calls the API.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/core/result.h"

namespace flareq::api {

std::filesystem::path dev_address_file(const std::filesystem::path& state);
void write_dev_address(const std::filesystem::path& state, const std::string& url, const std::string& token);
// Removes the file if it still names this process (another dev may have started since).
void remove_dev_address(const std::filesystem::path& state);

// Calls the API of the dev serving `state`: `path` is under /client/v4. The envelope's result,
// or why not (no dev runs, it did not answer, or its error message).
Result<nlohmann::json> call_dev(const std::filesystem::path& state, const std::string& method, const std::string& path,
                                const std::string& body, const std::string& content_type);

}  // namespace flareq::api

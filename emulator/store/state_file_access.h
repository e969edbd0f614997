// Why this process may not write a state file: the part of the path it lacks write access to,
// whose it is, and what to do (most often a folder left by a `sudo flareq …`).
#pragma once
#include <filesystem>
#include <string>

namespace flareq {

// "" when the file (or, where it does not exist yet, its folder) and its folder are writable;
// otherwise a sentence, e.g. "/p/.flareq belongs to root, and you (ana) cannot write it: was
// flareq run with sudo? give it back (sudo chown -R ana /p/.flareq) or pass --state".
std::string state_file_access_problem(const std::filesystem::path& state);

}  // namespace flareq

// What to say of a word that is not a command where one was expected (`flareq queue list`):
// which command group it was typed in, and the command most likely meant.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace flareq::cli {

// "error: 'WORD' is not a command of `flareq GROUP`; did you mean 'NAME'?" (the hint when one
// of the group's commands is a slip away, or WORD is another tool's name for one of them), or
// "…; did you mean `flareq messages list orders-dlq`?" when the command is in another group
// (`next`: the word typed after WORD, if any).
std::string unknown_command(const CLI::App& group, const std::string& word, const std::string& next = "");

}  // namespace flareq::cli

// What to say of a word that is not a command where one was expected (see the header).
#include "cli/unknown_command.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "emulator/core/nearest_name.h"

namespace flareq::cli {

namespace {

// Other tools' words for flareq's commands (wrangler's `queues list` is flareq's too).
const std::map<std::string, std::string> kOtherNames = {
    {"ls", "list"}, {"rm", "delete"}, {"remove", "delete"}, {"show", "info"},
    {"get", "info"}, {"describe", "info"}, {"start", "dev"}, {"serve", "dev"}, {"run", "dev"},
};

// Commands that live in another group than the one they are looked for in: (group, word) →
// the command, whose QUEUE is the word typed after (`flareq dlq list orders-dlq`).
const std::map<std::pair<std::string, std::string>, std::string> kElsewhere = {
    {{"flareq dlq", "list"}, "flareq messages list QUEUE"},
    {{"flareq dlq", "ls"}, "flareq messages list QUEUE"},
    {{"flareq dlq", "purge"}, "flareq queues purge QUEUE"},
    {{"flareq messages", "send"}, "flareq send QUEUE"},
    {{"flareq queues", "send"}, "flareq send QUEUE"},
    {{"flareq queues consumer", "list"}, "flareq queues info QUEUE"},
};

std::string path_of(const CLI::App& app) {
  const CLI::App* parent = app.get_parent();
  return parent ? path_of(*parent) + " " + app.get_name() : app.get_name();
}

}  // namespace

std::string unknown_command(const CLI::App& group, const std::string& word, const std::string& next) {
  std::vector<std::string> names;
  for (const CLI::App* command : group.get_subcommands({})) names.push_back(command->get_name());
  const std::string path = path_of(group);
  std::string said = "error: '" + word + "' is not a command of `" + path + "`";
  auto elsewhere = kElsewhere.find({path, word});
  if (elsewhere != kElsewhere.end()) {
    std::string command = elsewhere->second;
    if (!next.empty() && next[0] != '-') command.replace(command.find("QUEUE"), 5, next);
    return said + "; did you mean `" + command + "`?";
  }
  std::optional<std::string> meant = nearest_name(word, names);
  if (!meant) {
    auto other = kOtherNames.find(word);
    if (other != kOtherNames.end() && std::find(names.begin(), names.end(), other->second) != names.end())
      meant = other->second;
  }
  return meant ? said + "; did you mean '" + *meant + "'?" : said;
}

}  // namespace flareq::cli

// What `flareq dev` says of a flag that `wrangler dev` takes and it does not (a "dev" script
// carried over from package.json): what to use instead, or why nothing is needed.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace flareq::cli {

// The sentence for `arg` ("--test-scheduled", "--var=A:b"), or nothing when it is not one of
// wrangler dev's flags that flareq answers otherwise.
std::optional<std::string> wrangler_dev_flag_hint(std::string_view arg);

}  // namespace flareq::cli

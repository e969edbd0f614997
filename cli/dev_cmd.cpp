// `flareq dev`: placeholder until the HTTP front end lands.
#include "cli/commands.h"

namespace flareq::cli {
void setup_dev(CLI::App&, GlobalOptions&) {}
}  // namespace flareq::cli

// Number checks for options whose refusals read well: CLI11 2.1 prints the range of its
// own PositiveNumber check as "0.000000 to 179769313486231570814527…".
#pragma once
#include <CLI/CLI.hpp>

namespace flareq::cli {

CLI::Validator at_least(double min);
CLI::Validator greater_than(double min);
CLI::Validator between(double min, double max);

}  // namespace flareq::cli

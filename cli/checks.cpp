// Number validators whose refusals read as plain sentences.
#include "cli/checks.h"

#include <cstdio>
#include <functional>

namespace flareq::cli {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

CLI::Validator check(std::function<bool(double)> ok, const std::string& wanted) {
  return CLI::Validator(
      [ok, wanted](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "must be a number, got '" + text + "'";
        return ok(v) ? "" : "must be " + wanted + ", got " + text;
      },
      wanted);
}

}  // namespace

CLI::Validator at_least(double min) { return check([min](double v) { return v >= min; }, "at least " + number(min)); }

CLI::Validator greater_than(double min) {
  return check([min](double v) { return v > min; }, "greater than " + number(min));
}

CLI::Validator between(double min, double max) {
  return check([min, max](double v) { return v >= min && v <= max; }, "from " + number(min) + " to " + number(max));
}

}  // namespace flareq::cli

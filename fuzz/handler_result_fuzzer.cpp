// libFuzzer target: a line of a handler's stdout, read as a possible result object, and
// the outcome it resolves to for a batch of three messages.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/core/outcome.h"
#include "emulator/handler/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  flareq::handler::ParsedResult r = flareq::handler::parse_result(line);
  if (r.is_result && r.error.empty()) {
    r.report.threw = size % 2;
    flareq::resolve({"a", "b", "c"}, r.report, 5);
  }
  return 0;
}

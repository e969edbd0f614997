// libFuzzer target: a wrangler config, read as JSONC and as TOML. Any input must end in a
// Config or a ConfigError, never a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (auto format : {flareq::config::Format::Jsonc, flareq::config::Format::Toml}) {
    try {
      flareq::config::parse_config(text, "wrangler", format, size % 2 ? "staging" : "");
    } catch (const flareq::config::ConfigError&) {
    }
  }
  return 0;
}

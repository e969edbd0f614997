// libFuzzer target: the input read as a source map (and, where it is one, asked for a few
// positions), and as the text of a thrown error whose stack frames would be mapped.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/handler/source_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto map = flareq::handler::SourceMap::parse(text, "/fuzz/out"))
    for (int64_t line : {0, 1, 2, 7})
      for (int64_t column : {0, 1, 5, 1000}) map->find(line, column);
  static flareq::handler::SourceMaps maps;
  maps.map_stack(text);
  return 0;
}

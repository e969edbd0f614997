// Chooses a handler kind by the consumer's mode.
#include "emulator/handler/handler.h"
#include "emulator/handler/process.h"

namespace flareq::handler {

std::unique_ptr<Handler> make_handler(const HandlerSpec& spec, LogSink log) {
  if (spec.mode == config::HandlerMode::Persistent)
    return make_persistent_handler(spec, std::move(log), system_spawner(), system_clock());
  return make_per_batch_handler(spec, std::move(log), system_spawner(), system_clock());
}

}  // namespace flareq::handler

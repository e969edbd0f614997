// Chooses a handler kind by the consumer's mode.
#include "emulator/handler/handler.h"

namespace flareq::handler {

std::unique_ptr<Handler> make_handler(const HandlerSpec& spec, LogSink log) {
  if (spec.mode == config::HandlerMode::Persistent) return make_persistent_handler(spec, std::move(log));
  return make_per_batch_handler(spec, std::move(log));
}

}  // namespace flareq::handler

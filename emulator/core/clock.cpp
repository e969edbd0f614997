// The machine's clock (clock.h).
#include "emulator/core/clock.h"

namespace flareq {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace flareq

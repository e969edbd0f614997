// What each key does on `flareq dev`'s terminal (terminal_keys.h), wrangler dev's where it has
// one: [b] opens the Worker (the dashboard where there is none) in a browser, [d] its debugger's
// DevTools, [e] Miniflare's local explorer of its data, [o] the dashboard (beside a Worker), [f] ends the open batch windows (`flareq flush`), [c] clears the
// terminal, [x] or [q] stops dev as Ctrl-C does.
#pragma once
#include <vector>

#include "emulator/dev/dev_session.h"
#include "emulator/dev/terminal_keys.h"

namespace flareq::dev {

// The keys for a session that has started; they act on it until it is gone.
std::vector<TerminalKey> dev_keys(DevSession& session);

}  // namespace flareq::dev

// Opens a URL in the user's browser for dev's [b] and [d] keys, as `wrangler dev` does:
// xdg-open, started on its own (its own session, no signal blocked, nothing of dev's output),
// so that neither Ctrl-C nor the end of dev ends the browser it started.
#pragma once
#include <string>

namespace flareq::dev {

// "" once xdg-open is started; else a sentence with the URL for the user to open it.
std::string open_url(const std::string& url);

}  // namespace flareq::dev

// The keys of `flareq dev` (dev_keys.h).
#include "emulator/dev/dev_keys.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "emulator/dev/open_url.h"

namespace flareq::dev {

namespace {

void open_and_say(DevSession& session, const std::string& what, const std::string& url) {
  std::string instead = open_url(url);
  session.say(instead.empty() ? "opening " + what + ": " + url : instead);
}

}  // namespace

std::vector<TerminalKey> dev_keys(DevSession& session) {
  // Read now: the session's parts come and go on other threads.
  const std::string worker = session.worker_url();
  const std::string dashboard = session.api_url() + "/";
  const int inspector = session.inspector_port();
  std::vector<TerminalKey> keys;
  keys.push_back({"b", "open a browser", [&session, worker, dashboard] {
                    if (worker.empty()) open_and_say(session, "the dashboard", dashboard);
                    else open_and_say(session, "the Worker", worker);
                  }});
  if (!worker.empty()) {
    keys.push_back({"d", "open devtools", [&session, inspector] {
                      if (inspector < 0) {
                        session.say("the Worker's debugger is off: start dev with --inspector-port 9229 for it (as "
                                    "wrangler dev's), then press d");
                        return;
                      }
                      std::string ws = "127.0.0.1:" + std::to_string(inspector) + "/ws";
                      open_and_say(session, "DevTools",
                                   "https://devtools.devprod.cloudflare.dev/js_app?theme=systemPreferred&debugger=true&ws=" + ws);
                    }});
    // Miniflare's view of the Worker's KV, D1, R2 and Durable Objects, served beside it.
    keys.push_back({"e", "open local explorer",
                    [&session, worker] { open_and_say(session, "the local explorer", worker + "/cdn-cgi/explorer"); }});
    keys.push_back({"o", "open the dashboard", [&session, dashboard] { open_and_say(session, "the dashboard", dashboard); }});
  }
  keys.push_back({"f", "flush batches", [&session] {
                    std::vector<std::string> queues = session.flush_open_batches();
                    std::string names;
                    for (const auto& q : queues) names += (names.empty() ? "" : ", ") + q;
                    session.say(queues.empty() ? "no queue has a consumer: nothing to flush"
                                               : "flushed the open batches of " + names);
                  }});
  keys.push_back({"c", "clear console", [] { std::cout << "\x1b[2J\x1b[3J\x1b[H" << std::flush; }});
  keys.push_back({"xq", "to exit", [] { kill(getpid(), SIGINT); }});
  return keys;
}

}  // namespace flareq::dev

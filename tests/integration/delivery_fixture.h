// The fixture of the delivery tests: a temporary project whose consumers are run by
// tests/integration/handlers/scripted.py, `flareq dev` on it, and helpers to send, read what
// the handler recorded, and wait for a condition without depending on the machine's speed.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "eventually.h"
#include "harness.h"
#include "http_client.h"

namespace flareq::testing {

using nlohmann::json;

inline const std::string kHandler = std::string(FLAREQ_SOURCE_DIR) + "/tests/integration/handlers/scripted.py";

class Delivery : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path state() const { return dir / "state.sqlite"; }
  std::string record() const { return (dir / "record.jsonl").string(); }

  // A config with one consumer "q" run by the scripted handler, and with `probe`, a queue
  // "probe" delivered at once by the same handler (see scheduler_has_looked).
  void config(const std::string& consumer_settings, bool persistent = false, bool probe = false) {
    std::string command = persistent ? "\"command\": [\"" + kHandler + "\", \"--persistent\"], \"mode\": \"persistent\""
                                     : "\"command\": [\"" + kHandler + "\"]";
    std::string probe_consumer = probe ? ", {\"queue\": \"probe\", \"max_batch_timeout\": 0, " + command + "}" : "";
    dir.write("wrangler.jsonc", "{\"name\": \"test-app\", \"queues\": {\"consumers\": [{\"queue\": \"q\", " + command +
                                    (consumer_settings.empty() ? "" : ", " + consumer_settings) + "}" + probe_consumer +
                                    "]}}");
  }
  // Sends to "probe" and waits for its batch: every scheduler pass looks at every queue, so
  // once the probe is delivered, `dev` has seen what was sent before it. Tests that prove
  // that nothing happened wait for this instead of sleeping.
  void scheduler_has_looked() {
    send("probe", {json{{"probe", true}}});
    ASSERT_TRUE(eventually([&] {
      for (const auto& b : batches())
        if (b["queue"] == "probe") return true;
      return false;
    }));
  }
  std::unique_ptr<DevServer> dev(std::vector<std::string> args = {}) {
    return std::make_unique<DevServer>(state(), args, dir.path(), std::map<std::string, std::string>{{"RECORD", record()}});
  }
  Result flareq(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"flareq", "--state", state().string()});
    return run(args, input, {}, dir.path());
  }
  void send(const std::string& queue, const std::vector<json>& bodies, std::vector<std::string> flags = {}) {
    std::string input;
    for (const auto& b : bodies) input += (b.is_string() ? b.get<std::string>() : b.dump()) + "\n";
    std::vector<std::string> args = {"send", queue, "--ndjson", "-q"};
    args.insert(args.end(), flags.begin(), flags.end());
    Result r = flareq(args, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<json> batches() const {
    std::vector<json> out;
    std::ifstream in(record());
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) out.push_back(json::parse(line));
    return out;
  }
  json info(const std::string& queue) {
    Result r = flareq({"queues", "info", queue, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // Waits (up to 20 s) until `done` holds.
  template <typename F>
  ::testing::AssertionResult eventually(F done, const std::string& what = "the queue to reach the state checked") {
    return testing::eventually(done, 20s, what);
  }
  bool drained(const std::string& queue) {
    return eventually([&] {
      json i = info(queue);
      return i["backlog"]["count"] == 0;
    });
  }
  static std::vector<int64_t> sizes(const std::vector<json>& batches) {
    std::vector<int64_t> out;
    for (const auto& b : batches) out.push_back(static_cast<int64_t>(b["ids"].size()));
    return out;
  }
};


}  // namespace flareq::testing

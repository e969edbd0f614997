// The CLI end to end: every `queues`, `send` and `messages` command against a temporary
// state file, bad input included. Nothing is kept in memory between commands.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "harness.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class Cli : public ::testing::Test {
 protected:
  TempDir dir;
  Result flareq(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"flareq", "--state", (dir / "state.sqlite").string()});
    return run(args, input, {}, dir.path());
  }
  json info(const std::string& queue) {
    Result r = flareq({"queues", "info", queue, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
};

}  // namespace

TEST_F(Cli, VersionAndHelp) {
  Result r = run({"flareq", "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("flareq ", 0), 0u);
  r = run({"flareq", "queues", "create", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--delivery-delay-secs"), std::string::npos);
  // A command group alone lists its commands.
  r = run({"flareq"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("\n  dev "), std::string::npos) << r.err;
  r = run({"flareq", "queues"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("\n  create "), std::string::npos) << r.err;
  // A word that is no command is named, with the command most likely meant, before the list.
  r = run({"flareq", "queue", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: 'queue' is not a command of `flareq`; did you mean 'queues'?\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\n  queues "), std::string::npos) << r.err;
  r = run({"flareq", "dlq", "list", "orders-dlq"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: 'list' is not a command of `flareq dlq`; did you mean `flareq messages list orders-dlq`?\n", 0), 0u)
      << r.err;
  EXPECT_NE(r.err.find("Usage: flareq dlq"), std::string::npos) << r.err;
  r = run({"flareq", "queues", "--lsit"});
  EXPECT_EQ(r.err.rfind("error: unknown option --lsit\n", 0), 0u) << r.err;
  r = run({"flareq", "messages", "ls", "orders"});
  EXPECT_NE(r.err.find("error: 'ls' is not a command of `flareq messages`; did you mean 'list'?"), std::string::npos) << r.err;
  // A missing argument or a bad value is an error line that names the command's help.
  r = run({"flareq", "messages", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "error: queue is required\n(`flareq messages list --help` says what it takes)\n");
  r = run({"flareq", "dev", "--port", "abc"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "error: --port: Value abc not in range 0 to 65535\n(`flareq dev --help` says what it takes)\n");
}

TEST_F(Cli, CreateListInfoUpdateDelete) {
  Result r = flareq({"queues", "create", "my-app-events", "--delivery-delay-secs", "0",
                     "--message-retention-period-secs", "86400"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Created queue 'my-app-events'\n", 0), 0u);
  EXPECT_NE(r.out.find("\"queue\": \"my-app-events\",\n        \"binding\": \"my_app_events\""), std::string::npos) << r.out;

  r = flareq({"queues", "list"});
  EXPECT_NE(r.out.find("my-app-events"), std::string::npos);
  json list = json::parse(flareq({"queues", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["settings"]["message_retention_period"], 86400);
  EXPECT_EQ(list[0]["producers_total_count"], 0);

  r = flareq({"queues", "update", "my-app-events", "--delivery-delay-secs", "30"});
  EXPECT_EQ(r.out, "Updated queue 'my-app-events'\n");
  EXPECT_EQ(info("my-app-events")["settings"]["delivery_delay"], 30);

  r = flareq({"queues", "pause-delivery", "my-app-events"});
  EXPECT_EQ(r.out, "Paused message delivery for queue 'my-app-events'\n");
  EXPECT_EQ(info("my-app-events")["settings"]["delivery_paused"], true);
  flareq({"queues", "resume-delivery", "my-app-events"});
  EXPECT_EQ(info("my-app-events")["settings"]["delivery_paused"], false);

  r = flareq({"queues", "delete", "my-app-events"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Deleted queue 'my-app-events'\n");
  EXPECT_EQ(flareq({"queues", "info", "my-app-events"}).exit_code, 1);
}

TEST_F(Cli, BadInputGetsOneClearSentence) {
  Result r = flareq({"queues", "create", "bad_name"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: queue name \"bad_name\" is invalid: use 1 to 63 letters, digits and '-', starting and "
                   "ending with a letter or digit\n");
  r = flareq({"queues", "create", "q", "--delivery-delay-secs", "86401"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--delivery-delay-secs"), std::string::npos) << r.err;
  r = flareq({"queues", "info", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: queue 'nope' does not exist in state file " + (dir / "state.sqlite").string() + "\n");
  r = flareq({"send", "nope", "1"});
  EXPECT_NE(r.err.find("queue 'nope' does not exist"), std::string::npos);
  flareq({"queues", "create", "q"});
  EXPECT_EQ(flareq({"queues", "create", "q"}).err, "error: a queue named 'q' already exists\n");
  r = flareq({"send", "q"}, "");
  EXPECT_EQ(r.err, "error: no message body: give BODY or pipe it on standard input\n");
  r = flareq({"send", "q", "{not json"});
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos);
  r = flareq({"send", "q", "--content-type", "text", std::string(128001, 'x')});
  EXPECT_EQ(r.err, "error: message length of 128001 bytes exceeds limit of 128000\n");
  r = flareq({"send", "q", "--content-type", "text"}, "caf\xE9 in Latin-1\n");
  EXPECT_EQ(r.err, "error: a text message's body must be valid UTF-8 (send binary data as content type bytes)\n");
  EXPECT_EQ(info("q")["backlog"]["count"], 0);
  r = flareq({"queues"});
  EXPECT_NE(r.exit_code, 0);
  r = flareq({"dlq", "replay", "q", "--limit", "0"});
  EXPECT_EQ(r.err, "error: --limit: must be at least 1, got 0\n(`flareq dlq replay --help` says what it takes)\n");
  r = flareq({"wait", "q", "--timeout", "soon"});
  EXPECT_EQ(r.err, "error: --timeout: must be a number, got 'soon'\n(`flareq wait --help` says what it takes)\n");
}

// A "dev" script carried over from wrangler (`wrangler dev --test-scheduled`) gets what to do
// instead of each of wrangler dev's flags that flareq dev does not take; other flags get CLI11's.
TEST_F(Cli, WranglerDevsOwnFlagsSayWhatToDoInstead) {
  dir.write("wrangler.jsonc", R"({"queues": {"producers": [{"binding": "Q", "queue": "q"}]}})");
  Result r = flareq({"dev", "--test-scheduled", "--var=GREETING:hi", "-l"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err,
            "error: flareq dev does not take wrangler dev's --test-scheduled: none is needed: a cron runs at "
            "/cdn-cgi/handler/scheduled on the Worker's port, always\n"
            "error: flareq dev does not take wrangler dev's --var: give variables in .dev.vars or the config's "
            "\"vars\", which the Worker gets as under wrangler dev\n"
            "error: flareq dev does not take wrangler dev's --local: it is always local: leave it out\n");
  r = flareq({"dev", "--no-such-flag"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "error: The following argument was not expected: --no-such-flag\n(`flareq dev --help` says what it takes)\n");
  r = flareq({"dev", "--remote", "--no-such-flag"});
  EXPECT_EQ(r.err.rfind("error: flareq dev does not take wrangler dev's --remote: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("not expected: --no-such-flag"), std::string::npos) << r.err;
  // A flag's value is its own (no "not expected: 0.0.0.0" after the hint); each hint once; what
  // the config says is pointed to there.
  r = flareq({"dev", "--ip", "0.0.0.0", "--var", "A:B", "--var", "C:D", "--compatibility-date", "2026-01-01",
              "--env-file", ".env.local"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err,
            "error: flareq dev does not take wrangler dev's --ip: flareq's API takes --host; the Worker's address is "
            "the config's \"dev\": {\"ip\": …}\n"
            "error: flareq dev does not take wrangler dev's --var: give variables in .dev.vars or the config's "
            "\"vars\", which the Worker gets as under wrangler dev\n"
            "error: flareq dev does not take wrangler dev's --compatibility-date: set \"compatibility_date\" in the "
            "config\n"
            "error: flareq dev does not take wrangler dev's --env-file: the Worker gets .dev.vars, else .env, from the "
            "config's folder, as under wrangler dev without it: give the variables there\n");
}

TEST_F(Cli, SendAndPeek) {
  flareq({"queues", "create", "q"});
  Result r = flareq({"send", "q", R"({"type":"welcome-email","userId":123})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(id.size(), 32u);
  r = flareq({"send", "q", "--content-type", "text"}, "hello from stdin\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = flareq({"send", "q", "--delay-secs", "600", "\"later\""});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  json messages = json::parse(flareq({"messages", "list", "q", "--json"}).out);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["id"], id);
  EXPECT_EQ(messages[0]["body"]["userId"], 123);
  EXPECT_EQ(messages[0]["state"], "ready");
  EXPECT_EQ(messages[1]["body"], "hello from stdin");
  EXPECT_EQ(messages[1]["content_type"], "text");
  EXPECT_EQ(messages[2]["state"], "delayed");

  json ready = json::parse(flareq({"messages", "list", "q", "--only", "ready", "--json"}).out);
  EXPECT_EQ(ready.size(), 2u);
  // The global --state names the state file wherever it is given.
  json after = json::parse(run({"flareq", "messages", "list", "q", "--state", (dir / "state.sqlite").string(), "--only", "delayed", "--json"}).out);
  EXPECT_EQ(after.size(), 1u);
  json limited = json::parse(flareq({"messages", "list", "q", "--limit", "1", "--json"}).out);
  EXPECT_EQ(limited.size(), 1u);
  r = flareq({"messages", "list", "q"});
  EXPECT_NE(r.out.find("welcome-email"), std::string::npos);
  EXPECT_NE(r.out.find("delayed"), std::string::npos);

  json i = info("q");
  EXPECT_EQ(i["backlog"]["ready"], 2);
  EXPECT_EQ(i["backlog"]["delayed"], 1);
  EXPECT_EQ(i["counters"]["received"], 3);
  // Peeking changes nothing.
  EXPECT_EQ(json::parse(flareq({"messages", "list", "q", "--json"}).out), messages);
}

TEST_F(Cli, SendNdjsonInBatches) {
  flareq({"queues", "create", "q"});
  std::string input;
  for (int i = 0; i < 250; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
  Result r = flareq({"send", "q", "--ndjson"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 250);
  EXPECT_EQ(info("q")["backlog"]["count"], 250);
  json first = json::parse(flareq({"messages", "list", "q", "--limit", "1", "--json"}).out);
  EXPECT_EQ(first[0]["body"]["n"], 0);

  r = flareq({"send", "q", "--ndjson"}, "{\"ok\":1}\nnot json\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
}

TEST_F(Cli, PurgeAndDeleteNeedForceWithoutATerminal) {
  flareq({"queues", "create", "q"});
  flareq({"send", "q", "1"});
  Result r = flareq({"queues", "purge", "q"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--force"), std::string::npos);
  r = flareq({"queues", "delete", "q"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds 1 messages"), std::string::npos) << r.err;
  EXPECT_EQ(info("q")["backlog"]["count"], 1);
  r = flareq({"queues", "purge", "q", "--force"});
  EXPECT_EQ(r.out, "Purged queue 'q' (1 messages deleted)\n");
  flareq({"send", "q", "2"});
  r = flareq({"queues", "delete", "q", "--force"});
  EXPECT_EQ(r.out, "Deleted queue 'q' and its 1 messages\n");
}

TEST_F(Cli, Consumers) {
  flareq({"queues", "create", "q"});
  Result r = flareq({"queues", "consumer", "add", "q", "my-worker", "--batch-size", "50", "--batch-timeout", "2",
                     "--message-retries", "5", "--dead-letter-queue", "q-dlq", "--max-concurrency", "2",
                     "--retry-delay-secs", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json c = info("q")["consumers"][0];
  EXPECT_EQ(c["script"], "my-worker");
  EXPECT_EQ(c["script_name"], "my-worker");
  EXPECT_EQ(c["settings"]["batch_size"], 50);
  EXPECT_EQ(c["settings"]["max_wait_time_ms"], 2000);
  EXPECT_EQ(c["settings"]["max_retries"], 5);
  EXPECT_EQ(c["settings"]["max_concurrency"], 2);
  EXPECT_EQ(c["settings"]["retry_delay"], 10);
  EXPECT_EQ(c["dead_letter_queue"], "q-dlq");

  r = flareq({"queues", "consumer", "http", "add", "q"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already has a worker consumer"), std::string::npos) << r.err;
  EXPECT_NE(flareq({"queues", "consumer", "remove", "q", "other"}).exit_code, 0);
  EXPECT_EQ(flareq({"queues", "consumer", "remove", "q", "my-worker"}).exit_code, 0);

  r = flareq({"queues", "consumer", "http", "add", "q", "--batch-size", "20", "--visibility-timeout-secs", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  c = info("q")["consumers"][0];
  EXPECT_EQ(c["type"], "http_pull");
  EXPECT_EQ(c["settings"]["visibility_timeout_ms"], 60000);
  EXPECT_FALSE(c.contains("script"));
  EXPECT_EQ(flareq({"queues", "consumer", "http", "remove", "q"}).exit_code, 0);
  EXPECT_EQ(info("q")["consumers_total_count"], 0);
  EXPECT_NE(flareq({"queues", "consumer", "add", "q", "w", "--batch-size", "101"}).exit_code, 0);
}

TEST_F(Cli, ConfigIsFoundAndValidated) {
  dir.write("wrangler.jsonc", R"({
    // the producer binds EVENTS
    "queues": { "producers": [ { "binding": "EVENTS", "queue": "ev", "x": 1 }, ], },
  })");
  std::filesystem::create_directories(dir / "sub");
  // From a subdirectory, the config in the parent is found and the state lives beside it. The
  // config's warnings are dev's to say (it applies the config), not each send's.
  Result r = run({"flareq", "send", "ev", "1"}, "", {}, dir / "sub");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  {
    DevServer dev(dir / "dev.sqlite", {}, dir.path());
    ASSERT_TRUE(dev.wait_for_log("dashboard on")) << dev.log();
    EXPECT_NE(dev.log().find("Unexpected fields found in queues.producers[0] field: \"x\""), std::string::npos)
        << dev.log();
  }
  EXPECT_TRUE(std::filesystem::exists(dir / ".flareq" / "state.sqlite"));
  // flareq's folder keeps itself out of git (message bodies, the API's token).
  std::ifstream ignore(dir / ".flareq" / ".gitignore");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(ignore), {}), "# flareq's state file: not for version control\n*\n");
  r = run({"flareq", "queues", "info", "ev", "--json"}, "", {}, dir.path());
  EXPECT_EQ(json::parse(r.out)["producers"][0]["binding"], "EVENTS");

  dir.write("bad.jsonc", "{\"queues\": {\"consumers\": [{\"queue\": \"q\", \"max_batch_size\": 0}]}}");
  r = flareq({"queues", "list", "-c", (dir / "bad.jsonc").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonc:1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("max_batch_size must be from 1 to 100, got 0"), std::string::npos) << r.err;
}

// A state folder left by `sudo flareq …` (or a file the user may not write) is named, with whose
// it is and what to do, before anything is read or written; not SQLite's "attempt to write a
// readonly database" at the first send. Run as nobody when the tests run as root (root may
// write anything), else with the folder made read-only.
TEST_F(Cli, AStateFileTheUserMayNotWriteIsNamedWithWhatToDo) {
  ASSERT_EQ(flareq({"queues", "create", "jobs"}).exit_code, 0);
  std::filesystem::path folder = dir / ".flareq";
  std::filesystem::create_directories(folder);
  std::filesystem::rename(dir / "state.sqlite", folder / "state.sqlite");
  const bool root = geteuid() == 0;
  std::vector<std::string> as_user{FLAREQ_BINARY};
  if (root) {  // a copy nobody may run wherever the build is (a clone under /root)
    std::filesystem::copy_file(FLAREQ_BINARY, dir / "flareq");
    std::filesystem::permissions(dir / "flareq", std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                     std::filesystem::perms::others_exec |
                                                     std::filesystem::perms::others_read);
    as_user = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", (dir / "flareq").string()};
  }
  auto as_them = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = as_user;
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, "", {}, dir.path());
  };
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all, std::filesystem::perm_options::add);
  std::filesystem::permissions(folder, std::filesystem::perms::owner_write, std::filesystem::perm_options::remove);
  std::string state = "--state=" + (folder / "state.sqlite").string();
  Result r = as_them({state, "send", "jobs", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot use state file " + (folder / "state.sqlite").string() + ": " + folder.string() +
                       " belongs to "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("cannot write it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --state"), std::string::npos) << r.err;
  if (root) {
    EXPECT_NE(r.err.find("was flareq run with sudo? give it back (sudo chown -R "), std::string::npos) << r.err;
  }
  r = as_them({state, "dev", "--port", "0"});  // its lock file is made in the same folder
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(folder.string() + " belongs to "), std::string::npos) << r.err;
  // The folder writable, the file not: said of the file, before the first write.
  std::filesystem::permissions(folder, std::filesystem::perms::all, std::filesystem::perm_options::add);
  std::filesystem::permissions(folder / "state.sqlite", std::filesystem::perms::owner_write | std::filesystem::perms::group_write |
                                   std::filesystem::perms::others_write, std::filesystem::perm_options::remove);
  r = as_them({state, "send", "jobs", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find((folder / "state.sqlite").string() + " belongs to "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("readonly database"), std::string::npos) << r.err;
  std::filesystem::permissions(folder / "state.sqlite", std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  r = run({"flareq", state, "queues", "info", "jobs", "--json"}, "", {}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["counters"]["received"], 0) << "the refused sends wrote nothing";
}

TEST_F(Cli, ForeignStateFileIsRefused) {
  dir.write("state.sqlite", "not a database, just some text that is long enough.................");
  Result r = flareq({"queues", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not an SQLite database"), std::string::npos) << r.err;
}

TEST_F(Cli, MessageBodiesCannotDriveTheTerminal) {
  flareq({"queues", "create", "q"});
  ASSERT_EQ(flareq({"send", "q", "--content-type", "text", "\x1b]0;owned\x07\x1b[2Jhello\nworld"}).exit_code, 0);
  Result list = flareq({"messages", "list", "q"});
  EXPECT_EQ(list.out.find('\x1b'), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\\x1b]0;owned\\x07"), std::string::npos) << list.out;
  std::string id = json::parse(flareq({"messages", "list", "q", "--json"}).out)[0]["id"];
  Result show = flareq({"messages", "show", id});
  EXPECT_EQ(show.out.find('\x1b'), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("\\x1b[2Jhello\nworld"), std::string::npos) << show.out;
}

// Run in the wrong directory, a command that reads says which state file it found nothing in,
// and creates none.
TEST_F(Cli, ReadingCommandsNameTheStateFileAndCreateNone) {
  TempDir elsewhere;
  auto in_elsewhere = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "flareq");
    return run(args, "", {}, elsewhere.path());
  };
  std::string missing = (elsewhere / ".flareq" / "state.sqlite").string();
  Result r = in_elsewhere({"queues", "list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("No queues yet (there is no state file at " + missing), std::string::npos) << r.out;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"queues", "info", "signup-events"}, {"messages", "list", "signup-events"}, {"wait", "signup-events"}}) {
    r = in_elsewhere(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("queue 'signup-events' does not exist (there is no state file at " + missing), std::string::npos)
        << args[0] << ": " << r.err;
  }
  EXPECT_EQ(in_elsewhere({"time"}).exit_code, 0);
  EXPECT_EQ(in_elsewhere({"faults"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(elsewhere / ".flareq")) << "a command that reads made a state file";
  // Where the file is, a queue it lacks is looked for there, and the message says so.
  ASSERT_EQ(flareq({"queues", "create", "a"}).exit_code, 0);
  r = flareq({"queues", "info", "b"});
  EXPECT_NE(r.err.find("queue 'b' does not exist in state file " + (dir / "state.sqlite").string()), std::string::npos)
      << r.err;
}

// A producer bound to a queue that no consumer reads (a misspelled name) gets one warning at
// dev's start, with the name it was likely meant to be.
TEST_F(Cli, DevWarnsOnceOfAProducersQueueThatNothingConsumes) {
  dir.write("wrangler.jsonc", R"({
    "name": "signups",
    "queues": {
      "producers": [{"binding": "SIGNUPS", "queue": "signup-event"}, {"binding": "AUDIT", "queue": "audit-log"},
                    {"binding": "AGAIN", "queue": "signup-event"}],
      "consumers": [{"queue": "signup-events", "command": "true"}]
    }
  })");
  DevServer dev(dir / "state.sqlite", {}, dir.path());
  ASSERT_TRUE(dev.wait_for_log("dashboard on")) << dev.log();
  std::string log = dev.log();
  std::string meant = "warning: nothing consumes queue 'signup-event', which the config sends to (binding SIGNUPS); "
                      "did you mean 'signup-events'?";
  EXPECT_NE(log.find(meant), std::string::npos) << log;
  EXPECT_EQ(log.find(meant), log.rfind(meant)) << "once\n" << log;
  EXPECT_NE(log.find("warning: nothing consumes queue 'audit-log', which the config sends to (binding AUDIT): its "
                     "messages wait until a consumer reads them (a consumer in another project's config reads them "
                     "only from this state file: run both in one dev, flareq dev -c wrangler.jsonc -c "
                     "../consumer/wrangler.jsonc)\n"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("nothing consumes queue 'signup-events'"), std::string::npos) << log;
}

// dev run in a folder without a config (the wrong one) says so before it serves.
TEST_F(Cli, DevWithoutAConfigSaysItFoundNone) {
  DevServer dev(dir / "state.sqlite", {}, dir.path());
  ASSERT_TRUE(dev.wait_for_log("dashboard on")) << dev.log();
  EXPECT_EQ(dev.log().rfind("note: no wrangler.json, wrangler.jsonc or wrangler.toml in " + dir.path().string() +
                                " or its parents: dev serves the API with no config's queues (run it in your "
                                "project's folder, or give the config with -c)\n",
                            0),
            0u)
      << dev.log();
  dir.write("wrangler.jsonc", R"({"queues": {"producers": [{"binding": "Q", "queue": "q"}]}})");
  DevServer with_config(dir / "state2.sqlite", {}, dir.path());
  ASSERT_TRUE(with_config.wait_for_log("dashboard on")) << with_config.log();
  EXPECT_EQ(with_config.log().find("note: no wrangler"), std::string::npos) << with_config.log();
}

TEST_F(Cli, AReversedLatencyRangeSaysSoAndAWaitOnAPausedQueueNamesThePause) {
  Result r = flareq({"faults", "set", "q", "--latency", "2s..1s"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--latency: '2s..1s' is reversed: put the shorter duration first (1s..2s)"), std::string::npos)
      << r.err;
  ASSERT_EQ(flareq({"queues", "create", "pq"}).exit_code, 0);
  ASSERT_EQ(flareq({"send", "pq", "{}"}).exit_code, 0);
  ASSERT_EQ(flareq({"queues", "pause-delivery", "pq"}).exit_code, 0);
  r = flareq({"wait", "pq", "--timeout", "0.1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pq: 1 ready, 0 delayed, 0 leased (delivery paused: flareq queues resume-delivery pq)"),
            std::string::npos)
      << r.err;
}

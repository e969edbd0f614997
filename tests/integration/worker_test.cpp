// `flareq dev` in a Worker project: the Worker (tests/workers/*) runs in workerd, its fetch()
// is called on its own port, its producer bindings push to flareq, and its queue() gets
// flareq's batches; asserted through flareq's API and the Worker's own reports (the "results"
// queue, where its queue() sends what it saw).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "emulator/core/encoding.h"
#include "eventually.h"
#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

const std::filesystem::path kWorkers = std::filesystem::path(FLAREQ_SOURCE_DIR) / "tests" / "workers";

// The wrangler these tests run Workers with when the project has none: FLAREQ_WRANGLER_DIR's
// (CTest runs them once more with the oldest supported one there), else flareq's own.
struct WranglerInUse {
  std::filesystem::path node_modules;
  std::string version;
  std::string origin;
  int minor() const { return std::stoi(version.substr(version.find('.') + 1)); }  // 4.MINOR.x
  // The date in the version of the workerd that its Miniflare runs ("1.20261117.1" -> "2026-11-17").
  std::string workerd_date() const {
    for (const char* place : {"wrangler/node_modules/miniflare/node_modules/workerd", "wrangler/node_modules/workerd",
                              "miniflare/node_modules/workerd", "workerd"}) {
      std::ifstream in(node_modules / place / "package.json");
      if (!in) continue;
      std::string v = json::parse(in, nullptr, false).value("version", "");
      if (v.size() < 10) return "";
      return v.substr(2, 4) + "-" + v.substr(6, 2) + "-" + v.substr(8, 2);
    }
    return "";
  }
};

// "2026-11-17" -> "2026-11-18".
std::string day_after(const std::string& date) {
  std::tm t{};
  t.tm_year = std::stoi(date.substr(0, 4)) - 1900;
  t.tm_mon = std::stoi(date.substr(5, 2)) - 1;
  t.tm_mday = std::stoi(date.substr(8, 2)) + 1;
  time_t next = timegm(&t);
  char out[11];
  std::strftime(out, sizeof out, "%Y-%m-%d", gmtime_r(&next, &t));
  return out;
}
WranglerInUse wrangler_in_use() {
  const char* chosen = std::getenv("FLAREQ_WRANGLER_DIR");
  WranglerInUse w;
  w.node_modules = chosen && *chosen ? std::filesystem::path(chosen) / "node_modules"
                                     : std::filesystem::path(FLAREQ_SOURCE_DIR) / "worker" / "node_modules";
  w.origin = chosen && *chosen ? "FLAREQ_WRANGLER_DIR's" : "flareq's";
  std::ifstream in(w.node_modules / "wrangler" / "package.json");
  w.version = json::parse(in, nullptr, false).value("version", "?");
  return w;
}

class WorkerProject : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<DevServer> dev;
  std::unique_ptr<Http> api, worker;

  // Copies the fixture into the test's own directory (its .wrangler and .flareq stay there).
  void start(const std::string& fixture, std::vector<std::string> extra = {},
             const std::map<std::string, std::string>& env = {}) {
    std::filesystem::copy(kWorkers / fixture, dir.path(), std::filesystem::copy_options::recursive);
    start_copied(extra, env);
  }
  // The same, on a fixture already copied (and changed) there.
  void start_copied(std::vector<std::string> extra = {}, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"--worker-port", "0", "--worker-port-file", (dir / "worker-port").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    dev = std::make_unique<DevServer>(dir / "state.sqlite", args, dir.path(), env);
    int port = 0;
    std::ifstream(dir / "worker-port") >> port;
    ASSERT_GT(port, 0) << dev->log();
    api = std::make_unique<Http>(dev->port());
    worker = std::make_unique<Http>(port);
  }
  json messages(const std::string& queue) {
    return json::parse(flareq({"messages", "list", queue, "--json", "--limit", "100000"}).out);
  }
  Result flareq(std::vector<std::string> args) {
    args.insert(args.begin(), {"flareq", "--state", (dir / "state.sqlite").string()});
    return run(args, "", {}, dir.path());
  }
  // What the Worker's queue() reported, once `count` reports are in (polls; the bound only ends a failing test).
  std::vector<json> results(size_t count) {
    json list;
    EXPECT_TRUE(eventually([&] { return (list = messages("results")).size() >= count; }, 30s,
                           std::to_string(count) + " reports of queue() in 'results'",
                           [&] { return std::to_string(list.size()) + " reports"; }))
        << dev->log();
    std::vector<json> out;
    for (const auto& m : list) out.push_back(m["body"]);
    return out;
  }
  void wait_idle(const std::string& queue) {
    EXPECT_EQ(flareq({"wait", queue, "--timeout", "60"}).exit_code, 0) << dev->log();
  }
  json info(const std::string& queue) { return json::parse(flareq({"queues", "info", queue, "--json"}).out); }
  // "path:line:column" of the first occurrence of `code` in the project's file `relative`
  // (1-based, as a stack frame gives it).
  std::string source_place(const std::string& relative, const std::string& code) {
    std::istringstream lines(read_file(dir / relative));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number)
      if (size_t at = line.find(code); at != std::string::npos)
        return (dir / relative).string() + ":" + std::to_string(number) + ":" + std::to_string(at + 1);
    ADD_FAILURE() << code << " is not in " << relative;
    return "";
  }
  static std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The Worker host: dev's child running host.mjs (waits while it is being started again).
  pid_t host_pid() {
    Result children;
    auto found = [&] { return (children = run({"pgrep", "-P", std::to_string(dev->pid()), "-f", "host.mjs"})).exit_code == 0; };
    return eventually(found, 30s, "the Worker host among dev's children") ? std::stoi(children.out) : -1;
  }
  // How many workerd processes the Worker host runs.
  int runtimes() {
    std::string out = run({"pgrep", "-P", std::to_string(host_pid()), "-x", "workerd"}).out;
    return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
  }
  // Every outcome rule of queue(), each message with its own action.
  void expect_every_outcome_rule();
  // GETs `path` from the Worker until it answers 200 (while its runtime restarts, a connection
  // open across it is closed and fetch() is not served); false after 60 s.
  ::testing::AssertionResult get_until_ok(const std::string& path) {
    int status = 0;
    return eventually([&] { return (status = worker->get(path).status) == 200; }, 60s, "200 from the Worker's " + path,
                      [&] { return "status " + std::to_string(status); });
  }
  // Whether the Worker's fetch() answers /vars within 60 s (polls while the Worker comes back).
  ::testing::AssertionResult fetch_served() { return get_until_ok("/vars"); }
};

}  // namespace

TEST_F(WorkerProject, FetchIsServedWithTheConfigsVarsAndTheReadyLineSaysWhere) {
  start("js");
  HttpReply r = worker->get("/vars");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.text, "hello from vars");
  EXPECT_TRUE(dev->wait_for_log("jobs      worker test-worker · batch 1")) << dev->log();  // printed after the port file
  std::string log = dev->log();
  EXPECT_NE(log.find("Worker test-worker ready on http://127.0.0.1:"), std::string::npos) << log;
  WranglerInUse wrangler = wrangler_in_use();
  EXPECT_NE(log.find("compatibility_date 2026-04-01; wrangler " + wrangler.version + " (" + wrangler.origin + ")"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("jobs      worker test-worker · batch 1"), std::string::npos) << log;
  // wrangler's bindings table names each producer's queue.
  EXPECT_NE(log.find("env.INBOX (inbox)"), std::string::npos) << log;
  // flareq's own routes stay on the API port; the Worker's port is the Worker's.
  EXPECT_EQ(api->get("/healthz").status, 200);
  EXPECT_EQ(worker->get("/healthz").status, 404);
  // Nothing of the Worker's comes after dev's last line.
  EXPECT_EQ(dev->stop(SIGTERM), 0);
  log = dev->log();
  EXPECT_EQ(log.substr(log.rfind('\n', log.size() - 2) + 1), "flareq stopped\n") << log;
}

// Each request to the Worker is in dev's log with its answer's status, as wrangler dev logs it,
// however the answers are framed on a keep-alive connection; none at a log level under "info".
TEST_F(WorkerProject, EachRequestIsLoggedWithItsStatusAsUnderWranglerDev) {
  start("js");
  EXPECT_EQ(worker->get("/vars").status, 200);
  EXPECT_EQ(worker->get("/no-such-route?x=1").status, 404);
  EXPECT_EQ(worker->post("/vars", "ignored").status, 200);
  for (const std::string line : {"[test-worker] GET /vars 200 OK (", "[test-worker] GET /no-such-route?x=1 404 Not Found (",
                                 "[test-worker] POST /vars 200 OK ("})
    EXPECT_TRUE(dev->wait_for_log(line)) << line << "\n" << dev->log();
  // One the front refuses (here a rebinding Host) is logged with why, since the Worker never saw it.
  int port = 0;
  std::ifstream(dir / "worker-port") >> port;
  RawConnection raw(port);
  raw.send_text("GET /vars HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  EXPECT_EQ(raw.receive(20000, "\n").substr(0, 12), "HTTP/1.1 403");
  EXPECT_TRUE(dev->wait_for_log("[test-worker] GET /vars 403 Forbidden (0ms), from flareq's Worker front: "))
      << dev->log();
}

TEST_F(WorkerProject, NoRequestIsLoggedAtTheLogLevelWarn) {
  start("js", {}, {{"FLAREQ_WORKER_LOG_LEVEL", "warn"}});
  EXPECT_EQ(worker->get("/vars").status, 200);
  EXPECT_EQ(worker->get("/no-such-route").status, 404);
  EXPECT_EQ(dev->stop(SIGTERM), 0);
  EXPECT_EQ(dev->log().find("GET /vars"), std::string::npos) << dev->log();
}

// A request for flareq's API sent to the Worker's port (a README's curl with the port of a
// project without a Worker) is the Worker's, as under wrangler dev, and dev's log says where the
// API is, once.
TEST_F(WorkerProject, FlareqsApiAskedOfTheWorkersPortIsTheWorkersAndTheLogSaysWhereTheApiIs) {
  start("js");
  const std::string path = "/client/v4/accounts/local/queues";
  EXPECT_EQ(worker->get(path).status, 404);  // the fixture's answer to a path it does not serve
  EXPECT_EQ(worker->get(path + "/jobs").status, 404);
  EXPECT_EQ(api->get(path).status, 200);
  std::string note = "note: GET " + path + " went to Worker test-worker's fetch(), not to flareq: while dev runs a "
                     "Worker, flareq's API is on http://127.0.0.1:" + std::to_string(dev->port()) +
                     " (flareq's commands find it themselves)";
  EXPECT_TRUE(dev->wait_for_log(note)) << dev->log();
  EXPECT_EQ(worker->get("/vars").status, 200);
  std::string log = dev->log();
  EXPECT_EQ(log.find("note: GET", log.find(note) + 1), std::string::npos) << log;
}

// A config field wrangler does not know (here one of flareq's) is warned of by flareq, and by
// wrangler once, without an upgrade hint.
TEST_F(WorkerProject, AnUnknownConfigFieldIsWarnedOfWithoutRepeats) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::string config = read_file(dir / "wrangler.jsonc");
  std::string key = "\"max_retries\": 2,";
  config.replace(config.find(key), key.size(), key + " \"colour\": 1,");
  std::ofstream(dir / "wrangler.jsonc") << config;
  start_copied();
  ASSERT_TRUE(dev->wait_for_log("dashboard on")) << dev->log();
  std::string log = dev->log();
  size_t count = 0;
  for (size_t at = log.find("field: \"colour\""); at != std::string::npos; at = log.find("field: \"colour\"", at + 1)) ++count;
  EXPECT_EQ(count, 2u) << "flareq's warning and wrangler's, once each\n" << log;
  EXPECT_EQ(log.find("newer version of Wrangler"), std::string::npos) << log;
}

TEST_F(WorkerProject, TheWorkersPortRefusesForeignHostsAndPagesAndServesLocalOnes) {
  start("js");
  int port = 0;
  std::ifstream(dir / "worker-port") >> port;
  std::string here = "127.0.0.1:" + std::to_string(port);
  auto call = [&](const std::string& request) {
    RawConnection raw(port);
    raw.send_text(request);
    return raw.receive(20000, "}");  // a refusal closes the connection; the Worker's answers are JSON
  };
  // DNS rebinding: a name that is not this machine's gets nothing from the Worker.
  std::string rebound = call("GET /vars HTTP/1.1\r\nHost: evil.example:" + std::to_string(port) + "\r\n\r\n");
  EXPECT_EQ(rebound.substr(0, 12), "HTTP/1.1 403") << rebound;
  EXPECT_NE(rebound.find("must be addressed to this server"), std::string::npos) << rebound;
  // A page on the web may not make the Worker send; a front end on another local port may.
  std::string send = "POST /send?type=text HTTP/1.1\r\nHost: " + here + "\r\nContent-Length: 0\r\nOrigin: ";
  std::string web = call(send + "https://evil.example\r\n\r\n");
  EXPECT_EQ(web.substr(0, 12), "HTTP/1.1 403") << web;
  EXPECT_NE(web.find("may not change this server's state"), std::string::npos) << web;
  EXPECT_EQ(messages("inbox").size(), 0u);
  std::string local = call(send + "http://localhost:5173\r\n\r\n");
  EXPECT_EQ(local.substr(0, 12), "HTTP/1.1 200") << local;
  EXPECT_EQ(messages("inbox").size(), 1u);

  // The Worker sees the address it was called by, a chunked body whole, and the next request
  // on the same connection.
  RawConnection raw(port);
  raw.send_text("POST /echo HTTP/1.1\r\nHost: " + here + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                "GET /vars HTTP/1.1\r\nHost: " + here + "\r\n\r\n");
  std::string both = raw.receive(20000, "hello from vars");
  EXPECT_NE(both.find("\"url\":\"http://" + here + "/echo\""), std::string::npos) << both;
  EXPECT_NE(both.find("\"body\":\"hello world\""), std::string::npos) << both;
  EXPECT_NE(both.find("hello from vars"), std::string::npos) << both;

  // A WebSocket goes through: the upgrade, then frames both ways.
  RawConnection ws(port);
  ws.send_text("GET /ws HTTP/1.1\r\nHost: " + here + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string upgraded = ws.receive(20000, "Sec-WebSocket-Accept");
  ASSERT_EQ(upgraded.substr(0, 12), "HTTP/1.1 101") << upgraded;
  ws.send_text(std::string("\x81\x82\0\0\0\0hi", 8));  // a masked text frame "hi" (mask 0)
  EXPECT_NE(ws.receive(20000, "echo hi").find("echo hi"), std::string::npos);

  // Malformed framing never reaches the Worker.
  std::string smuggled = call("POST /echo HTTP/1.1\r\nHost: " + here +
                              "\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(smuggled.substr(0, 12), "HTTP/1.1 400") << smuggled;

  // The port is this dev's alone: a second one is refused with one sentence.
  Result second = run({FLAREQ_BINARY, "--state", (dir / "other.sqlite").string(), "dev", "--port", "0",
                       "--worker-port", std::to_string(port)},
                      "", {}, dir.path());
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("cannot serve the Worker on " + here + ": the port is in use"), std::string::npos)
      << second.out << second.err;
}

TEST_F(WorkerProject, IdleAndSlowConnectionsDoNotStarveTheWorkersPort) {
  start("js");
  int port = 0;
  std::ifstream(dir / "worker-port") >> port;
  // 300 connections that never send a byte and 300 that send half a head: beyond the front's
  // 512, where the idlest are closed to make room.
  std::vector<std::unique_ptr<RawConnection>> crowd;
  for (int i = 0; i < 600; ++i) {
    crowd.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(crowd.back()->connected());
    if (i % 2) crowd.back()->send_text("GET /vars HTTP/1.1\r\nHo");
  }
  RawConnection fresh(port);
  fresh.send_text("GET /vars HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string answer = fresh.receive(5000, "hello from vars");
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 200") << answer;
  // A head that never ends is answered 408 after 10 s rather than held open.
  std::string slow = crowd[599]->receive(15000);
  EXPECT_EQ(slow.substr(0, 12), "HTTP/1.1 408") << slow;
}

TEST_F(WorkerProject, TheProjectsOwnWranglerIsPreferredAndNamed) {
  // A project with wrangler installed in its node_modules (here: a link to flareq's, so that
  // nothing is downloaded; what counts is where it is found).
  dir.write("package.json", "{\"name\": \"pinned\", \"private\": true}\n");
  std::filesystem::create_directories(dir / "node_modules");
  WranglerInUse wrangler = wrangler_in_use();
  std::filesystem::create_directory_symlink(wrangler.node_modules / "wrangler", dir / "node_modules" / "wrangler");
  start("js");
  EXPECT_NE(dev->log().find("wrangler " + wrangler.version + " (the project's))"), std::string::npos) << dev->log();
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");
}

// Node's warnings about wrangler's insides are off, as under wrangler dev: Yarn's Plug'n'Play
// (NODE_OPTIONS=--require .pnp.cjs, no path in node_modules) made wrangler's bundle print a
// punycode DeprecationWarning at each start. The preload here does the same in the host's main
// thread, where wrangler runs (a preload runs in Node's worker threads too, which have options
// of their own).
TEST_F(WorkerProject, NodesWarningsAboutWranglersInsidesAreOffAsUnderWranglerDev) {
  dir.write("pnp.cjs", "if (require('node:worker_threads').isMainThread) require('punycode');\n");
  start("js", {}, {{"NODE_OPTIONS", "--require " + (dir / "pnp.cjs").string()}});
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");
  EXPECT_EQ(dev->log().find("DeprecationWarning"), std::string::npos) << dev->log();
}

// The same for a Worker whose default export is a WorkerEntrypoint class (queue() a method,
// ctx on `this`): what it throws and what its waitUntil() promise rejects with are in the log.
TEST_F(WorkerProject, WhatAWorkerEntrypointsQueueThrewIsInTheLog) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  dir.write("src/index.js", R"(import { WorkerEntrypoint } from "cloudflare:workers";
export default class extends WorkerEntrypoint {
  async fetch(request) {
    await this.env.JOBS.send({ action: new URL(request.url).searchParams.get("action") });
    return new Response("sent");
  }
  async queue(batch) {
    for (const m of batch.messages) {
      if (m.body.action === "throw") throw new TypeError("a class threw");
      if (m.body.action === "reject") this.ctx.waitUntil(Promise.reject(new Error("a class's waitUntil rejected")));
    }
  }
}
)");
  start_copied();
  ASSERT_EQ(worker->get("/?action=throw").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw TypeError: a class threw\n", 30000)) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("    at ")) << "the stack follows the batch's line\n" << dev->log();
  ASSERT_EQ(worker->get("/?action=reject").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw Error: a class's waitUntil rejected\n", 30000)) << dev->log();
  EXPECT_EQ(dev->log().find("/__flareq_"), std::string::npos) << "the stack is the Worker's code only\n" << dev->log();
  // Thrown before queue()'s first await, the stack has every caller: the runtime's withEnv() that
  // flareq called queue() through is left out too.
  EXPECT_EQ(dev->log().find(" at withEnv ("), std::string::npos) << dev->log();
}

// wrangler 4.118 and later capture a trace of every request into the Local Explorer's store
// unless X_LOCAL_OBSERVABILITY=false, at half the Worker's request rate: flareq turns it off,
// and a user who sets it to true gets it back. Asked through the Local Explorer on the Worker's port.
TEST_F(WorkerProject, WranglersTraceCaptureIsOffUnlessTheUserTurnsItOn) {
  WranglerInUse wrangler = wrangler_in_use();
  if (wrangler.minor() < 118) GTEST_SKIP() << "wrangler " << wrangler.version << " captures no traces (4.118 and later do)";
  const std::string query = "/cdn-cgi/local/explorer/api/local/observability/query";
  const std::string count_spans = R"({"sql": "SELECT count(*) AS n FROM spans"})";
  start("js");
  ASSERT_EQ(worker->get("/vars").status, 200);
  HttpReply off = worker->post_raw(query, count_spans, "application/json");
  EXPECT_EQ(off.status, 404) << off.text;
  EXPECT_EQ(off.body["errors"][0]["code"], 10130) << off.text;  // "Local observability is not enabled"
  EXPECT_EQ(dev->stop(), 0);

  start_copied({}, {{"X_LOCAL_OBSERVABILITY", "true"}});
  ASSERT_EQ(worker->get("/vars").status, 200);
  HttpReply on;
  EXPECT_TRUE(eventually([&] { return (on = worker->post_raw(query, count_spans, "application/json")).status == 200 && on.text.find("\"n\"") != std::string::npos; },
                         30s, "the trace store to answer", [&] { return on.text; }))
      << dev->log();
  EXPECT_EQ(on.body["success"], true) << on.text;
}

// wrangler 4.91 and later append every line it prints (the Worker's console.log among them) to a
// file under ~/.config/.wrangler/logs, a mkdir, a stat and an append each, and the files pile
// up there: flareq's log has those lines, so the host turns the file off, and a user who sets
// WRANGLER_WRITE_LOGS=true gets it back.
TEST_F(WorkerProject, WranglersLogFileIsNotWrittenUnlessTheUserAsks) {
  WranglerInUse wrangler = wrangler_in_use();
  if (wrangler.minor() < 91) GTEST_SKIP() << "wrangler " << wrangler.version << " cannot be told not to write it (4.91 and later can)";
  const std::filesystem::path home = dir / "home";
  const std::filesystem::path logs = home / ".config" / ".wrangler" / "logs";
  std::map<std::string, std::string> env = {{"HOME", home.string()}, {"XDG_CONFIG_HOME", (home / ".config").string()}};
  auto logged = [&] {  // what wrangler's log files hold
    std::string all;
    std::error_code ec;
    for (const auto& file : std::filesystem::directory_iterator(logs, ec)) all += read_file(file.path());
    return all;
  };
  start("js", {}, env);
  ASSERT_EQ(worker->get("/job?action=ack&tag=first").status, 200);
  EXPECT_TRUE(dev->wait_for_log("queue() got first", 30000)) << dev->log();
  EXPECT_EQ(dev->stop(), 0);
  EXPECT_EQ(logged(), "") << "wrangler wrote a log file under " << logs;

  env["WRANGLER_WRITE_LOGS"] = "true";
  start_copied({}, env);
  ASSERT_EQ(worker->get("/job?action=ack&tag=second").status, 200);
  EXPECT_TRUE(dev->wait_for_log("queue() got second", 30000)) << dev->log();
  EXPECT_TRUE(eventually([&] { return logged().find("queue() got second") != std::string::npos; }, 30s,
                         "wrangler's log file to hold the Worker's line", logged))
      << dev->log();
}

TEST_F(WorkerProject, SendAndSendBatchStoreEveryContentTypeAndDelay) {
  start("js");
  for (const char* path : {"/send?type=json", "/send?type=text", "/send?type=bytes", "/send?type=json&delay=30",
                           "/send-batch"})
    ASSERT_EQ(worker->get(path).status, 200) << path << "\n" << dev->log();
  json list = messages("inbox");
  ASSERT_EQ(list.size(), 7u) << list.dump(2);
  std::map<std::string, int> states;
  for (const auto& m : list) states[m["state"].get<std::string>()]++;
  EXPECT_EQ(states["ready"], 5);
  EXPECT_EQ(states["delayed"], 2);  // delaySeconds on send, and on one message of the batch
  EXPECT_EQ(list[0]["content_type"], "json");
  EXPECT_EQ(list[0]["body"], json({{"kind", "json"}, {"n", 1}}));
  EXPECT_EQ(list[1]["content_type"], "text");
  EXPECT_EQ(list[1]["body"], "hello");
  EXPECT_EQ(list[2]["content_type"], "bytes");
  EXPECT_EQ(list[2]["body"], "AQL/");  // 01 02 ff, base64
  EXPECT_EQ(info("inbox")["counters"]["received"], 7);
  // The producer's delivery_delay holds a send back unless the send gives its own delay.
  ASSERT_EQ(worker->get("/send-later").status, 200);
  ASSERT_EQ(worker->get("/send-later?delay=0").status, 200);
  json later = messages("later");
  ASSERT_EQ(later.size(), 2u) << later.dump(2);
  std::multiset<std::string> later_states;
  for (const auto& m : later) later_states.insert(m["state"].get<std::string>());
  EXPECT_EQ(later_states, std::multiset<std::string>({"delayed", "ready"})) << later.dump(2);
  // Production's limit and text, as an error the Worker can catch.
  HttpReply big = worker->get("/send-big");
  EXPECT_EQ(big.status, 500);
  EXPECT_NE(big.text.find("message length of 130000 bytes exceeds limit of 128000"), std::string::npos) << big.text;
  EXPECT_EQ(messages("inbox").size(), 7u);
}

TEST_F(WorkerProject, QueueGetsProductionsBatchAndV8BodiesRoundTrip) {
  start("js");
  ASSERT_EQ(worker->get("/job?action=v8").status, 200) << dev->log();
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u) << dev->log();
  EXPECT_EQ(seen[0]["v8"], true);  // a Date, a Map and a typed array, unchanged
  EXPECT_EQ(seen[0]["attempts"], 1);
  EXPECT_EQ(seen[0]["queue"], "jobs");
  EXPECT_EQ(seen[0]["timestampIsDate"], true);
  // batch.metadata.metrics: the queue's backlog (the message itself, still held), its oldest as a Date.
  EXPECT_EQ(seen[0]["backlog"]["count"], 1) << json(seen).dump();
  EXPECT_GT(seen[0]["backlog"]["bytes"], 0) << json(seen).dump();
  EXPECT_EQ(seen[0]["backlog"]["oldestIsDate"], true) << json(seen).dump();
  wait_idle("jobs");
  EXPECT_EQ(info("jobs")["counters"]["acked"], 1);
}

// What queue() threw (its message and stack, from the runtime's trace of the invocation) is in
// the log under the batch's line, and in the dead-lettered message's "last error".
TEST_F(WorkerProject, WhatQueueThrewIsInTheLogAndTheMessagesLastError) {
  start("js");
  ASSERT_EQ(worker->get("/job?action=throw&tag=bad").status, 200) << dev->log();
  ASSERT_TRUE(eventually([&] { return !messages("jobs-dlq").empty(); }, 30s, "a message in jobs-dlq")) << dev->log();
  json dead = messages("jobs-dlq");
  ASSERT_EQ(dead.size(), 1u) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw Error: thrown on purpose\n")) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("    at ")) << "the stack follows the batch's line\n" << dev->log();
  EXPECT_EQ(dev->log().find("/__flareq_"), std::string::npos) << "the stack is the Worker's code only\n" << dev->log();
  // Thrown before queue()'s first await, the stack has every caller: the runtime's withEnv() that
  // flareq called queue() through is left out too.
  ASSERT_EQ(worker->get("/job?action=throw-at-once&tag=sync").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw Error: thrown at once\n        at Object.queue (", 30000)) << dev->log();
  EXPECT_EQ(dev->log().find(" at withEnv ("), std::string::npos) << dev->log();
  // The frame names the Worker's own file and line, not the bundle wrangler runs (as wrangler dev).
  const std::string thrower = source_place("src/index.js", "new Error(\"thrown on purpose\")");
  EXPECT_TRUE(dev->wait_for_log(" (file://" + thrower)) << thrower << "\n" << dev->log();
  Result shown = flareq({"messages", "show", dead[0]["id"]});
  EXPECT_NE(shown.out.find("Last error:  queue() threw Error: thrown on purpose\n"), std::string::npos) << shown.out;
  // The listing says it too, a line per message: why each died, before anyone asks for one whole.
  Result listed = flareq({"messages", "list", "jobs-dlq"});
  EXPECT_NE(listed.out.find("  LAST ERROR  "), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("  queue() threw Error: thrown on purpose  "), std::string::npos) << listed.out;
  json j = json::parse(flareq({"messages", "show", dead[0]["id"], "--json"}).out);
  EXPECT_EQ(j["last_error"].get<std::string>().rfind("queue() threw Error: thrown on purpose\n    at ", 0), 0u) << j.dump();
  EXPECT_NE(j["last_error"].get<std::string>().find(thrower), std::string::npos) << j.dump();
  // A promise queue() left to ctx.waitUntil() that rejects is shown the same way.
  ASSERT_EQ(worker->get("/job?action=reject-wait-until&tag=later").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw Error: waitUntil rejected\n", 30000)) << dev->log();
  // queue() awaiting what nothing can settle is ended by the runtime with nothing thrown: said so.
  ASSERT_EQ(worker->get("/job?action=hang-forever&tag=hung").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() never finished: the runtime ended it as hung, as production "
                                "does, because it awaited a promise that nothing could settle any more",
                                30000))
      << dev->log();
}

// A cron runs where Cloudflare's docs say to run one locally, /cdn-cgi/handler/scheduled: the
// runtime of wrangler 4.164 serves it under /cdn-cgi/local/, where the front takes it, as
// wrangler's own proxy does (4.86's serves the old path itself); the explorer's old URL too.
TEST_F(WorkerProject, ACronRunsAtTheUrlCloudflaresDocsGive) {
  start("js");
  auto ran = worker->get("/cdn-cgi/handler/scheduled?cron=*/5%20*%20*%20*%20*");
  EXPECT_EQ(ran.status, 200) << ran.text << dev->log();
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u) << dev->log();
  EXPECT_EQ(seen[0]["scheduled"], "*/5 * * * *");
  EXPECT_EQ(worker->get("/cdn-cgi/mf/scheduled").status, 200) << dev->log();  // Miniflare's older name
  EXPECT_EQ(results(2).size(), 2u);
  EXPECT_EQ(worker->get("/cdn-cgi/handlers").text, "no such route");  // only the prefix as a whole
}

// A send that fetch() neither awaits nor gives to ctx.waitUntil() may be cancelled as the
// response goes (as in production): the log says so, once; awaited sends are not said.
TEST_F(WorkerProject, ASendLeftInFlightWhenFetchReturnsIsSaid) {
  start("js");
  ASSERT_EQ(worker->get("/send").status, 200) << dev->log();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(worker->get("/send-unawaited").status, 200) << dev->log();
  const std::string said = "flareq: env.INBOX.send() was still in flight when fetch() returned, and nothing awaited it "
                           "or gave it to ctx.waitUntil(): the runtime may cancel it as the invocation ends, as "
                           "production does, and then the message never arrives. await it, or pass it to ctx.waitUntil()";
  ASSERT_TRUE(dev->wait_for_log(said)) << dev->log();
  // Sent by the env of `import { env } from "cloudflare:workers"`, in a helper: said the same.
  ASSERT_EQ(worker->get("/send-unawaited-via-import").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("flareq: env.LATER.send() was still in flight when fetch() returned")) << dev->log();
  ASSERT_EQ(worker->get("/send").status, 200) << dev->log();
  std::string log = dev->log();
  EXPECT_EQ(log.find(said), log.rfind(said)) << "once\n" << log;
  EXPECT_EQ(log.find("env.INBOX.send() was still in flight when fetch() returned"),
            log.rfind("env.INBOX.send() was still in flight when fetch() returned")) << log;
}

TEST_F(WorkerProject, EveryOutcomeRuleOfQueue) {
  start("js");
  expect_every_outcome_rule();
}

// FLAREQ_WORKER_DELIVERY=host: batches go through the Worker host's Node.js (the way taken
// with a wrangler whose Miniflare cannot be given the delivery service), with the same rules.
TEST_F(WorkerProject, EveryOutcomeRuleOfQueueThroughTheHost) {
  start("js", {}, {{"FLAREQ_WORKER_DELIVERY", "host"}});
  EXPECT_NE(dev->log().find("[test-worker] batches for queue() go through the host's Node.js, the slower way "
                            "(FLAREQ_WORKER_DELIVERY=host)"), std::string::npos) << dev->log();
  expect_every_outcome_rule();
}

// Batches go straight into the runtime: they reach queue() while the host's Node.js is stopped.
TEST_F(WorkerProject, BatchesGoStraightIntoTheRuntimeNotThroughNode) {
  start("js");
  EXPECT_EQ(dev->log().find("the slower way"), std::string::npos) << dev->log();
  pid_t host = host_pid();
  ASSERT_GT(host, 0);
  ASSERT_EQ(kill(host, SIGSTOP), 0);
  EXPECT_EQ(api->post("queues/jobs/messages", {{"body", {{"action", "ack"}, {"tag", "node stopped"}}}}).status, 200);
  std::vector<json> seen = results(1);
  ASSERT_EQ(kill(host, SIGCONT), 0);
  ASSERT_EQ(seen.size(), 1u) << dev->log();
  EXPECT_EQ(seen[0]["tag"], "node stopped");
  wait_idle("jobs");
  EXPECT_EQ(info("jobs")["counters"]["acked"], 1);
}

// A queue() still running at --handler-timeout ends as any handler's does: the host's whole
// process group is killed and started again, and the batch is retried, reaching the new
// runtime once it listens (the wait for it does not count against the timeout).
TEST_F(WorkerProject, AQueuePastTheHandlerTimeoutRestartsTheRuntimeAndIsRetried) {
  // Long enough for a runtime that has just started again to run its first batch (Miniflare 5's
  // takes over a second on a busy machine), far shorter than the batch that hangs.
  start("js", {"--handler-timeout", "8"});
  ASSERT_EQ(worker->get("/job?action=hang-once&tag=slow").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("handler failed: timed out after 8s", 30000)) << dev->log();
  auto seen = results(2);
  ASSERT_EQ(seen.size(), 2u) << dev->log();
  EXPECT_EQ(seen[1]["attempts"], 2) << dev->log();
  wait_idle("jobs");
  EXPECT_EQ(info("jobs")["counters"]["acked"], 1) << dev->log();
  EXPECT_TRUE(messages("jobs-dlq").empty());
  EXPECT_TRUE(fetch_served()) << dev->log();
}

// What queue() printed reaches the log through the host, its verdict straight from the
// runtime: still, the log shows each batch's output before the batch's QUEUE line.
TEST_F(WorkerProject, TheLogShowsWhatQueuePrintedBeforeItsBatchsLine) {
  start("js");
  const int kJobs = 5;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(worker->get("/job?action=ack&tag=t" + std::to_string(i)).status, 200) << dev->log();
    ASSERT_EQ(results(i + 1).size(), static_cast<size_t>(i + 1)) << dev->log();
    wait_idle("jobs");
  }
  std::string order;  // 'g' for a line of queue(), 'Q' for a QUEUE line of the jobs queue
  std::istringstream log(dev->log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("[test-worker] queue() got t") != std::string::npos) order += 'g';
    if (line.rfind("QUEUE jobs ", 0) == 0) order += 'Q';
  }
  EXPECT_EQ(order, "gQgQgQgQgQ") << dev->log();
  EXPECT_EQ(dev->log().find("flareq-mark"), std::string::npos) << dev->log();
}

// The delivery service's port is the runtime's own, with no front: without the secret that dev
// gave the host, neither another local process nor a web page (a simple cross-origin POST)
// can make the Worker's queue() run a batch of its own.
TEST_F(WorkerProject, TheDeliveryPortRunsNoBatchWithoutDevsSecret) {
  start("js");
  pid_t host = host_pid();
  ASSERT_GT(host, 0);
  std::string environ = read_file("/proc/" + std::to_string(host) + "/environ");
  auto value_of = [&](const std::string& name) {
    size_t at = environ.find(name + "=");
    return at == std::string::npos ? "" : std::string(environ.c_str() + at + name.size() + 1);
  };
  int port = std::stoi(value_of("FLAREQ_WORKER_DELIVERY_PORT"));
  std::string secret = value_of("FLAREQ_WORKER_DELIVERY_SECRET");
  ASSERT_EQ(secret.size(), 48u);
  std::string batch = R"({"queue":"jobs","messages":[{"id":"forged","timestamp":"2026-01-01T00:00:00.000Z",)"
                      R"("timestampMs":1767225600000,"attempts":1,"contentType":"json","body":{"action":"ack","tag":"forged"}}]})";
  httplib::Client delivery("127.0.0.1", port);
  for (const httplib::Headers& headers : {httplib::Headers{{"Origin", "https://evil.example"}},
                                          httplib::Headers{{"X-Flareq-Delivery-Secret", std::string(48, '0')}},
                                          httplib::Headers{{"X-Flareq-Delivery-Secret", secret.substr(1)}}}) {
    auto answer = delivery.Post("/", headers, batch, "text/plain");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 403) << answer->body;
  }
  // With it, the batch runs: the secret is what was missing.
  auto answer = delivery.Post("/", {{"X-Flareq-Delivery-Secret", secret}}, batch, "application/json");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(nlohmann::json::parse(answer->body)["outcome"], "ok") << answer->body;
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["tag"], "forged");
}

// The runtime's own port, behind the Worker front, runs no fetch() without the front's secret:
// a page that finds it by scanning loopback is refused before the Worker's code runs, whatever
// it sends (Miniflare's own routing header included). Through the front, the same request runs,
// and the secret does not reach the Worker.
TEST_F(WorkerProject, TheRuntimesOwnPortRunsNoFetchWithoutTheFrontsSecret) {
  start("js");
  pid_t host = host_pid();
  ASSERT_GT(host, 0) << dev->log();
  std::string environment = read_file("/proc/" + std::to_string(host) + "/environ");
  std::string key = std::string("FLAREQ_WORKER_RUNTIME_PORT=");
  size_t at = environment.find(key);
  ASSERT_NE(at, std::string::npos);
  int runtime_port = std::stoi(environment.substr(at + key.size()));
  httplib::Client runtime("127.0.0.1", runtime_port);
  for (const httplib::Headers& headers : {httplib::Headers{},
                                          httplib::Headers{{"X-Flareq-Front", std::string(48, '0')}},
                                          httplib::Headers{{"MF-Route-Override", "test-worker"}},
                                          httplib::Headers{{"CF-Connecting-IP", ""}},
                                          httplib::Headers{{"Origin", "https://evil.example"}}}) {
    auto answer = runtime.Get("/echo", headers);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 403) << answer->body;
    EXPECT_EQ(answer->body.rfind("flareq: the Worker is served on the port dev printed", 0), 0u) << answer->body;
  }
  HttpReply echoed = worker->get("/echo");
  ASSERT_EQ(echoed.status, 200) << echoed.text;
  EXPECT_FALSE(echoed.body["headers"].contains("x-flareq-front")) << echoed.text;
}

void WorkerProject::expect_every_outcome_rule() {
  for (const char* action : {"ack", "implicit", "ack-all", "throw-after-ack", "retry", "throw", "reject-wait-until",
                             "retry-delay", "retry-all"})
    ASSERT_EQ(worker->get(std::string("/job?action=") + action + "&tag=" + action).status, 200) << dev->log();
  // 4 acked once each; retry, throw and the rejected waitUntil run 3 times (max_retries 2);
  // the two delayed retries once so far.
  auto seen = results(4 + 3 * 3 + 2);
  std::map<std::string, std::set<int>> attempts;
  for (const auto& s : seen) attempts[s["tag"].get<std::string>()].insert(s["attempts"].get<int>());
  for (const char* once : {"ack", "implicit", "ack-all", "throw-after-ack", "retry-delay", "retry-all"})
    EXPECT_EQ(attempts[once], std::set<int>({1})) << once << "\n" << dev->log();
  for (const char* thrice : {"retry", "throw", "reject-wait-until"})
    EXPECT_EQ(attempts[thrice], std::set<int>({1, 2, 3})) << thrice << "\n" << dev->log();

  // queue() records its third attempt before that batch's verdict moves the message.
  json dlq;
  EXPECT_TRUE(eventually([&] { return (dlq = messages("jobs-dlq")).size() >= 3; }, 30s, "three messages in jobs-dlq",
                         [&] { return dlq.dump(); }));
  std::set<std::string> dead;
  for (const auto& m : dlq) dead.insert(m["body"]["tag"].get<std::string>());
  EXPECT_EQ(dead, std::set<std::string>({"retry", "throw", "reject-wait-until"}));
  // The two retries with a delay wait in the queue, 600 s out.
  json left = messages("jobs");
  ASSERT_EQ(left.size(), 2u) << left.dump(2);
  for (const auto& m : left) {
    EXPECT_EQ(m["state"], "delayed");
    EXPECT_GT(m["visible_at_ms"].get<int64_t>() - m["timestamp_ms"].get<int64_t>(), 590000);
  }
  EXPECT_EQ(info("jobs")["counters"]["acked"], 4);
}

TEST_F(WorkerProject, InjectedFaultsReachTheWorkersSendAndQueue) {
  start("js");
  // A refused push rejects the Worker's send() with production's text, and stores nothing.
  ASSERT_EQ(flareq({"faults", "set", "--push-errors", "1", "--seed", "1"}).exit_code, 0);
  HttpReply refused = worker->get("/send?type=json");
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.text.find("Queue is overloaded. Please back off."), std::string::npos) << refused.text;
  EXPECT_TRUE(messages("inbox").empty());
  EXPECT_EQ(info("inbox")["counters"]["injected_push_errors"], 1);
  // Failed deliveries never reach queue(); after 1 + max_retries of them the job is dead-lettered.
  ASSERT_EQ(flareq({"faults", "clear"}).exit_code, 0);
  ASSERT_EQ(flareq({"faults", "set", "jobs", "--fail", "1", "--seed", "1"}).exit_code, 0);
  ASSERT_EQ(worker->get("/job?action=ack&tag=failed").status, 200) << dev->log();
  ASSERT_TRUE(eventually([&] { return !messages("jobs-dlq").empty(); }, 30s, "a message in jobs-dlq")) << dev->log();
  EXPECT_EQ(messages("jobs-dlq").size(), 1u) << dev->log();
  EXPECT_EQ(info("jobs")["counters"]["injected_failures"], 3);
  EXPECT_TRUE(messages("results").empty()) << "queue() ran";
}

// An injected crash on one queue ends that batch's invocation only: the Worker's runtime is not
// restarted, so another queue's batch in flight and fetch() meanwhile are untouched.
TEST_F(WorkerProject, AnInjectedCrashFailsOnlyTheBatchItWasDrawnFor) {
  start("js");
  pid_t host = host_pid();
  ASSERT_EQ(flareq({"faults", "set", "jobs", "--crash-handler", "1", "--seed", "1"}).exit_code, 0);
  ASSERT_EQ(api->post("queues/slow/messages", {{"body", {{"tag", "elsewhere"}}}}).status, 200);
  ASSERT_EQ(worker->get("/job?action=ack&tag=crashed").status, 200) << dev->log();
  int served = 0;
  for (int i = 0; i < 20; ++i) served += worker->get("/vars").status == 200;
  EXPECT_EQ(served, 20) << dev->log();
  ASSERT_TRUE(eventually([&] { return !messages("jobs-dlq").empty(); }, 30s, "a message in jobs-dlq")) << dev->log();
  EXPECT_EQ(messages("jobs-dlq").size(), 1u) << dev->log();
  EXPECT_EQ(info("jobs")["counters"]["injected_crashes"], 3);
  wait_idle("slow");
  json slow = info("slow")["counters"];
  EXPECT_EQ(slow["acked"], 1) << slow.dump();
  EXPECT_EQ(slow["retried"], 0) << "the other queue's batch was not charged an attempt\n" << dev->log();
  EXPECT_EQ(host_pid(), host) << "the runtime was not restarted\n" << dev->log();
  EXPECT_EQ(dev->log().find("the handler process exited"), std::string::npos) << dev->log();
}

TEST_F(WorkerProject, MaxConcurrencyBoundsTheBatchesInFlightInOneHost) {
  start("js");
  json batch = {{"messages", json::array()}};
  for (int i = 0; i < 6; ++i) batch["messages"].push_back({{"body", {{"tag", std::to_string(i)}}}});
  ASSERT_EQ(api->post("queues/slow/messages/batch", batch).status, 200);
  auto seen = results(6);
  ASSERT_EQ(seen.size(), 6u) << dev->log();
  // The most batches running at one moment: each start, against every batch running then.
  int most = 0;
  for (const auto& a : seen) {
    int running = 0;
    for (const auto& b : seen)
      if (b["start"] <= a["start"] && a["start"] < b["end"]) ++running;
    most = std::max(most, running);
  }
  EXPECT_EQ(most, 2) << json(seen).dump();  // max_concurrency 2, with six waiting
  wait_idle("slow");
}

TEST_F(WorkerProject, AWorkerThatThrowsAtStartUpIsOneSentenceAndANonZeroExit) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::ofstream(dir / "src" / "index.js") << "throw new Error('boom at start-up');\nexport default {};\n";
  Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(r.exit_code, 0);
  // What threw and where, in the user's file (not wrangler's bundle), and no stack dump.
  const std::string said = "error: Worker test-worker: the Worker threw while it loaded (its modules' top-level code "
                           "runs then): Uncaught Error: boom at start-up\n    at src/index.js:1:";
  EXPECT_NE(r.err.find(said), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.err.find("    at ", r.err.find(said) + said.size()), std::string::npos) << r.err;
}

// A Worker that does not build fails dev's start at once (not after the start's 120 s bound),
// with esbuild's file:line and a caret.
TEST_F(WorkerProject, AWorkerThatDoesNotBuildFailsTheStartAtOnceWithFileAndLine) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::string source = read_file(dir / "src" / "index.js");
  std::ofstream(dir / "src" / "index.js") << "import missing from \"./nope.js\";\n" << source;
  auto started = std::chrono::steady_clock::now();
  Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: Worker test-worker: the Worker did not build: src/index.js:1:20: Could not resolve \"./nope.js\"\n"
                       "    1 │ import missing from \"./nope.js\";\n"
                       "      ╵                     ^"),
            std::string::npos) << r.out << r.err;
  EXPECT_LT(secs, 60) << "it must not wait for the start timeout";
  // A syntax error at start-up names its place too.
  std::ofstream(dir / "src" / "index.js") << "export default {\n  async fetch( {\n};\n";
  r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("the Worker did not build: src/index.js:3:1: Expected \")\" but found \";\""), std::string::npos)
      << r.out << r.err;
}

// SIGTERM ends dev while it waits for a Worker host that never reports (here a "Node.js" that
// only sleeps), and leaves nothing behind.
// A host that dies before it says anything (a file of its own missing, a Node.js that cannot
// run it) fails dev's start at once with its output, rather than being started again until the
// start's 120 s bound.
TEST_F(WorkerProject, AHostThatExitsBeforeItIsReadyFailsTheStartAtOnce) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  dir.write("broken-node", "#!/bin/sh\necho 'boom: this Node.js cannot run the host' >&2\nexit 1\n");
  std::filesystem::permissions(dir / "broken-node", std::filesystem::perms::owner_all);
  auto asked = std::chrono::steady_clock::now();
  DevServer starting(dir / "state.sqlite", {"--worker-port", "0"}, dir.path(),
                     {{"FLAREQ_NODE", (dir / "broken-node").string()}}, /*wait_ready=*/false);
  EXPECT_EQ(starting.wait_exit(30000), 1) << starting.log();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  EXPECT_LT(secs, 20) << starting.log();
  EXPECT_NE(starting.log().find("boom: this Node.js cannot run the host"), std::string::npos) << starting.log();
  EXPECT_NE(starting.log().find("exited before it was ready"), std::string::npos) << starting.log();
}

// A dev killed with -9 leaves its Worker host's ready file behind, and pids come round again
// (pid_max is 32768 here): a later dev once took such a file for its own host's report. Files
// as a killed dev would have left them, for each pid the next dev may get, are not read; and
// the directory dev makes for them in the temp directory is gone once it stops.
TEST_F(WorkerProject, ReadyFilesThatAKilledDevLeftBehindAreNotTakenForThisOnes) {
  std::filesystem::path tmp = dir / "tmp";
  std::filesystem::create_directory(tmp);
  int last = 0, pid_max = 32768;
  std::ifstream("/proc/sys/kernel/ns_last_pid") >> last;
  std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
  std::set<int> next_pids;
  for (int k = 1; k <= 2000; ++k) next_pids.insert(last + k < pid_max ? last + k : 300 + last + k - pid_max);
  for (int pid : next_pids)
    std::ofstream(tmp / ("flareq-worker-" + std::to_string(pid) + "-0.json")) << R"({"error":"a killed dev's report"})";
  start("js", {}, {{"TMPDIR", tmp.string()}});
  ASSERT_TRUE(next_pids.count(dev->pid())) << "dev's pid " << dev->pid() << " is not among those given a stale file";
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");
  EXPECT_EQ(dev->log().find("a killed dev's report"), std::string::npos) << dev->log();
  // Miniflare's temporary files are in dev's directory too (the host's TMPDIR), so they go with
  // it however the host ends.
  auto made = [&](const std::filesystem::path& where) {
    std::string names;
    for (const auto& entry : std::filesystem::directory_iterator(where)) {
      std::string name = entry.path().filename().string();
      if (name.rfind("flareq-dev-", 0) == 0 || name.rfind("miniflare-", 0) == 0) names += name + " ";
    }
    return names;
  };
  std::string ours = made(tmp);
  ASSERT_EQ(ours.rfind("flareq-dev-", 0), 0u) << ours;
  EXPECT_EQ(ours.find("miniflare-"), std::string::npos) << ours;
  // The newest wrangler's Miniflare makes one for the Worker's runtime; 4.86's made one only for
  // wrangler's proxy runtime, which the host does not start.
  if (wrangler_in_use().minor() >= 164) {
    EXPECT_EQ(made(tmp / ours.substr(0, ours.size() - 1)).rfind("miniflare-", 0), 0u);
  }
  EXPECT_EQ(dev->stop(SIGTERM), 0) << dev->log();
  EXPECT_EQ(made(tmp), "") << "dev left these in the temp directory";
}

TEST_F(WorkerProject, SigtermEndsDevWhileItsWorkerIsStarting) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  // A duration of its own: the same test may run at once against the other wrangler.
  std::string sleep = "sleep " + std::to_string(100000 + getpid());
  dir.write("sleeper", "#!/bin/sh\nexec " + sleep + "\n");
  std::filesystem::permissions(dir / "sleeper", std::filesystem::perms::owner_all);
  DevServer starting(dir / "state.sqlite", {"--worker-port", "0"}, dir.path(), {{"FLAREQ_NODE", (dir / "sleeper").string()}},
                     /*wait_ready=*/false);
  ASSERT_TRUE(eventually([&] { return run({"pgrep", "-fx", sleep}).exit_code == 0; }, 10s, "the host's stand-in to run"))
      << starting.log();
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(starting.stop(SIGTERM), 0) << starting.log();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  EXPECT_LT(secs, 10) << starting.log();  // within the default grace
  EXPECT_NE(starting.log().find("flareq stopped"), std::string::npos) << starting.log();
  EXPECT_NE(run({"pgrep", "-fx", sleep}).exit_code, 0) << "the host's process is gone";
}

// Ctrl-C says at once what it waits for; a second one stops dev now, and the batch's message
// is kept, to be delivered again. Copies of one Ctrl-C that arrive together (the terminal's
// and a launcher's forward) are one.
TEST_F(WorkerProject, CtrlCSaysWhatItWaitsForAndASecondOneStopsNow) {
  start("js", {"--shutdown-grace", "60"});
  ASSERT_EQ(worker->get("/job?action=hang-once&tag=stuck").status, 200) << dev->log();
  ASSERT_TRUE(dev->wait_for_log("queue() got stuck", 30000)) << dev->log();
  kill(dev->pid(), SIGINT);
  kill(dev->pid(), SIGINT);  // the launcher's forwarded copy
  EXPECT_TRUE(dev->wait_for_log("stopping: finishing 1 batch(es) in flight (up to 60s); Ctrl-C again to stop now", 2000))
      << dev->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // a person's second Ctrl-C comes later than an echo
  EXPECT_EQ(dev->log().find("stopping now"), std::string::npos) << dev->log();
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(dev->stop(SIGINT), 0) << dev->log();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  EXPECT_LT(secs, 5) << dev->log();
  EXPECT_NE(dev->log().find("killing the handlers of 1 batch(es) in flight"), std::string::npos) << dev->log();
  json kept = messages("jobs");
  ASSERT_EQ(kept.size(), 1u) << dev->log();
  EXPECT_EQ(kept[0]["body"]["tag"], "stuck");
  EXPECT_EQ(kept[0]["attempts"], 0) << "the stop cut it: no attempt of its own";
}

TEST_F(WorkerProject, ABadVersionOnReloadIsLoggedAndTheQueuesKeepServingUntilAGoodOne) {
  start("js");
  std::filesystem::path source = dir / "src" / "index.js";
  std::string original = read_file(source);
  std::ofstream(source) << "export default {\n  async fetch( {\n};\n";  // a syntax error on line 2
  EXPECT_TRUE(dev->wait_for_log("src/index.js:", 30000)) << dev->log();
  // The API keeps taking messages while the Worker does not build.
  ASSERT_EQ(api->post("queues/jobs/messages", {{"body", {{"action", "ack"}, {"tag", "during"}}}}).status, 200);
  EXPECT_EQ(info("jobs")["counters"]["received"], 1);
  // A good build brings the Worker back; the kept message is delivered to it.
  std::ofstream(source) << original;
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u) << dev->log();
  EXPECT_EQ(seen[0]["tag"], "during");
  EXPECT_TRUE(fetch_served()) << dev->log();
  // A version that builds but throws while it loads: said once, at the user's own line (not
  // the bundle's); workerd does not recover from that, so the host waits for the next build
  // (not started again every few seconds, which would only throw again), meanwhile answering
  // fetch() with 503 and why, at once, and holding the batches back uncounted.
  std::ofstream(source) << "throw new Error('boom on reload');\nexport default {};\n";
  const std::string threw = "flareq: the Worker threw while it loaded (its modules' top-level code runs then): "
                            "Uncaught Error: boom on reload\n";
  ASSERT_TRUE(dev->wait_for_log(threw, 30000)) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("    at src/index.js:1:")) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("flareq: the Worker starts again once its source changes")) << dev->log();
  HttpReply broken;
  ASSERT_TRUE(eventually([&] { return (broken = worker->get("/vars")).status == 503; }, 10s, "fetch() answering 503"))
      << broken.status << " " << broken.text << dev->log();
  EXPECT_NE(broken.text.find("Uncaught Error: boom on reload\n    at src/index.js:1:"), std::string::npos) << broken.text;
  ASSERT_EQ(api->post("queues/jobs/messages", {{"body", {{"action", "ack"}, {"tag", "while-broken"}}}}).status, 200);
  std::this_thread::sleep_for(2s);  // the batch is asked for and held back meanwhile
  EXPECT_EQ(dev->log().find(threw), dev->log().rfind(threw)) << "said once: no host started again meanwhile\n" << dev->log();
  std::ofstream(source) << original;
  EXPECT_TRUE(fetch_served()) << dev->log();
  seen = results(2);
  ASSERT_EQ(seen.size(), 2u) << dev->log();
  EXPECT_EQ(seen[1]["tag"], "while-broken");
  EXPECT_EQ(seen[1]["attempts"], 1) << "held back while the Worker did not load: not an attempt\n" << dev->log();
  ASSERT_EQ(api->post("queues/jobs/messages", {{"body", {{"action", "ack"}, {"tag", "after"}}}}).status, 200);
  EXPECT_EQ(results(3).size(), 3u) << dev->log();
}

TEST_F(WorkerProject, AWorkerWithoutQueueExportFailsEachDeliveryWithTheReason) {
  start("no-queue");
  ASSERT_EQ(worker->get("/").status, 200) << dev->log();
  ASSERT_TRUE(eventually([&] { return !messages("jobs-dlq").empty(); }, 30s, "a message in jobs-dlq")) << dev->log();
  EXPECT_EQ(messages("jobs-dlq").size(), 1u) << dev->log();  // max_retries 1: two attempts, then the DLQ
  // The runtime's verdict is only "exception": the reason is flareq's, in the log and the listing.
  const std::string why = "the Worker exports no queue() handler (its default export has fetch() only): add "
                          "queue(batch, env, ctx) to it";
  EXPECT_TRUE(dev->wait_for_log("handler failed: " + why)) << dev->log();
  // Said before, as the Worker loaded.
  EXPECT_NE(dev->log().find("flareq: this Worker consumes 'jobs', but " + why), std::string::npos) << dev->log();
  EXPECT_LT(dev->log().find("flareq: this Worker consumes 'jobs'"), dev->log().find("handler failed: ")) << dev->log();
  Result listed = flareq({"messages", "list", "jobs-dlq"});
  EXPECT_NE(listed.out.find("  the Worker exports no queue() handler"), std::string::npos) << listed.out;
}

// Handlers exported by name (export function fetch/queue) with no default export: the runtime
// calls none of them. It started with "Cannot initialize N7workerd3api15ExportedHandlerE …" and
// under wrangler dev each request hangs; now the Worker loads and says what to write instead.
// (wrangler 4.86 builds such a module as a service worker, and says so itself.)
TEST_F(WorkerProject, HandlersExportedByNameAreToldToBeTheDefaultExport) {
  std::filesystem::copy(kWorkers / "no-queue", dir.path(), std::filesystem::copy_options::recursive);
  dir.write("src/index.js", "export async function fetch(request, env) { return new Response('named'); }\n"
                            "export async function queue(batch, env) {}\n");
  start_copied();
  if (dev->log().find("hasn't defined a default export like a module worker normally would. Building the worker "
                      "using \"service-worker\" format") != std::string::npos) {
    EXPECT_EQ(wrangler_in_use().version, "4.86.0") << dev->log();
    return;
  }
  const std::string why = "the Worker's module has no default export (it exports fetch(), queue() by name, which the "
                          "runtime does not call): a Worker's handlers are its default export's methods, e.g. export "
                          "default { fetch, queue }";
  EXPECT_NE(dev->log().find("flareq: this Worker consumes 'jobs', but the Worker exports no queue() handler: " + why),
            std::string::npos) << dev->log();
  HttpReply answer = worker->get("/");
  EXPECT_EQ(answer.status, 501);
  EXPECT_EQ(answer.text, "the Worker has no fetch(): " + why + "\n");
  flareq({"send", "jobs", "{\"n\":1}"});
  EXPECT_TRUE(dev->wait_for_log("handler failed: the Worker exports no queue() handler: " + why)) << dev->log();
}

// What a TypeScript Worker's queue() threw names the line of the .ts file, through the source
// map of the bundle wrangler built.
TEST_F(WorkerProject, WhatATypeScriptQueueThrewNamesItsTsLine) {
  start("ts");
  ASSERT_EQ(worker->post("/?type=throw", json::object()).status, 200) << dev->log();
  const std::string thrower = source_place("src/index.ts", "new TypeError");
  EXPECT_TRUE(dev->wait_for_log("handler failed: queue() threw TypeError: no such type: throw\n", 30000)) << dev->log();
  EXPECT_TRUE(dev->wait_for_log(" (file://" + thrower)) << thrower << "\n" << dev->log();
  EXPECT_EQ(dev->log().find(".wrangler/tmp/"), std::string::npos) << "no frame in the bundle\n" << dev->log();
}

TEST_F(WorkerProject, TypeScriptWithAnNpmPackage) {
  start("ts");
  ASSERT_EQ(worker->post("/", json::object()).status, 200) << dev->log();
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u) << dev->log();
  EXPECT_EQ(seen[0]["took"], 172800000);  // ms("2 days")
  EXPECT_EQ(seen[0]["encoded"], "d2VsY29tZS1lbWFpbA==");  // node:buffer under nodejs_compat
}

// `wrangler dev` (flareq's pinned one) in `dir`, in a process group of its own, killed whole
// when the test ends.
class WranglerDev {
 public:
  WranglerDev(const std::filesystem::path& dir, int port) {
    std::filesystem::path worker = std::filesystem::path(FLAREQ_SOURCE_DIR) / "worker";
    std::string node = std::filesystem::exists(worker / ".node" / "bin" / "node") ? (worker / ".node" / "bin" / "node").string()
                                                                                 : "node";
    // The wrangler the test's flareq dev uses: a newer workerd's local data are not for an older one.
    std::vector<std::string> argv = {node, (wrangler_in_use().node_modules / "wrangler" / "bin" / "wrangler.js").string(),
                                     "dev", "--ip", "127.0.0.1", "--port", std::to_string(port),
                                     "--inspector-port", std::to_string(free_port())};
    // Its temporary files (Miniflare's, which a -9 leaves) go with the test's directory.
    std::string tmp = (dir / "wrangler-tmp").string();
    std::filesystem::create_directories(tmp);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (chdir(dir.c_str()) != 0) _exit(127);
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      setenv("WRANGLER_SEND_METRICS", "false", 1);
      setenv("CLOUDFLARE_CF_FETCH_ENABLED", "false", 1);
      setenv("TMPDIR", tmp.c_str(), 1);
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execvp(raw[0], raw.data());
      _exit(127);
    }
    setpgid(pid_, pid_);
  }
  ~WranglerDev() {
    kill(-pid_, SIGKILL);  // wrangler, its proxy and workerd
    waitpid(pid_, nullptr, 0);
  }
  // Binds 127.0.0.1:port (0: any) and lets it go: the port bound, or -1 when it is in use.
  static int bind_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    close(fd);
    return ok ? ntohs(a.sin_port) : -1;
  }
  static int free_port() { return bind_loopback(0); }
  // A port that is free with the one after it (a debugger per Worker of a two-Worker dev).
  static int free_port_pair() {
    for (;;)
      if (int port = free_port(); port > 0 && port < 65535 && bind_loopback(port + 1) > 0) return port;
  }

 private:
  pid_t pid_ = -1;
};

// The config's other bindings work as under `wrangler dev` (KV, D1, R2, a Durable Object, an
// RPC service binding), and their local data live where it keeps them (.wrangler/state): what
// the Worker wrote under flareq dev, wrangler dev reads, and back.
TEST_F(WorkerProject, OtherBindingsKeepTheirDataWhereWranglerDevDoes) {
  start("bindings");
  HttpReply wrote = worker->get("/write");
  ASSERT_EQ(wrote.status, 200) << wrote.text << dev->log();
  EXPECT_EQ(wrote.body["counter"], 1);
  HttpReply read = worker->get("/read");
  ASSERT_EQ(read.status, 200) << read.text;
  EXPECT_EQ(read.body, json::parse(R"({"kv":"kv-value","d1":["d1-value"],"r2":"r2-value","counter":2,"service":"hello rpc"})"));
  EXPECT_EQ(dev->stop(), 0);
  {
    int port = WranglerDev::free_port();
    WranglerDev wrangler(dir.path(), port);
    Http under_wrangler(port);
    HttpReply there;
    ASSERT_TRUE(eventually([&] { return (there = under_wrangler.get("/read")).status == 200; }, 60s,
                           "wrangler dev to serve /read", [&] { return there.text; }));
    EXPECT_EQ(there.body, json::parse(R"({"kv":"kv-value","d1":["d1-value"],"r2":"r2-value","counter":3,"service":"hello rpc"})"));
    ASSERT_EQ(under_wrangler.get("/write").status, 200);  // a second row, counter 4
  }
  dev = std::make_unique<DevServer>(dir / "state.sqlite", std::vector<std::string>{"--worker-port", "0",
                                    "--worker-port-file", (dir / "worker-port").string()}, dir.path());
  int port = 0;
  std::ifstream(dir / "worker-port") >> port;
  HttpReply back = Http(port).get("/read");
  ASSERT_EQ(back.status, 200) << back.text << dev->log();
  EXPECT_EQ(back.body["d1"], json::parse(R"(["d1-value","d1-value"])"));
  EXPECT_EQ(back.body["counter"], 5);
}

// With --env, the environment's queue bindings are flareq's (not Miniflare's own in-memory
// queue), and its consumer is the Worker's queue(), by the way straight into the runtime.
TEST_F(WorkerProject, AnEnvironmentsQueuesAreFlareqs) {
  std::filesystem::create_directories(dir / "src");
  dir.write("wrangler.jsonc", R"({
    "name": "env-worker", "main": "src/index.js", "compatibility_date": "2026-04-01",
    "env": { "staging": { "queues": {
      "producers": [{ "binding": "EVENTS", "queue": "staging-events" }],
      "consumers": [{ "queue": "staging-events", "max_batch_timeout": 0 }] } } } })");
  dir.write("src/index.js", R"(export default {
    async fetch(request, env) { await env.EVENTS.send({ n: 1 }); return new Response("sent"); },
    async queue(batch) { console.log(`staging got ${batch.messages.length}`); },
  };)");
  dev = std::make_unique<DevServer>(dir / "state.sqlite", std::vector<std::string>{"--env", "staging", "--worker-port", "0",
                                    "--worker-port-file", (dir / "worker-port").string()}, dir.path());
  int port = 0;
  std::ifstream(dir / "worker-port") >> port;
  ASSERT_EQ(Http(port).get("/").status, 200) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("staging got 1")) << dev->log();
  wait_idle("staging-events");
  json counters = info("staging-events")["counters"];
  EXPECT_EQ(counters["received"], 1) << dev->log();
  EXPECT_EQ(counters["acked"], 1) << dev->log();
  EXPECT_EQ(dev->log().find("[wrangler:info] QUEUE"), std::string::npos) << dev->log();  // Miniflare's queue took nothing
  // The environment's Worker is named as wrangler names it (the name it registers under).
  EXPECT_NE(dev->log().find("Worker env-worker-staging ready on"), std::string::npos) << dev->log();
  EXPECT_NE(dev->log().find("staging-events  worker env-worker-staging · "), std::string::npos) << dev->log();
}

TEST_F(WorkerProject, NoWorkerServesTheQueuesAndKeepsTheWorkersMessages) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  DevServer queues_only(dir / "state.sqlite", {"--no-worker"}, dir.path());
  Http http(queues_only.port());
  ASSERT_EQ(http.post("queues/jobs/messages", {{"body", {{"action", "ack"}}}}).status, 200);
  EXPECT_TRUE(queues_only.wait_for_log("dashboard on")) << queues_only.log();
  EXPECT_NE(queues_only.log().find("jobs      worker test-worker, not run here (--no-worker): messages are kept"),
            std::string::npos)
      << queues_only.log();
  EXPECT_EQ(queues_only.log().find("Worker test-worker ready"), std::string::npos);
  EXPECT_EQ(messages("jobs").size(), 1u);
}

TEST_F(WorkerProject, AKilledWorkerHostIsRestartedAtOnceOnItsPort) {
  start("js");
  ASSERT_EQ(worker->get("/job?action=ack&tag=before").status, 200);
  ASSERT_EQ(results(1).size(), 1u);
  wait_idle("jobs");  // settled: the kill below must not catch its verdict on the way
  pid_t host = host_pid();
  ASSERT_GT(host, 0);
  ASSERT_EQ(kill(host, SIGKILL), 0);
  // With no batch pending, the host comes back by itself, and fetch() on the same port.
  EXPECT_TRUE(dev->wait_for_log("[test-worker] the handler process exited (killed by signal 9 (Killed)); starting it again after "))
      << dev->log();
  EXPECT_TRUE(fetch_served()) << dev->log();
  ASSERT_EQ(api->post("queues/jobs/messages", {{"body", {{"action", "ack"}, {"tag", "after"}}}}).status, 200);
  auto seen = results(2);
  ASSERT_EQ(seen.size(), 2u) << dev->log();
  EXPECT_EQ(seen[1]["tag"], "after") << json(seen).dump();
  wait_idle("jobs");
}

TEST_F(WorkerProject, EditingTheWorkerReloadsItAndLosesNothing) {
  start("js");
  std::filesystem::path source = dir / "src" / "index.js";
  std::string original = read_file(source);
  const int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) {
    if (i == kJobs / 2) {  // a new version mid-traffic: the Worker reports "v2" from now on
      std::string edited = original;
      edited.replace(edited.find("queue: batch.queue,"), 19, "queue: batch.queue, version: 2,");
      std::ofstream(source) << edited;
    }
    ASSERT_TRUE(get_until_ok("/job?action=ack&tag=" + std::to_string(i))) << "job " << i << "\n" << dev->log();
  }
  // A batch in flight when the runtime restarts runs again (at least once): wait until every
  // job has settled, then count distinct tags.
  wait_idle("jobs");
  auto seen = results(kJobs);
  std::set<std::string> tags;
  bool reloaded = false;
  for (const auto& s : seen) {
    tags.insert(s["tag"].get<std::string>());
    reloaded = reloaded || s.value("version", 0) == 2;
  }
  EXPECT_EQ(tags.size(), static_cast<size_t>(kJobs)) << dev->log();
  // The reload may land after the last job: late jobs until one runs on the new version.
  size_t late = 0;
  auto reloaded_by_a_late_job = [&] {
    if (reloaded) return true;
    // A keep-alive connection open across the runtime's restart is closed, as then: try again.
    if (worker->get("/job?action=ack&tag=late").status != 200) return false;
    for (const auto& s : results(seen.size() + ++late)) reloaded = reloaded || s.value("version", 0) == 2;
    return reloaded;
  };
  EXPECT_TRUE(eventually(reloaded_by_a_late_job, 30s, "a job run by the reloaded Worker")) << dev->log();
  wait_idle("jobs");
  EXPECT_EQ(messages("jobs-dlq").size(), 0u) << dev->log();
}

// What a Vite build of tests/workers/vite-built writes, as the Cloudflare Vite plugin does: the
// built Worker (it says `version` in fetch() and in what its queue() reports), its config for
// wrangler, and the pointer to that config beside the user's. The build empties its folder first.
void write_vite_build(const std::filesystem::path& project, const std::string& version) {
  std::filesystem::path out = project / "build" / "server";
  std::filesystem::remove_all(project / "build");
  std::filesystem::create_directories(out);
  std::ofstream(out / "index.js") << "const VERSION = \"" << version << "\";\n"
      << "export default {\n"
      << "  async fetch(request, env) {\n"
      << "    const url = new URL(request.url);\n"
      << "    if (url.pathname === \"/order\") { await env.ORDERS.send({ n: url.searchParams.get(\"n\") }); return new Response(\"ordered\"); }\n"
      << "    return new Response(VERSION);\n"
      << "  },\n"
      << "  async queue(batch, env) {\n"
      << "    for (const m of batch.messages) await env.RESULTS.send({ version: VERSION, n: m.body.n });\n"
      << "  },\n"
      << "};\n";
  json config = {{"configPath", (project / "wrangler.jsonc").string()},
                 {"userConfigPath", (project / "wrangler.jsonc").string()},
                 {"topLevelName", "vite-app"},
                 {"name", "vite-app"},
                 {"main", "index.js"},
                 {"compatibility_date", "2026-04-01"},
                 {"no_bundle", true},
                 {"rules", json::array({{{"type", "ESModule"}, {"globs", json::array({"**/*.js"})}}})},
                 {"queues", {{"producers", json::array({{{"binding", "ORDERS"}, {"queue", "orders"}},
                                                        {{"binding", "RESULTS"}, {"queue", "results"}}})},
                             {"consumers", json::array({{{"queue", "orders"}, {"max_batch_timeout", 0}}})}}}};
  std::ofstream(out / "wrangler.json") << config.dump();
  std::filesystem::create_directories(project / ".wrangler" / "deploy");
  std::ofstream(project / ".wrangler" / "deploy" / "config.json")
      << R"({"configPath":"../../build/server/wrangler.json","auxiliaryWorkers":[]})";
}

// A Vite project (a React Router app on the Cloudflare Vite plugin), once built: dev runs the
// build, as wrangler dev does, and each new build as it lands (wrangler dev keeps the first);
// the state file and the bindings' data stay in the project, not in the folder each build empties.
TEST_F(WorkerProject, ABuiltViteProjectRunsItsBuildAndEachNewBuild) {
  std::filesystem::copy(kWorkers / "vite-built", dir.path(), std::filesystem::copy_options::recursive);
  write_vite_build(dir.path(), "v1");
  Result sent = run({"flareq", "send", "orders", "{}"}, "", {}, dir.path());  // no --state: the default one
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(std::filesystem::exists(dir / ".flareq" / "state.sqlite"));
  EXPECT_FALSE(std::filesystem::exists(dir / "build" / "server" / ".flareq"));
  std::filesystem::remove_all(dir / ".flareq");
  // The user's config edited after the build: said at start, since what runs is the build's.
  std::filesystem::last_write_time(dir / "wrangler.jsonc",
                                   std::filesystem::last_write_time(dir / "build" / "server" / "wrangler.json") + 5s);

  start_copied();
  EXPECT_NE(dev->log().find("note: wrangler.jsonc was edited after the build that wrote build/server/wrangler.json: "
                            "the Worker runs the build's config until the project builds again (npm run build)"),
            std::string::npos) << dev->log();
  EXPECT_NE(dev->log().find("note: the Worker runs from build/server/wrangler.json, which the project's build wrote "
                            "(.wrangler/deploy/config.json points to it, as for wrangler dev): build again after an "
                            "edit (npm run build), and dev runs each new build; -c "
                            "wrangler.jsonc runs the source instead"),
            std::string::npos) << dev->log();
  EXPECT_EQ(worker->get("/").text, "v1") << dev->log();
  // Not in the build's folder, which the next build deletes under it (a runtime started in a
  // deleted folder fails: "getcwd(): No such file or directory").
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(host_pid()) + "/cwd"), dir.path());
  ASSERT_TRUE(get_until_ok("/order?n=1"));
  EXPECT_EQ(results(1).at(0), json({{"version", "v1"}, {"n", "1"}})) << dev->log();

  write_vite_build(dir.path(), "v2");
  // dev starts again with the new build (wrangler 4.86 also reloads the old runtime with the new
  // index.js on its own, which may serve v2 first): the Worker started again is the one to ask.
  const std::string restart = "build/server/wrangler.json (a new build) changed: starting again with it";
  EXPECT_TRUE(eventually([&] {
    std::string log = dev->log();
    size_t at = log.find(restart);
    return at != std::string::npos && log.find("Worker vite-app ready on", at) != std::string::npos;
  }, 60s, "dev started again with the new build")) << dev->log();
  std::string answer;
  EXPECT_TRUE(eventually([&] { return (answer = worker->get("/").text) == "v2"; }, 60s, "the new build serving",
                         [&] { return "it answers " + answer; }))
      << dev->log();
  ASSERT_TRUE(get_until_ok("/order?n=2"));
  EXPECT_EQ(results(2).at(1), json({{"version", "v2"}, {"n", "2"}})) << dev->log();
  // An edit of the user's config while dev runs is said, and waits for the next build.
  std::ofstream(dir / "wrangler.jsonc", std::ios::app) << "\n// a queue to add, say\n";
  EXPECT_TRUE(dev->wait_for_log("note: wrangler.jsonc changed; the Worker runs the build's config, which takes the "
                                "change when the project builds again (npm run build)"))
      << dev->log();
  EXPECT_EQ(dev->log().find("wrangler.jsonc changed: starting again"), std::string::npos) << dev->log();
  EXPECT_EQ(worker->get("/").text, "v2");
  EXPECT_TRUE(std::filesystem::exists(dir / ".wrangler" / "state")) << "the bindings' data, where wrangler dev keeps it";
  EXPECT_FALSE(std::filesystem::exists(dir / "build" / "server" / ".wrangler" / "state")) << "emptied by the next build";
}

// Without a build, the Worker's source cannot be built by wrangler's bundler: dev says why and
// what to do, rather than leaving wrangler's advice to add an alias.
TEST_F(WorkerProject, AWorkerOnlyViteCanBuildSaysToBuildItWithVite) {
  std::filesystem::copy(kWorkers / "vite-built", dir.path(), std::filesystem::copy_options::recursive);
  Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("the Worker did not build: src/app.js:2:18: Could not resolve \"virtual:app/server-build\""),
            std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("This Worker imports a module that only Vite provides: it is built by Vite (the Cloudflare "
                       "Vite plugin). Build it (npm run build, or npx vite build) and start flareq dev again, with no -c"),
            std::string::npos) << r.out << r.err;
}

// A "dev" script carried over from wrangler (`wrangler dev --port 3000`) meant the Worker's port;
// under flareq --port is the API's: dev says so, and where the Worker is.
TEST_F(WorkerProject, PortAloneSaysItIsTheAPIsAndWhereTheWorkerIs) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  const int api_port = WranglerDev::free_port();
  int worker_port = WranglerDev::free_port();
  while (worker_port == api_port) worker_port = WranglerDev::free_port();
  std::string config = read_file(dir / "wrangler.jsonc");
  config.replace(config.find("\"main\""), 0, "\"dev\": { \"port\": " + std::to_string(worker_port) + " },\n  ");
  std::ofstream(dir / "wrangler.jsonc") << config;
  DevServer dev(dir / "state.sqlite", {"--port", std::to_string(api_port)}, dir.path());
  EXPECT_TRUE(dev.wait_for_log("note: --port " + std::to_string(api_port) + " is flareq's API and dashboard; the Worker's "
                               "fetch() is on http://127.0.0.1:" + std::to_string(worker_port) +
                               " (wrangler dev's --port is flareq dev's --worker-port)", 30000))
      << dev.log();
  EXPECT_EQ(Http(worker_port).get("/vars").status, 200) << dev.log();
}

// wrangler's proxy runtime (a second workerd under wrangler dev, in front of the Worker's) is not
// started: flareq's Worker front stands where the proxy would.
TEST_F(WorkerProject, TheHostRunsOneRuntimeNotWranglersProxyToo) {
  start("js");
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");
  EXPECT_EQ(runtimes(), 1) << dev->log();
}

// `--inspector-port`, as wrangler dev takes it: wrangler's own inspector proxy serves the Worker's
// debugger there (DevTools finds it by /json); a port in use is an error before anything runs.
// The inspector proxy lives in wrangler's proxy runtime, which is started for it.
TEST_F(WorkerProject, InspectorPortServesTheWorkersDebuggerAsWranglerDevDoes) {
  const int port = WranglerDev::free_port();
  start("js", {"--inspector-port", std::to_string(port)});
  EXPECT_EQ(runtimes(), 2) << dev->log();
  const std::string ws = "127.0.0.1:" + std::to_string(port) + "/ws";
  EXPECT_TRUE(dev->wait_for_log("Worker test-worker's debugger on ws://" + ws)) << dev->log();
  HttpReply targets = Http(port).get("/json");
  ASSERT_EQ(targets.status, 200) << targets.text << dev->log();
  ASSERT_TRUE(targets.body.is_array() && !targets.body.empty()) << targets.text;
  EXPECT_EQ(targets.body[0]["webSocketDebuggerUrl"], "ws://" + ws) << targets.text;
  // Another dev asking for the same port is told before its Worker starts.
  Result second = run({FLAREQ_BINARY, "--state", (dir / "other.sqlite").string(), "dev", "--port", "0",
                       "--worker-port", "0", "--inspector-port", std::to_string(port)},
                      "", {}, dir.path());
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("cannot serve Worker test-worker's debugger on 127.0.0.1:" + std::to_string(port) +
                            ": the port is in use"),
            std::string::npos)
      << second.out << second.err;
}

// A developer fixes a queue() that hangs while it hangs: the reload cuts the batch, and the fixed
// Worker gets it again as the same attempt (in production a deploy lets a running batch finish;
// saving a file must not spend a message's retries).
TEST_F(WorkerProject, ABatchCutByEditingTheWorkerGoesToTheEditedWorkerAsTheSameAttempt) {
  start("js");
  std::filesystem::path source = dir / "src" / "index.js";
  ASSERT_EQ(worker->get("/job?action=hang-once&tag=fixed-while-running").status, 200) << dev->log();
  ASSERT_TRUE(dev->wait_for_log("queue() got fixed-while-running", 30000)) << dev->log();
  std::string edited = read_file(source);
  size_t hang = edited.find("if (m.attempts === 1) await");
  ASSERT_NE(hang, std::string::npos);
  edited.replace(hang, std::strlen("if (m.attempts === 1)"), "if (false)");
  std::ofstream(source) << edited;
  EXPECT_TRUE(dev->wait_for_log("the reloaded Worker gets the batch again", 30000)) << dev->log();
  auto seen = results(2);
  ASSERT_EQ(seen.size(), 2u) << dev->log();
  EXPECT_EQ(seen[0]["attempts"], 1);
  EXPECT_EQ(seen[1]["attempts"], 1) << "the cut delivery is not counted\n" << dev->log();
  wait_idle("jobs");
  EXPECT_EQ(info("jobs")["counters"]["acked"], 1) << dev->log();
  EXPECT_EQ(dev->log().find("handler failed"), std::string::npos) << dev->log();
  EXPECT_EQ(dev->log().find("flareq-reload"), std::string::npos) << dev->log();
}

// kill -9 of the Worker host in the middle of traffic, then of dev itself: every send the
// Worker's fetch() acknowledged reaches queue() after dev starts again, and nothing of the
// killed dev (its host, workerd) keeps running.
// An edited config is applied as at start: dev starts again with it, on the same ports and
// state file, and a queue the edit gives a binding is flareq's, with its consumer (wrangler
// alone reloads the Worker with Miniflare's own in-memory queue for it, whose messages flareq
// never sees). An edit that does not load is logged once, and dev keeps serving.
TEST_F(WorkerProject, EditingTheConfigStartsDevAgainWithItsQueues) {
  start("js");
  int worker_port = 0;
  std::ifstream(dir / "worker-port") >> worker_port;
  ASSERT_EQ(worker->get("/send").status, 200);  // to inbox, which nothing consumes
  std::string config = read_file(dir / "wrangler.jsonc");

  std::string broken = config;
  broken.replace(broken.find("\"max_batch_size\": 1"), 19, "\"max_batch_size\": \"one\"");
  std::ofstream(dir / "wrangler.jsonc") << broken;
  ASSERT_TRUE(dev->wait_for_log("wrangler.jsonc changed but does not load: dev keeps running on the version it started with"))
      << dev->log();
  EXPECT_NE(dev->log().find("wrangler.jsonc:15:"), std::string::npos) << dev->log();
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");

  std::string edited = config;
  edited.replace(edited.find("\"queue\": \"inbox\""), 16, "\"queue\": \"mail\"");
  edited.replace(edited.find("\"consumers\": ["), 14,
                 "\"consumers\": [\n      { \"queue\": \"mail\", \"max_batch_size\": 1, \"max_batch_timeout\": 0 },");
  std::ofstream(dir / "wrangler.jsonc") << edited;
  ASSERT_TRUE(dev->wait_for_log("wrangler.jsonc changed: starting again with it")) << dev->log();
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return count(dev->log(), "flareq ready on") == 2; }, 60s, "dev ready again")) << dev->log();
  EXPECT_EQ(count(dev->log(), "does not load"), 1u) << dev->log();
  EXPECT_TRUE(dev->wait_for_log("\n  mail ")) << dev->log();  // its consumer line, printed after the ready line
  int worker_port_again = 0;
  std::ifstream(dir / "worker-port") >> worker_port_again;
  EXPECT_EQ(worker_port_again, worker_port);
  EXPECT_EQ(api->get("/healthz").status, 200);  // the API's port too

  ASSERT_TRUE(get_until_ok("/send")) << dev->log();
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["queue"], "mail");
  EXPECT_EQ(messages("inbox").size(), 1u);  // what was sent before the edit is still there
  EXPECT_EQ(count(dev->log(), "flareq stopped"), 0u) << dev->log();
  EXPECT_EQ(dev->stop(SIGTERM), 0);
}

// An edited config that loads but does not start (its Worker refuses the date) is said, and
// dev waits for the next edit, with which it starts again; Ctrl-C ends the wait.
TEST_F(WorkerProject, AnEditedConfigThatDoesNotStartWaitsForTheNextEdit) {
  start("js");
  std::string config = read_file(dir / "wrangler.jsonc");
  std::string future = config;
  future.replace(future.find("2026-04-01"), 10, "2099-01-01");
  std::ofstream(dir / "wrangler.jsonc") << future;
  ASSERT_TRUE(dev->wait_for_log("the edited config did not start: dev waits for the next edit (Ctrl-C to stop)", 60000))
      << dev->log();
  EXPECT_NE(dev->log().find("error: Worker test-worker: the Worker's compatibility_date 2099-01-01 is in the future"),
            std::string::npos)
      << dev->log();
  std::string fixed = config;
  fixed.replace(fixed.find("2026-04-01"), 10, "2026-04-02");
  std::ofstream(dir / "wrangler.jsonc") << fixed;
  ASSERT_TRUE(dev->wait_for_log("compatibility_date 2026-04-02", 60000)) << dev->log();
  ASSERT_TRUE(get_until_ok("/vars")) << dev->log();

  std::ofstream(dir / "wrangler.jsonc") << future;
  ASSERT_TRUE(eventually([&] {
    std::string log = dev->log();
    return log.find("dev waits for the next edit") != log.rfind("dev waits for the next edit");
  }, 60s, "the second refusal")) << dev->log();
  EXPECT_EQ(dev->stop(SIGINT), 0) << dev->log();
  EXPECT_NE(dev->log().find("flareq stopped"), std::string::npos) << dev->log();
}

TEST_F(WorkerProject, KillNineOfTheHostAndOfDevLosesNoAcknowledgedSend) {
  start("js");
  const int kJobs = 30;
  for (int i = 0; i < kJobs; ++i) {
    if (i == kJobs / 3) {
      pid_t host = host_pid();
      ASSERT_GT(host, 0);
      ASSERT_EQ(kill(host, SIGKILL), 0);
    }
    // Only a 200 is an acknowledged send.
    ASSERT_TRUE(get_until_ok("/job?action=ack&tag=" + std::to_string(i))) << "job " << i << "\n" << dev->log();
  }
  pid_t host = host_pid();
  ASSERT_GT(host, 0);
  pid_t group = getpgid(host);
  EXPECT_EQ(dev->stop(SIGKILL), 128 + SIGKILL);
  // The host's whole process group, workerd included, is gone: none of it runs (a zombie waiting
  // for init to reap it runs nothing).
  auto running_in_group = [group] {
    int running = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;  // not a process
      std::ifstream in(entry.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), {});
      size_t end = stat.rfind(')');
      if (end == std::string::npos) continue;
      std::istringstream fields(stat.substr(end + 2));
      char state = 0;
      pid_t parent = 0, pgrp = 0;
      fields >> state >> parent >> pgrp;
      if (pgrp == group && state != 'Z') ++running;
    }
    return running;
  };
  EXPECT_TRUE(eventually([&] { return running_in_group() == 0; }, 10s, "the killed host's group to end",
                         [&] { return std::to_string(running_in_group()) + " running"; }));
  // dev again, on the same state file: the dead process's leases are released at once.
  dev = std::make_unique<DevServer>(dir / "state.sqlite", std::vector<std::string>{"--worker-port", "0"}, dir.path());
  wait_idle("jobs");
  std::set<std::string> tags;
  for (const auto& s : results(kJobs)) tags.insert(s["tag"].get<std::string>());
  EXPECT_EQ(tags.size(), static_cast<size_t>(kJobs)) << dev->log();
  EXPECT_TRUE(messages("jobs-dlq").empty());
}

TEST_F(WorkerProject, AProducerWorkerAndAConsumerWorkerInOneDev) {
  std::filesystem::copy(kWorkers / "producer", dir / "producer", std::filesystem::copy_options::recursive);
  std::filesystem::copy(kWorkers / "js", dir / "consumer", std::filesystem::copy_options::recursive);
  DevServer both(dir / "state.sqlite",
                 {"-c", (dir / "producer" / "wrangler.jsonc").string(), "-c", (dir / "consumer" / "wrangler.jsonc").string(),
                  "--worker-port", "0", "--worker-port-file", (dir / "p-port").string()},
                 dir.path());
  int port = 0;
  std::ifstream(dir / "p-port") >> port;
  ASSERT_GT(port, 0) << both.log();
  EXPECT_TRUE(both.wait_for_log("jobs      worker test-worker · batch 1")) << both.log();  // printed after the port file
  std::string log = both.log();
  EXPECT_NE(log.find("Worker producer-worker ready on http://127.0.0.1:" + std::to_string(port)), std::string::npos) << log;
  EXPECT_NE(log.find("Worker test-worker ready on http://127.0.0.1:"), std::string::npos) << log;
  // The first config's Worker takes the requests; the second's queue() gets what it sends.
  ASSERT_EQ(Http(port).get("/?tag=one-dev").status, 200) << both.log();
  auto seen = results(1);
  ASSERT_EQ(seen.size(), 1u) << both.log();
  EXPECT_EQ(seen[0]["tag"], "one-dev");
  EXPECT_EQ(seen[0]["queue"], "jobs");
  // Several configs are for dev only.
  Result r = flareq({"-c", (dir / "producer" / "wrangler.jsonc").string(), "-c",
                     (dir / "consumer" / "wrangler.jsonc").string(), "queues", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("only `flareq dev` takes several configs"), std::string::npos) << r.err;
}

// Two Workers in one dev, each in a host of its own, reach each other as under wrangler dev
// (through wrangler's dev registry): a service binding's fetch() with a request of its own and
// with the request the gateway got (which the runtime's gate takes from a Worker of the same
// dev), an RPC call, and a Durable Object of the other Worker (script_name). The gateway did not
// start ("binding TALLY refers to a service core:user:backend, but no such service is defined").
TEST_F(WorkerProject, TwoWorkersOfOneDevReachEachOtherThroughServiceBindingsAndDurableObjects) {
  std::filesystem::copy(kWorkers / "services", dir.path(), std::filesystem::copy_options::recursive);
  const int inspector = WranglerDev::free_port_pair();
  DevServer both(dir / "state.sqlite",
                 {"-c", (dir / "gateway" / "wrangler.jsonc").string(), "-c", (dir / "backend" / "wrangler.jsonc").string(),
                  "--worker-port", "0", "--worker-port-file", (dir / "g-port").string(), "--inspector-port",
                  std::to_string(inspector)},
                 dir.path());
  int port = 0;
  std::ifstream(dir / "g-port") >> port;
  ASSERT_GT(port, 0) << both.log();
  ASSERT_TRUE(both.wait_for_log("Worker backend ready on")) << both.log();
  Http gateway(port);
  // The gateway may call before it sees the backend in the registry (it says "not connected").
  HttpReply own;
  EXPECT_TRUE(eventually([&] { return (own = gateway.get("/own")).status == 200; }, 30s, "the backend reached",
                         [&] { return own.text; }))
      << both.log();
  EXPECT_EQ(own.body["path"], "/own") << own.text;
  HttpReply passed_on = gateway.get("/passed-on");
  ASSERT_EQ(passed_on.status, 200) << passed_on.text << both.log();
  EXPECT_EQ(passed_on.body["path"], "/passed-on");
  EXPECT_EQ(passed_on.body["flareqHeader"], false) << "the secret does not reach the Worker's code";
  EXPECT_EQ(gateway.get("/rpc").text, "5") << both.log();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(gateway.get("/send").status, 200) << both.log();
  HttpReply tally;
  EXPECT_TRUE(eventually([&] { return (tally = gateway.get("/tally")).text == "3"; }, 30s,
                         "the backend's queue() to count 3 messages in its Durable Object", [&] { return tally.text; }))
      << both.log();
  // A debugger each: the first Worker's on --inspector-port, the second's on the port after it.
  for (const auto& [name, port] : {std::pair<std::string, int>{"gateway", inspector}, {"backend", inspector + 1}}) {
    const std::string ws = "127.0.0.1:" + std::to_string(port) + "/ws";
    EXPECT_NE(both.log().find("Worker " + name + "'s debugger on ws://" + ws), std::string::npos) << both.log();
    HttpReply targets = Http(port).get("/json");
    ASSERT_EQ(targets.status, 200) << targets.text << both.log();
    ASSERT_TRUE(targets.body.is_array() && !targets.body.empty()) << targets.text;
    EXPECT_EQ(targets.body[0]["webSocketDebuggerUrl"], "ws://" + ws) << targets.text;
  }
}

TEST_F(WorkerProject, AProducerWorkerAndAConsumerWorkerInTwoDevsShareOneStateFile) {
  // The consumer is down at first: what the producer sends waits for it.
  std::filesystem::create_directories(dir / "producer");
  std::filesystem::copy(kWorkers / "producer", dir / "producer", std::filesystem::copy_options::recursive);
  DevServer producer(dir / "state.sqlite", {"--worker-port", "0", "--worker-port-file", (dir / "p-port").string()},
                     dir / "producer");
  int port = 0;
  std::ifstream(dir / "p-port") >> port;
  Http producer_worker(port);
  ASSERT_EQ(producer_worker.get("/?tag=while-down").status, 200) << producer.log();
  EXPECT_EQ(messages("jobs").size(), 1u);
  start("js");  // the consumer Worker comes up on the same state file
  ASSERT_EQ(producer_worker.get("/?tag=while-up").status, 200);
  auto seen = results(2);
  std::set<std::string> tags;
  for (const auto& s : seen) tags.insert(s["tag"].get<std::string>());
  EXPECT_EQ(tags, std::set<std::string>({"while-down", "while-up"})) << dev->log();
}

TEST_F(WorkerProject, AMissingMainOrNodeIsOneClearSentenceAndANonZeroExit) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir / "src" / "index.js");
  Result missing = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE((missing.out + missing.err).find("the Worker's main file " + (dir / "src" / "index.js").string() +
                                             " does not exist"),
            std::string::npos)
      << missing.out << missing.err;
  // The host's exit after it said so is not a crash to start again from.
  EXPECT_EQ((missing.out + missing.err).find("starting it again"), std::string::npos) << missing.out << missing.err;

  Result no_node = run({"flareq", "--state", (dir / "state.sqlite").string(), "dev", "--port", "0", "--worker-port", "0"},
                       "", {{"FLAREQ_NODE", "/nonexistent/node"}}, dir.path());
  EXPECT_NE(no_node.exit_code, 0);
  EXPECT_NE(no_node.err.find("the Worker host did not start: cannot start the handler: /nonexistent/node"),
            std::string::npos)
      << no_node.out << no_node.err;
}

// A pull consumer declared in the config of a Worker (flareq's extension) would make wrangler
// refuse the whole config: dev says so at once, at the field, with the ways that work.
TEST_F(WorkerProject, APullConsumerInAWorkersConfigIsRefusedWithTheWaysThatWork) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::string config = read_file(dir / "wrangler.jsonc");
  const std::string slow = R"({ "queue": "slow", "max_batch_size": 1)";
  ASSERT_NE(config.find(slow), std::string::npos);
  config.replace(config.find(slow), slow.size(), R"({ "queue": "slow", "type": "http_pull", "max_batch_size": 1)");
  std::ofstream(dir / "wrangler.jsonc") << config;
  Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrangler.jsonc:16:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("queues.consumers[1].type \"http_pull\": wrangler refuses any consumer type but \"worker\" in the "
                       "config of a Worker it runs, so the Worker could not start; declare the pull consumer with flareq "
                       "dev --http-pull slow (or flareq queues consumer http add slow), or run the queues alone with --no-worker"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("[test-worker]"), std::string::npos) << "no Worker was started: " << r.out;
}

// A project's wrangler outside the supported range, one whose Node.js is not to be found, and a
// compatibility_date later than the runtime knows: each one sentence that names the fix.
TEST_F(WorkerProject, AWranglerOrDateOrNodeThatDoesNotFitIsOneSentenceWithTheFix) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(dir / "node_modules" / "wrangler");
  dir.write("node_modules/wrangler/index.js", "module.exports = {};\n");
  // dev with a project's wrangler of this package.json: refused, with `sentence` in its error.
  auto refused = [&](const std::string& package_json, const std::string& sentence) {
    dir.write("node_modules/wrangler/package.json", package_json);
    Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(sentence), std::string::npos) << r.out << r.err;
  };
  refused(R"({"name": "wrangler", "version": "4.50.0", "main": "index.js", "engines": {"node": ">=20.0.0"}})",
          "wrangler 4.50.0 (the project's) is outside the versions flareq runs Workers with (4.86.0 to ");
  refused(R"({"name": "wrangler", "version": "4.50.0", "main": "index.js"})", "npm install -D wrangler@4 in the project");
  refused(R"({"name": "wrangler", "version": "4.200.0", "main": "index.js", "engines": {"node": ">=99.1.0"}})",
          "wrangler 4.200.0 (the project's) needs Node.js >=99.1.0, but the Node.js found is ");
  // Every node on the PATH is tried, not only the first: `bunx --bun` puts bun first under the
  // name node (it prints no version), and the Node.js after it is the one to use.
  std::filesystem::create_directories(dir / "bun-node");
  dir.write("bun-node/node", "#!/bin/sh\necho 'error: Missing script to execute' >&2\nexit 1\n");
  std::filesystem::permissions(dir / "bun-node" / "node", std::filesystem::perms::owner_all);
  Result stand_in = run({"flareq", "--state", (dir / "state.sqlite").string(), "dev", "--port", "0", "--worker-port", "0"},
                        "", {{"PATH", (dir / "bun-node").string() + ":" + std::getenv("PATH")}}, dir.path());
  EXPECT_NE(stand_in.exit_code, 0);
  EXPECT_NE(stand_in.err.find("needs Node.js >=99.1.0, but the Node.js found is " + (dir / "bun-node" / "node").string() +
                              " (prints no Node.js version), "),
            std::string::npos)
      << stand_in.out << stand_in.err;
  EXPECT_NE(stand_in.err.find(" (/"), std::string::npos) << "the real Node.js after it, with its version" << stand_in.err;

  std::filesystem::remove_all(dir / "node_modules");
  std::string config = read_file(dir / "wrangler.jsonc");
  config.replace(config.find("2026-04-01"), 10, "2099-01-01");
  std::ofstream(dir / "wrangler.jsonc") << config;
  Result future = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(future.exit_code, 0);
  WranglerInUse wrangler = wrangler_in_use();
  std::string runtime = "wrangler " + wrangler.version + " (" + wrangler.origin + ")";
  EXPECT_NE(future.err.find("the Worker's compatibility_date 2099-01-01 is in the future, which the runtime refuses: set "
                            "\"compatibility_date\" to " + wrangler.workerd_date() + " (the runtime of " + runtime +
                            " is of that date) or earlier in wrangler.jsonc"),
            std::string::npos)
      << future.out << future.err;

  // Today's date (a project made today) is refused by workerd's binary when it is later than
  // the newest the binary supports (a few days past its release): the sentence names that one.
  // While it is not, the Worker starts.
  char today[11];
  time_t now = time(nullptr);
  std::tm t{};
  std::strftime(today, sizeof today, "%Y-%m-%d", gmtime_r(&now, &t));
  config.replace(config.find("2099-01-01"), 10, today);
  std::ofstream(dir / "wrangler.jsonc") << config;
  {
    DevServer starting(dir / "state.sqlite", {"--worker-port", "0"}, dir.path(), {}, /*wait_ready=*/false);
    int exit_code = -1;
    ASSERT_TRUE(eventually([&] { return starting.log().find("Worker test-worker ready on") != std::string::npos ||
                                        (exit_code = starting.wait_exit(0)) != -1; },
                           60s, "dev to start the Worker or refuse its date"))
        << starting.log();
    if (exit_code != -1) {
      EXPECT_EQ(exit_code, 1);
      EXPECT_NE(starting.log().find(std::string("the Worker's compatibility_date ") + today +
                                    " is later than the newest the runtime of " + runtime + " supports, "),
                std::string::npos)
          << starting.log();
      EXPECT_NE(starting.log().find("update wrangler (npm install -D wrangler@latest), or set \"compatibility_date\" to "),
                std::string::npos)
          << starting.log();
    }
  }

  // The binary takes dates past its npm package's compatibilityDate, as under `wrangler dev`
  // (which passes them on): the day after that date starts the Worker.
  std::string runtime_date = wrangler.workerd_date();
  ASSERT_FALSE(runtime_date.empty());
  config.replace(config.find(today), 10, day_after(runtime_date));
  std::ofstream(dir / "wrangler.jsonc") << config;
  start_copied();
  EXPECT_EQ(worker->get("/vars").text, "hello from vars");
  EXPECT_NE(dev->log().find("compatibility_date " + day_after(runtime_date)), std::string::npos) << dev->log();
}

// A config that wrangler refuses (here the placeholders `npm create cloudflare` leaves when it
// is interrupted) is told in wrangler's own words, without the host's stack, and with the place
// of the field, as flareq's own config errors have it.
TEST_F(WorkerProject, AConfigWranglerRefusesIsToldInWranglersWordsAlone) {
  std::filesystem::copy(kWorkers / "js", dir.path(), std::filesystem::copy_options::recursive);
  std::string config = read_file(dir / "wrangler.jsonc");
  size_t at = config.find("\"2026-04-01\"");
  config.replace(at + 1, 10, "<COMPATIBILITY_DATE>");
  std::ofstream(dir / "wrangler.jsonc") << config;
  size_t line_start = config.rfind('\n', at) + 1;  // npos + 1 == 0 on the first line
  std::string place = (dir / "wrangler.jsonc").string() + ":" +
                      std::to_string(std::count(config.begin(), config.begin() + at, '\n') + 1) + ":" +
                      std::to_string(at - line_start + 1) + ": ";
  Result r = flareq({"dev", "--port", "0", "--worker-port", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("  - " + place + "\"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), "
                       "but got \"<COMPATIBILITY_DATE>\""),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("host.mjs"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("    at "), std::string::npos) << r.err;
}

// R2 event notifications (tests/workers/r2): the Worker's own writes to its bucket become
// messages with production's body, on the queues of the rules its config declares.
namespace {

// Pulls up to 100 messages of `queue` and acks none: their bodies, parsed.
std::vector<json> pull_bodies(Http& api, const std::string& queue) {
  HttpReply r = api.post("queues/" + queue + "/messages/pull", {{"batch_size", 100}, {"visibility_timeout_ms", 60000}});
  EXPECT_EQ(r.status, 200) << r.text;
  std::vector<json> out;
  for (const auto& m : r.body["result"]["messages"])
    out.push_back(json::parse(flareq::base64_decode(m["body"].get<std::string>()).value_or("null")));
  return out;
}

}  // namespace

TEST_F(WorkerProject, R2WritesThroughTheBindingNotifyTheRulesQueuesWithProductionsBody) {
  start("r2");
  EXPECT_NE(dev->log().find("Added R2 event notification rule"), std::string::npos) << dev->log();
  ASSERT_EQ(flareq({"queues", "consumer", "http", "add", "uploads-pulled"}).exit_code, 0);
  json put = worker->post_raw("/put/images/cat.png", "a cat picture").body;
  ASSERT_EQ(put["size"], 13) << dev->log();
  EXPECT_EQ(worker->post_raw("/put/images/cat.txt", "not a png").status, 200);  // suffix does not match
  EXPECT_EQ(worker->post_raw("/put/docs/cat.png", "not under images/").status, 200);  // prefix does not match
  json again = worker->post_raw("/put-if-absent/images/cat.png", "refused").body;
  EXPECT_TRUE(again.is_null()) << "the condition failed: nothing was written, nothing is sent";
  json multipart = worker->post_raw("/multipart/images/big.png", "in parts").body;
  ASSERT_EQ(multipart["size"], 8) << dev->log();
  // Through `import { env } from "cloudflare:workers"` as well (the runtime's own env reported nothing).
  json imported = worker->post_raw("/put-via-import/images/dog.png", "dog").body;
  ASSERT_EQ(imported["size"], 3) << dev->log();
  // From a Durable Object of the Worker's: its this.env, and the imported env in an RPC method.
  json by_object = worker->post_raw("/put-via-object/images/owl.png", "an owl").body;
  ASSERT_EQ(by_object["size"], 6) << dev->log();
  json by_rpc = worker->post_raw("/put-via-object-rpc/images/emu.png", "emu").body;
  ASSERT_EQ(by_rpc["size"], 3) << dev->log();
  // From a step of the Worker's Workflow, through the imported env.
  json by_workflow = worker->post_raw("/put-via-workflow/images/yak.png", "a yak").body;
  ASSERT_EQ(by_workflow["size"], 5) << dev->log();
  // From a named entrypoint of the Worker's, called through a service binding: its this.env, the imported env.
  json by_entrypoint = worker->post_raw("/put-via-entrypoint/images/elk.png", "an elk").body;
  ASSERT_EQ(by_entrypoint["size"], 6) << dev->log();
  json by_entrypoint_import = worker->post_raw("/put-via-entrypoint-import/images/gnu.png", "gnu").body;
  ASSERT_EQ(by_entrypoint_import["size"], 3) << dev->log();
  EXPECT_EQ(worker->post_raw("/delete?keys=images/cat.png,docs/cat.png", "").status, 200);
  // The Worker's code never sees flareq's own service.
  EXPECT_EQ(worker->get("/env").body, json::array({"ARCHIVE", "IMPORTER", "RESULTS", "UPLOADER", "UPLOADS"}));

  // Creations: committed before each write returned, so there now, for the pull consumer.
  std::vector<json> created = pull_bodies(*api, "uploads-pulled");
  ASSERT_EQ(created.size(), 8u) << dev->log();
  auto created_for = [&](const std::string& key) {
    for (const json& body : created)
      if (body["object"]["key"] == key) return body;
    return json();
  };
  json first = created_for("images/cat.png");
  json second = created_for("images/big.png");
  EXPECT_EQ(created_for("images/dog.png")["object"], (json{{"key", "images/dog.png"}, {"size", 3}, {"eTag", imported["etag"]}}));
  EXPECT_EQ(created_for("images/owl.png")["object"], (json{{"key", "images/owl.png"}, {"size", 6}, {"eTag", by_object["etag"]}}));
  EXPECT_EQ(created_for("images/emu.png")["object"], (json{{"key", "images/emu.png"}, {"size", 3}, {"eTag", by_rpc["etag"]}}));
  EXPECT_EQ(created_for("images/yak.png")["object"], (json{{"key", "images/yak.png"}, {"size", 5}, {"eTag", by_workflow["etag"]}}));
  EXPECT_EQ(created_for("images/elk.png")["object"], (json{{"key", "images/elk.png"}, {"size", 6}, {"eTag", by_entrypoint["etag"]}}));
  EXPECT_EQ(created_for("images/gnu.png")["object"],
            (json{{"key", "images/gnu.png"}, {"size", 3}, {"eTag", by_entrypoint_import["etag"]}}));
  EXPECT_EQ(first["account"], "local");
  EXPECT_EQ(first["bucket"], "uploads");
  EXPECT_EQ(first["object"], (json{{"key", "images/cat.png"}, {"size", 13}, {"eTag", put["etag"]}}));
  EXPECT_TRUE(std::regex_match(first["eventTime"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_FALSE(first.contains("copySource"));
  EXPECT_EQ(first["action"], "PutObject");
  EXPECT_EQ(second["action"], "CompleteMultipartUpload");
  EXPECT_EQ(second["object"], (json{{"key", "images/big.png"}, {"size", 8}, {"eTag", multipart["etag"]}}));

  // Deletions go to queue(), one message a key, without size and eTag.
  std::set<std::string> deleted;
  for (const auto& body : results(2)) {
    EXPECT_EQ(body["action"], "DeleteObject");
    EXPECT_FALSE(body["object"].contains("size"));
    EXPECT_FALSE(body["object"].contains("eTag"));
    deleted.insert(body["object"]["key"].get<std::string>());
  }
  EXPECT_EQ(deleted, (std::set<std::string>{"images/cat.png", "docs/cat.png"}));
  EXPECT_NE(dev->log().find("r2 uploads: PutObject images/cat.png -> queue uploads-pulled"), std::string::npos);
  json queue = info("uploads-pulled");
  EXPECT_EQ(queue["producers"], json::array({{{"type", "r2_bucket"}, {"bucket_name", "uploads"}}}));
}

TEST_F(WorkerProject, KillNineOfDevRightAfterAPutsResponseLosesNoNotification) {
  start("r2");
  const int kPuts = 20;
  std::vector<std::string> keys;
  for (int i = 0; i < kPuts; ++i) {
    keys.push_back("images/" + std::to_string(i) + ".png");
    ASSERT_EQ(worker->post_raw("/put/" + keys.back(), "x").status, 200) << dev->log();
  }
  EXPECT_EQ(dev->stop(SIGKILL), 128 + SIGKILL);
  std::set<std::string> notified;
  for (const auto& m : messages("uploads-pulled"))
    notified.insert(m["body"]["object"]["key"].get<std::string>());
  EXPECT_EQ(notified, std::set<std::string>(keys.begin(), keys.end()));
}

TEST_F(WorkerProject, FlareqR2ObjectPutAndDeleteWriteThroughTheWorkerAndNotify) {
  std::filesystem::copy(kWorkers / "r2", dir.path(), std::filesystem::copy_options::recursive);
  {
    std::ofstream(dir / "upload.png") << "uploaded from the command line";
  }
  Result before = flareq({"r2", "object", "put", "uploads/images/cli.png", "--file", (dir / "upload.png").string()});
  EXPECT_NE(before.exit_code, 0);
  EXPECT_NE(before.err.find("no flareq dev is running on the state file"), std::string::npos) << before.err;
  start_copied();
  Result put = flareq({"r2", "object", "put", "uploads/images/cli.png", "--file", (dir / "upload.png").string(),
                       "--content-type", "image/png"});
  ASSERT_EQ(put.exit_code, 0) << put.err << dev->log();
  EXPECT_NE(put.out.find("Upload complete (30 bytes"), std::string::npos) << put.out;
  EXPECT_EQ(worker->get("/get/images/cli.png").text, "uploaded from the command line");
  json listed = messages("uploads-pulled");
  ASSERT_EQ(listed.size(), 1u) << dev->log();
  EXPECT_EQ(listed[0]["body"]["object"]["key"], "images/cli.png");
  EXPECT_EQ(listed[0]["body"]["object"]["size"], 30);

  Result deleted = flareq({"r2", "object", "delete", "uploads/images/cli.png"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(worker->get("/get/images/cli.png").status, 404);
  auto reports = results(1);
  EXPECT_EQ(reports[0]["action"], "DeleteObject");
  EXPECT_EQ(reports[0]["object"]["key"], "images/cli.png");

  Result unbound = flareq({"r2", "object", "put", "photos/a.png", "--file", (dir / "upload.png").string()});
  EXPECT_NE(unbound.exit_code, 0);
  EXPECT_NE(unbound.err.find("no Worker of this flareq dev binds R2 bucket photos"), std::string::npos) << unbound.err;
}

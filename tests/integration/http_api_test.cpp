// The HTTP API of `flareq dev` (docs/semantics.md, "The REST API"): shapes, errors, limits, auth, durability.
#include <gtest/gtest.h>

#include "harness.h"
#include "http_client.h"

using namespace flareq::testing;
using nlohmann::json;

namespace {

class HttpApi : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path state() const { return dir / "state.sqlite"; }
  void expect_error(const HttpReply& r, int status, int code, const std::string& text = "") {
    EXPECT_EQ(r.status, status) << r.text;
    EXPECT_EQ(r.body["success"], false) << r.text;
    EXPECT_EQ(r.body["result"], nullptr);
    ASSERT_EQ(r.body["errors"].size(), 1u) << r.text;
    EXPECT_EQ(r.body["errors"][0]["code"], code) << r.text;
    if (!text.empty()) {
      EXPECT_EQ(r.body["errors"][0]["message"], text);
    }
    if (status >= 400 && status < 500) {
      auto it = r.headers.find("x-should-retry");
      ASSERT_NE(it, r.headers.end());
      EXPECT_EQ(it->second, "false");
    }
  }
  json info(const std::string& queue) {
    Result r = run({"flareq", "--state", state().string(), "queues", "info", queue, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
};

}  // namespace

TEST_F(HttpApi, EnvelopeAndUnknownRoutes) {
  DevServer dev(state());
  Http http(dev.port());
  HttpReply r = http.get("queues");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, json::parse(R"({"success":true,"errors":[],"messages":[],"result":[],
      "result_info":{"page":1,"per_page":1,"count":0,"total_count":0,"total_pages":0}})"));
  EXPECT_EQ(r.headers.find("Content-Type")->second, "application/json");
  expect_error(http.get("nothing/here"), 404, 7003);
  expect_error(http.get("/elsewhere"), 404, 7003);
  http.post("queues", {{"queue_name", "x"}});
  expect_error(http.post("queues/x/metrics", json::object()), 405, 7003);
  EXPECT_EQ(http.get("/healthz").status, 200);
  EXPECT_EQ(http.get("/client/v4/memberships").body["result"][0]["account"]["id"], "local");
  EXPECT_EQ(http.get("/client/v4/accounts").body["result"][0]["id"], "local");
  EXPECT_EQ(http.get("/client/v4/user/tokens/verify").body["result"]["status"], "active");
}

TEST_F(HttpApi, QueueLifecycle) {
  DevServer dev(state());
  Http http(dev.port());
  HttpReply r = http.post("queues", {{"queue_name", "orders"}, {"settings", {{"delivery_delay", 5}, {"message_retention_period", 3600}}}});
  ASSERT_EQ(r.status, 200) << r.text;
  json q = r.body["result"];
  EXPECT_EQ(q["queue_name"], "orders");
  EXPECT_EQ(q["queue_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(q["settings"], json::parse(R"({"delivery_delay":5,"delivery_paused":false,"message_retention_period":3600})"));
  for (const char* key : {"created_on", "modified_on", "producers", "producers_total_count", "consumers", "consumers_total_count"})
    EXPECT_TRUE(q.contains(key)) << key;
  std::string id = q["queue_id"];

  expect_error(http.post("queues", {{"queue_name", "orders"}}), 409, 11009);
  expect_error(http.post("queues", {{"queue_name", "bad name"}}), 400, 11003);
  expect_error(http.post("queues", json::object()), 400, 10207);
  expect_error(http.post("queues", {{"queue_name", "x"}, {"settings", {{"message_retention_period", 59}}}}), 400, 100128);

  EXPECT_EQ(http.get("queues/" + id).body["result"]["queue_name"], "orders");
  EXPECT_EQ(http.get("queues/orders").body["result"]["queue_id"], id);
  expect_error(http.get("queues/missing"), 404, 10104);
  expect_error(http.get("queues/bad_name!"), 400, 10107);

  // PATCH merges, PUT replaces.
  r = http.patch("queues/" + id, {{"settings", {{"delivery_paused", true}}}});
  EXPECT_EQ(r.body["result"]["settings"]["delivery_delay"], 5);
  EXPECT_EQ(r.body["result"]["settings"]["delivery_paused"], true);
  r = http.put("queues/" + id, {{"queue_name", "orders"}, {"settings", {{"delivery_delay", 7}}}});
  EXPECT_EQ(r.body["result"]["settings"]["delivery_delay"], 7);
  EXPECT_EQ(r.body["result"]["settings"]["message_retention_period"], 345600);

  r = http.get("queues/" + id + "/metrics");
  EXPECT_EQ(r.body["result"], json::parse(R"({"backlog_count":0,"backlog_bytes":0,"oldest_message_timestamp_ms":0})"));

  r = http.del("queues/" + id);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["success"], true);
  expect_error(http.get("queues/" + id), 404, 10104);
}

TEST_F(HttpApi, ListFiltersByExactNameAndPages) {
  DevServer dev(state());
  Http http(dev.port());
  for (const char* name : {"a", "ab", "b", "c"}) ASSERT_EQ(http.post("queues", {{"queue_name", name}}).status, 200);
  HttpReply r = http.get("queues?page=1&name=a");
  ASSERT_EQ(r.body["result"].size(), 1u);
  EXPECT_EQ(r.body["result"][0]["queue_name"], "a");
  EXPECT_EQ(http.get("queues?name=a&name=c").body["result"].size(), 2u);
  r = http.get("queues?page=1&name=zzz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["result"], json::array());
  EXPECT_EQ(http.get("queues").body["result"].size(), 4u);
  r = http.get("queues?per_page=3&page=2");
  EXPECT_EQ(r.body["result"].size(), 1u);
  EXPECT_EQ(r.body["result_info"], json::parse(R"({"page":2,"per_page":3,"count":1,"total_count":4,"total_pages":2})"));
}

TEST_F(HttpApi, PushOneAndBatch) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  // wrangler sends JSON as text/plain; parse it anyway.
  HttpReply r = http.post_raw("queues/q/messages", R"({"body":{"type":"welcome-email","userId":123}})");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["result"]["metadata"]["metrics"]["backlog_count"], 1);
  r = http.post("queues/q/messages", {{"body", "plain"}, {"content_type", "text"}});
  ASSERT_EQ(r.status, 200) << r.text;
  r = http.post("queues/q/messages", {{"body", "AAEC/w=="}, {"content_type", "bytes"}});
  ASSERT_EQ(r.status, 200) << r.text;
  r = http.post("queues/q/messages/batch",
                {{"messages", {{{"body", 1}}, {{"body", 2}, {"delay_seconds", 0}}, {{"body", 3}}}}, {"delay_seconds", 60}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["result"]["metadata"]["metrics"]["backlog_count"], 6);

  Result list = run({"flareq", "--state", state().string(), "messages", "list", "q", "--json"});
  json messages = json::parse(list.out);
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[0]["body"]["userId"], 123);
  EXPECT_EQ(messages[1]["body"], "plain");
  EXPECT_EQ(messages[2]["content_type"], "bytes");
  EXPECT_EQ(messages[2]["size"], 4);
  // The batch's delay applies to 1 and 3; 2's explicit 0 beats it.
  EXPECT_EQ(messages[3]["body"], 2);
  EXPECT_EQ(messages[3]["state"], "ready");
  EXPECT_EQ(messages[4]["state"], "delayed");
  EXPECT_EQ(messages[5]["state"], "delayed");
}

TEST_F(HttpApi, MessageBodiesKeepTheirKeyOrder) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  ASSERT_EQ(http.post_raw("queues/q/messages", R"({"body":{"zeta":1,"alpha":{"y":2,"b":3}}})").status, 200);
  Result list = run({"flareq", "--state", state().string(), "messages", "list", "q", "--json"});
  EXPECT_LT(list.out.find("zeta"), list.out.find("alpha"));
  EXPECT_LT(list.out.find("\"y\""), list.out.find("\"b\""));
}

TEST_F(HttpApi, BodiesAreJsonWhateverTheContentTypeSays) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  // curl -d's default type; httplib alone would refuse such a body over 8 KB.
  std::string big = json{{"body", std::string(20000, 'x')}, {"content_type", "text"}}.dump();
  EXPECT_EQ(http.post_raw("queues/q/messages", big, "application/x-www-form-urlencoded").status, 200);
  EXPECT_EQ(http.post_raw("queues/q/messages", R"({"body":1})", "").status, 200);
  std::string multipart = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n";
  expect_error(http.post_raw("queues/q/messages", multipart, "multipart/form-data; boundary=b"), 400, 10207,
               "request bodies are JSON, not multipart/form-data");
  EXPECT_EQ(info("q")["backlog"]["count"], 2);
}

TEST_F(HttpApi, ManyOpenConnectionsDoNotLockOutANewClient) {
  DevServer dev(state());
  // More idle keep-alive connections than httplib's fixed pool of 64 threads would serve:
  // the 65th got no answer until an earlier one timed out (30 s).
  std::vector<std::unique_ptr<httplib::Client>> open;
  for (int i = 0; i < 100; ++i) {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", dev.port());
    client->set_keep_alive(true);
    client->set_read_timeout(10, 0);
    auto r = client->Get("/healthz");
    ASSERT_TRUE(r) << "connection " << i << " got no answer";
    EXPECT_EQ(r->status, 200);
    open.push_back(std::move(client));
  }
  EXPECT_EQ(Http(dev.port()).get("/healthz").status, 200);
}

TEST_F(HttpApi, BadPushesStoreNothing) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  expect_error(http.post_raw("queues/q/messages", "{not json"), 400, 10208);
  expect_error(http.post_raw("queues/q/messages", "{\"body\":\"caf\xE9\"}"), 400, 10208);
  expect_error(http.post_raw("queues/q/messages", "[1]"), 400, 10207);
  expect_error(http.post("queues/q/messages", {{"content_type", "text"}}), 400, 10207);
  expect_error(http.post("queues/q/messages", {{"body", 1}, {"content_type", "text"}}), 400, 10207);
  expect_error(http.post("queues/q/messages", {{"body", 1}, {"content_type", "xml"}}), 400, 10203);
  expect_error(http.post("queues/q/messages", {{"body", 1}, {"content_type", "v8"}}), 400, 10207);  // v8 is base64
  expect_error(http.post("queues/q/messages", {{"body", 1}, {"delay_seconds", 86401}}), 400, 10202);
  expect_error(http.post("queues/q/messages", {{"body", 1}, {"delay_seconds", "soon"}}), 400, 10202);
  expect_error(http.post("queues/q/messages", {{"body", std::string(128001, 'x')}, {"content_type", "text"}}), 413,
               10204, "message length of 128001 bytes exceeds limit of 128000");
  expect_error(http.post("queues/missing/messages", {{"body", 1}}), 404, 10104);

  json too_many = {{"messages", json::array()}};
  for (int i = 0; i < 101; ++i) too_many["messages"].push_back({{"body", i}});
  expect_error(http.post("queues/q/messages/batch", too_many), 413, 10206, "batch message count of 101 exceeds limit of 100");
  json too_big = {{"messages", json::array()}};
  for (int i = 0; i < 3; ++i) too_big["messages"].push_back({{"body", std::string(100000, 'x')}, {"content_type", "text"}});
  expect_error(http.post("queues/q/messages/batch", too_big), 413, 10205, "batch size of 300000 bytes exceeds limit of 256000");
  // One bad message fails the whole batch.
  json mixed = {{"messages", {{{"body", 1}}, {{"body", 2}, {"delay_seconds", -1}}}}};
  expect_error(http.post("queues/q/messages/batch", mixed), 400, 10202);
  // Far too large a request is refused before it is read whole.
  expect_error(http.post_raw("queues/q/messages", std::string(3 * 1024 * 1024, ' ')), 413, 10205);
  // A chunked body has no Content-Length to check first: it is cut off at the limit.
  expect_error(Http(dev.port()).post_chunked("queues/q/messages", std::string(2 * 1024 * 1024 + 65536, ' ')), 413, 10205);

  EXPECT_EQ(info("q")["backlog"]["count"], 0);
  EXPECT_EQ(http.get("/healthz").status, 200);
}

TEST_F(HttpApi, PeekPurgeAndRefs) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  http.post("queues/q/messages/batch", {{"messages", {{{"body", "a"}, {"content_type", "text"}}, {{"body", {{"k", 1}}}}, {{"body", 3}}}}});
  HttpReply r = http.post("queues/q/messages/peek", {{"batch_size", 2}});
  ASSERT_EQ(r.status, 200) << r.text;
  json messages = r.body["result"]["messages"];
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["body"], "a");
  EXPECT_EQ(messages[0]["metadata"]["CF-Content-Type"], "text");
  EXPECT_EQ(messages[1]["body"], "eyJrIjoxfQ==");  // {"k":1}, base64 as the docs state for pull
  EXPECT_EQ(messages[1]["metadata"]["CF-Content-Type"], "json");
  // Peeking leases nothing.
  EXPECT_EQ(info("q")["backlog"]["ready"], 3);

  r = http.post("queues/q/messages/purge", {{"refs", {{{"ref", messages[0]["ref"]}}, {{"ref", "1.bogus"}}}}});
  EXPECT_EQ(r.body["result"]["deleted"], 1);
  EXPECT_EQ(info("q")["backlog"]["count"], 2);

  expect_error(http.post("queues/q/purge", json::object()), 400, 10207);
  r = http.post("queues/q/purge", {{"delete_messages_permanently", true}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["result"]["completed"], true);
  EXPECT_EQ(info("q")["backlog"]["count"], 0);
  EXPECT_EQ(http.get("queues/q/purge").body["result"]["completed"], true);
}

TEST_F(HttpApi, Consumers) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  // What `wrangler queues consumer add q my-worker` sends with no flags.
  HttpReply r = http.post("queues/q/consumers", {{"script_name", "my-worker"}, {"type", "worker"}, {"settings", json::object()}});
  ASSERT_EQ(r.status, 200) << r.text;
  json c = r.body["result"];
  EXPECT_EQ(c["script"], "my-worker");
  EXPECT_EQ(c["script_name"], "my-worker");
  EXPECT_EQ(c["dead_letter_queue"], "");
  EXPECT_FALSE(c.contains("service"));
  EXPECT_EQ(c["settings"]["batch_size"], 10);
  EXPECT_EQ(c["settings"]["max_retries"], 3);
  EXPECT_EQ(c["settings"]["max_wait_time_ms"], 5000);
  std::string cid = c["consumer_id"];

  expect_error(http.post("queues/q/consumers", {{"type", "http_pull"}}), 409, 11004);
  EXPECT_EQ(http.get("queues/q/consumers").body["result"].size(), 1u);
  EXPECT_EQ(http.get("queues/q").body["result"]["consumers_total_count"], 1);
  EXPECT_EQ(http.get("queues/q/consumers/" + cid).body["result"]["consumer_id"], cid);
  r = http.put("queues/q/consumers/" + cid,
               {{"script_name", "my-worker"}, {"settings", {{"batch_size", 50}, {"max_concurrency", 2}}}, {"dead_letter_queue", "q-dlq"}});
  EXPECT_EQ(r.body["result"]["settings"]["batch_size"], 50);
  EXPECT_EQ(r.body["result"]["settings"]["max_concurrency"], 2);
  EXPECT_EQ(r.body["result"]["dead_letter_queue"], "q-dlq");
  expect_error(http.put("queues/q/consumers/" + cid, {{"settings", {{"batch_size", 101}}}}), 400, 100127,
               "batch_size must be from 1 to 100, got 101");
  expect_error(http.put("queues/q/consumers/" + cid, {{"dead_letter_queue", "q"}}), 400, 100127);
  EXPECT_EQ(http.del("queues/q/consumers/" + cid).status, 200);
  expect_error(http.get("queues/q/consumers/" + cid), 404, 7003);

  // An HTTP pull consumer, with the old field name wrangler's hint uses.
  r = http.post("queues/q/consumers", {{"type", "http_pull"}, {"settings", {{"visibility_timeout", 60000}}}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["result"]["settings"]["visibility_timeout_ms"], 60000);
  EXPECT_EQ(r.body["result"]["settings"]["batch_size"], 5);
  EXPECT_FALSE(r.body["result"].contains("script"));
  expect_error(http.post("queues/q/consumers", {{"type", "cron"}}), 400, 100127);
}

TEST_F(HttpApi, ApiTokenIsRequiredWhenSet) {
  DevServer dev(state(), {"--api-token", "s3cret"});
  HttpReply r = Http(dev.port()).get("queues");
  expect_error(r, 403, 10000);
  expect_error(Http(dev.port(), "wrong").get("queues"), 403, 10000);
  EXPECT_EQ(Http(dev.port(), "s3cret").get("queues").status, 200);
  EXPECT_EQ(Http(dev.port()).get("/healthz").status, 200);
}

TEST_F(HttpApi, AccountIdIsCheckedWhenSet) {
  DevServer dev(state(), {"--account-id", "abc"});
  Http http(dev.port());
  expect_error(http.get("queues"), 403, 10000);
  EXPECT_EQ(http.get("/client/v4/accounts/abc/queues").status, 200);
}

TEST_F(HttpApi, NonLoopbackHostNeedsAToken) {
  // A name that starts like a loopback address is a name, and anyone can point it anywhere.
  for (const char* host : {"0.0.0.0", "127.evil.example"}) {
    Result r = run({"flareq", "--state", state().string(), "dev", "--host", host, "--port", "0"});
    EXPECT_EQ(r.exit_code, 1) << host;
    EXPECT_NE(r.err.find("refusing to listen on " + std::string(host) + " without an API token"), std::string::npos)
        << r.err;
  }
  // Loopback addresses and localhost need none.
  for (const char* host : {"127.0.0.2", "::1", "localhost"}) {
    DevServer dev(state(), {"--host", host});
    EXPECT_GT(dev.port(), 0) << host << dev.log();
  }
}

TEST_F(HttpApi, ConfigQueuesAreCreatedAndProducersListed) {
  dir.write("wrangler.jsonc", R"({
    "name": "my-app",
    "queues": {
      "producers": [ { "binding": "EVENTS", "queue": "my-app-events" } ],
      "consumers": [ { "queue": "my-app-events", "max_batch_size": 5, "dead_letter_queue": "my-app-events-dlq" } ],
    },
  })");
  DevServer dev(state(), {}, dir.path());
  EXPECT_TRUE(dev.wait_for_log("flareq ready on http://127.0.0.1:"));
  Http http(dev.port());
  json q = http.get("queues/my-app-events").body["result"];
  EXPECT_EQ(q["producers"][0]["binding"], "EVENTS");
  EXPECT_EQ(q["producers"][0]["script"], "my-app");
  EXPECT_EQ(q["consumers"][0]["script"], "my-app");
  EXPECT_EQ(q["consumers"][0]["settings"]["batch_size"], 5);
  EXPECT_EQ(q["consumers"][0]["dead_letter_queue"], "my-app-events-dlq");
  EXPECT_EQ(http.get("queues/my-app-events-dlq").status, 200);
}

TEST_F(HttpApi, AcknowledgedPushesSurviveKill9) {
  {
    DevServer dev(state());
    Http http(dev.port());
    http.post("queues", {{"queue_name", "q"}});
    for (int i = 0; i < 50; ++i) ASSERT_EQ(http.post("queues/q/messages", {{"body", i}}).status, 200);
    EXPECT_EQ(dev.stop(SIGKILL), 128 + SIGKILL);
  }
  EXPECT_EQ(info("q")["backlog"]["count"], 50);
  DevServer again(state());
  EXPECT_EQ(Http(again.port()).get("queues/q/metrics").body["result"]["backlog_count"], 50);
}

TEST_F(HttpApi, TwoDevProcessesShareOneStateFile) {
  DevServer a(state());
  DevServer b(state());
  Http(a.port()).post("queues", {{"queue_name", "shared"}});
  EXPECT_EQ(Http(b.port()).post("queues/shared/messages", {{"body", 1}}).status, 200);
  EXPECT_EQ(Http(a.port()).get("queues/shared/metrics").body["result"]["backlog_count"], 1);
}

TEST_F(HttpApi, PrometheusMetrics) {
  DevServer dev(state());
  Http http(dev.port());
  http.post("queues", {{"queue_name", "q"}});
  http.post("queues/q/messages", {{"body", 1}});
  HttpReply r = http.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.text.find("flareq_queue_messages{queue=\"q\",state=\"ready\"} 1\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("flareq_queue_received_total{queue=\"q\"} 1\n"), std::string::npos);
  EXPECT_NE(r.text.find("# TYPE flareq_queue_acked_total counter"), std::string::npos);
}

TEST_F(HttpApi, StopsCleanlyOnSigterm) {
  DevServer dev(state());
  EXPECT_EQ(dev.stop(SIGTERM), 0);
}

TEST_F(HttpApi, TheRuntimesQueueBindingProtocol) {
  // What workerd's native Queue binding sends (the Worker host's bindings post straight here).
  DevServer dev(state());
  Http http(dev.port());
  ASSERT_EQ(http.post("queues", {{"queue_name", "q"}}).status, 200);
  httplib::Client client("127.0.0.1", dev.port());
  auto post = [&](const std::string& path, const std::string& body, httplib::Headers headers) {
    headers.emplace("X-Flareq-Queue", "q");
    return client.Post(path.c_str(), headers, body, "application/octet-stream");
  };
  auto r = post("/message", "{\"a\":1}", {{"X-Msg-Fmt", "json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(json::parse(r->body)["metadata"]["metrics"].contains("backlogCount")) << r->body;
  EXPECT_EQ(post("/message", "hi", {{"X-Msg-Fmt", "text"}, {"X-Msg-Delay-Secs", "60"}})->status, 200);
  // The producer's delivery_delay applies unless the send gives its own.
  EXPECT_EQ(post("/message", std::string("\x01\x02", 2), {{"X-Msg-Fmt", "bytes"}, {"X-Flareq-Delivery-Delay", "30"}})->status, 200);
  std::string batch = R"({"messages":[{"contentType":"json","body":"eyJuIjoxfQ=="},{"contentType":"text","body":"dHdv","delaySecs":5}]})";
  EXPECT_EQ(post("/batch", batch, {})->status, 200);
  json listed = json::parse(run({"flareq", "--state", state().string(), "messages", "list", "q", "--json"}).out);
  ASSERT_EQ(listed.size(), 5u) << listed.dump(2);
  std::map<std::string, json> by_body;
  for (const auto& m : listed) by_body[m["body"].dump()] = m;
  EXPECT_EQ(by_body[json({{"a", 1}}).dump()]["state"], "ready");
  EXPECT_EQ(by_body["\"hi\""]["state"], "delayed");
  EXPECT_EQ(by_body["\"AQI=\""]["state"], "delayed");  // bytes 01 02, base64
  EXPECT_EQ(by_body["\"AQI=\""]["content_type"], "bytes");
  EXPECT_EQ(by_body[json({{"n", 1}}).dump()]["state"], "ready");
  EXPECT_EQ(by_body["\"two\""]["state"], "delayed");
  EXPECT_EQ(info("q")["counters"]["received"], 5);
  // A refusal carries production's text and code where workerd looks for them.
  auto big = post("/message", std::string(130000, 'x'), {{"X-Msg-Fmt", "text"}});
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(big->get_header_value("CF-Queues-Error-Cause"), "message length of 130000 bytes exceeds limit of 128000");
  EXPECT_EQ(big->get_header_value("CF-Queues-Error-Code"), "10204");
  EXPECT_EQ(post("/message", "{not json", {{"X-Msg-Fmt", "json"}})->status, 400);
  auto missing = client.Post("/message", {{"X-Flareq-Queue", "nope"}}, "{}", "application/octet-stream");
  EXPECT_EQ(missing->status, 404);
  auto metrics = client.Get("/metrics", {{"X-Flareq-Queue", "q"}});
  EXPECT_EQ(json::parse(metrics->body)["backlogCount"], 5) << metrics->body;
  EXPECT_EQ(json::parse(metrics->body)["backlogBytes"], 21) << metrics->body;
  // Local safety applies as to every request: a page on the web cannot send this way either.
  EXPECT_EQ(post("/message", "1", {{"X-Msg-Fmt", "json"}, {"Origin", "https://evil.example"}})->status, 403);
}

TEST_F(HttpApi, R2NotificationRulesAtProductionsPathsAndTheirRefusals) {
  DevServer dev(state());
  Http http(dev.port());
  json queue = http.post("queues", {{"queue_name", "upload-events"}}).body["result"];
  const std::string id = queue["queue_id"];
  const std::string config = "event_notifications/r2/uploads/configuration";
  json rule = {{"prefix", "images/"}, {"suffix", ""}, {"actions", {"PutObject", "CopyObject"}}, {"description", "thumbs"}};
  HttpReply put = http.put(config + "/queues/" + id, {{"rules", {rule}}});
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["result"]["ruleIds"].size(), 1u);

  HttpReply got = http.get(config);
  ASSERT_EQ(got.status, 200) << got.text;
  json result = got.body["result"];
  EXPECT_EQ(result["bucketName"], "uploads");
  ASSERT_EQ(result["queues"].size(), 1u);
  EXPECT_EQ(result["queues"][0]["queueId"], id);
  EXPECT_EQ(result["queues"][0]["queueName"], "upload-events");
  json listed = result["queues"][0]["rules"][0];
  EXPECT_EQ(listed["ruleId"], put.body["result"]["ruleIds"][0]);
  EXPECT_EQ(listed["prefix"], "images/");
  EXPECT_EQ(listed["actions"], json::array({"PutObject", "CopyObject"}));
  EXPECT_EQ(listed["description"], "thumbs");
  EXPECT_TRUE(listed.contains("createdAt"));

  // One request could trigger both: refused, with nothing of it kept.
  json overlapping = {{"prefix", "images/big/"}, {"actions", {"PutObject"}}};
  expect_error(http.put(config + "/queues/" + id, {{"rules", {overlapping}}}), 409, 10061);
  json other = {{"actions", {"DeleteObject"}}};
  expect_error(http.put(config + "/queues/" + id, {{"rules", {other, overlapping}}}), 409, 10061);
  EXPECT_EQ(http.get(config).body["result"]["queues"][0]["rules"].size(), 1u);
  expect_error(http.put(config + "/queues/" + id, {{"rules", {{{"actions", {"Upload"}}}}}}), 400, 10060);
  expect_error(http.put(config + "/queues/" + id, {{"rules", json::array()}}), 400, 10060);
  expect_error(http.put("event_notifications/r2/Not_A_Bucket/configuration/queues/" + id, {{"rules", {other}}}), 400, 10060);
  expect_error(http.put(config + "/queues/" + std::string(32, 'a'), {{"rules", {other}}}), 404, 10104);
  EXPECT_EQ(info("upload-events")["producers"], json::array({{{"type", "r2_bucket"}, {"bucket_name", "uploads"}}}));

  // A write reported by the Worker host: committed to the rule's queue, or nothing sent.
  HttpReply sent = http.post("/client/v4/flareq/r2/events",
                             {{"bucket", "uploads"}, {"action", "PutObject"}, {"key", "images/a.png"}, {"size", 3}, {"eTag", "e"}});
  ASSERT_EQ(sent.status, 200) << sent.text;
  EXPECT_EQ(sent.body["result"]["sent"], true);
  EXPECT_EQ(sent.body["result"]["queue"], "upload-events");
  EXPECT_EQ(http.post("/client/v4/flareq/r2/events", {{"bucket", "uploads"}, {"action", "PutObject"}, {"key", "docs/a"}})
                .body["result"]["sent"],
            false);
  expect_error(http.post("/client/v4/flareq/r2/events", {{"bucket", "uploads"}, {"action", "Upload"}, {"key", "k"}}), 400, 10207);
  EXPECT_EQ(info("upload-events")["counters"]["received"], 1);

  HttpReply deleted = http.del(config + "/queues/" + id);
  EXPECT_EQ(deleted.status, 200) << deleted.text;
  EXPECT_TRUE(http.get(config).body["result"]["queues"].empty());
  expect_error(http.del(config + "/queues/" + id), 404, 7003);
}

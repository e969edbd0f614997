// The config loader: every rule of docs/semantics.md, "Configuration", with file:line:column in each error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "emulator/config/config.h"
#include "test_dir.h"

using namespace flareq::config;

namespace {

Config parse(const std::string& text, const std::string& env = "") {
  return parse_config(text, "wrangler.jsonc", Format::Jsonc, env);
}

std::string error_of(const std::string& text, const std::string& env = "", Format format = Format::Jsonc) {
  try {
    parse_config(text, format == Format::Toml ? "wrangler.toml" : "wrangler.jsonc", format, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultsAreProductions) {
  Config c = parse(R"({"queues":{"consumers":[{"queue":"q"}]}})");
  ASSERT_EQ(c.consumers.size(), 1u);
  EXPECT_FALSE(c.consumers[0].max_batch_size) << "the type's default: see ApplyConfig";
  EXPECT_EQ(c.consumers[0].max_batch_timeout, 5);
  EXPECT_EQ(c.consumers[0].max_retries, 3);
  EXPECT_EQ(c.consumers[0].retry_delay, 0);
  EXPECT_FALSE(c.consumers[0].max_concurrency.has_value());
  EXPECT_EQ(c.consumers[0].dead_letter_queue, "");
}

TEST(Config, JsoncCommentsAndTrailingCommas) {
  Config c = parse(R"({
    // a comment
    "queues": { /* block */
      "producers": [ { "binding": "EVENTS", "queue": "ev", }, ],
      "consumers": [ { "queue": "ev", "max_batch_size": 5, "dead_letter_queue": "ev-dlq", }, ],
    },
    "url": "http://example.com/*not a comment*/",
  })");
  ASSERT_EQ(c.producers.size(), 1u);
  EXPECT_EQ(c.producers[0].binding, "EVENTS");
  EXPECT_EQ(c.consumers[0].max_batch_size, 5);
  EXPECT_EQ(c.queue_names(), (std::vector<std::string>{"ev", "ev-dlq"}));
}

TEST(Config, ProducerQueueDefaultsToBinding) {
  Config c = parse(R"({"queues":{"producers":[{"binding":"jobs","delivery_delay":30}]}})");
  EXPECT_EQ(c.producers[0].queue, "jobs");
  EXPECT_EQ(c.producers[0].delivery_delay, 30);
}

TEST(Config, SyntaxErrorNamesLineAndColumn) {
  std::string e = error_of("{\n  \"queues\": {\n    \"producers\": [,]\n  }\n}");
  EXPECT_EQ(e.rfind("wrangler.jsonc:3:19: ", 0), 0u) << e;
}

TEST(Config, WrongTypeNamesFieldAndPosition) {
  std::string e = error_of("{\"queues\": {\"consumers\": [\n  {\"queue\": \"q\", \"max_batch_size\": \"ten\"}]}}");
  EXPECT_NE(e.find("wrangler.jsonc:2:36: "), std::string::npos) << e;
  EXPECT_NE(e.find("Expected \"queues.consumers[0].max_batch_size\" to be of type number but got \"ten\""),
            std::string::npos)
      << e;
}

TEST(Config, AQueueOfTheWrongTypeIsOneErrorNotTwo) {
  std::string e = error_of(R"({"queues": {"producers": [{"binding": "B", "queue": 5}]}})");
  EXPECT_NE(e.find("Expected \"queues.producers[0].queue\" to be of type string but got 5."), std::string::npos) << e;
  EXPECT_EQ(e.find("is invalid"), std::string::npos) << e;
}

TEST(Config, OutOfRangeNamesFieldValueAndRange) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_batch_size":500}]}})");
  EXPECT_NE(e.find("queues.consumers[0].max_batch_size must be from 1 to 100, got 500"), std::string::npos) << e;
  e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_batch_timeout":61}]}})");
  EXPECT_NE(e.find("max_batch_timeout must be from 0 to 60, got 61"), std::string::npos) << e;
  e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_retries":101}]}})");
  EXPECT_NE(e.find("max_retries must be from 0 to 100, got 101"), std::string::npos) << e;
  e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_concurrency":0}]}})");
  EXPECT_NE(e.find("max_concurrency must be from 1 to 250, got 0"), std::string::npos) << e;
  EXPECT_FALSE(parse(R"({"queues":{"consumers":[{"queue":"q","max_concurrency":null}]}})")
                   .consumers[0].max_concurrency.has_value());  // null is auto, as in wrangler's schema
  e = error_of(R"({"queues":{"consumers":[{"queue":"q","retry_delay":86401}]}})");
  EXPECT_NE(e.find("retry_delay must be from 0 to 86400, got 86401"), std::string::npos) << e;
  e = error_of(R"({"queues":{"producers":[{"binding":"B","delivery_delay":-1}]}})");
  EXPECT_NE(e.find("delivery_delay must be from 0 to 86400, got -1"), std::string::npos) << e;
  e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_batch_size":2.5}]}})");
  EXPECT_NE(e.find("must be a whole number"), std::string::npos) << e;
}

TEST(Config, FractionalBatchTimeoutIsAllowedLocally) {
  EXPECT_DOUBLE_EQ(parse(R"({"queues":{"consumers":[{"queue":"q","max_batch_timeout":0.25}]}})")
                       .consumers[0]
                       .max_batch_timeout,
                   0.25);
}

TEST(Config, UnknownKeysAreWarnings) {
  Config c = parse(R"({"queues":{"consumers":[{"queue":"q","x":1}]}})");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("Unexpected fields found in queues.consumers[0] field: \"x\""), std::string::npos);
  EXPECT_EQ(c.warnings[0].rfind("wrangler.jsonc:1:", 0), 0u) << c.warnings[0];
}

TEST(Config, MissingRequiredFields) {
  EXPECT_NE(error_of(R"({"queues":{"consumers":[{"max_retries":1}]}})").find("missing the required field \"queue\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"queues":{"producers":[{"queue":"q"}]}})").find("missing the required field \"binding\""),
            std::string::npos);
}

TEST(Config, OneConsumerPerQueue) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"q"},{"queue":"q"}]}})");
  EXPECT_NE(e.find("queue \"q\" already has a consumer (queues.consumers[0])"), std::string::npos) << e;
}

TEST(Config, QueueCannotBeItsOwnDeadLetterQueue) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"q","dead_letter_queue":"q"}]}})");
  EXPECT_NE(e.find("Dead letter queue for queue \"q\" cannot be itself"), std::string::npos) << e;
}

TEST(Config, LongerDeadLetterCyclesAreAllowed) {
  Config c = parse(R"({"queues":{"consumers":[{"queue":"a","dead_letter_queue":"b"},{"queue":"b","dead_letter_queue":"a"}]}})");
  EXPECT_EQ(c.consumers.size(), 2u);
}

TEST(Config, InvalidQueueName) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"bad_name"}]}})");
  EXPECT_NE(e.find("queue name \"bad_name\" is invalid"), std::string::npos) << e;
}

TEST(Config, AllErrorsAreReportedTogether) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"q","max_batch_size":0,"max_retries":-1}]}})");
  EXPECT_NE(e.find("max_batch_size"), std::string::npos);
  EXPECT_NE(e.find("max_retries"), std::string::npos);
}

// wrangler's names: an environment's own "name", else the top level's with "-<env>".
TEST(Config, AnEnvironmentIsAWorkerOfItsOwnName) {
  const char* text = R"({"name":"shop","main":"src/index.js",
                         "env":{"staging":{}, "prod":{"name":"shop-live","main":"src/prod.js"}}})";
  EXPECT_EQ(parse(text, "").worker_name, "shop");
  EXPECT_EQ(parse(text, "staging").worker_name, "shop-staging");
  EXPECT_EQ(parse(text, "staging").main, "src/index.js");
  EXPECT_EQ(parse(text, "prod").worker_name, "shop-live");
  EXPECT_EQ(parse(text, "prod").main, "src/prod.js");
  EXPECT_EQ(parse(R"({"env":{"staging":{}}})", "staging").script_name(), "worker");  // no name anywhere
}

TEST(Config, EnvironmentsDoNotInheritQueues) {
  const char* text = R"({"queues":{"consumers":[{"queue":"top"}]},
                         "env":{"staging":{"vars":{}},
                                "prod":{"queues":{"consumers":[{"queue":"prod-q"}]}}}})";
  Config staging = parse(text, "staging");
  EXPECT_TRUE(staging.consumers.empty());
  ASSERT_EQ(staging.warnings.size(), 1u);
  EXPECT_NE(staging.warnings[0].find("not inherited by environments"), std::string::npos);
  Config prod = parse(text, "prod");
  ASSERT_EQ(prod.consumers.size(), 1u);
  EXPECT_EQ(prod.consumers[0].queue, "prod-q");
  EXPECT_NE(error_of(text, "nope").find("no environment named \"nope\""), std::string::npos);
}

TEST(Config, EnvErrorsUseEnvPaths) {
  std::string e = error_of(R"({"env":{"x":{"queues":{"consumers":[{"queue":"q","max_retries":"a"}]}}}})", "x");
  EXPECT_NE(e.find("env.x.queues.consumers[0].max_retries"), std::string::npos) << e;
}

TEST(Config, HandlerCommandAndMode) {
  Config c = parse(R"({"queues":{"consumers":[
      {"queue":"a","command":"python3 h.py"},
      {"queue":"b","command":["node","h.js"],"mode":"persistent"}]}})");
  EXPECT_EQ(c.consumers[0].command.shell, "python3 h.py");
  EXPECT_EQ(c.consumers[1].command.argv, (std::vector<std::string>{"node", "h.js"}));
  EXPECT_EQ(c.consumers[1].mode, HandlerMode::Persistent);
  EXPECT_NE(error_of(R"({"queues":{"consumers":[{"queue":"a","command":[1]}]}})").find("command"), std::string::npos);
  EXPECT_NE(error_of(R"({"queues":{"consumers":[{"queue":"a","mode":"x"}]}})").find("mode"), std::string::npos);
}

TEST(Config, HttpPullTypeIsALocalExtensionWithAWarning) {
  Config c = parse(R"({"queues":{"consumers":[{"queue":"a","type":"http_pull"}]}})");
  EXPECT_EQ(c.consumers[0].type, "http_pull");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(error_of(R"({"queues":{"consumers":[{"queue":"a","type":"cron"}]}})").find("type"), std::string::npos);
}

// What a key does depends on the consumer's type: a handler for pulled messages is an error (as
// --handler on a pull queue is); a key that would do nothing is said to, at its place.
TEST(Config, KeysThatDoNothingForTheConsumersTypeAreSaidSo) {
  std::string e = error_of(R"({"queues":{"consumers":[{"queue":"a","type":"http_pull","command":"cat"}]}})");
  EXPECT_NE(e.find("queues.consumers[0].command: an http_pull consumer's messages are pulled over HTTP"), std::string::npos)
      << e;
  Config pull = parse(R"({"queues":{"consumers":[
    {"queue":"a","type":"http_pull","max_batch_size":50,"max_batch_timeout":2,"max_concurrency":3,"mode":"persistent"}]}})");
  EXPECT_EQ(pull.consumers[0].max_batch_size, 50);
  ASSERT_EQ(pull.warnings.size(), 4u);  // the type's own, then one per key
  EXPECT_NE(pull.warnings[1].find("queues.consumers[0].mode has no effect on an http_pull consumer"), std::string::npos)
      << pull.warnings[1];
  EXPECT_NE(pull.warnings[3].find("max_concurrency"), std::string::npos);
  Config worker = parse(R"({"queues":{"consumers":[{"queue":"a","visibility_timeout_ms":1000}]}})");
  ASSERT_EQ(worker.warnings.size(), 1u);
  EXPECT_NE(worker.warnings[0].find("queues.consumers[0].visibility_timeout_ms has no effect on a Worker consumer"),
            std::string::npos);
  EXPECT_EQ(worker.warnings[0].rfind("wrangler.jsonc:1:", 0), 0u) << worker.warnings[0];
}

// wrangler's remote bindings: "remote" is known to wrangler; true is said to stay local here.
TEST(Config, ARemoteProducerIsKnownAndSaidToStayLocal) {
  Config c = parse(R"({"queues":{"producers":[{"binding":"Q","queue":"orders","remote":true},
                                             {"binding":"R","queue":"r","remote":false}]}})");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("queues.producers[0].remote is true, but under flareq Q sends to flareq's local queue "
                               "'orders', not to Cloudflare's"),
            std::string::npos)
      << c.warnings[0];
  EXPECT_EQ(c.producers[0].queue, "orders");
  std::string e = error_of(R"({"queues":{"producers":[{"binding":"Q","remote":"yes"}]}})");
  EXPECT_NE(e.find("Expected \"queues.producers[0].remote\" to be of type boolean but got \"yes\""), std::string::npos)
      << e;
}

TEST(Config, Toml) {
  Config c = parse_config(R"(
name = "my-app"
[[queues.producers]]
binding = "EVENTS"
queue = "ev"

[[queues.consumers]]
queue = "ev"
max_batch_size = 7

[[env.staging.queues.consumers]]
queue = "staging-ev"
)", "wrangler.toml", Format::Toml, "");
  EXPECT_EQ(c.consumers[0].max_batch_size, 7);
  EXPECT_EQ(parse_config("[[env.staging.queues.consumers]]\nqueue = \"s\"\n", "wrangler.toml", Format::Toml, "staging")
                .consumers[0]
                .queue,
            "s");
  std::string e = error_of("[[queues.consumers]]\nqueue = \"q\"\nmax_batch_size = \"x\"\n", "", Format::Toml);
  EXPECT_NE(e.find("wrangler.toml:3:"), std::string::npos) << e;
  EXPECT_NE(error_of("[[queues.consumers]\n", "", Format::Toml).find("wrangler.toml:1:"), std::string::npos);
}

TEST(Config, EveryTruncationIsAnErrorOrAValidConfig) {
  const std::string sample = R"({
  "name": "my-app", // comment
  "queues": {
    "producers": [ { "binding": "EVENTS", "queue": "my-app-events", "delivery_delay": 5 } ],
    "consumers": [ { "queue": "my-app-events", "max_batch_size": 10, "max_batch_timeout": 0.5,
                     "dead_letter_queue": "my-app-events-dlq", "command": ["sh", "-c", "cat"] }, ],
  },
  /* block */ "env": { "staging": { "queues": { "consumers": [] } } }
})";
  for (size_t n = 0; n <= sample.size(); ++n) {
    std::string prefix = sample.substr(0, n);
    try {
      parse(prefix);
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("wrangler.jsonc:", 0), 0u) << e.what();
    }
    // A control character anywhere is valid (in a comment) or refused where it stands; one in
    // place of the newline that ends a // comment extends the comment, and the error is where
    // the document stops making sense.
    std::string corrupted = sample;
    if (n < corrupted.size()) {
      corrupted[n] = '\x01';
      std::string line = std::to_string(1 + std::count(sample.begin(), sample.begin() + static_cast<long>(n), '\n'));
      try {
        parse(corrupted);
      } catch (const ConfigError& e) {
        std::string where = sample[n] == '\n' ? "wrangler.jsonc:" : "wrangler.jsonc:" + line + ":";
        EXPECT_EQ(std::string(e.what()).rfind(where, 0), 0u) << "at " << n << ": " << e.what();
      }
    }
  }
  EXPECT_EQ(parse(sample).consumers.size(), 1u);
}

TEST(Config, TomlThatNestsTooDeeplyIsRefusedAtItsLine) {
  std::string header = "[";
  for (int i = 0; i < 30000; ++i) header += i ? ".a" : "a";
  header += "]\n";
  EXPECT_EQ(error_of("name = \"x\"\n" + header, "", Format::Toml), "wrangler.toml:2:131: a key nests more than 64 levels deep");
  EXPECT_EQ(error_of("x = " + std::string(100, '[') + "1" + std::string(100, ']') + "\n", "", Format::Toml),
            "wrangler.toml:1:69: values nest more than 64 levels deep");
  // Dots and brackets inside strings and comments are not nesting.
  std::string dots(200, '.');
  EXPECT_EQ(error_of("name = \"" + dots + "\" # " + dots + "\n[[queues.consumers]]\nqueue = \"q\"\n", "", Format::Toml), "");
}

TEST(Config, NonFiniteNumbersAreErrorsAtTheirLine) {
  for (const char* value : {"nan", "+nan", "inf", "-inf"}) {
    std::string text = std::string("[[queues.consumers]]\nqueue = \"q\"\nmax_batch_timeout = ") + value + "\n";
    std::string e = error_of(text, "", Format::Toml);
    EXPECT_EQ(e.substr(0, 19), "wrangler.toml:3:21:") << e;
    EXPECT_NE(e.find("queues.consumers[0].max_batch_timeout must be a finite number, got "), std::string::npos) << e;
  }
}

TEST(Config, BytesThatAreNotUtf8GiveAnErrorNotAnException) {
  // Found by fuzz/config_fuzzer: quoting the value in the error threw json's type_error.
  std::string e = error_of("{\"queues\":{\"producers\":{\"\x9d\x90\":[1]}}}");
  EXPECT_EQ(e.substr(0, 17), "wrangler.jsonc:1:") << e;
  EXPECT_NE(e.find("queues.producers"), std::string::npos) << e;
}

TEST(Config, R2RulesAreDeclaredWithTheirBucketAndNamedByFileAndLine) {
  Config c = parse(R"({
  "r2_buckets": [
    {"binding": "UPLOADS", "bucket_name": "uploads", "event_notifications": [
      {"queue": "upload-events", "event_types": ["object-create", "object-delete"], "prefix": "images/", "description": "d"}
    ]},
    {"binding": "logs", "event_notifications": [{"queue": "log-events", "event_types": ["object-delete"], "suffix": ".gz"}]}
  ]
})");
  ASSERT_EQ(c.r2_rules.size(), 2u);
  EXPECT_EQ(c.r2_rules[0].bucket, "uploads");
  EXPECT_EQ(c.r2_rules[0].actions, (std::vector<std::string>{"PutObject", "CompleteMultipartUpload", "CopyObject",
                                                             "DeleteObject", "LifecycleDeletion"}));
  EXPECT_EQ(c.r2_rules[0].prefix, "images/");
  EXPECT_EQ(c.r2_rules[0].description, "d");
  EXPECT_EQ(c.r2_rules[0].where, "wrangler.jsonc:4:7: ");
  EXPECT_EQ(c.r2_rules[1].bucket, "logs") << "no bucket_name: the binding's name, as wrangler dev stores it";
  EXPECT_EQ(c.r2_rules[1].suffix, ".gz");
  EXPECT_EQ(c.queue_names(), (std::vector<std::string>{"upload-events", "log-events"}));
}

// Every key wrangler 4.164's schema knows for a bucket is no "unexpected field".
TEST(Config, AnR2BucketTakesWranglersKeys) {
  Config c = parse(R"({"r2_buckets": [{"binding": "B", "bucket_name": "b", "preview_bucket_name": "p",
      "jurisdiction": "eu", "remote": false, "local_dev": {"experimental_s3_credentials": {}}}]})");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
}

TEST(Config, AnInvalidOrOverlappingR2RuleIsAnErrorAtItsLine) {
  EXPECT_EQ(error_of(R"({"r2_buckets": [{"binding": "B", "bucket_name": "b2b", "event_notifications": [
  {"queue": "q", "event_types": ["object-update"]}]}]})"),
            "wrangler.jsonc:2:33: r2_buckets[0].event_notifications[0].event_types must name \"object-create\" or "
            "\"object-delete\", got \"object-update\"");
  EXPECT_EQ(error_of(R"({"r2_buckets": [{"binding": "B", "bucket_name": "b2b", "event_notifications": [{"event_types": []}]}]})"),
            "wrangler.jsonc:1:80: r2_buckets[0].event_notifications[0] is missing the required field \"queue\"\n"
            "wrangler.jsonc:1:96: r2_buckets[0].event_notifications[0].event_types must name at least one event type");
  std::string overlap = error_of(R"({"r2_buckets": [{"binding": "B", "bucket_name": "b2b", "event_notifications": [
  {"queue": "q", "event_types": ["object-create"], "prefix": "a/"},
  {"queue": "r", "event_types": ["object-create"], "suffix": ".png"}]}]})");
  EXPECT_EQ(overlap.rfind("wrangler.jsonc:3:3: conflicting event notification rules: the new rule and rule wrangler.jsonc:2:3", 0), 0u)
      << overlap;
  EXPECT_NE(error_of(R"({"r2_buckets": [{"binding": "B", "bucket_name": "Bad_Name", "event_notifications": []}]})")
                .find("wrangler.jsonc:1:49: The bucket name \"Bad_Name\" is invalid"),
            std::string::npos);
}

// A project built by Vite (the Cloudflare Vite plugin): the build writes a config for wrangler
// and .wrangler/deploy/config.json pointing to it, which `wrangler dev` and `wrangler deploy`
// run in place of the user's when no config is named.
namespace {

struct BuiltProject {
  std::filesystem::path dir = fresh_test_dir("flareq-built-project-");
  BuiltProject() {
    std::ofstream(dir / "wrangler.jsonc") << R"({ "name": "app", "main": "workers/app.ts" })";
    std::filesystem::create_directories(dir / "build" / "server");
    std::ofstream(dir / "build" / "server" / "wrangler.json")
        << R"({"configPath":")" << (dir / "wrangler.jsonc").string() << R"(","userConfigPath":")"
        << (dir / "wrangler.jsonc").string()
        << R"(","name":"app","main":"index.js","targetEnvironment":"staging","no_bundle":true})";
  }
  ~BuiltProject() { std::filesystem::remove_all(dir); }
  void point(const std::string& text) {
    std::filesystem::create_directories(dir / ".wrangler" / "deploy");
    std::ofstream(dir / ".wrangler" / "deploy" / "config.json") << text;
  }
  std::string refusal() {
    try {
      build_redirect(dir / "wrangler.jsonc");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST(Config, ABuildsConfigIsFollowedFromTheDeployPointerBesideTheUsersConfig) {
  BuiltProject p;
  EXPECT_EQ(build_redirect(p.dir / "wrangler.jsonc"), std::nullopt) << "no pointer: the user's config";
  p.point(R"({"configPath":"../../build/server/wrangler.json","auxiliaryWorkers":[]})");
  EXPECT_EQ(build_redirect(p.dir / "wrangler.jsonc"), p.dir / "build" / "server" / "wrangler.json");
}

TEST(Config, ABrokenDeployPointerSaysWhatToDo) {
  BuiltProject p;
  p.point(R"({"configPath":"../../dist/app/wrangler.json"})");
  std::string why = p.refusal();
  EXPECT_NE(why.find(".wrangler/deploy/config.json: points to " + (p.dir / "dist" / "app" / "wrangler.json").string() +
                     ", which does not exist (the project's build writes it for wrangler: build again, or delete it "
                     "to run wrangler.jsonc)"),
            std::string::npos) << why;
  p.point("{ not json");
  why = p.refusal();
  EXPECT_NE(why.find(".wrangler/deploy/config.json: has no \"configPath\" naming the config a build wrote"),
            std::string::npos) << why;
}

TEST(Config, ABuildsConfigNamesTheUsersConfigWhoseFolderIsTheProjects) {
  BuiltProject p;
  Config built = load_config(p.dir / "build" / "server" / "wrangler.json", "");
  EXPECT_EQ(built.user_config_path, p.dir / "wrangler.jsonc");
  EXPECT_EQ(built.target_environment, "staging");
  EXPECT_EQ(built.main, "index.js");
  EXPECT_EQ(built.project_dir(), p.dir) << "the state file goes beside the user's config, not in the build";
  Config own = load_config(p.dir / "wrangler.jsonc", "");
  EXPECT_TRUE(own.user_config_path.empty());
  EXPECT_EQ(own.project_dir(), p.dir);
}

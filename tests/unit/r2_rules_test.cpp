// R2 event notification rules: event types, matching, conflicts, the message body, and the
// rules in the state file with the commit of a notification (fake clock).
#include <gtest/gtest.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/config/config.h"
#include "emulator/core/r2_rules.h"
#include "emulator/project/apply_config.h"
#include "emulator/store/store.h"
#include "test_dir.h"

using namespace flareq;

namespace {

r2::Rule rule(std::vector<std::string> actions, std::string prefix = "", std::string suffix = "") {
  r2::Rule r;
  r.id = "r";
  r.bucket = "uploads";
  r.queue = "q";
  r.actions = std::move(actions);
  r.prefix = std::move(prefix);
  r.suffix = std::move(suffix);
  return r;
}

const std::vector<std::string> kCreate = {"PutObject", "CompleteMultipartUpload", "CopyObject"};

}  // namespace

TEST(R2Rules, EventTypesNameProductionsActions) {
  EXPECT_EQ(*r2::actions_for("object-create"), kCreate);
  EXPECT_EQ(*r2::actions_for("object-delete"), (std::vector<std::string>{"DeleteObject", "LifecycleDeletion"}));
  EXPECT_FALSE(r2::actions_for("object-update"));
}

TEST(R2Rules, BothPrefixAndSuffixMustMatchLiterally) {
  r2::Rule r = rule({"PutObject"}, "images/", ".png");
  EXPECT_TRUE(r2::matches(r, "PutObject", "images/cat.png"));
  EXPECT_FALSE(r2::matches(r, "PutObject", "images/cat.jpg"));
  EXPECT_FALSE(r2::matches(r, "PutObject", "docs/cat.png"));
  EXPECT_FALSE(r2::matches(r, "DeleteObject", "images/cat.png"));
  EXPECT_FALSE(r2::matches(rule({"PutObject"}, "images/*"), "PutObject", "images/a")) << "no patterns";
  EXPECT_TRUE(r2::matches(rule({"PutObject"}), "PutObject", "")) << "no filter matches every key";
}

TEST(R2Rules, RulesOverlapWhenOneRequestCouldTriggerBoth) {
  EXPECT_TRUE(r2::overlaps(rule(kCreate), rule({"PutObject"}, "a/")));
  EXPECT_TRUE(r2::overlaps(rule({"PutObject"}, "a/"), rule({"PutObject"}, "a/b/")));
  EXPECT_TRUE(r2::overlaps(rule({"PutObject"}, "a/"), rule({"PutObject"}, "", ".png"))) << "a/x.png";
  EXPECT_FALSE(r2::overlaps(rule({"PutObject"}, "a/"), rule({"PutObject"}, "b/")));
  EXPECT_FALSE(r2::overlaps(rule({"PutObject"}, "", ".png"), rule({"PutObject"}, "", ".jpg")));
  EXPECT_FALSE(r2::overlaps(rule({"PutObject"}, "a/"), rule({"CopyObject"}, "a/"))) << "different actions";
}

TEST(R2Rules, RefusalsSayWhyAndTellAConflictApart) {
  auto conflict = r2::refusal(rule(kCreate), {rule({"PutObject"}, "a/")});
  ASSERT_TRUE(conflict);
  EXPECT_TRUE(conflict->conflict);
  EXPECT_NE(conflict->why.find("conflicting event notification rules"), std::string::npos);
  r2::Rule bad_bucket = rule(kCreate);
  bad_bucket.bucket = "Uploads";
  EXPECT_FALSE(r2::refusal(bad_bucket, {})->conflict);
  EXPECT_TRUE(r2::refusal(rule({}), {}));
  EXPECT_TRUE(r2::refusal(rule({"Upload"}), {}));
  std::vector<r2::Rule> full;
  for (int i = 0; i < r2::kMaxRulesPerBucket; ++i) full.push_back(rule({"PutObject"}, "p" + std::to_string(i) + "/"));
  EXPECT_NE(r2::refusal(rule({"DeleteObject"}), full)->why.find("100 event notification rules"), std::string::npos);
  EXPECT_FALSE(r2::refusal(rule({"DeleteObject"}), {rule(kCreate)}));
}

TEST(R2Rules, TheBodyIsProductions) {
  r2::Event put{"uploads", "PutObject", "images/cat.png", 1234, "0123abcd", std::nullopt, std::nullopt, 1795860000379};
  EXPECT_EQ(r2::event_body(put, "acc").dump(),
            R"({"account":"acc","action":"PutObject","bucket":"uploads",)"
            R"("object":{"key":"images/cat.png","size":1234,"eTag":"0123abcd"},"eventTime":"2026-11-28T10:00:00.379Z"})");
  r2::Event del{"uploads", "DeleteObject", "k", std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0};
  EXPECT_FALSE(r2::event_body(del, "acc")["object"].contains("size"));
  EXPECT_FALSE(r2::event_body(del, "acc")["object"].contains("eTag"));
  EXPECT_FALSE(r2::event_body(del, "acc").contains("copySource"));
  r2::Event copy{"uploads", "CopyObject", "b", 1, "e", std::string("uploads"), std::string("a"), 0};
  EXPECT_EQ(r2::event_body(copy, "acc")["copySource"].dump(), R"({"bucket":"uploads","object":"a"})");
}

class R2StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_test_dir("flareq-r2-");
    store_ = std::make_unique<Store>(dir_ / "state.sqlite", Durability::Normal, clock_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(R2StoreTest, AMatchingWriteCommitsOneMessageWithTheTimeOfTheWrite) {
  Queue q = store_->create_queue("upload-events", {});
  store_->add_r2_rules("uploads", q, {rule(kCreate, "images/")});
  clock_.advance_ms(1500);
  auto sent = store_->notify_r2({"uploads", "PutObject", "images/a.png", 3, "e", {}, {}, 0}, "acc");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->rule.queue, "upload-events");
  auto messages = store_->peek(q.key, 10);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].id, sent->message.id);
  auto body = nlohmann::json::parse(messages[0].body);
  EXPECT_EQ(body["object"]["key"], "images/a.png");
  EXPECT_EQ(body["eventTime"], iso8601(clock_.now_ms()));
  EXPECT_EQ(store_->queue(q.id).counters.received, 1);

  EXPECT_FALSE(store_->notify_r2({"uploads", "PutObject", "docs/a.png", 3, "e", {}, {}, 0}, "acc"));
  EXPECT_FALSE(store_->notify_r2({"uploads", "DeleteObject", "images/a.png", {}, {}, {}, {}, 0}, "acc"));
  EXPECT_FALSE(store_->notify_r2({"photos", "PutObject", "images/a.png", 3, "e", {}, {}, 0}, "acc"));
  EXPECT_EQ(store_->peek(q.key, 10).size(), 1u);
}

TEST_F(R2StoreTest, AConflictRefusesEveryRuleOfTheRequestAndDeletingTheQueueDeletesItsRules) {
  Queue q = store_->create_queue("upload-events", {});
  store_->add_r2_rules("uploads", q, {rule(kCreate, "images/")});
  try {
    store_->add_r2_rules("uploads", q, {rule({"DeleteObject"}), rule({"PutObject"}, "images/big/")});
    FAIL() << "a conflict was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.http_status(), 409);
  }
  EXPECT_EQ(store_->r2_rules("uploads").size(), 1u) << "nothing of a refused request is kept";
  EXPECT_EQ(store_->r2_producers(q.key).size(), 1u);
  EXPECT_EQ(store_->r2_producers(q.key)[0].bucket, "uploads");
  store_->delete_queue(q.key);
  EXPECT_TRUE(store_->r2_rules("").empty());
}

TEST_F(R2StoreTest, DeleteTakesOneRuleOrAllOfAQueuesRulesOnTheBucket) {
  Queue a = store_->create_queue("a", {});
  Queue b = store_->create_queue("b", {});
  auto first = store_->add_r2_rules("uploads", a, {rule({"PutObject"}, "x/"), rule({"PutObject"}, "y/")});
  store_->add_r2_rules("uploads", b, {rule({"DeleteObject"})});
  EXPECT_EQ(store_->delete_r2_rules("uploads", a.key, {first[0].id}), 1);
  EXPECT_EQ(store_->delete_r2_rules("uploads", a.key, {first[0].id}), 0);
  EXPECT_EQ(store_->delete_r2_rules("uploads", a.key, {}), 1);
  ASSERT_EQ(store_->r2_rules("uploads").size(), 1u);
  EXPECT_EQ(store_->r2_rules("uploads")[0].queue, "b");
}

TEST_F(R2StoreTest, DeclaredRulesAreAddedOnceAndAQueueNobodyReadsIsWarnedOf) {
  config::Config c = config::parse_config(R"({"r2_buckets": [{"binding": "U", "bucket_name": "uploads",
    "event_notifications": [{"queue": "upload-events", "event_types": ["object-create"], "prefix": "images/"}]}]})",
                                          "wrangler.jsonc", config::Format::Jsonc, "");
  auto first = project::apply_config(c, *store_);
  EXPECT_EQ(first.size(), 2u) << "the queue created and the rule added";
  EXPECT_TRUE(project::apply_config(c, *store_).empty()) << "the rule is there already";
  ASSERT_EQ(store_->r2_rules("uploads").size(), 1u);
  auto warnings = project::unconsumed_producer_warnings({c}, *store_);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "warning: nothing consumes queue 'upload-events', which the event notifications of R2 bucket "
                         "uploads send to: they wait until a consumer (a Worker's queue(), or an HTTP pull consumer) reads them");

  // One made by a command that the declared one conflicts with: the config's error, at its line.
  store_->delete_r2_rules("uploads", store_->queue("upload-events").key, {});
  store_->add_r2_rules("uploads", store_->queue("upload-events"), {rule({"PutObject"}, "images/big/")});
  try {
    project::apply_config(c, *store_);
    FAIL() << "a conflicting declared rule was added";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrangler.jsonc:2:29: conflicting event notification rules", 0), 0u) << e.what();
  }
}

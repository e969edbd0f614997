// The batch document a handler reads: one line of JSON in the protocol's shape, each body as
// its content type says, a JSON body copied as sent unless it spans lines.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emulator/dispatch/batch_document.h"

using namespace flareq;

namespace {

StoredMessage message(ContentType type, std::string body) {
  StoredMessage m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.enqueued_ms = 1795860000000;
  m.attempts = 2;
  m.content_type = type;
  m.body = std::move(body);
  return m;
}

}  // namespace

TEST(BatchDocument, EveryFieldOfTheProtocolOnOneLine) {
  QueueMetrics metrics;
  metrics.count = 7;
  metrics.bytes = 300;
  metrics.oldest_enqueued_ms = 1795860000000;
  std::string text = batch_document("jobs", {message(ContentType::Json, R"({"b":1,"a":2})")}, metrics);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text,
            R"({"queue":"jobs","messages":[{"id":"0123456789abcdef0123456789abcdef","timestamp":"2026-11-28T10:00:00.000Z",)"
            R"("timestampMs":1795860000000,"attempts":2,"contentType":"json","body":{"b":1,"a":2}}],)"
            R"("metadata":{"metrics":{"backlogCount":7,"backlogBytes":300,"oldestMessageTimestampMs":1795860000000}}})");
}

TEST(BatchDocument, BodiesFollowTheirContentType) {
  std::string text = batch_document("q",
                                    {message(ContentType::Text, "line one\nline \"two\""),
                                     message(ContentType::Bytes, std::string("\x00\xff", 2)),
                                     message(ContentType::Json, "{\n  \"pretty\": true\n}")},
                                    QueueMetrics{});
  EXPECT_EQ(text.find('\n'), std::string::npos) << "a body with newlines still makes one line";
  nlohmann::json doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["messages"][0]["body"], "line one\nline \"two\"");
  EXPECT_EQ(doc["messages"][1]["body"], "AP8=");
  EXPECT_EQ(doc["messages"][1]["contentType"], "bytes");
  EXPECT_EQ(doc["messages"][2]["body"]["pretty"], true);
  EXPECT_EQ(doc["metadata"]["metrics"]["oldestMessageTimestampMs"], 0);
}

TEST(BatchDocument, AQueueNameIsEscapedAndAnEmptyBatchIsValid) {
  nlohmann::json doc = nlohmann::json::parse(batch_document("a\"b", {}, QueueMetrics{}));
  EXPECT_EQ(doc["queue"], "a\"b");
  EXPECT_TRUE(doc["messages"].empty());
}

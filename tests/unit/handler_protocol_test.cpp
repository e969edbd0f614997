// The handler protocol: the batch document and the parsing of result lines, with the
// first-call-wins rule read from document order.
#include <gtest/gtest.h>

#include "emulator/dispatch/batch_document.h"
#include "emulator/handler/protocol.h"

using namespace flareq;
using namespace flareq::handler;

TEST(HandlerProtocol, BatchDocument) {
  StoredMessage json_message;
  json_message.id = "0123456789abcdef0123456789abcdef";
  json_message.enqueued_ms = 1795860000000;
  json_message.attempts = 1;
  json_message.body = R"({"type":"welcome-email","userId":123})";
  StoredMessage bytes_message = json_message;
  bytes_message.content_type = ContentType::Bytes;
  bytes_message.body = std::string("\x00\x01", 2);
  QueueMetrics metrics;
  metrics.count = 2;
  std::string text = with_invocation(batch_document("my-app-events", {json_message, bytes_message}, metrics), "inv-1");
  EXPECT_EQ(text.find('\n'), std::string::npos);
  nlohmann::json doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["queue"], "my-app-events");
  EXPECT_EQ(doc["invocation"], "inv-1");
  EXPECT_EQ(doc["messages"][0]["timestamp"], "2026-11-28T10:00:00.000Z");
  EXPECT_EQ(doc["messages"][0]["timestampMs"], 1795860000000);
  EXPECT_EQ(doc["messages"][0]["contentType"], "json");
  EXPECT_EQ(doc["messages"][0]["body"]["userId"], 123);
  EXPECT_EQ(doc["messages"][1]["body"], "AAE=");
  EXPECT_EQ(doc["metadata"]["metrics"]["backlogCount"], 2);
}

TEST(HandlerProtocol, ResultFields) {
  ParsedResult r = parse_result(R"({"acks":["a"],"retries":[{"id":"b","delaySeconds":5}],"retryAll":{"delaySeconds":9}})");
  ASSERT_TRUE(r.is_result);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.report.per_message.at("a").ack);
  EXPECT_FALSE(r.report.per_message.at("b").ack);
  EXPECT_EQ(r.report.per_message.at("b").delay_secs, 5);
  ASSERT_TRUE(r.report.batch_call);
  EXPECT_FALSE(r.report.batch_call->ack);
  EXPECT_EQ(r.report.batch_call->delay_secs, 9);
}

TEST(HandlerProtocol, FirstCallWinsByDocumentOrder) {
  ParsedResult r = parse_result(R"({"retries":[{"id":"a"}],"acks":["a"],"retryAll":{},"ackAll":true})");
  EXPECT_FALSE(r.report.per_message.at("a").ack);
  EXPECT_FALSE(r.report.batch_call->ack);
  r = parse_result(R"({"ackAll":true,"retryAll":{"delaySeconds":1}})");
  EXPECT_TRUE(r.report.batch_call->ack);
}

TEST(HandlerProtocol, LogLinesAreNotResults) {
  EXPECT_FALSE(parse_result("done").is_result);
  EXPECT_FALSE(parse_result(R"({"level":"info","msg":"hi"})").is_result);
  EXPECT_FALSE(parse_result("[1,2]").is_result);
}

TEST(HandlerProtocol, MalformedResultsAreProtocolErrors) {
  EXPECT_EQ(parse_result(R"({"acks":"a"})").error, "acks must be an array of message ids");
  EXPECT_EQ(parse_result(R"({"retries":[{"id":"a","delaySeconds":-1}]})").error,
            "retries[].delaySeconds must be an integer from 0 to 86400");
  EXPECT_EQ(parse_result(R"({"ackAll":"yes"})").error, "ackAll must be true or false");
  EXPECT_EQ(parse_result(R"({"invocation":"x","outcome":"maybe"})").error, "outcome must be \"ok\" or \"exception\"");
}

TEST(HandlerProtocol, PersistentFields) {
  ParsedResult r = parse_result(R"({"invocation":"abc","outcome":"exception","acks":["m"]})");
  EXPECT_EQ(r.invocation, "abc");
  EXPECT_EQ(r.outcome_ok, false);
  EXPECT_TRUE(r.report.per_message.at("m").ack);
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(parse_result(R"({"outcome":"exception","error":"queue() threw: boom"})").reason, "queue() threw: boom");
}

TEST(HandlerProtocol, APersistentLineIsTheDocumentWithItsInvocationFirst) {
  EXPECT_EQ(with_invocation(R"({"queue":"q","messages":[]})", "inv-1"), R"({"invocation":"inv-1","queue":"q","messages":[]})");
}

// The intake (core/intake.h): every way in builds its message here, with production's refusals.
#include <gtest/gtest.h>

#include "emulator/core/error.h"
#include "emulator/core/intake.h"

using namespace flareq;

namespace {

// The refusal's text and code, or "" when accepted.
std::string refusal(const std::function<void()>& f, int* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Intake, AValidMessageIsTakenAsGiven) {
  OutgoingMessage m = take_message(ContentType::Json, R"({"a":1})", 30);
  EXPECT_EQ(m.content_type, ContentType::Json);
  EXPECT_EQ(m.body, R"({"a":1})");
  EXPECT_EQ(m.delay_secs, 30);
  EXPECT_EQ(take_message(ContentType::Bytes, std::string("\xff\x00", 2), std::nullopt).body.size(), 2u);
}

TEST(Intake, JsonMustParseAndNotNestTooDeeply) {
  int code = 0;
  EXPECT_EQ(refusal([] { take_message(ContentType::Json, "{nope", std::nullopt); }, &code),
            "a json message's body is not valid JSON");
  EXPECT_EQ(code, code::kInvalidBody);
  std::string deep = std::string(600, '[') + std::string(600, ']');
  EXPECT_EQ(refusal([&] { take_message(ContentType::Json, deep, std::nullopt); }),
            "the body nests more than 512 levels deep");
}

TEST(Intake, TextMustBeUtf8) {
  EXPECT_EQ(refusal([] { take_message(ContentType::Text, "caf\xc3", std::nullopt); }),
            "a text message's body must be valid UTF-8 (send binary data as content type bytes)");
  EXPECT_EQ(refusal([] { take_message(ContentType::Text, "caf\xc3\xa9", std::nullopt); }), "");
  EXPECT_EQ(refusal([] { take_message(ContentType::Bytes, "caf\xc3", std::nullopt); }), "");
}

TEST(Intake, SizeAndDelayAreProductions) {
  EXPECT_EQ(refusal([] { take_message(ContentType::Text, std::string(128000, 'x'), std::nullopt); }), "");
  EXPECT_EQ(refusal([] { take_message(ContentType::Text, std::string(128001, 'x'), std::nullopt); }),
            "message length of 128001 bytes exceeds limit of 128000");
  int code = 0;
  EXPECT_EQ(refusal([] { take_message(ContentType::Json, "1", 86401); }, &code),
            "delay_seconds must be an integer from 0 to 86400, got 86401");
  EXPECT_EQ(code, code::kInvalidDelay);
  EXPECT_EQ(refusal([] { take_message(ContentType::Json, "1", -1); }),
            "delay_seconds must be an integer from 0 to 86400, got -1");
}

TEST(Intake, ASendHoldsAtMost100MessagesAnd256KB) {
  std::vector<OutgoingMessage> hundred(100, take_message(ContentType::Json, "1", std::nullopt));
  EXPECT_EQ(refusal([&] { check_send(hundred, std::nullopt); }), "");
  hundred.push_back(hundred.front());
  EXPECT_NE(refusal([&] { check_send(hundred, std::nullopt); }), "");
  std::vector<OutgoingMessage> big(3, take_message(ContentType::Text, std::string(100000, 'x'), std::nullopt));
  EXPECT_NE(refusal([&] { check_send(big, std::nullopt); }), "");
  EXPECT_EQ(refusal([&] { check_send({}, 86401); }), "delay_seconds must be an integer from 0 to 86400, got 86401");
}

// Reading a request's JSON body: whatever its Content-Type, with Cloudflare's codes for a
// malformed body, a body that is not an object, and each typed field.
#include <gtest/gtest.h>

#include "emulator/core/error.h"
#include "emulator/http/request_body.h"

using namespace flareq;
using namespace flareq::api;

namespace {

std::pair<int, std::string> refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {0, ""};
}

}  // namespace

TEST(RequestBody, AnEmptyBodyIsAnEmptyObjectAndKeyOrderIsKept) {
  EXPECT_TRUE(parse_body("").empty());
  RequestJson body = parse_body(R"({"z":1,"a":2})");
  EXPECT_EQ(body.dump(), R"({"z":1,"a":2})");
}

TEST(RequestBody, MalformedOrNotAnObjectIsRefusedWithItsCode) {
  auto [code, text] = refusal([] { parse_body("{\"a\":"); });
  EXPECT_EQ(code, code::kMalformedBody);
  EXPECT_EQ(text.rfind("malformed JSON body: ", 0), 0u) << text;
  std::tie(code, text) = refusal([] { parse_body("[1,2]"); });
  EXPECT_EQ(code, code::kInvalidBody);
  EXPECT_EQ(text, "the request body must be a JSON object");
  std::tie(code, text) = refusal([] { parse_body(std::string(100000, '[')); });
  EXPECT_EQ(code, code::kMalformedBody);
  EXPECT_NE(text.find("nested more than"), std::string::npos) << text;
}

TEST(RequestBody, IntegersAreWholeAndWithinRange) {
  RequestJson body = parse_body(R"({"a":5,"b":5.0,"c":5.5,"d":"5","e":100,"f":null})");
  Fields f(body, "messages[0].");
  EXPECT_EQ(f.integer("a", 1, 0, 10), 5);
  EXPECT_EQ(f.integer("b", 1, 0, 10), 5);  // 5.0 is a whole number
  EXPECT_EQ(f.integer("f", 1, 0, 10), std::nullopt);  // null is absent
  EXPECT_EQ(f.integer("missing", 1, 0, 10), std::nullopt);
  EXPECT_EQ(refusal([&] { f.integer("c", 10202, 0, 10); }),
            std::make_pair(10202, std::string("messages[0].c must be an integer from 0 to 10, got 5.5")));
  EXPECT_EQ(refusal([&] { f.integer("d", 10202, 0, 10); }).second, "messages[0].d must be an integer from 0 to 10, got \"5\"");
  EXPECT_EQ(refusal([&] { f.integer("e", 10202, 0, 10); }).second, "messages[0].e must be an integer from 0 to 10, got 100");
}

TEST(RequestBody, StringsAndBooleansAreTyped) {
  RequestJson body = parse_body(R"({"s":"x","n":1,"t":true})");
  Fields f(body);
  EXPECT_EQ(f.string("s", 1), "x");
  EXPECT_EQ(f.boolean("t", 1), true);
  EXPECT_EQ(refusal([&] { f.string("n", 7); }), std::make_pair(7, std::string("n must be a string, got 1")));
  EXPECT_EQ(refusal([&] { f.boolean("s", 7); }), std::make_pair(7, std::string("s must be true or false, got \"x\"")));
}

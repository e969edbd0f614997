// Production's limits and their exact texts; ids; encodings.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/core/limits.h"
#include "emulator/core/message.h"

using namespace flareq;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Limits, MessageSize) {
  EXPECT_EQ(message_of([] { limits::check_message_size(128000); }), "");
  EXPECT_EQ(message_of([] { limits::check_message_size(128001); }),
            "message length of 128001 bytes exceeds limit of 128000");
}

TEST(Limits, Batch) {
  EXPECT_EQ(message_of([] { limits::check_batch(100, 256000); }), "");
  EXPECT_EQ(message_of([] { limits::check_batch(101, 10); }), "batch message count of 101 exceeds limit of 100");
  EXPECT_EQ(message_of([] { limits::check_batch(3, 256001); }), "batch size of 256001 bytes exceeds limit of 256000");
}

TEST(Limits, Delay) {
  EXPECT_EQ(message_of([] { limits::check_delay(86400); }), "");
  EXPECT_NE(message_of([] { limits::check_delay(86401); }), "");
  EXPECT_NE(message_of([] { limits::check_delay(-1); }), "");
}

TEST(Limits, QueueNames) {
  EXPECT_TRUE(limits::is_valid_queue_name("a"));
  EXPECT_TRUE(limits::is_valid_queue_name("my-app-events-2"));
  EXPECT_TRUE(limits::is_valid_queue_name(std::string(63, 'x')));
  EXPECT_FALSE(limits::is_valid_queue_name(""));
  EXPECT_FALSE(limits::is_valid_queue_name(std::string(64, 'x')));
  EXPECT_FALSE(limits::is_valid_queue_name("-a"));
  EXPECT_FALSE(limits::is_valid_queue_name("a-"));
  EXPECT_FALSE(limits::is_valid_queue_name("a_b"));
  EXPECT_FALSE(limits::is_valid_queue_name("a b"));
}

TEST(Limits, DelayPrecedence) {
  EXPECT_EQ(effective_delay(5, 10, 20), 5);
  EXPECT_EQ(effective_delay(std::nullopt, 10, 20), 10);
  EXPECT_EQ(effective_delay(std::nullopt, std::nullopt, 20), 20);
  EXPECT_EQ(effective_delay(0, 10, 20), 0);  // an explicit 0 overrides a default
  EXPECT_EQ(effective_delay(std::nullopt, 0, 20), 0);
}

TEST(Ids, ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = new_id();
    ASSERT_TRUE(is_id(id)) << id;
    ASSERT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(new_secret_token().size(), 48u);
  EXPECT_FALSE(is_id("ABCDEF0123456789abcdef0123456789"));
}

TEST(Encoding, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("a!b="));
}

TEST(Encoding, Utf8IsCheckedAsRfc3629Says) {
  for (std::string ok : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"})
    EXPECT_TRUE(is_valid_utf8(ok)) << ok;
  for (std::string bad : {"\xFF", "a\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3\x28",
                          "\xF0\x9F\x98"})
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
}

TEST(Encoding, Iso8601) { EXPECT_EQ(iso8601(1795860000123), "2026-11-28T10:00:00.123Z"); }

TEST(Encoding, PrintableEscapesWhatATerminalWouldObey) {
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("\x1b[2J\x7f"), "\\x1b[2J\\x7f");
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\u009b31m");  // C1 CSI, as UTF-8
  EXPECT_EQ(printable("caf\xc3\xa9 \xc2\xa0"), "caf\xc3\xa9 \xc2\xa0");  // ordinary UTF-8 stays
  EXPECT_EQ(printable("one\ntwo\tthree"), "one\\x0atwo\\x09three");
  EXPECT_EQ(printable("one\ntwo\tthree", true), "one\ntwo\tthree");
}

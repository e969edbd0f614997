// Durations as people write them, for `time advance`, `--latency`, `--older-than` and the config.
#include <gtest/gtest.h>

#include "emulator/core/duration.h"

using namespace flareq;

TEST(Duration, ReadsEveryUnitAndCompounds) {
  EXPECT_EQ(parse_duration_ms("200ms"), 200);
  EXPECT_EQ(parse_duration_ms("90s"), 90000);
  EXPECT_EQ(parse_duration_ms("10m"), 600000);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000);
  EXPECT_EQ(parse_duration_ms("4d"), 4 * 86400000LL);
  EXPECT_EQ(parse_duration_ms("1h30m"), 5400000);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms("45"), 45000);  // plain numbers are seconds
  EXPECT_EQ(parse_duration_ms("0"), 0);
}

TEST(Duration, RefusesWhatIsNotADuration) {
  for (const char* bad : {"", "soon", "-5m", "5x", "m", "1h-", "1e3s", "1..2", "99999999999999999999d", "36501d1d"})
    EXPECT_FALSE(parse_duration_ms(bad).has_value()) << bad;
  EXPECT_EQ(duration_hint("soon"), "'soon' is not a duration like 200ms, 90s, 30m, 1h, 2d or 1h30m");
}

TEST(Duration, RangesAreOrdered) {
  EXPECT_EQ(parse_duration_range_ms("200ms..2s"), std::make_pair(int64_t{200}, int64_t{2000}));
  EXPECT_EQ(parse_duration_range_ms("1s"), std::make_pair(int64_t{1000}, int64_t{1000}));
  EXPECT_FALSE(parse_duration_range_ms("2s..1s"));
  EXPECT_FALSE(parse_duration_range_ms("1s.."));
}

TEST(Duration, PrintsTheShortestExactForm) {
  EXPECT_EQ(format_duration_ms(0), "0s");
  EXPECT_EQ(format_duration_ms(200), "200ms");
  EXPECT_EQ(format_duration_ms(5400000), "1h30m");
  EXPECT_EQ(format_duration_ms(86400000 + 1500), "1d1s500ms");
  EXPECT_EQ(format_duration_ms(-60000), "-1m");
}

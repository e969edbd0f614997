// The fault draw: deterministic for a seed, at the rates asked for, within the ranges given.
#include <gtest/gtest.h>

#include <set>

#include "emulator/core/error.h"
#include "emulator/core/faults.h"

using namespace flareq;

namespace {

FaultSettings settings(double fail, double crash, int64_t lo, int64_t hi, uint64_t seed) {
  FaultSettings s;
  s.fail = fail;
  s.crash = crash;
  s.latency_min_ms = lo;
  s.latency_max_ms = hi;
  s.seed = seed;
  return s;
}

}  // namespace

TEST(FaultDraw, TheSameSeedGivesTheSameSequenceAndAnotherSeedAnother) {
  FaultSettings a = settings(0.3, 0.1, 100, 2000, 7), b = a, c = a;
  c.seed = 8;
  int differ = 0;
  for (uint64_t n = 0; n < 1000; ++n) {
    DeliveryFault x = draw_delivery_fault(a, n), y = draw_delivery_fault(b, n), z = draw_delivery_fault(c, n);
    EXPECT_EQ(x.fail, y.fail);
    EXPECT_EQ(x.crash, y.crash);
    EXPECT_EQ(x.latency_ms, y.latency_ms);
    differ += x.fail != z.fail || x.latency_ms != z.latency_ms;
  }
  EXPECT_GT(differ, 100);
}

TEST(FaultDraw, RatesAreMetOverManyDraws) {
  FaultSettings s = settings(0.2, 0.05, 0, 0, 12345);
  s.push_errors = 0.1;
  int fails = 0, crashes = 0, pushes = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    DeliveryFault f = draw_delivery_fault(s, static_cast<uint64_t>(i));
    fails += f.fail;
    crashes += f.crash;
    EXPECT_FALSE(f.fail && f.crash) << "a failed delivery never reaches a handler to crash";
    EXPECT_EQ(f.latency_ms, 0);
    pushes += draw_push_error(s, static_cast<uint64_t>(i));
  }
  EXPECT_NEAR(fails / double(n), 0.2, 0.02);
  EXPECT_NEAR(crashes / double(n), 0.8 * 0.05, 0.01);
  EXPECT_NEAR(pushes / double(n), 0.1, 0.015);
}

TEST(FaultDraw, NoneAndAllAreExact) {
  FaultSettings never = settings(0, 0, 0, 0, 1), always = settings(1, 0, 0, 0, 1);
  always.push_errors = 1;
  for (uint64_t n = 0; n < 500; ++n) {
    EXPECT_FALSE(draw_delivery_fault(never, n).any());
    EXPECT_FALSE(draw_push_error(never, n));
    EXPECT_TRUE(draw_delivery_fault(always, n).fail);
    EXPECT_TRUE(draw_push_error(always, n));
  }
}

TEST(FaultDraw, LatencyStaysInItsRangeAndCoversIt) {
  FaultSettings s = settings(0, 0, 200, 210, 3);
  std::set<int64_t> seen;
  for (uint64_t n = 0; n < 2000; ++n) {
    int64_t l = draw_delivery_fault(s, n).latency_ms;
    EXPECT_GE(l, 200);
    EXPECT_LE(l, 210);
    seen.insert(l);
  }
  EXPECT_EQ(seen.size(), 11u);
}

TEST(FaultDraw, SettingsOutOfRangeAreRefusedByName) {
  auto refusal = [](FaultSettings s) {
    try {
      check_fault_settings(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(refusal(settings(1.5, 0, 0, 0, 1)), "fail must be a fraction from 0 to 1");
  EXPECT_EQ(refusal(settings(0, -0.1, 0, 0, 1)), "crash_handler must be a fraction from 0 to 1");
  EXPECT_EQ(refusal(settings(0, 0, 0, 16 * 60000, 1)), "latency must be a range MIN..MAX with 0 <= MIN <= MAX <= 15m");
  EXPECT_EQ(refusal(settings(0.5, 0, 0, 0, 1)), "");
  EXPECT_EQ(describe_faults(settings(0.2, 0.05, 200, 2000, 7)), "fail 0.2 · latency 200ms..2s · crash handler 0.05 · seed 7");
}

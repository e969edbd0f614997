// Waiting in tests, one way: `eventually` polls a condition until it holds or a deadline
// passes. The deadline only ends a failing test, which then says what it waited for and what
// it saw last. Nothing else in tests/ polls.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>

namespace flareq::testing {

using namespace std::chrono_literals;

// `ASSERT_TRUE(eventually([&] { return …; }, 20s, "the batch in jobs-dlq"))`; `last`, when
// given, describes the value last seen for the failure message.
template <typename Done>
::testing::AssertionResult eventually(Done done, std::chrono::milliseconds timeout, const std::string& what,
                                      const std::function<std::string()>& last = {}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return ::testing::AssertionFailure() << "waited " << timeout.count() << " ms for " << what
                                           << (last ? "; last seen: " + last() : std::string());
    usleep(10000);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace flareq::testing

// "Did you mean …?": the nearest name is offered only for a slip, never for a different name.
#include <gtest/gtest.h>

#include "emulator/core/nearest_name.h"

using flareq::edit_distance;
using flareq::nearest_name;

TEST(NearestName, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("signup-event", "signup-events"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
}

TEST(NearestName, OffersTheClosestSlipAndNothingFarther) {
  std::vector<std::string> queues = {"slack-pings", "signup-events", "signup-events-dlq"};
  EXPECT_EQ(nearest_name("signup-event", queues), "signup-events");
  EXPECT_EQ(nearest_name("sigunp-events", queues), "signup-events");  // two letters swapped: 2 edits
  EXPECT_EQ(nearest_name("results", queues), std::nullopt);
  EXPECT_EQ(nearest_name("q2", {"q1"}), std::nullopt);  // one edit of two letters is another name
  EXPECT_EQ(nearest_name("signup-events", queues), std::nullopt) << "a name is no slip of itself";
  EXPECT_EQ(nearest_name("x", {}), std::nullopt);
}

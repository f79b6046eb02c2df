// UidTally: the one count of places per uid behind every quota.
#include "policy/uid_tally.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace perfqos::daemon {
namespace {

TEST(UidTally, SlotsCountPerUidAndInAllUntilTheyGo) {
  UidTally tally;
  std::vector<UidTally::Slot> slots;
  slots.push_back(tally.take(1000));
  slots.push_back(tally.take(1000));
  slots.push_back(tally.take(0));
  EXPECT_EQ(tally.held(1000), 2u);
  EXPECT_EQ(tally.held(0), 1u);
  EXPECT_EQ(tally.held(65534), 0u);
  EXPECT_EQ(tally.total(), 3u);
  slots.erase(slots.begin());
  EXPECT_EQ(tally.held(1000), 1u);
  EXPECT_EQ(tally.total(), 2u);
  slots.clear();
  EXPECT_EQ(tally.held(1000), 0u);
  EXPECT_EQ(tally.total(), 0u);
}

TEST(UidTally, AMovedSlotCountsOnceAndReleaseIsIdempotent) {
  UidTally tally;
  UidTally::Slot a = tally.take(7);
  UidTally::Slot b = std::move(a);
  EXPECT_FALSE(a.admitted());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_TRUE(b.admitted());
  EXPECT_EQ(tally.held(7), 1u);
  b = tally.take(8);  // assigning over a slot gives its place back
  EXPECT_EQ(tally.held(7), 0u);
  EXPECT_EQ(tally.held(8), 1u);
  b.release();
  b.release();
  EXPECT_EQ(tally.total(), 0u);
}

}  // namespace
}  // namespace perfqos::daemon

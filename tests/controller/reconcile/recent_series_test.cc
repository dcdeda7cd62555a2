#include "controller/reconcile/recent_series.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tso::reconcile {
namespace {

TEST(RecentSeriesTest, EmptyAsksForTheWholeWindow) {
  RecentSeries s(30, 10);
  auto r = s.pending(1000);  // last grid point at or before 1000 is 990
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->end, 990);
  EXPECT_EQ(r->start, 990 - 9 * 30);
}

TEST(RecentSeriesTest, AsksOnlyForNewSteps) {
  RecentSeries s(30, 10);
  for (int t = 720; t <= 990; t += 30) s.add(t, t / 30.0);
  EXPECT_FALSE(s.pending(1000).has_value());
  auto r = s.pending(1085);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->start, 1020);
  EXPECT_EQ(r->end, 1080);
  // After a long outage only the window is asked for.
  auto far = s.pending(100'000);
  ASSERT_TRUE(far.has_value());
  EXPECT_EQ(far->end, 99'990);
  EXPECT_EQ(far->start, 99'990 - 9 * 30);
}

TEST(RecentSeriesTest, HoldsAfterTellsWhetherAConsumerLostSamples) {
  RecentSeries s(10, 4);
  EXPECT_TRUE(s.holdsAfter(0)) << "nothing held, nothing lost";
  for (int t = 100; t <= 130; t += 10) s.add(t, 1);  // holds 100..130
  EXPECT_TRUE(s.holdsAfter(90)) << "the next step, 100, is the oldest held";
  EXPECT_TRUE(s.holdsAfter(120));
  EXPECT_FALSE(s.holdsAfter(80)) << "90 was never held";
  s.add(200, 1);  // a jump past the window: holds 200 alone
  EXPECT_FALSE(s.holdsAfter(130)) << "140..190 are not held";
  EXPECT_TRUE(s.holdsAfter(190));
  for (int t = 170; t <= 190; t += 10) s.add(t, 1);  // the rest of the window, fetched late
  EXPECT_TRUE(s.holdsAfter(160)) << "holds 170..200";
  EXPECT_FALSE(s.holdsAfter(150)) << "160 fell out of the window";
}

TEST(RecentSeriesTest, KeepsTheNewestCapacitySamplesWithGapsMissing) {
  RecentSeries s(10, 4);
  s.add(100, 1);
  s.add(110, 2);
  s.add(140, 5);  // 120 and 130 missing
  auto v = s.values();
  ASSERT_EQ(v.size(), 4U);
  EXPECT_DOUBLE_EQ(v[0], 2);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_DOUBLE_EQ(v[3], 5);
  EXPECT_EQ(s.firstTime(), 110);
  EXPECT_EQ(s.newestTime(), 140);
  EXPECT_TRUE(std::isnan(s.at(100)));  // fell out of the window
  EXPECT_DOUBLE_EQ(s.at(140), 5);
}

TEST(RecentSeriesTest, SnapsToGridFillsLateSamplesAndSkipsNaN) {
  RecentSeries s(10, 6);
  s.add(100.4, 1);
  s.add(129.8, 4);  // snaps to 130
  s.add(110, 2);    // a late sample fills its slot
  s.add(140, std::nan(""));
  EXPECT_DOUBLE_EQ(s.at(110), 2);
  EXPECT_DOUBLE_EQ(s.at(130), 4);
  auto latest = s.latestFinite();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->first, 130);
  EXPECT_DOUBLE_EQ(latest->second, 4);
  s.add(90, 0.5);  // older than the oldest held, but within capacity: extends back
  EXPECT_EQ(s.firstTime(), 90);
  EXPECT_DOUBLE_EQ(s.at(90), 0.5);
}

TEST(RecentSeriesTest, AJumpPastTheWindowStartsOver) {
  RecentSeries s(10, 3);
  s.add(100, 1);
  s.add(110, 2);
  s.add(1000, 9);
  EXPECT_EQ(s.size(), 1U);
  EXPECT_DOUBLE_EQ(s.values().back(), 9);
}

}  // namespace
}  // namespace tso::reconcile

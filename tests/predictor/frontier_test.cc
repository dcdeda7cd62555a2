#include "predictor/frontier.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tso::predictor {
namespace {

// Two envelope points a decade of misses apart per 0.5x of cost.
const std::vector<FrontierPoint> kEnvelope = {{1.0, 1.0, 0.01}, {0.5, 2.0, 0.0001}};

TEST(FrontierTest, TheLowerEnvelopeKeepsOnlyPointsNoCheaperOneBeats) {
  const std::vector<FrontierPoint> points = {
      {0.9, 1.2, 0.020},                                                           // beaten by the cheaper 1.1x point
      {1.0, 1.1, 0.010}, {0.8, 1.5, 0.004}, {0.7, 1.0, 0.030}, {0.6, 1.5, 0.005},  // same cost, more misses
  };
  const auto env = lowerEnvelope(points);
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0].knob, 0.7);
  EXPECT_EQ(env[1].knob, 1.0);
  EXPECT_EQ(env[2].knob, 0.8);
}

TEST(FrontierTest, MissesAreInterpolatedLinearlyInCostAndLogMisses) {
  // Halfway in cost is halfway in log-misses: sqrt(0.01 x 0.0001) = 0.001.
  EXPECT_NEAR(*missesAtCost(kEnvelope, 1.5), 0.001, 1e-12);
  // A quarter of the way: 0.01 x 0.01^0.25 = 0.0031623.
  EXPECT_NEAR(*missesAtCost(kEnvelope, 1.25), 0.01 * std::pow(0.01, 0.25), 1e-12);
  EXPECT_NEAR(*missesAtCost(kEnvelope, 1.0), 0.01, 1e-15);
  EXPECT_NEAR(*missesAtCost(kEnvelope, 2.0), 0.0001, 1e-15);
  // Outside the swept range nothing is said about the baseline.
  EXPECT_FALSE(missesAtCost(kEnvelope, 0.99));
  EXPECT_FALSE(missesAtCost(kEnvelope, 2.01));
  EXPECT_FALSE(missesAtCost({}, 1.0));
}

TEST(FrontierTest, CostIsInterpolatedTheSameWayBackwards) {
  EXPECT_NEAR(*costAtMisses(kEnvelope, 0.001), 1.5, 1e-12);
  EXPECT_NEAR(*costAtMisses(kEnvelope, 0.01), 1.0, 1e-12);
  EXPECT_FALSE(costAtMisses(kEnvelope, 0.02));
  EXPECT_FALSE(costAtMisses(kEnvelope, 0.00001));
}

TEST(FrontierTest, EqualCostComparesThePolicyWithTheBaselineAtItsOwnCostAndMisses) {
  // At 1.5x the baseline misses 0.001; the policy misses 0.0005: half.
  const auto ec = compareAtEqualCost(kEnvelope, {0, 1.5, 0.0005});
  ASSERT_TRUE(ec.missRatio && ec.costRatio);
  EXPECT_NEAR(*ec.missRatio, 0.5, 1e-12);
  // The baseline reaches 0.0005 at 1 + ln(0.05) / ln(0.01) = 1.6505x: the policy pays 0.9088 of it.
  EXPECT_NEAR(*ec.costRatio, 1.5 / (1.0 + std::log(0.05) / std::log(0.01)), 1e-12);
  // Beyond the baseline's range, no ratio rather than an extrapolated one.
  const auto outside = compareAtEqualCost(kEnvelope, {0, 3.0, 0.00001});
  EXPECT_FALSE(outside.missRatio);
  EXPECT_FALSE(outside.costRatio);
}

TEST(FrontierTest, ZeroMissesOnTheEnvelopeDoNotDivideByZero) {
  const std::vector<FrontierPoint> env = {{1.0, 1.0, 0.001}, {0.5, 2.0, 0.0}};
  ASSERT_TRUE(missesAtCost(env, 2.0));
  EXPECT_NEAR(*missesAtCost(env, 2.0), 1e-9, 1e-15);  // the floor, not zero
  EXPECT_NEAR(*costAtMisses(env, 0.0), 2.0, 1e-12);
}

}  // namespace
}  // namespace tso::predictor

#include "predictor/planner.h"

#include <gtest/gtest.h>

namespace tso::predictor {
namespace {

PlannerConfig config() {
  PlannerConfig c;
  c.perReplica = 10;
  c.minReplicas = 1;
  c.maxReplicas = 100;
  return c;
}

TEST(PlannerTest, ReplicasForRoundsUpAndClamps) {
  EXPECT_EQ(replicasFor(95, 10, 1.0, 1, 100), 10);
  EXPECT_EQ(replicasFor(100, 10, 1.0, 1, 100), 10);
  EXPECT_EQ(replicasFor(100, 10, 0.5, 1, 100), 20);
  EXPECT_EQ(replicasFor(0, 10, 1.0, 2, 100), 2);
  EXPECT_EQ(replicasFor(1e12, 10, 1.0, 1, 100), 100);
  EXPECT_EQ(replicasFor(50, 0, 1.0, 1, 100), 1);  // no division by zero
}

TEST(PlannerTest, QueueDemandDrainsTheBacklog) {
  EXPECT_DOUBLE_EQ(queueDemand(100, 600, 60), 110);
  EXPECT_DOUBLE_EQ(queueDemand(100, 600, 0), 100);
  Planner p(config());
  EXPECT_EQ(p.plan({0, 10, queueDemand(100, 600, 60), std::nullopt, std::nullopt}).desired, 11);
}

TEST(PlannerTest, ToleranceHoldsSmallChanges) {
  Planner p(config());
  EXPECT_EQ(p.plan({0, 10, 105.0, std::nullopt, std::nullopt}).desired, 10);
  EXPECT_EQ(p.plan({15, 10, 125.0, std::nullopt, std::nullopt}).desired, 13);
}

TEST(PlannerTest, EachToleranceHoldsItsOwnDirection) {
  struct Case {
    double up;
    double down;
    double demand;  // against 10 replicas of 10
    int reactive;
  };
  const Case cases[] = {
      {0.3, 0.0, 125, 10},  // +25 % within scale-up's 0.3
      {0.3, 0.0, 95, 10},   // -5 % is no change of whole replicas: ceil(9.5)
      {0.3, 0.0, 85, 9},    // -15 % past scale-down's 0
      {0.0, 0.3, 125, 13},  // +25 % past scale-up's 0
      {0.0, 0.3, 75, 10},   // -25 % within scale-down's 0.3
      {0.0, 0.3, 65, 7},    // -35 % past it
  };
  for (const auto& c : cases) {
    auto cfg = config();
    cfg.toleranceUp = c.up;
    cfg.toleranceDown = c.down;
    Planner p(cfg);
    EXPECT_EQ(p.plan({0, 10, c.demand, std::nullopt, std::nullopt}).reactive, c.reactive)
        << "up " << c.up << " down " << c.down << " demand " << c.demand;
  }
}

TEST(PlannerTest, RoundingSlackAppliesToEverySource) {
  auto cfg = config();
  cfg.roundingSlack = 1e-3;
  Planner p(cfg);
  // 40.0004 is 4.00004 replicas of 10: noise under a thousandth of a replica, so 4, from
  // every source; 40.02 (4.002) is demand and gets a fifth.
  const auto noise = p.plan({0, 0, 40.0004, 40.0004, 40.0004});
  EXPECT_EQ(noise.reactive, 4);
  EXPECT_EQ(noise.predicted, 4);
  EXPECT_EQ(noise.scheduled, 4);
  const auto excess = p.plan({15, 0, 40.02, 40.02, 40.02});
  EXPECT_EQ(excess.reactive, 5);
  EXPECT_EQ(excess.predicted, 5);
  EXPECT_EQ(excess.scheduled, 5);
  // The default keeps only the division's own rounding.
  EXPECT_EQ(replicasFor(40.0004, 10, 1.0, 0, 100), 5);
  EXPECT_EQ(replicasFor(30, 10, 1.0, 0, 100), 3);
}

TEST(PlannerTest, ScaleUpIsLimitedToMaxOfFourPodsAndDoublingPer15s) {
  Planner p(config());
  EXPECT_EQ(p.plan({0, 2, 1000.0, std::nullopt, std::nullopt}).desired, 6);    // +4 pods beats +100 %
  EXPECT_EQ(p.plan({5, 6, 1000.0, std::nullopt, std::nullopt}).desired, 6);    // same period: still from 2
  EXPECT_EQ(p.plan({15, 6, 1000.0, std::nullopt, std::nullopt}).desired, 12);  // next period: doubling
}

TEST(PlannerTest, ScaleDownWaitsForTheStabilizationWindow) {
  Planner p(config());
  EXPECT_EQ(p.plan({0, 10, 100.0, std::nullopt, std::nullopt}).desired, 10);
  EXPECT_EQ(p.plan({60, 10, 20.0, std::nullopt, std::nullopt}).desired, 10);
  EXPECT_EQ(p.plan({299, 10, 20.0, std::nullopt, std::nullopt}).desired, 10);
  EXPECT_EQ(p.plan({301, 10, 20.0, std::nullopt, std::nullopt}).desired, 2);
}

TEST(PlannerTest, NeverScalesDownOnAForecastInsideTheWindow) {
  Planner p(config());
  p.plan({0, 10, 100.0, 100.0, std::nullopt});
  const Plan plan = p.plan({30, 10, std::nullopt, 10.0, std::nullopt});
  EXPECT_EQ(plan.desired, 10);
  EXPECT_EQ(plan.predicted, 1);
}

TEST(PlannerTest, FinalIsTheMaxOfReactivePredictedAndScheduled) {
  Planner p(config());
  const Plan a = p.plan({0, 5, 50.0, 80.0, std::nullopt});
  EXPECT_EQ(a.desired, 8);
  EXPECT_EQ(a.reason, "forecast");
  Planner q(config());
  const Plan b = q.plan({0, 5, 50.0, 60.0, 90.0});
  EXPECT_EQ(b.desired, 9);
  EXPECT_EQ(b.reason, "scheduled");
}

TEST(PlannerTest, DisabledScaleDownKeepsReplicas) {
  PlannerConfig c = config();
  c.behavior.scaleDown.select = SelectPolicy::kDisabled;
  c.behavior.scaleDown.stabilizationSeconds = 0;
  Planner p(c);
  EXPECT_EQ(p.plan({0, 10, 10.0, std::nullopt, std::nullopt}).desired, 10);
}

}  // namespace
}  // namespace tso::predictor

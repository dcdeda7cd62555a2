#include "controller/reconcile/miss_budget.h"

#include <gtest/gtest.h>

namespace tso::reconcile {
namespace {

constexpr std::int64_t kStep = 60;

ServiceSpec budgetSpec(std::optional<double> budget = 0.01) {
  ServiceSpec s;
  s.perReplica = 100;
  s.stepSeconds = kStep;
  s.quantile = 0.9;
  s.missBudget = budget;
  return s;
}

// `steps` steps of `demand` from t = kStep, with `replicas` asked for from time 0.
struct Service {
  RecentSeries recent{kStep, 1000};
  DesiredSteps desired{{0, 0}};
  BudgetState state;
  void feed(const ServiceSpec& spec, int steps, double demand, int replicas, std::int64_t lead = 120) {
    desired.back().second = replicas;
    const std::int64_t from = recent.size() == 0 ? kStep : recent.newestTime() + kStep;
    for (int i = 0; i < steps; ++i) recent.add(static_cast<double>(from + i * kStep), demand);
    accountMisses(state, spec, recent, desired, lead, {predictor::zOfLevel(spec.quantile), {}});
  }
};

TEST(MissBudgetTest, HeadroomRisesWhileMissingAndFallsWhileOverProvisioned) {
  const auto spec = budgetSpec();
  Service missing;
  missing.feed(spec, 600, 250, 2);  // 2 ready replicas serve 200 of 250: 20 % missed
  const auto r = budgetReport(missing.state);
  ASSERT_TRUE(r.has_value());
  EXPECT_GT(r->z, predictor::zOfLevel(0.9));
  EXPECT_NEAR(r->missedShare, 0.2, 1e-6);
  EXPECT_GT(r->level, 0.9);

  Service ample;
  ample.feed(spec, 600, 150, 4);  // nothing missed
  EXPECT_LT(*headroomZ(ample.state), predictor::zOfLevel(0.9));
  EXPECT_DOUBLE_EQ(budgetReport(ample.state)->missedShare, 0.0);
}

TEST(MissBudgetTest, EachStepCountsOnceAndOnlyOnceTheOperatorHasDecided) {
  const auto spec = budgetSpec();
  Service run;
  run.desired = {{10 * kStep, 2}};  // the first decision: steps before it (and its lead) are not judged
  for (int i = 1; i <= 20; ++i) run.recent.add(static_cast<double>(i * kStep), 250);
  accountMisses(run.state, spec, run.recent, run.desired, 120, {1.0, {}});
  const double once = *headroomZ(run.state);
  EXPECT_GT(once, 1.0) << "steps 12-20 were missed";
  accountMisses(run.state, spec, run.recent, run.desired, 120, {1.0, {}});
  EXPECT_DOUBLE_EQ(*headroomZ(run.state), once) << "no new steps, no change";

  Service early;
  early.desired = {{10 * kStep, 2}};
  for (int i = 1; i <= 11; ++i) early.recent.add(static_cast<double>(i * kStep), 250);
  accountMisses(early.state, spec, early.recent, early.desired, 120, {1.0, {}});
  EXPECT_DOUBLE_EQ(*headroomZ(early.state), 1.0) << "nothing was ready a lead time after a decision yet";
}

TEST(MissBudgetTest, OffWithoutABudgetAndRestartsWhenItChanges) {
  Service run;
  run.feed(budgetSpec(std::nullopt), 100, 250, 2);
  EXPECT_FALSE(headroomZ(run.state).has_value());
  EXPECT_FALSE(budgetReport(run.state).has_value());

  run.feed(budgetSpec(0.01), 100, 250, 2);
  const double z = *headroomZ(run.state);
  run.feed(budgetSpec(0.02), 0, 250, 2);
  EXPECT_NE(*headroomZ(run.state), z);
  EXPECT_DOUBLE_EQ(budgetReport(run.state)->budget, 0.02);
}

TEST(MissBudgetTest, TimeOfDayHeadroomLearnsTheHoursThatFallShortWithoutABudget) {
  auto spec = budgetSpec(std::nullopt);
  spec.headroomByTimeOfDay = true;
  Service run;
  // Ten days: short of capacity from 14:00 to 15:00 UTC each day, ample otherwise.
  run.desired = {{0, 3}};
  for (std::int64_t t = kStep; t <= 10 * 86'400; t += kStep) {
    const bool kickOff = (t % 86'400) / 3600 == 14;
    run.recent.add(static_cast<double>(t), kickOff ? 350 : 150);
  }
  accountMisses(run.state, spec, run.recent, run.desired, 120, {1.0, {}});
  EXPECT_FALSE(headroomZ(run.state).has_value()) << "no budget: the spec's quantile stays the level";
  const auto byHour = headroomByHour(run.state);
  ASSERT_TRUE(byHour.has_value());
  ASSERT_EQ(byHour->size(), 24U);
  EXPECT_GT((*byHour)[14], 0.5);
  for (int h : {0, 3, 13, 15, 23}) EXPECT_LT((*byHour)[static_cast<std::size_t>(h)], 0.0) << h;

  spec.headroomByTimeOfDay = false;
  accountMisses(run.state, spec, run.recent, run.desired, 120, {1.0, {}});
  EXPECT_FALSE(headroomByHour(run.state).has_value());
}

TEST(MissBudgetTest, TimeOfDayHeadroomResumesFromTheOffsetsKeptInStatus) {
  auto spec = budgetSpec(std::nullopt);
  spec.headroomByTimeOfDay = true;
  std::vector<double> kept(24, -0.1);
  kept[14] = 0.8;
  Service run;
  accountMisses(run.state, spec, run.recent, run.desired, 120, {1.0, kept});
  EXPECT_EQ(*headroomByHour(run.state), kept);

  Service wrongSize;
  accountMisses(wrongSize.state, spec, wrongSize.recent, wrongSize.desired, 120, {1.0, {1.0, 2.0}});
  EXPECT_EQ(*headroomByHour(wrongSize.state), std::vector<double>(24, 0.0)) << "a status of another shape is ignored";
}

}  // namespace
}  // namespace tso::reconcile

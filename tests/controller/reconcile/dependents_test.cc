#include "controller/reconcile/dependents.h"

#include <gtest/gtest.h>

#include <ostream>

namespace tso::reconcile {
namespace {

DependentSpec byDemand(double perReplica, int lo = 1, int hi = 20) {
  return {{"apps/v1", "Deployment", "payment"}, perReplica, std::nullopt, 0.5, lo, hi};
}
DependentSpec byRatio(double ratio, int lo = 1, int hi = 20) {
  return {{"apps/v1", "Deployment", "inventory"}, std::nullopt, ratio, 0.8, lo, hi};
}
Decision decided(int desired, std::optional<double> provisioned, bool blind = false) {
  Decision d;
  d.desired = desired;
  d.provisionedDemand = provisioned;
  d.fallback = blind;
  return d;
}

struct Case {
  std::string name;
  DependentSpec dep;
  Decision decision;
  int current = 0;
  int want = 0;
};
std::ostream& operator<<(std::ostream& o, const Case& c) { return o << c.name; }

class DependentReplicasTest : public ::testing::TestWithParam<Case> {};

TEST_P(DependentReplicasTest, Sizes) {
  const Case& c = GetParam();
  EXPECT_EQ(dependentReplicas(c.dep, c.decision, c.current), c.want);
}

INSTANTIATE_TEST_SUITE_P(Cases, DependentReplicasTest,
                         ::testing::Values(
                             // 900/s provisioned, 100/s a replica at 50 %: 18.
                             Case{"PerReplicaFromTheProvisionedDemand", byDemand(100), decided(9, 900.0), 3, 18},
                             Case{"PerReplicaWithinItsOwnMax", byDemand(100, 1, 10), decided(9, 900.0), 3, 10},
                             Case{"PerReplicaWithinItsOwnMin", byDemand(100, 4, 10), decided(1, 10.0), 6, 4},
                             // 0.5 x 9 target replicas = 4.5: 5; 0.5 x 8 = 4 exactly, no rounding up.
                             Case{"RatioRoundsUp", byRatio(0.5), decided(9, 900.0), 2, 5},
                             Case{"RatioExact", byRatio(0.5), decided(8, 800.0), 2, 4},
                             // Blind: never below the current count; the last forecast may still raise it.
                             Case{"BlindHoldsTheCurrent", byDemand(100), decided(9, std::nullopt, true), 7, 7},
                             Case{"BlindRaisesOnTheLastForecast", byDemand(100), decided(9, 900.0, true), 7, 18},
                             Case{"BlindNeverLowers", byRatio(0.5), decided(2, std::nullopt, true), 6, 6}),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace tso::reconcile

#include "predictor/simulator.h"

#include <gtest/gtest.h>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

void expectPredictiveMissesFarLess(bool fleet) {
  SyntheticSpec spec;
  spec.step = 300;
  spec.days = 12;
  spec.base = 3000;
  spec.dailyAmplitude = 0.8;
  const Series s = synthesize(spec);
  SimulationConfig c;
  c.trainSeconds = 8 * kSecondsPerDay;
  c.tickSeconds = 60;
  c.fleet = fleet;
  auto r = simulate(s, c);
  ASSERT_TRUE(r) << r.error().toString();
  ASSERT_EQ(r->policies.size(), 3u);
  const auto& pred = r->policies[0];
  const auto& hpa = r->policies[1];
  const auto& oracle = r->policies[2];
  EXPECT_EQ(pred.name, "predictive");
  EXPECT_EQ(oracle.underprovisionedFraction, 0.0);
  EXPECT_DOUBLE_EQ(oracle.podSecondsRatio, 1.0);
  EXPECT_GT(hpa.underprovisionedFraction, 0.0);
  EXPECT_LT(pred.underprovisionedFraction, hpa.underprovisionedFraction / 5);
  EXPECT_LT(pred.podSecondsRatio, 1.35);
  EXPECT_GT(pred.requests, 0);
  EXPECT_NEAR(pred.requests, hpa.requests, 1e-6 * hpa.requests);
}

TEST(SimulatorTest, PredictiveMissesFarLessThanHpaAtSimilarCost) { expectPredictiveMissesFarLess(false); }

// The same with the fleet regression (a fleet of one) behind the predictive policy.
TEST(SimulatorTest, TheFleetRegressionMissesFarLessThanHpaToo) { expectPredictiveMissesFarLess(true); }

TEST(SimulatorTest, RecordsATimelineAndRejectsBadInput) {
  SyntheticSpec spec;
  spec.step = 1800;
  spec.days = 3;
  const Series s = synthesize(spec);
  SimulationConfig c;
  c.trainSeconds = kSecondsPerDay;
  c.recordTimeline = true;
  auto r = simulate(s, c);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->needed.size(), r->ready[0].size());
  EXPECT_EQ(r->needed.size(), static_cast<std::size_t>(2 * kSecondsPerDay / 15));
  c.peakReplicas = 0;
  EXPECT_EQ(simulate(s, c).error().code, ErrorCode::kInvalidArgument);
  c.peakReplicas = 50;
  c.trainSeconds = 10 * kSecondsPerDay;
  EXPECT_EQ(simulate(s, c).error().code, ErrorCode::kTooShort);
}

TEST(SimulatorTest, AllZeroTraceDoesNotDivideByZero) {
  Series s;
  s.step = 60;
  s.values.assign(3000, 0.0);
  SimulationConfig c;
  c.trainSeconds = 3600;
  auto r = simulate(s, c);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->notes.empty());
  for (const auto& p : r->policies) EXPECT_EQ(p.underprovisionedFraction, 0.0);
}

}  // namespace
}  // namespace tso::predictor

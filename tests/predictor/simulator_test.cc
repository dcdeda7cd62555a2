#include "predictor/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

Series diurnal(int flashCrowds = 0) {
  SyntheticSpec spec;
  spec.step = 300;
  spec.days = 12;
  spec.base = 3000;
  spec.dailyAmplitude = 0.8;
  spec.flashCrowds = flashCrowds;
  spec.flashMagnitude = 4;
  return synthesize(spec);
}

SimulationConfig swept() {
  SimulationConfig c;
  c.trainSeconds = 8 * kSecondsPerDay;
  c.tickSeconds = 60;
  c.hpaSweep = defaultHpaSweep();
  c.missBudgets = {0.002, 0.01};
  return c;
}

TEST(SimulatorTest, ThePredictivePolicyIsComparedWithTheHpaTunedToItsCost) {
  const Series s = diurnal();
  auto c = swept();
  c.scaleDownWindows = {300};
  auto r = simulate(s, c);
  ASSERT_TRUE(r) << r.error().toString();
  ASSERT_EQ(r->hpaSweep.size(), 5u * 29u);
  // The same policy holding its pods 300 s (the operator's default) pays for it.
  ASSERT_EQ(r->windowSweep.size(), 1u);
  EXPECT_EQ(r->windowSweep[0].scaleDownSeconds, 300);
  EXPECT_GT(r->windowSweep[0].podSeconds, r->policies[0].podSeconds);
  ASSERT_EQ(r->predictiveSweep.size(), 2u);
  EXPECT_DOUBLE_EQ(r->predictiveSweep[1].knob, 0.01);
  const auto& pred = r->policies[0];
  const auto& hpa = r->policies[1];
  // The HPA shown is the swept setting nearest the predictive policy's cost, not the default.
  EXPECT_NEAR(hpa.podSecondsRatio, pred.podSecondsRatio, 0.05);
  EXPECT_LT(hpa.knob, 1.0);
  // On a clean daily rhythm the forecast buys far fewer misses than any HPA setting at that cost.
  ASSERT_TRUE(r->equalCost.missRatio);
  ASSERT_TRUE(r->equalCost.costRatio);
  EXPECT_LT(*r->equalCost.missRatio, 0.5);
  EXPECT_LT(*r->equalCost.costRatio, 1.0);
  EXPECT_LT(pred.underprovisionedFraction, hpa.underprovisionedFraction);
}

TEST(SimulatorTest, OneForecastPassServesEveryReplay) {
  const Series s = diurnal();
  auto c = swept();
  auto lead = forecastLeadTimes(s, c);
  ASSERT_TRUE(lead) << lead.error().toString();
  auto once = simulate(s, c);
  auto again = simulate(s, c, *lead);
  ASSERT_TRUE(once && again);
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(once->policies[p].missedRequests, again->policies[p].missedRequests);
    EXPECT_EQ(once->policies[p].podSeconds, again->policies[p].podSeconds);
  }
  c.tickSeconds = 30;  // another timing: the lead forecasts no longer fit
  EXPECT_EQ(simulate(s, c, *lead).error().code, ErrorCode::kInvalidArgument);
}

TEST(SimulatorTest, AMissBudgetSetsTheHeadroomInsteadOfAQuantile) {
  SyntheticSpec spec;
  spec.step = 300;
  spec.days = 30;
  spec.base = 3000;
  spec.dailyAmplitude = 0.8;
  const Series s = synthesize(spec);
  auto c = swept();
  c.hpaSweep.clear();
  c.missBudgets.clear();
  auto lead = forecastLeadTimes(s, c);
  ASSERT_TRUE(lead);
  c.provisioning.missBudget = 0.001;
  auto tight = simulate(s, c, *lead);
  c.provisioning.missBudget = 0.004;
  auto loose = simulate(s, c, *lead);
  ASSERT_TRUE(tight && loose);
  // A looser budget buys fewer pods and spends more of it; each is spent to within a third
  // over the 22 evaluated days, starting from the P95's headroom.
  EXPECT_LT(loose->policies[0].podSeconds, tight->policies[0].podSeconds);
  EXPECT_NEAR(tight->policies[0].underprovisionedFraction, 0.001, 0.001 / 3);
  EXPECT_NEAR(loose->policies[0].underprovisionedFraction, 0.004, 0.004 / 3);
}

TEST(SimulatorTest, ABreakoutAboveTheBandRaisesTheStepsAheadAtOnce) {
  SyntheticSpec spec;
  spec.days = 9;
  spec.base = 1000;
  spec.dailyAmplitude = 0.3;
  Series s = synthesize(spec);
  // Eight ramps on the evaluated day: x1.4 a minute for six minutes, held two, then back.
  for (std::size_t r = 0; r < 8; ++r) {
    const std::size_t at = 8 * 1440 + 100 + r * 170;
    for (int k = 1; k <= 8; ++k) s.values[at + static_cast<std::size_t>(k)] *= std::pow(1.4, std::min(k, 6));
  }
  SimulationConfig c;
  c.trainSeconds = 8 * kSecondsPerDay;
  auto lead = forecastLeadTimes(s, c);
  ASSERT_TRUE(lead);
  c.provisioning.breakoutLevel = 0;
  auto off = simulate(s, c, *lead);
  c.provisioning.breakoutLevel = 0.9;
  auto on = simulate(s, c, *lead);
  ASSERT_TRUE(off && on);
  // The forecaster has only whole minutes; the breakout acts on the minute being observed.
  EXPECT_LT(on->policies[0].missedRequests, 0.99 * off->policies[0].missedRequests);
  EXPECT_GT(on->policies[0].podSeconds, off->policies[0].podSeconds);
  c.provisioning.breakoutLevel = 1.0;
  EXPECT_EQ(simulate(s, c, *lead).error().code, ErrorCode::kInvalidArgument);
}

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
  ASSERT_EQ(r->alive.size(), 3U);
  for (std::size_t p = 0; p < 3; ++p) {
    ASSERT_EQ(r->alive[p].size(), r->needed.size());
    // Warming pods are alive before they are ready: never fewer alive than ready.
    for (std::size_t i = 0; i < r->needed.size(); ++i) ASSERT_GE(r->alive[p][i], r->ready[p][i]) << p << " " << i;
  }
  EXPECT_GT(*std::max_element(r->alive[0].begin(), r->alive[0].end()), 0.0F);
  c.peakReplicas = 0;
  EXPECT_EQ(simulate(s, c).error().code, ErrorCode::kInvalidArgument);
  c.peakReplicas = 50;
  c.hpa = HpaSetting{1.5, 300};
  EXPECT_EQ(simulate(s, c).error().code, ErrorCode::kInvalidArgument);
  c.hpa.reset();
  c.provisioning.missBudget = 0;
  EXPECT_EQ(simulate(s, c).error().code, ErrorCode::kInvalidArgument);
  c.provisioning.missBudget.reset();
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

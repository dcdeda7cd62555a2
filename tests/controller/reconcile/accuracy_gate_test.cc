// The accuracy gate on hand-made scored forecasts: when it judges, against which baseline, when
// it degrades and when it recovers.
#include "controller/reconcile/accuracy_gate.h"

#include <gtest/gtest.h>

#include <vector>

namespace tso::reconcile {
namespace {

GuardSpec smallGuard() {
  GuardSpec g;
  g.windowSeconds = 3600;
  g.minScored = 10;
  return g;
}

// `count` forecasts one minute apart ending at `end`: actual 100, the provisioned P90 at
// `upper`, the naive baseline at `naive`.
void feed(AccuracyGate& gate, const GuardSpec& g, std::int64_t end, int count, double upper, double naive,
          std::optional<double> seasonal = std::nullopt) {
  for (int i = count - 1; i >= 0; --i) {
    ScoredForecast s;
    s.time = end - 60 * i;
    s.actual = 100;
    s.level = 0.9;
    s.upper = upper;
    s.p90 = upper;
    s.naive = naive;
    s.seasonal = seasonal;
    gate.add(s, g.windowSeconds);
  }
}

TEST(PinballLossTest, WeighsShortfallByTheLevelAndExcessByItsComplement) {
  struct Case {
    double level, actual, forecast, want;
  };
  for (const Case& c : std::vector<Case>{
           {0.9, 100, 90, 9.0}, {0.9, 100, 110, 1.0}, {0.5, 100, 90, 5.0}, {0.5, 100, 110, 5.0}, {0.99, 10, 10, 0.0}}) {
    EXPECT_NEAR(pinballLoss(c.level, c.actual, c.forecast), c.want, 1e-12)
        << c.level << " " << c.actual << " " << c.forecast;
  }
}

TEST(AccuracyGateTest, DoesNotJudgeBeforeMinScored) {
  const GuardSpec g = smallGuard();
  AccuracyGate gate;
  feed(gate, g, 10'000, 9, 200, 100.5);  // far worse than naive, but only 9 scored
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kNone);
  const GateReport r = gate.report(10'000, g);
  EXPECT_FALSE(r.judged);
  EXPECT_FALSE(r.degraded);
  EXPECT_EQ(r.scored, 9U);
}

TEST(AccuracyGateTest, DegradesWhenTheForecastLosesToNaiveAndRecoversOnlyPastTheMargin) {
  const GuardSpec g = smallGuard();
  AccuracyGate gate;
  // Loss 0.1 x 20 = 2 a point against naive's 0.1 x 1 = 0.1: skill 20.
  feed(gate, g, 10'000, 20, 120, 101);
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kDegraded);
  GateReport r = gate.report(10'000, g);
  ASSERT_TRUE(r.skill.has_value());
  EXPECT_NEAR(*r.skill, 20.0, 1e-9);
  EXPECT_EQ(r.baseline, "naive");
  EXPECT_TRUE(r.degraded);
  EXPECT_NE(gateMessage(r, g).find("20.00x the naive baseline's"), std::string::npos) << gateMessage(r, g);

  // A window later: skill 0.95, under maxSkill but not by the margin: still degraded.
  AccuracyGate edge;
  edge.restore(true);
  feed(edge, g, 20'000, 20, 100.95, 101);
  EXPECT_EQ(edge.evaluate(20'000, g), GateChange::kNone);
  EXPECT_TRUE(edge.degraded());
  // Skill 0.5: it wins clearly and recovers.
  AccuracyGate clear;
  clear.restore(true);
  feed(clear, g, 20'000, 20, 100.5, 101);
  EXPECT_EQ(clear.evaluate(20'000, g), GateChange::kRecovered);
  EXPECT_FALSE(clear.degraded());
}

TEST(AccuracyGateTest, DegradesWhenTheP90CoversTooFewActuals) {
  const GuardSpec g = smallGuard();
  AccuracyGate gate;
  // The forecast beats naive (99 against 80) but its P90 never covers the actual.
  feed(gate, g, 10'000, 20, 99, 80);
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kDegraded);
  const GateReport r = gate.report(10'000, g);
  EXPECT_DOUBLE_EQ(r.coverageP90, 0.0);
  ASSERT_TRUE(r.skill.has_value());
  EXPECT_LT(*r.skill, 1.0);
}

TEST(AccuracyGateTest, MinCoverageZeroJudgesSkillAloneBothWays) {
  GuardSpec g = smallGuard();
  g.minCoverage = 0;
  AccuracyGate gate;
  gate.restore(true);
  // It beats naive by far (loss 0.45 against 18) with a P90 that never covers: coverage is not
  // judged, so it recovers.
  feed(gate, g, 10'000, 20, 99.5, 80);
  ASSERT_DOUBLE_EQ(gate.report(10'000, g).coverageP90, 0.0);
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kRecovered);
}

TEST(AccuracyGateTest, TheSeasonalBaselineCountsOnlyWhereItWasThereAtEveryPoint) {
  const GuardSpec g = smallGuard();
  AccuracyGate both;
  feed(both, g, 10'000, 20, 102, 110, 100.5);  // seasonal (loss 0.45) beats naive (1.0)
  GateReport r = both.report(10'000, g);
  EXPECT_EQ(r.baseline, "seasonal_naive_peak");
  ASSERT_TRUE(r.skill.has_value());
  EXPECT_NEAR(*r.skill, 0.2 / 0.05, 1e-9);

  AccuracyGate partly;
  feed(partly, g, 10'000, 19, 102, 110, 100.5);
  feed(partly, g, 10'060, 1, 102, 110);  // one point without yesterday's peak
  r = partly.report(10'060, g);
  EXPECT_EQ(r.baseline, "naive");
}

TEST(AccuracyGateTest, ForgetsWhatLeftTheWindow) {
  const GuardSpec g = smallGuard();
  AccuracyGate gate;
  feed(gate, g, 10'000, 20, 200, 101);
  EXPECT_EQ(gate.report(10'000, g).scored, 20U);
  EXPECT_EQ(gate.report(10'000 + 2 * 3600, g).scored, 0U) << "two windows later nothing is left";
  feed(gate, g, 10'000 + 2 * 3600, 15, 100.5, 101);
  const GateReport r = gate.report(10'000 + 2 * 3600, g);
  EXPECT_EQ(r.scored, 15U);
  ASSERT_TRUE(r.skill.has_value());
  EXPECT_NEAR(*r.skill, 0.5, 1e-9);
}

TEST(AccuracyGateTest, DisabledNeverDegradesAndLetsADegradedServiceGo) {
  GuardSpec g = smallGuard();
  g.enabled = false;
  AccuracyGate gate;
  feed(gate, g, 10'000, 20, 200, 101);
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kNone);
  EXPECT_FALSE(gate.degraded());
  gate.restore(true);
  EXPECT_EQ(gate.evaluate(10'000, g), GateChange::kRecovered);
  EXPECT_FALSE(gate.degraded());
}

}  // namespace
}  // namespace tso::reconcile

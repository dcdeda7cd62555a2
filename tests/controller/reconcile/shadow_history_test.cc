// Shadow mode's account from history: the queries and ranges read, and the policy replayed over
// the window on the demand recorded against the replicas recorded.
#include "controller/reconcile/shadow_history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "predictor/synthetic.h"

namespace tso::reconcile {
namespace {

constexpr std::int64_t kStep = 60;
constexpr std::int64_t kDay = 86400;

ServiceSpec seasonalSpec() {
  ServiceSpec s;
  s.target = {"apps/v1", "Deployment", "web"};
  s.query = "sum(rate(requests_total[1m]))";
  s.stepSeconds = kStep;
  s.historySeconds = 2 * kDay;
  s.perReplica = 50;
  s.targetUtilization = 0.8;
  s.minReplicas = 1;
  s.maxReplicas = 40;
  s.leadTimeSeconds = 120;
  s.shadow.windowSeconds = kDay;
  return s;
}

// Three days of a daily rhythm, 300/s on average and 480/s at the daily peak, ending at `end`.
prom::RangeSeries seasonalDemand(std::int64_t end) {
  predictor::SyntheticSpec spec;
  spec.step = kStep;
  spec.days = 3;
  spec.start = end - 3 * kDay + kStep;
  spec.base = 300.0 * kStep;
  spec.weekendFactor = 1.0;
  const predictor::Series s = predictor::synthesize(spec);
  prom::RangeSeries out;
  for (std::size_t i = 0; i < s.size(); ++i)
    out.samples.push_back({static_cast<double>(s.timeAt(i)), s.values[i] / static_cast<double>(kStep)});
  return out;
}

prom::RangeSeries constantReplicas(std::int64_t from, std::int64_t to, double replicas) {
  prom::RangeSeries out;
  for (std::int64_t t = from; t <= to; t += kStep) out.samples.push_back({static_cast<double>(t), replicas});
  return out;
}

TEST(ShadowHistoryTest, TheReplicasQueryIsTheSpecsElseKubeStateMetricsForTheTargetKind) {
  ServiceSpec spec = seasonalSpec();
  EXPECT_EQ(readyReplicasQuery(spec, "shop"),
            "kube_deployment_status_replicas_available{namespace=\"shop\",deployment=\"web\"}");
  spec.target.kind = "StatefulSet";
  EXPECT_EQ(readyReplicasQuery(spec, "shop"),
            "kube_statefulset_status_replicas_ready{namespace=\"shop\",statefulset=\"web\"}");
  spec.shadow.replicasQuery = "my_ready{app=\"web\"}";
  EXPECT_EQ(readyReplicasQuery(spec, "shop"), "my_ready{app=\"web\"}");
}

TEST(ShadowHistoryTest, RangesEndOnTheStepGridAndReachBackTheHistoryBeforeTheWindow) {
  const HistoryRanges r = historyRanges(seasonalSpec(), 1'800'000'045);
  EXPECT_EQ(r.to, 1'800'000'000);
  EXPECT_EQ(r.replicasFrom, 1'800'000'000 - kDay);
  EXPECT_EQ(r.demandFrom, 1'800'000'000 - 3 * kDay);
}

TEST(ShadowHistoryTest, AFixedSizeThatMissesTheDailyPeakIsAccountedOverTheWholeWindowAndLosesToThePolicy) {
  const ServiceSpec spec = seasonalSpec();
  const std::int64_t now = 1'800'000'000;
  // What ran: 9 replicas all day (450/s), under the 480/s peak and idle at night.
  const ShadowSeed seed = shadowSeedOf(spec, seasonalDemand(now), constantReplicas(now - kDay, now, 9), 120, now);
  ASSERT_FALSE(seed.steps.empty()) << seed.note;
  EXPECT_TRUE(seed.note.empty()) << seed.note;
  EXPECT_GE(seed.seconds, kDay - 2 * kStep);
  EXPECT_GT(seed.steps.front().now, now - kDay);
  EXPECT_LT(seed.steps.back().now, now);
  int fewest = 1000;
  int most = 0;
  for (std::size_t i = 0; i < seed.steps.size(); ++i) {
    const ShadowStep& s = seed.steps[i];
    if (i > 0) {
      ASSERT_GT(s.now, seed.steps[i - 1].now);
    }
    EXPECT_EQ(s.ranReady, 9);
    EXPECT_EQ(s.perReplica, 50);
    fewest = std::min(fewest, s.predictive);
    most = std::max(most, s.predictive);
  }
  EXPECT_LT(fewest, 9) << "the policy follows the rhythm down at night";
  EXPECT_GE(most, 10) << "and up to the peak";

  ShadowLedger ledger;
  for (const ShadowStep& s : seed.steps) ledger.record(s, spec.shadow.windowSeconds);
  const ShadowReport r = ledger.report(now, spec.shadow.windowSeconds);
  EXPECT_GT(r.sums.actual.missedRequests, 0);
  EXPECT_LE(r.sums.predictive.missedRequests, kPromoteMissShare * r.sums.actual.missedRequests);
  EXPECT_LE(r.sums.predictive.podSeconds, kPromoteCostRatio * r.sums.actual.podSeconds);
  EXPECT_TRUE(r.qualifies);
}

TEST(ShadowHistoryTest, WhatHistoryLacksIsANoteAndNoStepsOrFewer) {
  const ServiceSpec spec = seasonalSpec();
  const std::int64_t now = 1'800'000'000;
  const prom::RangeSeries demand = seasonalDemand(now);

  const ShadowSeed noReplicas = shadowSeedOf(spec, demand, {}, 120, now);
  EXPECT_TRUE(noReplicas.steps.empty());
  EXPECT_EQ(noReplicas.note, "no history of the replicas that ran");

  const ShadowSeed noDemand = shadowSeedOf(spec, {}, constantReplicas(now - kDay, now, 9), 120, now);
  EXPECT_TRUE(noDemand.steps.empty());
  EXPECT_EQ(noDemand.note, "no history of the demand");

  // Six hours of demand cannot train the policy on the day it asks for.
  prom::RangeSeries recent;
  for (const auto& s : demand.samples)
    if (s.time > static_cast<double>(now - 6 * 3600)) recent.samples.push_back(s);
  const ShadowSeed tooShort = shadowSeedOf(spec, recent, constantReplicas(now - kDay, now, 9), 120, now);
  EXPECT_TRUE(tooShort.steps.empty());
  EXPECT_NE(tooShort.note.find("(6h) is too short"), std::string::npos) << tooShort.note;

  // Replicas recorded for the last 6 hours only: those 6 hours are accounted, and said so.
  const ShadowSeed part = shadowSeedOf(spec, demand, constantReplicas(now - 6 * 3600, now, 9), 120, now);
  EXPECT_NEAR(static_cast<double>(part.seconds), 6 * 3600, 120);
  EXPECT_NE(part.note.find("of the 1d window"), std::string::npos) << part.note;
}

}  // namespace
}  // namespace tso::reconcile

// Shadow mode's account: the predictive policy's pods come up a lead time after it asks and go
// at once; misses and pod-seconds of both policies over a rolling window; the promotion rule
// (a fifth of the misses at no more than 1.25x the pod-seconds over a whole window); and the
// mode in force.
#include "controller/reconcile/shadow.h"

#include <gtest/gtest.h>

#include <vector>

#include "controller/reconcile/spec.h"

namespace tso::reconcile {
namespace {

constexpr std::int64_t kT0 = 1'000'000'020;  // on a 60 s grid, so slices start where expected
constexpr std::int64_t kWindow = 3600;

ShadowStep stepAt(std::int64_t now, double demand, int predictive, int ranReady, int ranTotal) {
  return {now,
          demand,
          predictive,
          ranReady,
          ranTotal,
          /*perReplica=*/100,
          /*leadSeconds=*/120,
          /*maxStepSeconds=*/180};
}

TEST(ShadowLedgerTest, PodsAddedComeUpALeadTimeLaterAndPodsRemovedGoAtOnce) {
  ShadowLedger l;
  l.record(stepAt(kT0, 100, 2, 2, 2), kWindow);
  l.record(stepAt(kT0 + 60, 100, 8, 2, 2), kWindow);  // asks for 6 more
  l.record(stepAt(kT0 + 120, 100, 8, 2, 2), kWindow);
  EXPECT_EQ(l.predictiveReady(kT0 + 120, 120), 2) << "asked at +60, ready at +180";
  l.record(stepAt(kT0 + 180, 100, 8, 2, 2), kWindow);
  EXPECT_EQ(l.predictiveReady(kT0 + 180, 120), 8);
  l.record(stepAt(kT0 + 240, 100, 3, 2, 2), kWindow);  // and drops to 3
  EXPECT_EQ(l.predictiveReady(kT0 + 240, 120), 3) << "removed at once";
}

TEST(ShadowLedgerTest, ItStartsFromWhatRan) {
  ShadowLedger l;
  l.record(stepAt(kT0, 100, 9, 4, 4), kWindow);
  EXPECT_EQ(l.predictiveReady(kT0, 120), 4) << "the 5 more it asks for are still warming";
  EXPECT_EQ(l.predictiveReady(kT0 + 120, 120), 9);
}

TEST(ShadowLedgerTest, AccountsMissesAndPodSecondsOfBothPolicies) {
  ShadowLedger l;
  // Demand 750/s; what ran: 5 ready of 6 (500/s); the predictive policy asks 8 from the start.
  for (int i = 0; i <= 10; ++i) l.record(stepAt(kT0 + 60 * i, 750, 8, 5, 6), kWindow);
  const ShadowReport r = l.report(kT0 + 600, kWindow);
  EXPECT_DOUBLE_EQ(r.sums.coveredSeconds, 600);
  EXPECT_DOUBLE_EQ(r.sums.requests, 750.0 * 600);
  EXPECT_DOUBLE_EQ(r.sums.actual.missedRequests, 250.0 * 600);
  EXPECT_DOUBLE_EQ(r.sums.actual.podSeconds, 6.0 * 600);
  // Warming for the first 120 s: 5 ready (from what ran) at +60, 8 from +120 on.
  EXPECT_DOUBLE_EQ(r.sums.predictive.missedRequests, 250.0 * 60);
  EXPECT_DOUBLE_EQ(r.sums.predictive.podSeconds, 8.0 * 600);
}

TEST(ShadowLedgerTest, AGapLongerThanThreeStepsIsNotCounted) {
  ShadowLedger l;
  l.record(stepAt(kT0, 100, 1, 1, 1), kWindow);
  l.record(stepAt(kT0 + 600, 100, 1, 1, 1), kWindow);
  l.record(stepAt(kT0 + 660, 100, 1, 1, 1), kWindow);
  EXPECT_DOUBLE_EQ(l.report(kT0 + 660, kWindow).sums.coveredSeconds, 60);
}

TEST(ShadowLedgerTest, OldSlicesLeaveTheWindow) {
  ShadowLedger l;
  for (int i = 0; i <= 60; ++i) l.record(stepAt(kT0 + 60 * i, 100, 1, 1, 1), kWindow);
  const double full = l.report(kT0 + 3600, kWindow).sums.coveredSeconds;
  EXPECT_GE(full, 3300);
  EXPECT_LT(l.report(kT0 + 3600 + 1800, kWindow).sums.coveredSeconds, full / 2 + 300);
  EXPECT_DOUBLE_EQ(l.report(kT0 + 3 * 3600, kWindow).sums.coveredSeconds, 0);
}

struct PromotionCase {
  const char* name;
  int predictive;  // replicas the policy asks for, all along
  int ranReady;    // ready replicas that ran (one more total)
  int minutes;     // accounted
  bool wantQualifies;
};

class ShadowPromotionTest : public ::testing::TestWithParam<PromotionCase> {};

TEST_P(ShadowPromotionTest, AFifthOfTheMissesAtNoMoreThanAQuarterMoreCostOverAWholeWindow) {
  const auto& c = GetParam();
  ShadowLedger l;
  // Demand 700/s against 100/s a replica.
  for (int i = 0; i <= c.minutes; ++i)
    l.record(stepAt(kT0 + 60 * i, 700, c.predictive, c.ranReady, c.ranReady + 1), kWindow);
  EXPECT_EQ(l.report(kT0 + 60 * c.minutes, kWindow).qualifies, c.wantQualifies);
}

INSTANTIATE_TEST_SUITE_P(Cases, ShadowPromotionTest,
                         ::testing::Values(
                             // 7 ready of 8 miss nothing after the warm-up against what ran's 600 short of 700.
                             PromotionCase{"MissesLessAtTheSameCost", 7, 6, 60, true},
                             PromotionCase{"NotAWholeWindowYet", 7, 6, 50, false},
                             // 10 pods against 6+1: 1.43x the pod-seconds.
                             PromotionCase{"MissesLessButCostsTooMuch", 10, 6, 60, false},
                             // Both short by 100/s: no fifth of the misses.
                             PromotionCase{"MissesAsMuch", 6, 6, 60, false},
                             // What ran misses nothing and neither does the policy (after its warm-up, negligible).
                             PromotionCase{"BothMissNothing", 7, 7, 60, true}),
                         [](const ::testing::TestParamInfo<PromotionCase>& p) { return std::string(p.param.name); });

struct ModeCase {
  Mode spec;
  bool promoted;
  bool degraded;
  bool toShadow;
  Mode want;
};

class ModeInForceTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(ModeInForceTest, FollowsSpecPromotionAndTheGate) {
  const auto& c = GetParam();
  EXPECT_EQ(modeInForce(c.spec, c.promoted, c.degraded, c.toShadow), c.want);
}

INSTANTIATE_TEST_SUITE_P(Cases, ModeInForceTest,
                         ::testing::Values(ModeCase{Mode::kShadow, false, false, false, Mode::kShadow},
                                           ModeCase{Mode::kShadow, true, false, false, Mode::kAuto},
                                           ModeCase{Mode::kAuto, false, true, false, Mode::kAuto},
                                           ModeCase{Mode::kAuto, false, true, true, Mode::kShadow},
                                           ModeCase{Mode::kShadow, true, true, true, Mode::kShadow},
                                           ModeCase{Mode::kForecastOnly, true, true, true, Mode::kForecastOnly}));

TEST(ShadowMessageTest, NamesBothPoliciesFigures) {
  ShadowReport r;
  r.sums = {700000, 3600, {120, 30000}, {9000, 25000}};
  const auto m = promotionMessage(r);
  EXPECT_NE(m.find("missed 120 of 700000"), std::string::npos) << m;
  EXPECT_NE(m.find("what ran missed 9000"), std::string::npos) << m;
  EXPECT_NE(m.find("30000 pod-seconds against 25000"), std::string::npos) << m;
}

}  // namespace
}  // namespace tso::reconcile

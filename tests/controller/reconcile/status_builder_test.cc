#include "controller/reconcile/status_builder.h"

#include <gtest/gtest.h>

#include <ostream>

#include "controller/reconcile/status.h"

namespace tso::reconcile {
namespace {

using nlohmann::json;

std::string reasonOf(const json& status, const std::string& type) {
  const json* c = findCondition(status["conditions"], type);
  return c ? c->value("reason", std::string()) : std::string("<none>");
}

struct Fixture {
  ServiceSpec spec;
  Decision decision;
  StatusInput in;
  StatusFrame frame{json::object(), 3, "2025-01-01T00:00:00Z"};
  Fixture() {
    decision.desired = 4;
    decision.reactive = 2;
    decision.predicted = 4;
    decision.winner = "predicted";
    decision.explanation = "the P90 peak asks for 4";
    in.spec = &spec;
    in.decision = &decision;
    in.currentReplicas = 2;
    in.prometheus.address = "http://127.0.0.1:9090";
    in.forecast = {std::nullopt, true, true, 30, "model x fitted on 100 samples", {}, "x"};
  }
};

struct ConditionCase {
  std::string name;
  std::function<void(Fixture&)> setup;
  std::string type;
  std::string reason;
};
std::ostream& operator<<(std::ostream& o, const ConditionCase& c) { return o << c.name; }

class StatusConditionTest : public ::testing::TestWithParam<ConditionCase> {};

TEST_P(StatusConditionTest, Reason) {
  Fixture f;
  GetParam().setup(f);
  const json status = buildStatus(f.frame, f.in);
  EXPECT_EQ(reasonOf(status, GetParam().type), GetParam().reason) << status.dump(2);
  EXPECT_EQ(status["observedGeneration"], 3);
  EXPECT_EQ(reasonOf(status, "InvalidSpec"), "Valid");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StatusConditionTest,
    ::testing::Values(
        ConditionCase{"Fitted", [](Fixture&) {}, "ForecastReady", "ModelFitted"},
        ConditionCase{"Reconciled", [](Fixture&) {}, "Ready", "Reconciled"},
        ConditionCase{"ForecastOnly",
                      [](Fixture& f) {
                        f.spec.mode = Mode::kForecastOnly;
                        f.in.inForce = Mode::kForecastOnly;
                      },
                      "Ready", "ForecastOnly"},
        ConditionCase{"Shadow",
                      [](Fixture& f) {
                        f.spec.mode = Mode::kShadow;
                        f.in.inForce = Mode::kShadow;
                      },
                      "Ready", "Shadow"},
        ConditionCase{"PromotedShadowRunsAsAuto",
                      [](Fixture& f) {
                        f.spec.mode = Mode::kShadow;
                        f.in.inForce = Mode::kAuto;
                      },
                      "Ready", "Reconciled"},
        ConditionCase{"NoModel", [](Fixture& f) { f.in.forecast.hasModel = false; }, "ForecastReady", "NoHistory"},
        ConditionCase{"WarmingUp", [](Fixture& f) { f.in.forecast.usable = false; }, "ForecastReady", "WarmingUp"},
        ConditionCase{"Aside", [](Fixture& f) { f.in.forecast.modelsAside = {"holt"}; }, "ForecastReady",
                      "ModelSetAside"},
        ConditionCase{"QueryProblem",
                      [](Fixture& f) { f.in.forecast.queryProblem = Error{ErrorCode::kMultipleSeries, "two", 0}; },
                      "ForecastReady", "MultipleSeries"},
        ConditionCase{"Unavailable",
                      [](Fixture& f) { f.in.prometheus = {false, "PrometheusUnreachable", "refused", "a"}; },
                      "PrometheusAvailable", "PrometheusUnreachable"},
        ConditionCase{"Available", [](Fixture&) {}, "PrometheusAvailable", "QueryOK"},
        ConditionCase{"ActionFailed",
                      [](Fixture& f) {
                        f.in.actionError = Error{ErrorCode::kConflict, "scaling web: conflict", 0};
                        f.decision.fallback = true;
                        f.decision.fallbackReason = "DataStale";
                      },
                      "Ready", "ActionFailed"},
        ConditionCase{"Fallback",
                      [](Fixture& f) {
                        f.decision.fallback = true;
                        f.decision.fallbackReason = "DataStale";
                      },
                      "Ready", "DataStale"},
        ConditionCase{"Limited",
                      [](Fixture& f) {
                        f.decision.scalingLimited = true;
                        f.decision.limitedReason = "TooManyReplicas";
                      },
                      "ScalingLimited", "TooManyReplicas"}),
    [](const auto& p) { return p.param.name; });

TEST(StatusBuilderTest, ReportsTheDecisionAndDeletesWhatNoLongerApplies) {
  Fixture f;
  f.frame.previous = {{"cache", {{"desiredBytes", 5}}}, {"accuracy", {{"wape", 0.1}}}};
  f.in.demand = 150;
  f.in.leadSeconds = 90;
  const json s = buildStatus(f.frame, f.in);
  EXPECT_EQ(s["desiredReplicas"], 4);
  EXPECT_EQ(s["currentReplicas"], 2);
  EXPECT_EQ(s["leadTimeSeconds"], 90);
  EXPECT_EQ(s["currentDemand"], 150.0);
  EXPECT_EQ(s["recommendation"]["predicted"], 4);
  EXPECT_EQ(s["recommendation"]["winner"], "predicted");
  EXPECT_TRUE(s["cache"].is_null()) << "a merge patch deletes a field only when it is null";
  EXPECT_TRUE(s["accuracy"].is_null()) << "no scored window any more";
}

TEST(StatusBuilderTest, AccuracyOnlyOnceEnoughForecastsWereScored) {
  Fixture f;
  f.in.accuracy = Accuracy{0.2, 0.9, kMinScoredForAccuracy - 1, 540};
  EXPECT_TRUE(buildStatus(f.frame, f.in)["accuracy"].is_null()) << "null: the merge patch removes it";
  f.in.accuracy->scored = kMinScoredForAccuracy;
  const json s = buildStatus(f.frame, f.in);
  EXPECT_DOUBLE_EQ(s["accuracy"]["coverage"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(s["accuracy"]["windowSeconds"].get<double>(), 540);
}

TEST(StatusBuilderTest, ShadowAccountSaysHowMuchOfTheWindowCameFromHistory) {
  Fixture f;
  ShadowReport r;
  r.windowSeconds = 86400;
  r.sums.coveredSeconds = 86000;
  r.historySeconds = 85000;
  f.in.shadow = r;
  json s = buildStatus(f.frame, f.in);
  EXPECT_EQ(s["shadow"]["historySeconds"], 85000);
  EXPECT_TRUE(s["shadow"]["historyNote"].is_null()) << "null: the merge patch removes an old note";
  f.in.shadow->historyNote = "no history of the demand";
  s = buildStatus(f.frame, f.in);
  EXPECT_EQ(s["shadow"]["historyNote"], "no history of the demand");
}

TEST(StatusBuilderTest, ABacklogShowsBesideTheArrivals) {
  Fixture f;
  f.spec.backlog = BacklogSpec{"sum(queue_depth)", 60};
  f.in.demand = 300;
  f.decision.backlog = 6000;
  f.decision.backlogRate = 100;
  json s = buildStatus(f.frame, f.in);
  EXPECT_EQ(s["currentDemand"], 300.0);
  EXPECT_EQ(s["backlog"], json::parse(R"({"messages": 6000.0, "drainWithinSeconds": 60, "drainRate": 100.0})"));
  f.decision.backlog.reset();  // blind: the backlog is unknown
  s = buildStatus(f.frame, f.in);
  EXPECT_TRUE(s["backlog"].is_null());
}

TEST(StatusBuilderTest, DependentsShowTheirReplicasOrWhyNot) {
  Fixture f;
  const std::vector<DependentOutcome> deps = {
      {{"apps/v1", "Deployment", "payment"}, 3, 5, ""},
      {{"apps/v1", "StatefulSet", "inventory"}, std::nullopt, 0, "StatefulSet inventory: not found"}};
  f.in.dependents = &deps;
  const json s = buildStatus(f.frame, f.in);
  EXPECT_EQ(s["dependents"], json::parse(R"([
      {"kind": "Deployment", "name": "payment", "currentReplicas": 3, "desiredReplicas": 5},
      {"kind": "StatefulSet", "name": "inventory", "desiredReplicas": 0,
       "problem": "StatefulSet inventory: not found"}])"));
}

// The cache keeps little of the previous status, so an absent field is written as null (the
// merge patch removes it) whether or not the previous status had it.
TEST(StatusBuilderTest, FieldsThatMayBeAbsentAreNulledEvenWhenThePreviousStatusLacksThem) {
  Fixture f;
  f.spec.guard.enabled = false;
  const json s = buildStatus(f.frame, f.in);
  for (const char* field : {"accuracy", "lastForecastUntil", "guard", "cache", "missBudget", "headroomByHour", "shadow",
                            "backlog", "dependents"}) {
    ASSERT_TRUE(s.contains(field)) << field;
    EXPECT_TRUE(s[field].is_null()) << field;
  }
}

TEST(StatusBuilderTest, NoPredictedReplicasWhileTheForecastDoesNotDrive) {
  Fixture f;
  f.in.forecast.usable = false;
  EXPECT_TRUE(buildStatus(f.frame, f.in)["recommendation"]["predicted"].is_null());
}

TEST(StatusBuilderTest, ConditionTransitionTimesMoveOnlyOnFlips) {
  Fixture f;
  const json first = buildStatus(f.frame, f.in);
  f.frame.previous = first;
  f.frame.nowText = "2025-01-01T00:05:00Z";
  const json same = buildStatus(f.frame, f.in);
  EXPECT_EQ((*findCondition(same["conditions"], "Ready"))["lastTransitionTime"], "2025-01-01T00:00:00Z");
  f.in.actionError = Error{ErrorCode::kTransient, "boom", 0};
  const json flipped = buildStatus(f.frame, f.in);
  EXPECT_EQ((*findCondition(flipped["conditions"], "Ready"))["lastTransitionTime"], "2025-01-01T00:05:00Z");
}

TEST(StatusBuilderTest, InvalidPausedAndMissingTarget) {
  const StatusFrame frame{json::object(), 2, "2025-01-01T00:00:00Z"};
  const json invalid = invalidSpecStatus(frame, "spec.replicas.min: above max");
  EXPECT_EQ(reasonOf(invalid, "InvalidSpec"), "InvalidSpec");
  EXPECT_EQ((*findCondition(invalid["conditions"], "Ready"))["message"], "spec.replicas.min: above max");
  EXPECT_EQ(reasonOf(pausedStatus(frame), "Ready"), "Paused");
  ServiceSpec spec;
  spec.target.name = "web";
  const json missing = targetMissingStatus(frame, spec, "ns");
  EXPECT_EQ(reasonOf(missing, "Ready"), "TargetNotFound");
  EXPECT_EQ((*findCondition(missing["conditions"], "Ready"))["message"], "Deployment ns/web does not exist");
}

}  // namespace
}  // namespace tso::reconcile

#include "controller/reconcile/spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tso::reconcile {
namespace {

using nlohmann::json;

json minimal() {
  return json::parse(R"J({
    "targetRef": {"kind": "Deployment", "name": "web"},
    "demand": {"query": "sum(rate(x[1m]))"},
    "capacity": {"perReplica": 100},
    "replicas": {"min": 2, "max": 50}})J");
}

TEST(SpecTest, MinimalSpecGetsDefaults) {
  auto s = parseSpec(minimal());
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->target.name, "web");
  EXPECT_EQ(s->mode, Mode::kAuto);
  EXPECT_EQ(s->stepSeconds, 30);
  EXPECT_EQ(s->historySeconds, 7 * 86400);
  EXPECT_DOUBLE_EQ(s->targetUtilization, 0.8);
  EXPECT_EQ(s->minReplicas, 2);
  EXPECT_EQ(s->maxReplicas, 50);
  EXPECT_DOUBLE_EQ(s->quantile, 0.9);
  EXPECT_FALSE(s->leadTimeSeconds.has_value());
  EXPECT_EQ(s->fallback, FallbackBehavior::kHoldCurrent);
  EXPECT_EQ(s->staleAfterSeconds, 300);
  EXPECT_FALSE(s->cache.has_value());
  EXPECT_FALSE(s->hpaEnabled);
  // Scale-down keeps HPA v2's default window; scale-up is not rate limited by default.
  EXPECT_EQ(s->behavior.scaleDown.stabilizationSeconds, 300);
  EXPECT_FALSE(s->scaleDownWindowSet);  // plannerConfigOf chooses: none while a forecast drives
  EXPECT_TRUE(s->behavior.scaleUp.policies.empty());
}

TEST(SpecTest, FullSpecDecodes) {
  auto j = minimal();
  j["mode"] = "ForecastOnly";
  j["demand"]["step"] = "1m";
  j["demand"]["history"] = "2w";
  j["demand"]["prometheus"] = {{"address", "http://127.0.0.1:9090"}, {"timeout", "2s"}};
  j["forecast"] = {{"quantile", 0.95}, {"leadTime", "3m"}};
  j["events"] = json::parse(R"([{"name":"sale","schedule":"0 20 * * 5","duration":"30m","multiplier":3},
                                {"name":"launch","start":"2026-12-01T09:00:00Z","duration":"2h","multiplier":5}])");
  j["behavior"] = json::parse(
      R"({"scaleDown":{"stabilizationWindowSeconds":600,"policies":[{"type":"Pods","value":2,"periodSeconds":60}]}})");
  j["hpa"] = json::parse(R"({"enabled":true,"metrics":[{"type":"Resource"}]})");
  j["cache"] = json::parse(
      R"({"configMapRef":{"name":"c","key":"maxmemory"},"bytesPerDemandUnit":1048576,"min":"64Mi","max":"4Gi"})");
  j["fallback"] = json::parse(R"({"staleAfter":"10m","behavior":"Static","replicas":6})");
  auto s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->mode, Mode::kForecastOnly);
  EXPECT_EQ(s->stepSeconds, 60);
  EXPECT_EQ(s->historySeconds, 14 * 86400);
  EXPECT_EQ(s->prometheusAddress, "http://127.0.0.1:9090");
  EXPECT_EQ(s->queryTimeoutMs, 2000);
  EXPECT_EQ(s->leadTimeSeconds.value(), 180);
  ASSERT_EQ(s->events.size(), 2U);
  EXPECT_TRUE(s->events[0].schedule.has_value());
  EXPECT_EQ(s->events[1].start.value(), 1'796'115'600);
  EXPECT_EQ(s->events[1].durationSeconds, 7200);
  EXPECT_EQ(s->behavior.scaleDown.stabilizationSeconds, 600);
  EXPECT_TRUE(s->scaleDownWindowSet);
  ASSERT_EQ(s->behavior.scaleDown.policies.size(), 1U);
  EXPECT_EQ(s->behavior.scaleDown.policies[0].type, predictor::ScalingPolicy::Type::kPods);
  EXPECT_TRUE(s->hpaEnabled);
  EXPECT_EQ(s->hpaMetricsJson, R"([{"type":"Resource"}])");
  ASSERT_TRUE(s->cache.has_value());
  EXPECT_EQ(s->cache->minBytes, 64LL << 20);
  EXPECT_EQ(s->cache->maxBytes.value(), 4LL << 30);
  EXPECT_EQ(s->fallback, FallbackBehavior::kStatic);
  EXPECT_EQ(s->fallbackReplicas, 6);
  EXPECT_EQ(s->staleAfterSeconds, 600);
}

struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;
  const char* expect;
};

TEST(SpecTest, MissBudgetIsAPercentageOfDemand) {
  json j = minimal();
  EXPECT_FALSE(parseSpec(j)->missBudget.has_value());
  j["forecast"] = {{"missBudget", "0.5%"}};
  auto s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_DOUBLE_EQ(*s->missBudget, 0.005);
  j["forecast"] = {{"missBudget", "2%"}};
  EXPECT_DOUBLE_EQ(*parseSpec(j)->missBudget, 0.02);
  EXPECT_FALSE(parseSpec(j)->headroomByTimeOfDay);
  j["forecast"]["headroomByTimeOfDay"] = true;
  EXPECT_TRUE(parseSpec(j)->headroomByTimeOfDay);
  EXPECT_DOUBLE_EQ(parseSpec(j)->breakoutQuantile, 0.9);
  j["forecast"]["breakoutQuantile"] = 0;
  EXPECT_DOUBLE_EQ(parseSpec(j)->breakoutQuantile, 0.0);
}

TEST(SpecTest, TheGuardHasDefaultsUsersNeedNotSet) {
  json j = minimal();
  const GuardSpec g = parseSpec(j)->guard;
  EXPECT_TRUE(g.enabled);
  EXPECT_EQ(g.windowSeconds, 86400);
  EXPECT_EQ(g.minScored, 100U);
  EXPECT_DOUBLE_EQ(g.maxSkill, 1.0);
  EXPECT_DOUBLE_EQ(g.minCoverage, 0.8);
  j["forecast"]["guard"] = {
      {"enabled", false}, {"window", "6h"}, {"minScored", 20}, {"maxSkill", 1.2}, {"minCoverage", 0.7}};
  const GuardSpec set = parseSpec(j)->guard;
  EXPECT_FALSE(set.enabled);
  EXPECT_EQ(set.windowSeconds, 6 * 3600);
  EXPECT_EQ(set.minScored, 20U);
  EXPECT_DOUBLE_EQ(set.maxSkill, 1.2);
  EXPECT_DOUBLE_EQ(set.minCoverage, 0.7);
  EXPECT_FALSE(set.onDegradedShadow);
  j["forecast"]["guard"]["onDegraded"] = "Shadow";
  EXPECT_TRUE(parseSpec(j)->guard.onDegradedShadow);
}

TEST(SpecTest, ShadowModeReportsByDefaultAndPromotesWhenAsked) {
  json j = minimal();
  j["mode"] = "Shadow";
  auto s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->mode, Mode::kShadow);
  EXPECT_EQ(s->shadow.windowSeconds, 86400);
  EXPECT_FALSE(s->shadow.autoPromote);
  j["shadow"] = {{"window", "6h"}, {"promotion", "Auto"}};
  s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->shadow.windowSeconds, 6 * 3600);
  EXPECT_TRUE(s->shadow.autoPromote);
  EXPECT_EQ(s->shadow.replicasQuery, "") << "kube-state-metrics' series by default";
  j["shadow"]["replicasQuery"] = "sum(up{job=\"web\"})";
  s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->shadow.replicasQuery, "sum(up{job=\"web\"})");
  EXPECT_FALSE(s->backlog.has_value());
  j["demand"]["backlog"] = {{"query", "sum(queue_depth)"}, {"drainWithin", "2m"}};
  s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_TRUE(s->backlog.has_value());
  EXPECT_EQ(s->backlog->query, "sum(queue_depth)");
  EXPECT_EQ(s->backlog->drainSeconds, 120);
  EXPECT_TRUE(s->dependents.empty());
  j["dependents"] = json::parse(R"([{"name": "payment", "perReplica": 400, "replicas": {"min": 2, "max": 30}},
                                    {"kind": "StatefulSet", "name": "inventory", "ratio": 0.5,
                                     "targetUtilization": 0.6, "replicas": {"max": 10}}])");
  s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->dependents.size(), 2U);
  EXPECT_EQ(s->dependents[0].target.kind, "Deployment");
  EXPECT_EQ(s->dependents[0].perReplica, 400);
  EXPECT_FALSE(s->dependents[0].ratio.has_value());
  EXPECT_DOUBLE_EQ(s->dependents[0].targetUtilization, 0.8) << "the service's capacity.targetUtilization";
  EXPECT_EQ(s->dependents[0].minReplicas, 2);
  EXPECT_EQ(s->dependents[1].target.kind, "StatefulSet");
  EXPECT_EQ(s->dependents[1].ratio, 0.5);
  EXPECT_DOUBLE_EQ(s->dependents[1].targetUtilization, 0.6);
  EXPECT_EQ(s->dependents[1].minReplicas, 1);
  EXPECT_EQ(s->dependents[1].maxReplicas, 10);
}

TEST(SpecTest, InvalidSpecsNameTheField) {
  const std::vector<BadCase> cases = {
      {"no target", [](json& j) { j.erase("targetRef"); }, "spec.targetRef: is required"},
      {"kind", [](json& j) { j["targetRef"]["kind"] = "Job"; }, "spec.targetRef.kind"},
      // The resource is chosen by kind within apps/v1 (36-unsupported-target-api-version.yaml).
      {"apiVersion", [](json& j) { j["targetRef"]["apiVersion"] = "apps/v2"; },
       "spec.targetRef.apiVersion: \"apps/v2\" is not supported (only apps/v1)"},
      {"apiVersion group", [](json& j) { j["targetRef"]["apiVersion"] = "argoproj.io/v1alpha1"; },
       "spec.targetRef.apiVersion"},
      {"mode", [](json& j) { j["mode"] = "Turbo"; }, "spec.mode"},
      {"query type", [](json& j) { j["demand"]["query"] = 5; }, "spec.demand.query: must be a string"},
      {"step", [](json& j) { j["demand"]["step"] = "soon"; }, "spec.demand.step"},
      {"short history", [](json& j) { j["demand"]["history"] = "2m"; },
       "spec.demand.history: must cover at least 10 steps"},
      // 47- to 49-backlog-*.yaml: the schema rejects these too.
      {"backlog object", [](json& j) { j["demand"]["backlog"] = "q"; }, "spec.demand.backlog: must be an object"},
      {"backlog query", [](json& j) { j["demand"]["backlog"] = {{"drainWithin", "1m"}}; },
       "spec.demand.backlog.query: is required"},
      {"backlog drain", [](json& j) { j["demand"]["backlog"] = {{"query", "q"}}; },
       "spec.demand.backlog.drainWithin: is required"},
      {"backlog drain short", [](json& j) { j["demand"]["backlog"] = {{"query", "q"}, {"drainWithin", "10ms"}}; },
       "spec.demand.backlog.drainWithin: \"10ms\" is too short"},
      // 50- to 52-dependent-*.yaml: the schema rejects the first three too.
      {"dependent both",
       [](json& j) {
         j["dependents"] = json::parse(R"([{"name":"p","perReplica":1,"ratio":1,"replicas":{"max":2}}])");
       },
       "spec.dependents[0]: exactly one of perReplica and ratio must be set"},
      {"dependent is target",
       [](json& j) { j["dependents"] = json::parse(R"([{"name":"web","ratio":1,"replicas":{"max":2}}])"); },
       "spec.dependents[0].name: is the target itself"},
      {"dependent bounds",
       [](json& j) { j["dependents"] = json::parse(R"([{"name":"p","ratio":1,"replicas":{"min":3,"max":2}}])"); },
       "spec.dependents[0].replicas.min"},
      {"dependent twice",
       [](json& j) {
         j["dependents"] = json::parse(
             R"([{"name":"p","ratio":1,"replicas":{"max":2}},{"name":"p","ratio":2,"replicas":{"max":2}}])");
       },
       "spec.dependents[1].name: \"p\" is listed twice"},
      {"dependent no replicas", [](json& j) { j["dependents"] = json::parse(R"([{"name":"p","ratio":1}])"); },
       "spec.dependents[0].replicas: is required"},
      {"capacity", [](json& j) { j["capacity"]["perReplica"] = 0; }, "spec.capacity.perReplica"},
      {"min > max", [](json& j) { j["replicas"]["min"] = 60; }, "spec.replicas.min"},
      {"quantile", [](json& j) { j["forecast"] = {{"quantile", 1.5}}; }, "spec.forecast.quantile"},
      {"lead", [](json& j) { j["forecast"] = {{"leadTime", "later"}}; }, "spec.forecast.leadTime"},
      // 37- and 38-miss-budget-*.yaml: the schema rejects these too.
      {"budget 0", [](json& j) { j["forecast"] = {{"missBudget", "0%"}}; }, "spec.forecast.missBudget"},
      {"budget 60", [](json& j) { j["forecast"] = {{"missBudget", "60%"}}; }, "spec.forecast.missBudget"},
      {"budget no %", [](json& j) { j["forecast"] = {{"missBudget", "0.5"}}; }, "spec.forecast.missBudget"},
      {"budget text", [](json& j) { j["forecast"] = {{"missBudget", "low%"}}; }, "spec.forecast.missBudget"},
      {"breakout", [](json& j) { j["forecast"] = {{"breakoutQuantile", 0.3}}; },
       "spec.forecast.breakoutQuantile: must be 0 (off) or in [0.5, 1)"},
      {"guard object", [](json& j) { j["forecast"] = {{"guard", 1}}; }, "spec.forecast.guard: must be an object"},
      {"guard window", [](json& j) { j["forecast"]["guard"] = {{"window", "10s"}}; },
       "spec.forecast.guard.window: \"10s\" is too short"},
      {"guard minScored", [](json& j) { j["forecast"]["guard"] = {{"minScored", 5}}; },
       "spec.forecast.guard.minScored: must be at least 10"},
      {"guard maxSkill", [](json& j) { j["forecast"]["guard"] = {{"maxSkill", 0}}; },
       "spec.forecast.guard.maxSkill: must be above 0"},
      {"guard minCoverage", [](json& j) { j["forecast"]["guard"] = {{"minCoverage", 1.5}}; },
       "spec.forecast.guard.minCoverage: must be in [0, 1]"},
      {"guard onDegraded", [](json& j) { j["forecast"]["guard"] = {{"onDegraded", "Ignore"}}; },
       "spec.forecast.guard.onDegraded: \"Ignore\" is not Reactive or Shadow"},
      {"shadow promotion", [](json& j) { j["shadow"] = {{"promotion", "Soon"}}; },
       "spec.shadow.promotion: \"Soon\" is not Manual or Auto"},
      {"shadow window", [](json& j) { j["shadow"] = {{"window", "30s"}}; }, "spec.shadow.window: \"30s\" is too short"},
      {"mode lists Shadow", [](json& j) { j["mode"] = "Dry"; },
       "spec.mode: \"Dry\" is not Auto, Shadow, ForecastOnly or Paused"},
      {"time of day", [](json& j) { j["forecast"] = {{"headroomByTimeOfDay", "yes"}}; },
       "spec.forecast.headroomByTimeOfDay: must be true or false"},
      {"cron",
       [](json& j) {
         j["events"] = json::parse(R"([{"name":"x","schedule":"99 * * * *","duration":"1m","multiplier":2}])");
       },
       "spec.events[0].schedule"},
      {"both", [](json& j) { j["events"] = json::parse(R"([{"name":"x","duration":"1m","multiplier":2}])"); },
       "spec.events[0]: exactly one"},
      {"long recurring",
       [](json& j) {
         j["events"] = json::parse(R"([{"name":"x","schedule":"0 0 * * *","duration":"2d","multiplier":2}])");
       },
       "spec.events[0].duration"},
      {"policy",
       [](json& j) {
         j["behavior"] = json::parse(R"({"scaleUp":{"policies":[{"type":"Hours","value":1,"periodSeconds":1}]}})");
       },
       "spec.behavior.scaleUp.policies[0].type"},
      {"cache max",
       [](json& j) {
         j["cache"] = json::parse(R"({"configMapRef":{"name":"c","key":"k"},"bytesPerDemandUnit":1,"max":"lots"})");
       },
       "spec.cache.max"},
      {"cache order",
       [](json& j) {
         j["cache"] =
             json::parse(R"({"configMapRef":{"name":"c","key":"k"},"bytesPerDemandUnit":1,"min":"2Gi","max":"1Gi"})");
       },
       "spec.cache.min"},
      {"static", [](json& j) { j["fallback"] = {{"behavior", "Static"}}; }, "spec.fallback.replicas"},
      {"hpa with min 0",
       [](json& j) {
         j["replicas"]["min"] = 0;
         j["hpa"] = {{"enabled", true}};
       },
       "spec.replicas.min: must be at least 1 when hpa.enabled"},
      {"not object", [](json& j) { j = json::array(); }, "spec: must be an object"},
  };
  for (const auto& c : cases) {
    auto j = minimal();
    c.mutate(j);
    auto s = parseSpec(j);
    ASSERT_FALSE(s.has_value()) << c.name;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalid) << c.name;
    EXPECT_NE(s.error().message.find(c.expect), std::string::npos) << c.name << ": " << s.error().message;
  }
}

TEST(SpecTest, EachDirectionKeepsItsOwnTolerance) {
  struct Case {
    const char* name;
    const char* behavior;
    std::optional<double> up;
    std::optional<double> down;
  };
  const Case cases[] = {
      {"both", R"({"scaleUp":{"tolerance":0.02},"scaleDown":{"tolerance":0.3}})", 0.02, 0.3},
      {"up only", R"({"scaleUp":{"tolerance":0.05}})", 0.05, std::nullopt},
      {"down only", R"({"scaleDown":{"tolerance":0}})", std::nullopt, 0.0},
      {"neither", "{}", std::nullopt, std::nullopt},
  };
  for (const auto& c : cases) {
    auto j = minimal();
    j["behavior"] = json::parse(c.behavior);
    auto s = parseSpec(j);
    ASSERT_TRUE(s.has_value()) << c.name << ": " << s.error().message;
    EXPECT_EQ(s->scaleUpTolerance, c.up) << c.name;
    EXPECT_EQ(s->scaleDownTolerance, c.down) << c.name;
  }
}

TEST(SpecTest, TargetApiVersionIsAppsV1) {
  auto j = minimal();
  j["targetRef"]["apiVersion"] = "apps/v1";
  j["targetRef"]["kind"] = "StatefulSet";
  auto s = parseSpec(j);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->target.apiVersion, "apps/v1");
  EXPECT_EQ(s->target.kind, "StatefulSet");
}

TEST(SpecTest, RefitIntervalIsASeventhOfTheHistoryWithinAnHourAndADay) {
  ServiceSpec spec;
  spec.historySeconds = 7 * 86400;  // the CRD's default 7d: daily, as the backtest refits
  EXPECT_EQ(refitIntervalSeconds(spec), 86400);
  spec.historySeconds = 21 * 86400;  // longer history: still daily
  EXPECT_EQ(refitIntervalSeconds(spec), 86400);
  spec.historySeconds = 14 * 3600;  // 14 h: every 2 h
  EXPECT_EQ(refitIntervalSeconds(spec), 7200);
  spec.historySeconds = 3600;  // short history: at most hourly
  EXPECT_EQ(refitIntervalSeconds(spec), 3600);
}

TEST(SpecTest, CalendarAppliesEvents) {
  auto j = minimal();
  j["events"] = json::parse(R"([{"name":"launch","start":"2026-12-01T09:00:00Z","duration":"2h","multiplier":5}])");
  auto s = parseSpec(j);
  ASSERT_TRUE(s.has_value());
  auto calendar = calendarOf(*s);
  EXPECT_DOUBLE_EQ(calendar.multiplierAt(1'796'115'600 + 60), 5);
  EXPECT_DOUBLE_EQ(calendar.multiplierAt(1'796'115'600 - 60), 1);
}

}  // namespace
}  // namespace tso::reconcile

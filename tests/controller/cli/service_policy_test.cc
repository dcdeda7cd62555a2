// A ThroughputService as a simulation (`replay`, `simulate --service`): every policy field of
// the resource lands where the operator applies it, the manifest is found or refused with a
// message naming the file, and a trace is split to the service's step as a range query sees it.
#include "controller/cli/service_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controller/reconcile/policy_simulation.h"

namespace tso::cli {
namespace {

using nlohmann::json;

json object(const json& specOverrides = json::object()) {
  json o = json::parse(R"J({
    "apiVersion": "throughput.dev/v1alpha1", "kind": "ThroughputService",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"targetRef": {"kind": "Deployment", "name": "web"},
             "demand": {"query": "sum(x)", "step": "60s", "history": "3d"},
             "capacity": {"perReplica": 20, "targetUtilization": 0.75},
             "replicas": {"min": 2, "max": 40}}})J");
  o["spec"].merge_patch(specOverrides);
  return o;
}

predictor::SimulationConfig configOf(const json& specOverrides, std::int64_t autoLead = 90, bool sweep = true) {
  auto policy = servicePolicyOf(object(specOverrides));
  EXPECT_TRUE(policy.has_value()) << policy.error().message;
  return reconcile::simulationConfigOf(policy->spec, autoLead, sweep);
}

TEST(ServicePolicyTest, CapacityBoundsAndHistoryComeFromTheSpec) {
  auto policy = servicePolicyOf(object());
  ASSERT_TRUE(policy.has_value()) << policy.error().message;
  EXPECT_EQ(policy->name, "web");
  EXPECT_EQ(policy->ns, "shop");
  const auto cfg = reconcile::simulationConfigOf(policy->spec, 90, true);
  ASSERT_TRUE(cfg.servicePlanner.has_value());
  EXPECT_DOUBLE_EQ(cfg.servicePlanner->perReplica, 20);
  EXPECT_DOUBLE_EQ(cfg.servicePlanner->targetUtilization, 0.75);
  EXPECT_EQ(cfg.servicePlanner->minReplicas, 2);
  EXPECT_EQ(cfg.servicePlanner->maxReplicas, 40);
  EXPECT_EQ(cfg.trainSeconds, 3 * 86400);
  EXPECT_EQ(cfg.warmupSeconds, 90);  // leadTime Auto: the given stand-in
  // While the forecast drives, the operator holds no scale-down window: the lead looks ahead.
  EXPECT_EQ(cfg.predictiveScaleDownSeconds, 0);
  EXPECT_DOUBLE_EQ(cfg.provisioning.quantile, 0.9);
  EXPECT_FALSE(cfg.provisioning.missBudget.has_value());
  EXPECT_TRUE(cfg.onlyModels.empty());
  EXPECT_FALSE(cfg.fleet);
  EXPECT_TRUE(cfg.fastSearch);
  EXPECT_EQ(cfg.hpaSweep.size(), 145U);
  EXPECT_FALSE(cfg.hpa.has_value());  // the swept HPA nearest the predictive policy's cost
}

struct FieldCase {
  const char* name;
  const char* spec;  // merged into the spec
  std::function<void(const predictor::SimulationConfig&)> check;
};

class ServicePolicyFieldTest : public ::testing::TestWithParam<FieldCase> {};

TEST_P(ServicePolicyFieldTest, LandsWhereTheOperatorAppliesIt) {
  GetParam().check(configOf(json::parse(GetParam().spec)));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ServicePolicyFieldTest,
    ::testing::Values(
        FieldCase{"LeadTime", R"({"forecast": {"leadTime": "4m"}})",
                  [](const auto& c) { EXPECT_EQ(c.warmupSeconds, 240); }},
        FieldCase{"Quantile", R"({"forecast": {"quantile": 0.97}})",
                  [](const auto& c) { EXPECT_DOUBLE_EQ(c.provisioning.quantile, 0.97); }},
        FieldCase{"MissBudget", R"({"forecast": {"missBudget": "0.5%"}})",
                  [](const auto& c) { EXPECT_DOUBLE_EQ(c.provisioning.missBudget.value_or(0), 0.005); }},
        FieldCase{"Breakout", R"({"forecast": {"breakoutQuantile": 0}})",
                  [](const auto& c) { EXPECT_DOUBLE_EQ(c.provisioning.breakoutLevel, 0); }},
        FieldCase{"ModelFamily", R"({"forecast": {"model": "HoltWinters"}})",
                  [](const auto& c) {
                    EXPECT_EQ(c.onlyModels, (std::vector<std::string>{"holt_winters", "holt_winters_mult"}));
                    EXPECT_FALSE(c.fleet);
                  }},
        FieldCase{"FleetModel", R"({"forecast": {"model": "FleetRegression"}})",
                  [](const auto& c) {
                    EXPECT_TRUE(c.fleet);
                    EXPECT_FALSE(c.fastSearch);
                  }},
        FieldCase{"ScaleDownWindow", R"({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}})",
                  [](const auto& c) {
                    EXPECT_EQ(c.predictiveScaleDownSeconds, 120);
                    EXPECT_EQ(c.servicePlanner->behavior.scaleDown.stabilizationSeconds, 120);
                  }},
        FieldCase{"Events",
                  R"({"events": [{"name": "sale", "schedule": "0 20 * * 5", "duration": "30m", "multiplier": 3}]})",
                  [](const auto& c) { EXPECT_FALSE(c.provisioning.events.empty()); }}),
    [](const ::testing::TestParamInfo<FieldCase>& p) { return std::string(p.param.name); });

TEST(ServicePolicyTest, WithoutTheSweepTheHpaRunsAtTheServicesTarget) {
  const auto cfg = configOf(json::object(), 90, /*sweep=*/false);
  EXPECT_TRUE(cfg.hpaSweep.empty());
  EXPECT_TRUE(cfg.missBudgets.empty());
  ASSERT_TRUE(cfg.hpa.has_value());
  EXPECT_DOUBLE_EQ(cfg.hpa->target, 0.75);
}

TEST(ServicePolicyTest, AnInvalidSpecNamesTheField) {
  auto policy = servicePolicyOf(object(json::parse(R"({"capacity": {"perReplica": -1}})")));
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().message.find("capacity.perReplica"), std::string::npos) << policy.error().message;
}

class ServiceFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto path = std::filesystem::path(::testing::TempDir()) /
                      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    std::ofstream(path) << text;
    return path.string();
  }
  static constexpr const char* kWeb =
      "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\nmetadata: {name: web}\nspec:\n"
      "  targetRef: {kind: Deployment, name: web}\n  demand: {query: 'sum(x)'}\n  capacity: {perReplica: 20}\n"
      "  replicas: {min: 1, max: 9}\n";
};

TEST_F(ServiceFileTest, TheOneThroughputServiceAmongOtherObjects) {
  auto p = readServiceFile(write("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n" + std::string(kWeb)),
                           std::nullopt);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->name, "web");
  EXPECT_EQ(p->spec.maxReplicas, 9);
}

TEST_F(ServiceFileTest, TwoNeedANameAndTheNamePicksOne) {
  std::string two = std::string(kWeb) + "---\n" + kWeb;
  two.replace(two.rfind("metadata: {name: web}"), 21, "metadata: {name: api}");
  const auto path = write(two);
  auto both = readServiceFile(path, std::nullopt);
  ASSERT_FALSE(both.has_value());
  EXPECT_NE(both.error().message.find("2 ThroughputServices"), std::string::npos) << both.error().message;
  EXPECT_NE(both.error().message.find("--name"), std::string::npos) << both.error().message;
  auto api = readServiceFile(path, std::string("api"));
  ASSERT_TRUE(api.has_value()) << api.error().message;
  EXPECT_EQ(api->name, "api");
}

TEST_F(ServiceFileTest, ProblemsNameTheFile) {
  const auto none = write("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
  auto r = readServiceFile(none, std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find(none + ": 0 ThroughputServices"), std::string::npos) << r.error().message;
  auto missing = readServiceFile("/nonexistent/tps.yaml", std::nullopt);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfig);
  EXPECT_NE(missing.error().message.find("/nonexistent/tps.yaml"), std::string::npos);
  std::string bad = kWeb;
  bad.replace(bad.find("perReplica: 20"), 14, "perReplica: 0");
  auto invalid = readServiceFile(write(bad), std::nullopt);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_NE(invalid.error().message.find("capacity.perReplica"), std::string::npos) << invalid.error().message;
}

TEST(AtStepTest, SplitsACoarserTraceEvenlyAndKeepsTheRate) {
  predictor::Series s{1000, 60, {60, 120}};
  auto r = atStep(s, 30);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->start, 1000);
  EXPECT_EQ(r->step, 30);
  EXPECT_EQ(r->values, (std::vector<double>{30, 30, 60, 60}));
  auto same = atStep(s, 60);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->values, s.values);
}

TEST(AtStepTest, ANonMultipleIsRefusedNamingTheStep) {
  predictor::Series s{0, 60, {1, 2}};
  for (std::int64_t step : {45, 120}) {
    auto r = atStep(s, step);
    ASSERT_FALSE(r.has_value()) << step;
    EXPECT_NE(r.error().message.find("spec.demand.step (" + std::to_string(step) + "s)"), std::string::npos)
        << r.error().message;
  }
}

}  // namespace
}  // namespace tso::cli

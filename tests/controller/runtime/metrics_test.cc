#include "controller/runtime/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tso::runtime {
namespace {

reconcile::ServiceSnapshot service(const std::string& name) {
  reconcile::ServiceSnapshot s;
  s.ns = "shop";
  s.name = name;
  s.mode = "Auto";
  s.model = "mean(ewma,log_regression)";
  s.winner = "forecast";
  s.valid = true;
  s.hasDemand = true;
  s.demand = 1234.5;
  s.hasForecast = true;
  s.predictedPeak = {100, 120.25, 130, 150};
  s.reactive = 3;
  s.predicted = 5;
  s.scheduled = 0;
  s.desired = 5;
  s.current = 4;
  s.readyCapacity = 300;
  s.backlog = 6000;
  s.dependents = {{"payment", 7, 5}};
  s.leadSeconds = 90;
  s.scored = 10;
  s.wape = 0.125;
  s.coverage = 0.9;
  s.skill = 0.75;
  s.coverageP90 = 0.625;
  s.coverageBound = 0.8;
  s.demandAgeSeconds = 12;
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(MetricsTest, WritesEveryPerServiceSeriesInTheTextFormat) {
  std::string out;
  appendServiceSeries(out, {service("web")});
  const std::string labels = "{namespace=\"shop\",name=\"web\"";
  EXPECT_NE(out.find("# TYPE tso_demand_actual gauge\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_demand_actual" + labels + "} 1234.5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_demand_predicted" + labels + ",quantile=\"0.9\"} 120.25\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_replicas" + labels + ",source=\"final\"} 5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_replicas" + labels + ",source=\"current\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_lead_time_seconds" + labels + "} 90\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_wape" + labels + "} 0.125\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_coverage" + labels + "} 0.9\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_coverage_p90" + labels + "} 0.625\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_coverage_bound" + labels + "} 0.8\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_capacity_ready" + labels + "} 300\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_demand_backlog" + labels + "} 6000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_dependent_replicas" + labels + ",dependent=\"payment\",source=\"final\"} 7\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("tso_dependent_replicas" + labels + ",dependent=\"payment\",source=\"current\"} 5\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("tso_fallback_active" + labels + "} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_skill" + labels + "} 0.75\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_demand_age_seconds" + labels + "} 12\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_degraded" + labels + "} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_service_info" + labels +
                     ",mode=\"Auto\",model=\"mean(ewma,log_regression)\",winner=\"forecast\",valid=\"true\"} 1\n"),
            std::string::npos)
      << out;
  // 16 families, each with its HELP and TYPE once; 4 quantiles + 5 sources + 2 of the dependent +
  // 13 x 1 = 24 samples.
  EXPECT_EQ(count(out, "# TYPE "), 16u);
  EXPECT_EQ(count(out, "# HELP "), 16u);
  EXPECT_EQ(count(out, "\n") - 32, 24u) << out;
}

TEST(MetricsTest, SeriesWithoutAValueAreLeftOut) {
  auto s = service("web");
  s.readyCapacity.reset();  // read through /scale: no ready count
  s.coverageP90.reset();    // fewer than guard.minScored forecasts scored
  s.backlog.reset();        // no demand.backlog
  std::string out;
  appendServiceSeries(out, {s});
  EXPECT_EQ(out.find("tso_demand_backlog{"), std::string::npos) << out;
  EXPECT_NE(out.find("# TYPE tso_capacity_ready gauge\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_capacity_ready{"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_forecast_coverage_p90{"), std::string::npos) << out;
  EXPECT_NE(out.find("tso_forecast_coverage_bound{namespace=\"shop\",name=\"web\"} 0.8\n"), std::string::npos) << out;
}

TEST(MetricsTest, InvalidServicesOnlyGetTheirInfoSeries) {
  auto s = service("broken");
  s.valid = false;
  std::string out;
  appendServiceSeries(out, {s});
  EXPECT_NE(out.find("tso_service_info{namespace=\"shop\",name=\"broken\",mode=\"Auto\""), std::string::npos) << out;
  EXPECT_NE(out.find("valid=\"false\"} 1\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_replicas{"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_demand_actual{"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_capacity_ready{"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_forecast_coverage_bound{"), std::string::npos) << out;
}

TEST(MetricsTest, EscapesLabelValuesAndWritesSpecialValues) {
  auto s = service("web");
  s.model = "a\"b\\c\nd";
  s.demand = std::numeric_limits<double>::quiet_NaN();
  s.predictedPeak[3] = std::numeric_limits<double>::infinity();
  s.scored = 0;  // nothing scored yet: no accuracy series
  std::string out;
  appendServiceSeries(out, {s});
  EXPECT_NE(out.find("model=\"a\\\"b\\\\c\\nd\""), std::string::npos) << out;
  EXPECT_NE(out.find("tso_demand_actual{namespace=\"shop\",name=\"web\"} NaN\n"), std::string::npos) << out;
  EXPECT_NE(out.find("quantile=\"0.99\"} +Inf\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("tso_forecast_wape{"), std::string::npos) << out;
}

TEST(MetricsTest, SerializeHasTheRegistryAndTheServices) {
  std::vector<reconcile::ServiceSnapshot> snaps = {service("a"), service("b")};
  Metrics metrics([&] { return snaps; });
  metrics.setQueueDepth(7);
  metrics.observeReconcile(std::chrono::milliseconds(20), false);
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("tso_workqueue_depth{name=\"throughputservice\"} 7"), std::string::npos) << text;
  EXPECT_NE(text.find("tso_reconcile_total{result=\"success\"} 1"), std::string::npos) << text;
  EXPECT_EQ(count(text, "tso_replicas{namespace=\"shop\",name=\"a\""), 5u);
  EXPECT_EQ(count(text, "tso_replicas{namespace=\"shop\",name=\"b\""), 5u);
  snaps.pop_back();  // a deleted service leaves no stale series
  const std::string after = metrics.serialize();
  EXPECT_EQ(count(after, "name=\"b\""), 0u);
  EXPECT_EQ(count(after, "tso_replicas{namespace=\"shop\",name=\"a\""), 5u);
}

}  // namespace
}  // namespace tso::runtime

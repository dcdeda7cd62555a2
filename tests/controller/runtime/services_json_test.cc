#include "controller/runtime/services_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tso::runtime {
namespace {

reconcile::ServiceSnapshot service() {
  reconcile::ServiceSnapshot s;
  s.ns = "shop";
  s.name = "web \"main\"\\\n\x01";  // every character JSON must escape
  s.mode = "Auto";
  s.valid = true;
  s.hasDemand = true;
  s.demand = 1234.5;
  s.predictedDemand = 1500.25;
  s.reactive = 3;
  s.predicted = 5;
  s.scheduled = 0;
  s.desired = 5;
  s.current = 4;
  s.winner = "forecast";
  s.leadSeconds = 90;
  s.wape = 0.125;
  s.coverage = 0.9;
  s.scored = 10;
  s.fallback = false;
  s.model = "mean(ewma,log_regression)";
  s.step = 60;
  auto h = std::make_shared<reconcile::ServiceHistory>();
  h->start = 1'700'000'040;
  h->actual = {100.1F, std::numeric_limits<float>::quiet_NaN(), 102.0F};
  h->forecastForTime = {std::numeric_limits<float>::quiet_NaN(), 110.5F, std::numeric_limits<float>::infinity()};
  h->desired = {-1, 4, 5};
  s.history = h;
  return s;
}

TEST(ServicesJsonTest, ParsesBackToWhatTheDashboardReads) {
  const auto j = nlohmann::json::parse(servicesJson({service()}));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1U);
  const auto& s = j[0];
  EXPECT_EQ(s["namespace"], "shop");
  EXPECT_EQ(s["name"], "web \"main\"\\\n\x01");
  EXPECT_EQ(s["mode"], "Auto");
  EXPECT_EQ(s["valid"], true);
  EXPECT_EQ(s["demand"], 1234.5);
  EXPECT_EQ(s["predictedDemand"], 1500.25);
  EXPECT_EQ(
      s["replicas"],
      (nlohmann::json{
          {"reactive", 3}, {"predicted", 5}, {"scheduled", 0}, {"final", 5}, {"current", 4}, {"winner", "forecast"}}));
  EXPECT_EQ(s["leadTimeSeconds"], 90);
  EXPECT_EQ(s["accuracy"], (nlohmann::json{{"wape", 0.125}, {"coverage", 0.9}, {"scored", 10}}));
  EXPECT_EQ(s["fallback"], false);
  EXPECT_EQ(s["model"], "mean(ewma,log_regression)");
  EXPECT_EQ(s["step"], 60);
  const auto& h = s["history"];
  EXPECT_EQ(h["times"], (nlohmann::json{1'700'000'040, 1'700'000'100, 1'700'000'160}));
  // Missing samples and non-finite forecasts are null; a desired value before the first
  // decision too.
  EXPECT_EQ(h["actual"], (nlohmann::json{100.1, nullptr, 102}));
  EXPECT_EQ(h["predicted"], (nlohmann::json{nullptr, 110.5, nullptr}));
  EXPECT_EQ(h["desired"], (nlohmann::json{nullptr, 4, 5}));
}

TEST(ServicesJsonTest, FloatsAreWrittenShortestAndMissingValuesAsNull) {
  auto s = service();
  s.hasDemand = false;
  s.predictedDemand = std::numeric_limits<double>::quiet_NaN();
  const std::string text = servicesJson({s});
  // 100.1F is 100.09999847... as a double: written as the float's shortest form.
  EXPECT_NE(text.find("\"actual\":[100.1,null,102]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"demand\":null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"predictedDemand\":null"), std::string::npos) << text;
  EXPECT_TRUE(nlohmann::json::accept(text));
}

TEST(ServicesJsonTest, NoServicesAndNoHistory) {
  EXPECT_EQ(servicesJson({}), "[]");
  auto s = service();
  s.history.reset();  // before the first sample
  const auto j = nlohmann::json::parse(servicesJson({s, s}));
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[1]["history"], (nlohmann::json{{"times", nlohmann::json::array()},
                                             {"actual", nlohmann::json::array()},
                                             {"predicted", nlohmann::json::array()},
                                             {"desired", nlohmann::json::array()}}));
}

TEST(ServicesJsonTest, SummaryWithoutHistoryHasNoHistoryKey) {
  const auto j = nlohmann::json::parse(servicesJson({service()}, false));
  ASSERT_EQ(j.size(), 1U);
  EXPECT_FALSE(j[0].contains("history"));
  EXPECT_EQ(j[0]["demand"], 1234.5);
  EXPECT_EQ(j[0]["replicas"]["final"], 5);
}

TEST(ServicesQueryTest, EmptyQueryIsEveryServiceWithHistory) {
  const auto q = parseServicesQuery("");
  ASSERT_TRUE(q.has_value()) << q.error().message;
  EXPECT_TRUE(q->history);
  EXPECT_TRUE(q->services.empty());
}

TEST(ServicesQueryTest, HistoryNoneAndNamedServices) {
  auto q = parseServicesQuery("history=none");
  ASSERT_TRUE(q.has_value()) << q.error().message;
  EXPECT_FALSE(q->history);
  // '/' as sent by encodeURIComponent, and repeated names.
  q = parseServicesQuery("service=shop%2Fweb&service=shop/api&&history=all");
  ASSERT_TRUE(q.has_value()) << q.error().message;
  EXPECT_TRUE(q->history);
  EXPECT_EQ(q->services, (std::vector<std::string>{"shop/web", "shop/api"}));
}

TEST(ServicesQueryTest, MistakesAreNamed) {
  auto q = parseServicesQuery("histroy=none");
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().message, "unknown parameter \"histroy\" (expected history or service)");
  q = parseServicesQuery("history=some");
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().message, "history=\"some\": expected all or none");
  for (const char* bad : {"service=web", "service=/web", "service=shop/", "service=a/b/c", "service="}) {
    q = parseServicesQuery(bad);
    ASSERT_FALSE(q.has_value()) << bad;
    EXPECT_NE(q.error().message.find("expected namespace/name"), std::string::npos) << q.error().message;
  }
  for (const char* bad : {"service=shop%2", "service=shop%zzweb", "%"}) {
    q = parseServicesQuery(bad);
    ASSERT_FALSE(q.has_value()) << bad;
    EXPECT_NE(q.error().message.find("bad %-escape"), std::string::npos) << q.error().message;
  }
}

}  // namespace
}  // namespace tso::runtime

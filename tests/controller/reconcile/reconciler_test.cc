// The whole reconcile on a fake cluster, a scripted Prometheus and the manual clock: each case
// drives reconcile() and asserts the writes, the status, the Events and the snapshot.
#include "controller/reconcile/reconciler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "controller/kube/object.h"
#include "controller/reconcile/lead_time.h"
#include "controller/reconcile/status.h"
#include "controller/reconcile/units.h"
#include "tests/controller/support/fake_cluster.h"

namespace tso::reconcile {
namespace {

using nlohmann::json;
using tso::testing::FakeCluster;
using tso::testing::FakePrometheus;

struct RecordedEvent {
  std::string type;
  std::string reason;
  std::string message;
};

class RecordingSink : public EventSink {
 public:
  void record(const kube::Object&, std::string_view type, std::string_view reason, std::string_view message) override {
    events.push_back({std::string(type), std::string(reason), std::string(message)});
  }
  [[nodiscard]] int count(const std::string& reason) const {
    int n = 0;
    for (const auto& e : events) n += e.reason == reason ? 1 : 0;
    return n;
  }
  std::vector<RecordedEvent> events;
};

// 2025-01-01T00:00:00Z, the manual clock's wall time at offset zero.
constexpr std::int64_t kEpoch = 1735689600;

// 100 req/s with a 1,000 req/s spike from 12:00 to 12:10 UTC every day.
double dailySpike(std::int64_t t) {
  const std::int64_t secondOfDay = ((t % 86400) + 86400) % 86400;
  return secondOfDay >= 12 * 3600 && secondOfDay < 12 * 3600 + 600 ? 1000.0 : 100.0;
}

json baseSpec() {
  return json::parse(R"J({
    "targetRef": {"kind": "Deployment", "name": "web"},
    "demand": {"prometheus": {"address": "http://127.0.0.1:9"}, "query": "sum(rate(x[1m]))", "step": "60s",
               "history": "3d"},
    "capacity": {"perReplica": 100, "targetUtilization": 1.0},
    "replicas": {"min": 1, "max": 50},
    "leadTime": "120s",
    "behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 100, "periodSeconds": 15}]},
                 "scaleDown": {"stabilizationWindowSeconds": 0}}})J");
}

class ReconcilerTest : public ::testing::Test {
 protected:
  explicit ReconcilerTest(std::function<double(std::int64_t)> demand = [](std::int64_t) { return 100.0; })
      : demand_(std::move(demand)) {
    auto cluster = std::make_unique<FakeCluster>();
    cluster_ = cluster.get();
    kube::Config config;
    config.server = "https://unused";
    config.qps = 0;
    client_ = std::make_unique<kube::Client>(std::move(cluster), config, clock_);
    cluster_->setWorkload("Deployment", "web", {1, "app=web"});
  }

  Reconciler& reconciler(ReconcilerOptions options = {}) {
    options.connectPrometheus = [this](const std::string&, std::chrono::milliseconds) {
      auto transport = std::make_unique<FakePrometheus>(demand_);
      prom_ = transport.get();
      if (promMode_) transport->setMode(*promMode_);
      transport->setFirstSample(firstSample_);
      if (ranReplicas_) transport->setSeries("kube_deployment_status_replicas_available", ranReplicas_);
      for (const auto& [prefix, values] : series_) transport->setSeries(prefix, values);
      return Result<std::unique_ptr<prom::Client>>(std::make_unique<prom::Client>(std::move(transport), ""));
    };
    reconciler_ = std::make_unique<Reconciler>(*client_, store_, events_, std::move(options), clock_);
    return *reconciler_;
  }

  // Puts the ThroughputService in the informer's store (uid and generation as given).
  void apply(const json& spec, const std::string& uid = "uid-1", std::int64_t generation = 1) {
    const json body = {
        {"apiVersion", "throughput.dev/v1alpha1"},
        {"kind", "ThroughputService"},
        {"metadata",
         {{"name", "svc"}, {"namespace", "ns"}, {"uid", uid}, {"generation", generation}, {"resourceVersion", "1"}}},
        {"spec", spec},
        {"status", status_.is_null() ? json::object() : status_}};
    auto obj = kube::parseObject(body.dump());
    ASSERT_TRUE(obj.has_value()) << obj.error().message;
    store_.apply(std::make_shared<const kube::Object>(*obj));
  }

  // Reconciles once, then feeds the written status back as the object's (as the informer would).
  Outcome run(const json& spec) {
    apply(spec);
    Outcome out = reconciler_->reconcile("ns/svc");
    if (auto s = cluster_->lastStatus(); !s.is_null()) status_ = s;
    return out;
  }

  // Moves the clock to `t` (unix seconds).
  void at(std::int64_t t) {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
    ASSERT_GE(t, now);
    clock_.advance(std::chrono::seconds(t - now));
  }

  [[nodiscard]] std::string condition(const std::string& type, const std::string& field = "reason") const {
    const json conditions = status_.value("conditions", json::array());
    const json* c = findCondition(conditions, type);
    return c ? c->value(field, std::string()) : std::string();
  }
  int scaledTo() {
    auto w = cluster_->writesTo("/deployments/web/scale");
    return w.empty() ? -1 : w.back().body["spec"]["replicas"].get<int>();
  }

  ManualClock clock_;
  FakeCluster* cluster_ = nullptr;
  FakePrometheus* prom_ = nullptr;
  std::optional<FakePrometheus::Mode> promMode_;
  std::int64_t firstSample_ = 0;
  std::function<double(std::int64_t)> ranReplicas_;  // kube-state-metrics' ready replicas; none when empty
  std::map<std::string, std::function<double(std::int64_t)>> series_;  // more series, by query prefix
  std::unique_ptr<kube::Client> client_;
  watch::Store store_;
  RecordingSink events_;
  std::unique_ptr<Reconciler> reconciler_;
  std::function<double(std::int64_t)> demand_;
  json status_;
};

TEST_F(ReconcilerTest, InvalidSpecIsTerminalWithConditionAndOneEvent) {
  reconciler();
  json spec = baseSpec();
  spec["replicas"] = {{"min", 5}, {"max", 2}};
  for (int i = 0; i < 2; ++i) {
    const Outcome out = run(spec);
    EXPECT_FALSE(out.failed);
    EXPECT_FALSE(out.requeueAfter.has_value()) << "terminal until the spec changes";
  }
  EXPECT_EQ(condition("InvalidSpec"), "InvalidSpec");
  EXPECT_EQ(condition("Ready", "status"), "False");
  EXPECT_NE(condition("Ready", "message").find("spec.replicas"), std::string::npos) << condition("Ready", "message");
  EXPECT_EQ(events_.count("InvalidSpec"), 1) << "a repeat of the same problem is not a new Event";
  EXPECT_EQ(cluster_->reads("/scale"), 0);
  EXPECT_EQ(prom_, nullptr) << "Prometheus is not asked for an invalid spec";
}

TEST_F(ReconcilerTest, PausedTouchesNothing) {
  reconciler();
  json spec = baseSpec();
  spec["mode"] = "Paused";
  const Outcome out = run(spec);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(condition("Ready"), "Paused");
  EXPECT_EQ(cluster_->reads("/scale"), 0);
  EXPECT_EQ(cluster_->writes().size(), 1u) << "only the status is written";
  const auto snap = reconciler_->snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].mode, "Paused");
}

TEST_F(ReconcilerTest, ForecastOnlyDecidesButDoesNotScale) {
  demand_ = [](std::int64_t) { return 730.0; };
  reconciler();
  json spec = baseSpec();
  spec["mode"] = "ForecastOnly";
  run(spec);
  EXPECT_EQ(status_["desiredReplicas"], 8);
  EXPECT_EQ(condition("Ready"), "ForecastOnly");
  EXPECT_EQ(cluster_->writes().size(), 1u) << "only the status is written";
}

TEST_F(ReconcilerTest, DependentsFollowTheSameDecisionWithinTheirBoundsAndOnlyInAuto) {
  demand_ = [](std::int64_t) { return 730.0; };  // 8 target replicas at 100 a replica
  reconciler();
  cluster_->setWorkload("Deployment", "payment", {1, "app=payment"});
  cluster_->setWorkload("StatefulSet", "inventory", {1, "app=inventory"});
  json spec = baseSpec();
  spec["dependents"] = json::parse(R"([
      {"name": "payment", "perReplica": 200, "replicas": {"min": 1, "max": 30}},
      {"kind": "StatefulSet", "name": "inventory", "ratio": 0.5, "replicas": {"max": 3}},
      {"name": "ledger", "ratio": 1, "replicas": {"max": 5}}])");
  spec["mode"] = "ForecastOnly";
  run(spec);
  EXPECT_TRUE(cluster_->writesTo("/deployments/payment/scale").empty()) << "ForecastOnly touches nothing";
  EXPECT_EQ(status_["dependents"][0]["desiredReplicas"], 4) << status_.dump();

  spec["mode"] = "Auto";
  run(spec);
  EXPECT_EQ(scaledTo(), 8);
  auto payment = cluster_->writesTo("/deployments/payment/scale");
  ASSERT_EQ(payment.size(), 1U);
  EXPECT_EQ(payment.back().body["spec"]["replicas"], 4) << "730/s at 200 a replica";
  auto inventory = cluster_->writesTo("/statefulsets/inventory/scale");
  ASSERT_EQ(inventory.size(), 1U);
  EXPECT_EQ(inventory.back().body["spec"]["replicas"], 3) << "half of 8, within max 3";
  EXPECT_EQ(status_["dependents"][0], json::parse(R"({"kind": "Deployment", "name": "payment",
                                                      "currentReplicas": 1, "desiredReplicas": 4})"));
  EXPECT_EQ(status_["dependents"][2]["name"], "ledger");
  EXPECT_FALSE(status_["dependents"][2].contains("currentReplicas"));
  EXPECT_NE(status_["dependents"][2].value("problem", std::string()).find("Deployment ledger"), std::string::npos)
      << status_["dependents"][2].dump();
  EXPECT_EQ(condition("Ready"), "Reconciled") << "a missing dependent leaves the target be";
  ASSERT_EQ(reconciler_->snapshot().size(), 1U);
  ASSERT_EQ(reconciler_->snapshot()[0].dependents.size(), 3U);
  EXPECT_EQ(reconciler_->snapshot()[0].dependents[0].desired, 4);
}

TEST_F(ReconcilerTest, MissingTargetRequeuesAndARecreatedOneIsScaled) {
  demand_ = [](std::int64_t) { return 430.0; };
  reconciler();
  cluster_->removeWorkload("Deployment", "web");
  const Outcome missing = run(baseSpec());
  EXPECT_FALSE(missing.failed);
  EXPECT_TRUE(missing.requeueAfter.has_value());
  EXPECT_EQ(condition("Ready"), "TargetNotFound");
  EXPECT_NE(condition("Ready", "message").find("Deployment ns/web"), std::string::npos);

  cluster_->setWorkload("Deployment", "web", {2, "app=web"});
  at(kEpoch + 60);
  run(baseSpec());
  EXPECT_EQ(condition("Ready"), "Reconciled");
  EXPECT_EQ(scaledTo(), 5);
  EXPECT_EQ(cluster_->workload("Deployment", "web")->replicas, 5);
}

TEST_F(ReconcilerTest, HpaModeRaisesTheFloorInsteadOfScaling) {
  demand_ = [](std::int64_t) { return 430.0; };
  reconciler();
  json spec = baseSpec();
  spec["hpa"] = {{"enabled", true}};
  run(spec);
  EXPECT_EQ(scaledTo(), -1);
  const auto hpa = cluster_->writesTo("horizontalpodautoscalers/tso-svc");
  ASSERT_FALSE(hpa.empty());
  EXPECT_EQ(hpa.back().body["spec"]["minReplicas"], 5);
}

// Prometheus goes away after the model was fitted; past staleAfter each fallback policy applies.
struct FallbackCase {
  std::string name;
  json fallback;
  FakePrometheus::Mode mode;
  int want;
  std::string promReason;
};
std::ostream& operator<<(std::ostream& o, const FallbackCase& c) { return o << c.name; }

class ReconcilerFallbackTest : public ReconcilerTest, public ::testing::WithParamInterface<FallbackCase> {
 protected:
  ReconcilerFallbackTest() : ReconcilerTest(dailySpike) {}
};

TEST_P(ReconcilerFallbackTest, AppliesThePolicyOncePrometheusIsGone) {
  const auto& c = GetParam();
  reconciler();
  json spec = baseSpec();
  spec["fallback"] = c.fallback;
  spec["fallback"]["staleAfter"] = "300s";
  cluster_->setWorkload("Deployment", "web", {3, "app=web"});
  at(kEpoch + 2 * 86400 + 11 * 3600);  // 11:00 on day 3: two days of history
  run(spec);
  ASSERT_EQ(condition("PrometheusAvailable", "status"), "True");
  cluster_->setWorkload("Deployment", "web", {3, "app=web"});
  prom_->setMode(c.mode);
  at(kEpoch + 2 * 86400 + 12 * 3600 - 60);  // 11:59, an hour without data
  const Outcome out = run(spec);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(condition("PrometheusAvailable"), c.promReason);
  EXPECT_EQ(condition("Fallback", "status"), "True");
  EXPECT_EQ(status_["desiredReplicas"], c.want) << status_.dump();
  EXPECT_EQ(events_.count("FallbackActivated"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Policies, ReconcilerFallbackTest,
    ::testing::Values(
        FallbackCase{
            "HoldCurrent", {{"behavior", "HoldCurrent"}}, FakePrometheus::Mode::kDown, 3, "PrometheusUnreachable"},
        FallbackCase{"Static",
                     {{"behavior", "Static"}, {"replicas", 7}},
                     FakePrometheus::Mode::kHttp500,
                     7,
                     "PrometheusHTTPError"},
        // Yesterday's peak where the lead time reaches (12:01): the spike, 1,000 req/s.
        FallbackCase{"SeasonalNaive",
                     {{"behavior", "SeasonalNaive"}},
                     FakePrometheus::Mode::kDown,
                     10,
                     "PrometheusUnreachable"}),
    [](const auto& p) { return p.param.name; });

// A query whose answer cannot stand for demand blinds the operator, but Prometheus is up.
struct QueryProblemCase {
  FakePrometheus::Mode mode;
  std::string reason;
};
std::ostream& operator<<(std::ostream& o, const QueryProblemCase& c) { return o << c.reason; }

class ReconcilerQueryProblemTest : public ReconcilerTest, public ::testing::WithParamInterface<QueryProblemCase> {};

TEST_P(ReconcilerQueryProblemTest, NamesTheProblemAndHoldsReplicas) {
  promMode_ = GetParam().mode;
  reconciler();
  cluster_->setWorkload("Deployment", "web", {4, "app=web"});
  const Outcome out = run(baseSpec());
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(condition("ForecastReady"), GetParam().reason);
  EXPECT_EQ(condition("ForecastReady", "status"), "False");
  EXPECT_EQ(condition("PrometheusAvailable", "status"), "True");
  EXPECT_FALSE(status_.contains("currentDemand"));
  EXPECT_EQ(status_["desiredReplicas"], 4);
  EXPECT_EQ(scaledTo(), -1);
}

INSTANTIATE_TEST_SUITE_P(Problems, ReconcilerQueryProblemTest,
                         ::testing::Values(QueryProblemCase{FakePrometheus::Mode::kTwoSeries, "MultipleSeries"},
                                           QueryProblemCase{FakePrometheus::Mode::kQueryError, "QueryFailed"},
                                           QueryProblemCase{FakePrometheus::Mode::kNaN, "NotANumber"},
                                           QueryProblemCase{FakePrometheus::Mode::kEmpty, "NoData"}),
                         [](const auto& p) { return p.param.reason; });

TEST_F(ReconcilerTest, AQueueConsumerServesArrivalsPlusItsBacklogsDrainAndIsBlindWithoutIt) {
  series_["queue_depth"] = [](std::int64_t) { return 12'000.0; };  // drained within 60 s: 200/s
  reconciler();
  json spec = baseSpec();
  spec["demand"]["backlog"] = {{"query", "queue_depth{queue=\"orders\"}"}, {"drainWithin", "1m"}};
  at(kEpoch + 3600);
  run(spec);
  EXPECT_EQ(scaledTo(), 3) << "100/s arriving + 200/s draining, at 100 a replica";
  EXPECT_EQ(status_["currentDemand"], 100.0);
  EXPECT_EQ(status_["backlog"], json::parse(R"({"messages": 12000.0, "drainWithinSeconds": 60, "drainRate": 200.0})"));
  EXPECT_NE(condition("Ready", "message").find("a backlog of 12000 drained within 1m (200/s)"), std::string::npos)
      << condition("Ready", "message");
  ASSERT_EQ(reconciler_->snapshot().size(), 1U);
  EXPECT_EQ(reconciler_->snapshot()[0].backlog, 12'000.0);

  // The backlog series is gone (the exporter died): blind, the replicas held, the field removed.
  prom_->setSeries("queue_depth", nullptr);
  cluster_->setWorkload("Deployment", "web", {3, "app=web"});
  at(kEpoch + 3660);
  run(spec);
  EXPECT_EQ(condition("Fallback"), "NoBacklogData");
  EXPECT_NE(condition("Fallback", "message").find("spec.demand.backlog.query: the query returned no samples"),
            std::string::npos)
      << condition("Fallback", "message");
  EXPECT_EQ(status_["desiredReplicas"], 3);
  EXPECT_TRUE(status_["backlog"].is_null());
}

class ReconcilerSpikeTest : public ReconcilerTest {
 protected:
  ReconcilerSpikeTest() : ReconcilerTest(dailySpike) {}
};

TEST_F(ReconcilerSpikeTest, ScalesAheadOfADailySpike) {
  reconciler();
  json spec = baseSpec();
  spec["forecast"] = {{"model", "SeasonalNaive"}};
  at(kEpoch + 2 * 86400 + 12 * 3600 - 120);  // 11:58 on day 3, demand still 100
  run(spec);
  EXPECT_EQ(status_["currentDemand"], 100.0);
  EXPECT_EQ(status_["recommendation"]["reactive"], 1);
  EXPECT_EQ(status_["recommendation"]["winner"], "predicted") << status_.dump();
  EXPECT_GE(scaledTo(), 10) << "1,000 req/s at 100 a replica, before 12:00";
  EXPECT_EQ(condition("Ready"), "Reconciled");
  EXPECT_EQ(events_.count("ScaledAhead"), 1);
  const auto snap = reconciler_->snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].winner, "predicted");
  EXPECT_EQ(snap[0].desired, scaledTo());
}

TEST_F(ReconcilerTest, ASampleAboveItsBandRaisesTheWindowOnlyWhenOn) {
  std::int64_t jump = 0;  // 100/s, 300/s for an hour from `jump`
  demand_ = [&jump](std::int64_t t) { return t >= jump && t < jump + 3600 ? 300.0 : 100.0; };
  for (double level : {0.9, 0.0}) {
    SCOPED_TRACE(level);
    jump = kEpoch + (level > 0 ? 1 : 2) * 86400 + 6 * 3600;  // 06:00 on day 2, then on day 3
    reconciler();
    json spec = baseSpec();
    spec["forecast"] = {{"breakoutQuantile", level}};
    at(jump - 300);
    run(spec);
    EXPECT_EQ(condition("Ready", "message").find("breakout"), std::string::npos) << "steady: no breakout";
    at(jump + 30);  // the first sample at 300 is the newest
    run(spec);
    const std::string message = condition("Ready", "message");
    if (level > 0) {
      EXPECT_NE(message.find("raised by a breakout of 200 above the forecast"), std::string::npos) << message;
    } else {
      EXPECT_EQ(message.find("breakout"), std::string::npos) << message;
    }
    EXPECT_GE(scaledTo(), 3) << message;
  }
}

TEST_F(ReconcilerTest, RefitsOnScheduleAndReadsOnlyNewStepsBetween) {
  ReconcilerOptions options;
  options.refitSeconds = 3600;
  reconciler(options);
  at(kEpoch + 86400);
  run(baseSpec());
  for (int i = 1; i <= 3; ++i) {
    at(kEpoch + 86400 + 60 * i);
    run(baseSpec());
  }
  auto q = prom_->queries();
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].end - q[0].start, 3 * 86400) << "the first reconcile fits on the history window";
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(q[i].end - q[i].start, 0) << "then one new step a reconcile";
  at(kEpoch + 86400 + 3600);
  run(baseSpec());
  q = prom_->queries();
  EXPECT_EQ(q.back().end - q.back().start, 3 * 86400) << "refit after refitSeconds";
}

TEST_F(ReconcilerTest, AServiceRecreatedUnderTheSameNameStartsOver) {
  reconciler();
  at(kEpoch + 86400);
  run(baseSpec());
  at(kEpoch + 86400 + 60);
  run(baseSpec());
  ASSERT_EQ(prom_->queries().back().end - prom_->queries().back().start, 0);
  apply(baseSpec(), "uid-2");
  at(kEpoch + 86400 + 120);
  reconciler_->reconcile("ns/svc");
  EXPECT_EQ(prom_->queries().back().end - prom_->queries().back().start, 3 * 86400) << "a new model from history";
  store_.remove("ns/svc");
  reconciler_->reconcile("ns/svc");
  EXPECT_TRUE(reconciler_->snapshot().empty()) << "a deleted service leaves nothing behind";
}

TEST_F(ReconcilerTest, AFailedStatusWriteRetriesAndLeavesMetricsAsTheApiHasThem) {
  demand_ = [](std::int64_t t) { return t < kEpoch + 86400 + 60 ? 230.0 : 930.0; };
  reconciler();
  at(kEpoch + 86400);
  run(baseSpec());
  ASSERT_EQ(reconciler_->snapshot().at(0).desired, 3);
  cluster_->failStatusWrites(1, 409);
  at(kEpoch + 86400 + 60);
  const Outcome out = run(baseSpec());
  EXPECT_TRUE(out.failed);
  EXPECT_NE(out.error.find("writing status"), std::string::npos) << out.error;
  EXPECT_EQ(reconciler_->snapshot().at(0).desired, 3) << "/metrics shows no decision the API did not record";
  const Outcome retried = run(baseSpec());
  EXPECT_FALSE(retried.failed);
  EXPECT_EQ(reconciler_->snapshot().at(0).desired, 10);
  EXPECT_EQ(status_["desiredReplicas"], 10);
}

TEST_F(ReconcilerTest, LeadTimeAutoIsMeasuredFromThePods) {
  reconciler();
  for (int warmup : {30, 40, 50, 60, 70}) {  // p95 by nearest rank: 70
    cluster_->addPod(
        {{"metadata", {{"name", "web-" + std::to_string(warmup)}, {"creationTimestamp", formatRfc3339(kEpoch - 600)}}},
         {"status",
          {{"conditions",
            {{{"type", "Ready"},
              {"status", "True"},
              {"lastTransitionTime", formatRfc3339(kEpoch - 600 + warmup)}}}}}}});
  }
  json spec = baseSpec();
  spec.erase("leadTime");
  run(spec);
  EXPECT_EQ(status_["leadTimeSeconds"], 70);
  EXPECT_EQ(reconciler_->snapshot().at(0).leadSeconds, 70);
}

TEST_F(ReconcilerTest, WhileTheModelWarmsUpStatusSaysNotYet) {
  firstSample_ = kEpoch + 86400 - 600;  // the service's metric exists for ten minutes
  reconciler();
  at(kEpoch + 86400);
  run(baseSpec());
  at(kEpoch + 86400 + 60);
  run(baseSpec());
  EXPECT_EQ(condition("ForecastReady"), "WarmingUp");
  EXPECT_TRUE(status_["recommendation"]["predicted"].is_null()) << status_.dump();
  EXPECT_TRUE(status_.value("accuracy", json()).is_null()) << status_.dump();
  EXPECT_EQ(status_["recommendation"]["reactive"], 1);
}

TEST_F(ReconcilerTest, AMissBudgetTunesTheHeadroomAndKeepsItAcrossARestart) {
  demand_ = [](std::int64_t) { return 250.0; };
  reconciler();
  json spec = baseSpec();
  spec["replicas"]["max"] = 2;  // 200 served of 250: a fifth of demand missed
  spec["forecast"] = {{"missBudget", "1%"}};
  for (int i = 0; i <= 30; ++i) {
    at(kEpoch + 86400 + 60 * i);
    run(spec);
  }
  const json budget = status_["missBudget"];
  ASSERT_TRUE(budget.is_object()) << status_.dump();
  EXPECT_DOUBLE_EQ(budget["budget"].get<double>(), 0.01);
  EXPECT_NEAR(budget["missedShare"].get<double>(), 0.2, 1e-6);
  EXPECT_GT(budget["z"].get<double>(), predictor::zOfLevel(0.9)) << "missing more than the budget raises the headroom";
  EXPECT_GT(budget["quantile"].get<double>(), 0.9);

  reconciler();  // a restarted operator: the status it reads keeps the headroom
  at(kEpoch + 86400 + 60 * 31);
  run(spec);
  EXPECT_DOUBLE_EQ(status_["missBudget"]["z"].get<double>(), budget["z"].get<double>());
}

TEST_F(ReconcilerTest, HeadroomByTimeOfDayMovesToTheHourThatFallsShortAndSurvivesARestart) {
  // 150/s until 01:00 UTC of the day after the epoch (2 replicas serve it), then 250/s (short).
  const std::int64_t shortFrom = kEpoch + 86400 + 3600;
  demand_ = [shortFrom](std::int64_t t) { return t < shortFrom ? 150.0 : 250.0; };
  reconciler();
  json spec = baseSpec();
  spec["replicas"]["max"] = 2;
  spec["forecast"] = {{"headroomByTimeOfDay", true}};
  for (int i = 0; i <= 90; ++i) {
    at(shortFrom - 1800 + 60 * i);
    run(spec);
  }
  const json byHour = status_["headroomByHour"];
  ASSERT_TRUE(byHour.is_array()) << status_.dump();
  ASSERT_EQ(byHour.size(), 24U);
  EXPECT_GT(byHour[1].get<double>(), 0.0) << byHour.dump();
  EXPECT_LT(byHour[0].get<double>(), byHour[1].get<double>()) << byHour.dump();
  EXPECT_TRUE(status_.value("missBudget", json()).is_null()) << "no budget: the quantile stays the level";

  reconciler();  // restarted: the offsets come back from the status
  at(shortFrom + 3600 + 60);
  run(spec);
  EXPECT_NEAR(status_["headroomByHour"][0].get<double>(), byHour[0].get<double>(), 1e-3) << status_.dump();

  spec["forecast"] = json::object();
  at(shortFrom + 3600 + 120);
  run(spec);
  EXPECT_TRUE(status_.value("headroomByHour", json()).is_null()) << "turned off: gone from status";
}

TEST_F(ReconcilerTest, AnOutageBeforeAForecastPeakKeepsTheForecastsReplicasThenFallsBack) {
  demand_ = dailySpike;
  reconciler();
  json spec = baseSpec();
  spec["fallback"] = {{"behavior", "HoldCurrent"}, {"staleAfter", "60s"}};
  cluster_->setWorkload("Deployment", "web", {1, "app=web"});
  const std::int64_t noon = kEpoch + 2 * 86400 + 12 * 3600;  // the spike of day 3
  for (std::int64_t t = noon - 600; t <= noon - 300; t += 60) {
    at(t);
    run(spec);
  }
  ASSERT_EQ(condition("Fallback", "status"), "False") << status_.dump();
  EXPECT_NE(condition("Fallback", "message").find("s old"), std::string::npos) << condition("Fallback", "message");
  prom_->setMode(FakePrometheus::Mode::kDown);
  at(noon - 60);  // blind, with the spike inside the lead window
  run(spec);
  EXPECT_EQ(condition("Fallback", "status"), "True");
  EXPECT_EQ(condition("Fallback"), "PrometheusUnavailable");
  EXPECT_NE(condition("Fallback", "message").find("the last forecast asks for"), std::string::npos)
      << condition("Fallback", "message");
  EXPECT_GE(status_["desiredReplicas"].get<int>(), 10) << "the forecast's spike, not the 1 replica running";
  ASSERT_TRUE(status_.contains("lastForecastUntil")) << status_.dump();

  cluster_->setWorkload("Deployment", "web", {4, "app=web"});
  at(noon + 3 * 3600);  // past the last forecast's horizon: HoldCurrent
  run(spec);
  EXPECT_EQ(status_["desiredReplicas"], 4) << status_.dump();
  EXPECT_TRUE(status_.value("lastForecastUntil", json()).is_null());
  EXPECT_NE(condition("Fallback", "message").find("holding at least the current 4"), std::string::npos)
      << condition("Fallback", "message");
}

TEST_F(ReconcilerTest, ReadyCapacityIsKnownFromTheWorkloadCacheOnly) {
  reconciler();
  run(baseSpec());
  ASSERT_EQ(reconciler_->snapshot().size(), 1u);
  EXPECT_FALSE(reconciler_->snapshot().at(0).readyCapacity.has_value()) << "/scale has no ready count";

  ReconcilerOptions options;
  options.targetLookup = [](const std::string&, const TargetRef&) {
    return std::optional(Executor::TargetState{3, "app=web", 2});
  };
  reconciler(options);
  run(baseSpec());
  const auto snap = reconciler_->snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].current, 3);
  ASSERT_TRUE(snap[0].readyCapacity.has_value());
  EXPECT_DOUBLE_EQ(*snap[0].readyCapacity, 200.0);  // 2 ready x perReplica 100
  ASSERT_TRUE(snap[0].coverageBound.has_value());
  EXPECT_DOUBLE_EQ(*snap[0].coverageBound, 0.8) << "forecast.guard.minCoverage's default";
  EXPECT_FALSE(snap[0].coverageP90.has_value()) << "nothing scored yet";
}

// A 1,000/s spike in the first 5 minutes of every hour until `change`, then none: a forecast
// that keeps provisioning for them loses to the newest demand.
std::function<double(std::int64_t)> spikesThatStopAt(std::int64_t change) {
  return [change](std::int64_t t) {
    const bool spike = ((t % 3600) + 3600) % 3600 < 300;
    return t < change && spike ? 1000.0 : 300.0 + 50.0 * std::sin(static_cast<double>(t) / 900.0);
  };
}

TEST_F(ReconcilerTest, AForecastThatLosesToTheBaselineIsDegradedUntilItWinsAgain) {
  // Days of a 1,000/s spike in the first 5 minutes of every hour, then the spikes stop: the
  // forecast keeps provisioning for them, and loses to the newest demand.
  const std::int64_t change = kEpoch + 86400 + 50 * 60;
  demand_ = spikesThatStopAt(change);
  reconciler();
  json spec = baseSpec();
  spec["forecast"] = {{"guard", {{"window", "1h"}, {"minScored", 10}}}};
  const std::int64_t start = change;
  for (int i = 0; i <= 20; ++i) {
    at(start + 60 * i);
    run(spec);
  }
  EXPECT_EQ(condition("ForecastReady"), "Degraded") << status_.dump();
  EXPECT_EQ(condition("ForecastReady", "status"), "False");
  EXPECT_NE(condition("ForecastReady", "message").find("naive baseline"), std::string::npos)
      << condition("ForecastReady", "message");
  EXPECT_EQ(events_.count("ForecastDegraded"), 1);
  EXPECT_EQ(status_["guard"]["state"], "Degraded") << status_["guard"].dump();
  EXPECT_GE(status_["guard"]["scored"].get<int>(), 10);
  EXPECT_EQ(status_["recommendation"]["winner"], "reactive") << status_["recommendation"].dump();
  EXPECT_TRUE(status_["recommendation"]["predicted"].is_null()) << "a degraded forecast provisions nothing";
  EXPECT_FALSE(status_["forecast"].empty()) << "it is still shown";
  const auto snaps = reconciler_->snapshot({});
  ASSERT_EQ(snaps.size(), 1U);
  EXPECT_TRUE(snaps[0].degraded);
  ASSERT_TRUE(snaps[0].coverageP90.has_value()) << "minScored (10) forecasts were scored";
  EXPECT_DOUBLE_EQ(*snaps[0].coverageP90, status_["guard"]["coverageP90"].get<double>());

  reconciler();  // restarted: the condition says degraded until the new window judges
  at(start + 60 * 21);
  run(spec);
  EXPECT_EQ(condition("ForecastReady"), "Degraded") << status_.dump();
  EXPECT_EQ(status_["recommendation"]["winner"], "reactive");

  spec["forecast"]["guard"] = {{"window", "1h"}, {"minScored", 10}, {"maxSkill", 1000}, {"minCoverage", 0}};
  for (int i = 22; i <= 40 && condition("ForecastReady") == "Degraded"; ++i) {
    at(start + 60 * i);
    run(spec);
  }
  EXPECT_NE(condition("ForecastReady"), "Degraded") << status_.dump();
  EXPECT_EQ(condition("ForecastReady", "status"), "True");
  EXPECT_EQ(events_.count("ForecastRecovered"), 1);
  EXPECT_EQ(events_.count("ForecastDegraded"), 1) << "the restart did not announce it again";
  EXPECT_EQ(status_["guard"]["state"], "Trusted") << status_.dump();
}

// Shadow: 730/s against 7 replicas of 100/s that ran; the policy asks for 8. It touches nothing
// while it accounts both, and with promotion Auto runs as Auto once a whole window qualifies.
TEST_F(ReconcilerTest, ShadowAccountsBothPoliciesAndPromotesItselfOnceItEarnedIt) {
  demand_ = [](std::int64_t) { return 730.0; };
  cluster_->setWorkload("Deployment", "web", {7, "app=web"});
  reconciler();
  json spec = baseSpec();
  spec["mode"] = "Shadow";
  spec["forecast"] = {{"leadTime", "60s"}};
  spec["shadow"] = {{"window", "10m"}, {"promotion", "Manual"}};
  for (int i = 0; i <= 12; ++i) {
    at(kEpoch + 60 * i);
    run(spec);
  }
  EXPECT_EQ(scaledTo(), -1) << "Shadow writes no replicas";
  EXPECT_EQ(condition("Ready"), "Shadow");
  EXPECT_EQ(status_["desiredReplicas"], 8);
  const json shadow = status_["shadow"];
  EXPECT_EQ(shadow["windowSeconds"], 600);
  EXPECT_GE(shadow["coveredSeconds"].get<double>(), 570) << shadow.dump();
  EXPECT_NEAR(shadow["actual"]["missedRequests"].get<double>(), 30.0 * shadow["coveredSeconds"].get<double>(), 1e-6);
  EXPECT_LT(shadow["predictive"]["missedRequests"].get<double>(),
            0.2 * shadow["actual"]["missedRequests"].get<double>());
  EXPECT_TRUE(shadow["qualifies"].get<bool>()) << shadow.dump();
  EXPECT_EQ(events_.count("Promoted"), 0) << "Manual only reports";

  spec["shadow"]["promotion"] = "Auto";
  at(kEpoch + 60 * 13);
  run(spec);
  EXPECT_EQ(events_.count("Promoted"), 1);
  EXPECT_EQ(scaledTo(), 8) << "promoted, it scales in the same reconcile";
  EXPECT_EQ(condition("Ready"), "Reconciled");
  EXPECT_FALSE(status_["shadow"].value("promotedAt", std::string()).empty()) << status_["shadow"].dump();

  reconciler();  // restarted: the promotion holds, the window starts afresh
  cluster_->setWorkload("Deployment", "web", {8, "app=web"});
  at(kEpoch + 60 * 14);
  run(spec);
  EXPECT_EQ(condition("Ready"), "Reconciled");
  EXPECT_EQ(events_.count("Promoted"), 1);

  spec["mode"] = "Auto";  // leaving Shadow drops the promotion and its account
  at(kEpoch + 60 * 15);
  run(spec);
  EXPECT_TRUE(status_.value("shadow", json()).is_null()) << status_.dump();
}

// The same service with its history in Prometheus: the window before the first reconcile is
// replayed from the demand and the replicas recorded (kube-state-metrics' series), so it is
// promoted at that first reconcile.
TEST_F(ReconcilerTest, ShadowAccountsTheWindowBeforeItFromHistoryAndIsPromotedAtOnce) {
  demand_ = [](std::int64_t) { return 730.0; };
  ranReplicas_ = [](std::int64_t) { return 7.0; };
  cluster_->setWorkload("Deployment", "web", {7, "app=web"});
  reconciler();
  json spec = baseSpec();
  spec["mode"] = "Shadow";
  spec["forecast"] = {{"leadTime", "60s"}};
  spec["shadow"] = {{"window", "1h"}, {"promotion", "Auto"}};
  at(kEpoch + 4 * 86400);
  run(spec);
  const json shadow = status_["shadow"];
  EXPECT_GE(shadow["historySeconds"].get<std::int64_t>(), 3600 - 60) << shadow.dump();
  EXPECT_TRUE(shadow.value("historyNote", json()).is_null()) << shadow.dump();
  EXPECT_NEAR(shadow["actual"]["missedRequests"].get<double>(), 30.0 * shadow["coveredSeconds"].get<double>(), 1e-6);
  EXPECT_EQ(events_.count("Promoted"), 1) << shadow.dump();
  EXPECT_EQ(scaledTo(), 8) << "promoted at the first reconcile";
}

// Without kube-state-metrics' series the window is accounted live, and the status says why.
TEST_F(ReconcilerTest, ShadowWithoutAHistoryOfReplicasAccountsFromNowAndSaysSo) {
  demand_ = [](std::int64_t) { return 730.0; };
  cluster_->setWorkload("Deployment", "web", {7, "app=web"});
  reconciler();
  json spec = baseSpec();
  spec["mode"] = "Shadow";
  spec["shadow"] = {{"window", "1h"}, {"promotion", "Auto"}};
  at(kEpoch + 4 * 86400);
  run(spec);
  const json shadow = status_["shadow"];
  EXPECT_EQ(shadow["historySeconds"], 0);
  EXPECT_EQ(shadow.value("historyNote", std::string()),
            "kube_deployment_status_replicas_available{namespace=\"ns\",deployment=\"web\"} has no samples in the "
            "window: it is accounted from now on");
  EXPECT_EQ(events_.count("Promoted"), 0);
}

TEST_F(ReconcilerTest, ADegradedServiceSetToShadowStopsWritingReplicas) {
  const std::int64_t change = kEpoch + 86400 + 50 * 60;
  demand_ = spikesThatStopAt(change);
  reconciler();
  json spec = baseSpec();
  spec["forecast"] = {{"guard", {{"window", "1h"}, {"minScored", 10}, {"onDegraded", "Shadow"}}}};
  for (int i = 0; i <= 20; ++i) {
    at(change + 60 * i);
    run(spec);
  }
  ASSERT_EQ(condition("ForecastReady"), "Degraded") << status_.dump();
  const auto writes = cluster_->writesTo("/deployments/web/scale").size();
  at(change + 60 * 21);
  run(spec);
  EXPECT_EQ(condition("Ready"), "Shadow");
  EXPECT_EQ(cluster_->writesTo("/deployments/web/scale").size(), writes) << "no replicas written while degraded";
}

}  // namespace
}  // namespace tso::reconcile

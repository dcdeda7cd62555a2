// The operator end to end: the real binary against the real kube-apiserver (kwok pods with a
// warm-up) and the real Prometheus. Demand comes from PromQL over time() so history exists at
// once: a recurring spike must be provisioned (pods Ready) before it starts, by the lead time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/support/cluster_env.h"

namespace tso::testing {
namespace {

using namespace std::chrono_literals;

double wallNow() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string jsonpath(const std::string& what, const std::string& ns, const std::string& path) {
  auto r = kubectl("get " + what + " -n " + ns + " -o jsonpath='{" + path + "}'");
  return r.exitCode == 0 ? r.output : "";
}

int intOr(const std::string& s, int def) {
  try {
    return s.empty() ? def : std::stoi(s);
  } catch (...) {
    return def;
  }
}

class OperatorTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const char* prom = std::getenv("TSO_PROMETHEUS_URL");
    if (prom == nullptr || *prom == '\0') {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << "CI=true needs TSO_PROMETHEUS_URL";
      GTEST_SKIP() << "no TSO_PROMETHEUS_URL (run through scripts/integration.sh)";
    }
    prometheus_ = prom;
    ASSERT_TRUE(installCrds().empty());
  }
  void TearDown() override {
    if (op_) {
      EXPECT_TRUE(op_->alive()) << "the operator exited during the test:\n" << op_->log();
      op_.reset();
    }
    ClusterTest::TearDown();
  }

  void startOperator(const std::string& prometheusAddress = "") {
    metricsPort_ = freePort();
    op_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{operatorBinary(), "run", "--namespace", ns(), "--prometheus-address",
                                 prometheusAddress.empty() ? prometheus_ : prometheusAddress, "--metrics-bind-address",
                                 "127.0.0.1:" + std::to_string(metricsPort_), "--workers", "2"},
        ::testing::TempDir() + "operator-" + ns() + ".log");
    ASSERT_TRUE(waitFor(
        [&] {
          return runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/readyz").exitCode == 0;
        },
        30s))
        << op_->log();
  }

  void deployment(const std::string& name, int replicas, const std::string& warmup = "1s") {
    auto r = applyManifest(ns(), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
                                     "}\nspec:\n  replicas: " + std::to_string(replicas) +
                                     "\n  selector: {matchLabels: {app: " + name +
                                     "}}\n  template:\n"
                                     "    metadata:\n      labels: {app: " +
                                     name +
                                     "}\n"
                                     "      annotations: {pod-ready.stage.kwok.x-k8s.io/delay: \"" +
                                     warmup +
                                     "\"}\n"
                                     "    spec: {containers: [{name: app, image: registry.invalid/app:1}]}\n");
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }

  // A ThroughputService named `name` targeting Deployment `name`; `extra` is more spec YAML.
  void service(const std::string& name, const std::string& query, const std::string& extra = "") {
    auto r =
        applyManifest(ns(), "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\nmetadata: {name: " + name +
                                "}\nspec:\n  targetRef: {name: " + name +
                                "}\n"
                                "  demand:\n    query: '" +
                                query +
                                "'\n    step: 2s\n    history: 1h\n"
                                "  capacity: {perReplica: 50, targetUtilization: 1.0}\n"
                                "  replicas: {min: 1, max: 20}\n" +
                                extra);
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }

  // A 60 s sine of 100/s around 200/s, down to a flat 20/s over [t0, t1) (an upstream outage).
  static std::string waveWithOutage(std::int64_t t0, std::int64_t t1) {
    const std::string outage =
        "(time() >= bool " + std::to_string(t0) + ") * (time() < bool " + std::to_string(t1) + ")";
    return "(200 + 100 * sin(vector(2 * pi() * time() / 60))) * (1 - " + outage + ") + 20 * " + outage;
  }

  // A private Prometheus this test can stop and start again (same port and data), ready.
  struct PrivatePrometheus {
    std::string dir;
    int port = 0;
    std::unique_ptr<ChildProcess> process;
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  };
  static void startPrometheus(PrivatePrometheus& p) {
    if (p.port == 0) {
      p.port = freePort();
      runCommand("mkdir -p " + p.dir + " && printf 'global: {scrape_interval: 1s}\\n' > " + p.dir + "/p.yml");
    }
    p.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + p.dir + "/p.yml",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(p.port),
                                 "--storage.tsdb.path=" + p.dir + "/data"},
        p.dir + "/prom.log");
    ASSERT_TRUE(waitFor([&] { return runCommand("curl -sf " + p.url() + "/-/ready").exitCode == 0; }, 30s))
        << p.process->log();
  }

  std::string condition(const std::string& name, const std::string& type, const std::string& field = "status") {
    return jsonpath("tps " + name, ns(), ".status.conditions[?(@.type==\"" + type + "\")]." + field);
  }
  int replicas(const std::string& name) { return intOr(jsonpath("deployment " + name, ns(), ".spec.replicas"), -1); }

  std::string prometheus_;
  int metricsPort_ = 0;
  std::unique_ptr<ChildProcess> op_;
};

// Minutes of wall-clock demand waves through the whole operator: CTest labels them `long`
// (tests/integration/CMakeLists.txt) so the ThreadSanitizer leg, whose threads the short tests
// already run, leaves them to the ASan leg.
class OperatorScenarioTest : public OperatorTest {};

TEST_F(OperatorScenarioTest, RecurringSpikeIsProvisionedAheadByTheLeadTime) {
  // Demand 100/s with a spike to 400/s during seconds 40-59 of every minute; 50/s per pod.
  // Pods take 8 s to become Ready; the lead time is 10 s.
  deployment("web", 2, "8s");
  service("web", "vector(100 + 300 * (time() % 60 >= bool 40))",
          "  forecast: {leadTime: 10s}\n  behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n");
  startOperator();
  // Watch two spikes after the model is fitted; at each spike start all 8 pods must be Ready,
  // and the scale-up must have happened at least the lead time before the spike.
  ASSERT_TRUE(waitFor([&] { return condition("web", "ForecastReady") == "True"; }, 60s)) << op_->log();
  int provisionedSpikes = 0;
  double lastLow = -1;  // last time the Deployment was below the spike's 8 replicas
  double raisedAt = -1;
  const double deadline = wallNow() + 150;
  std::string trace;
  while (wallNow() < deadline && provisionedSpikes < 2) {
    const double t = wallNow();
    const int spec = replicas("web");
    const int ready = intOr(jsonpath("deployment web", ns(), ".status.readyReplicas"), 0);
    const double sec = std::fmod(t, 60);
    if (spec < 8) {
      lastLow = t;
      raisedAt = -1;
    } else if (raisedAt < 0) {
      raisedAt = t;
      trace += "raised at :" + std::to_string(static_cast<int>(std::fmod(t, 60))) + "; ";
    }
    if (sec >= 39.0 && sec < 40.0 && lastLow > 0) {
      // Just before the spike: it must be fully provisioned, raised lead time (10 s) ahead.
      if (ready >= 8 && raisedAt > 0 && raisedAt <= t - (sec - 30.0) + 0.75) {
        ++provisionedSpikes;
        trace += "spike provisioned (ready " + std::to_string(ready) + "); ";
        std::this_thread::sleep_for(2s);  // leave the window
        continue;
      }
      ADD_FAILURE() << "at :" << sec << " the Deployment has " << spec << " replicas, " << ready << " ready, raised "
                    << (raisedAt > 0 ? std::to_string(t - raisedAt) + " s ago" : "not at all") << "; trace: " << trace;
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(provisionedSpikes, 2) << trace << "\n" << op_->log();
  // Between spikes the replicas come back down (the spike is not simply held).
  EXPECT_GT(lastLow, 0) << "the Deployment never went below 8 replicas: " << trace;
  const auto model = condition("web", "ForecastReady", "message");
  EXPECT_NE(model.find("periodic_30"), std::string::npos) << model;
  // The ScaledAhead event names the forecast, quantile and lead time.
  auto events =
      kubectl("get events -n " + ns() + " --field-selector reason=ScaledAhead -o jsonpath='{.items[*].message}'");
  EXPECT_NE(events.output.find("P90"), std::string::npos) << events.output;
  EXPECT_NE(events.output.find("lead time 10s"), std::string::npos) << events.output;
}

TEST_F(OperatorTest, HpaFloorIsRaisedOwnedAndRemovedWithTheService) {
  deployment("api", 3);
  service("api", "vector(400)", "  hpa: {enabled: true}\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return jsonpath("hpa tso-api", ns(), ".spec.minReplicas") == "8"; }, 60s))
      << jsonpath("hpa tso-api", ns(), ".spec") << "\n"
      << op_->log();
  EXPECT_EQ(jsonpath("hpa tso-api", ns(), ".spec.maxReplicas"), "20");
  EXPECT_EQ(jsonpath("hpa tso-api", ns(), ".spec.scaleTargetRef.name"), "api");
  EXPECT_EQ(jsonpath("hpa tso-api", ns(), ".metadata.ownerReferences[0].kind"), "ThroughputService");
  EXPECT_EQ(jsonpath("hpa tso-api", ns(), ".metadata.ownerReferences[0].controller"), "true");
  // The HPA controller acts on the floor: the Deployment follows to 8.
  EXPECT_TRUE(waitFor([&] { return replicas("api") == 8; }, 60s)) << replicas("api");
  // Deleting the ThroughputService deletes its HPA (garbage collection) and leaves the workload.
  ASSERT_EQ(kubectl("delete tps api -n " + ns()).exitCode, 0);
  EXPECT_TRUE(waitFor([&] { return kubectl("get hpa tso-api -n " + ns()).exitCode != 0; }, 60s));
  EXPECT_EQ(replicas("api"), 8);
}

TEST_F(OperatorTest, CacheConfigMapIsSizedWithinBounds) {
  deployment("cache", 1);
  ASSERT_EQ(kubectl("create configmap cache-config -n " + ns() + " --from-literal=maxmemory=1Mi").exitCode, 0);
  service("cache", "vector(100)",
          "  cache: {configMapRef: {name: cache-config, key: maxmemory}, bytesPerDemandUnit: 1048576, min: 64Mi, max: "
          "1Gi}\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return jsonpath("configmap cache-config", ns(), ".data.maxmemory") == "100Mi"; }, 60s))
      << jsonpath("configmap cache-config", ns(), ".data") << "\n"
      << op_->log();
  EXPECT_EQ(jsonpath("tps cache", ns(), ".status.cache.appliedBytes"), std::to_string(100LL << 20));
  // Demand beyond the bound: the size stops at max.
  ASSERT_EQ(
      kubectl("patch tps cache -n " + ns() + " --type=merge -p '{\"spec\":{\"demand\":{\"query\":\"vector(5000)\"}}}'")
          .exitCode,
      0);
  EXPECT_TRUE(waitFor([&] { return jsonpath("configmap cache-config", ns(), ".data.maxmemory") == "1Gi"; }, 60s))
      << jsonpath("configmap cache-config", ns(), ".data");
}

TEST_F(OperatorTest, AQueueConsumerIsScaledForArrivalsPlusDrainingItsBacklog) {
  deployment("consumer", 1);
  service("consumer", "vector(100)");
  auto backlog = [&](const std::string& query) {
    return kubectl("patch tps consumer -n " + ns() +
                   " --type=merge -p '{\"spec\":{\"demand\":{\"backlog\":{\"query\":\"" + query +
                   "\",\"drainWithin\":\"1m\"}}}}'")
        .exitCode;
  };
  ASSERT_EQ(backlog("vector(3000)"), 0);
  startOperator();
  // 100/s arriving + 3000 waiting / 60 s = 150/s, at 50 a replica.
  ASSERT_TRUE(waitFor([&] { return replicas("consumer") == 3; }, 60s))
      << jsonpath("tps consumer", ns(), ".status") << "\n"
      << op_->log();
  EXPECT_EQ(jsonpath("tps consumer", ns(), ".status.currentDemand"), "100");
  EXPECT_EQ(jsonpath("tps consumer", ns(), ".status.backlog.messages"), "3000");
  EXPECT_EQ(jsonpath("tps consumer", ns(), ".status.backlog.drainRate"), "50");
  const std::string metrics =
      runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/metrics").output;
  EXPECT_NE(metrics.find("tso_demand_backlog{namespace=\"" + ns() + "\",name=\"consumer\"} 3000"), std::string::npos)
      << metrics;

  // The backlog grows: 12000 / 60 s = 200/s more, 6 replicas.
  ASSERT_EQ(backlog("vector(12000)"), 0);
  ASSERT_TRUE(waitFor([&] { return replicas("consumer") == 6; }, 60s)) << jsonpath("tps consumer", ns(), ".status");

  // The backlog's series is gone: blind, the replicas held.
  ASSERT_EQ(backlog("tso_no_such_queue_depth"), 0);
  ASSERT_TRUE(waitFor([&] { return condition("consumer", "Fallback", "reason") == "NoBacklogData"; }, 60s))
      << jsonpath("tps consumer", ns(), ".status");
  EXPECT_NE(condition("consumer", "Fallback", "message").find("spec.demand.backlog.query"), std::string::npos);
  EXPECT_EQ(replicas("consumer"), 6);
  EXPECT_EQ(jsonpath("tps consumer", ns(), ".status.backlog"), "");
}

TEST_F(OperatorTest, DependentsAreScaledWithTheTargetWithinTheirOwnBounds) {
  deployment("checkout", 1);
  deployment("payment", 1);
  deployment("inventory", 1);
  service("checkout", "vector(300)",
          "  dependents:\n"
          "  - {name: payment, perReplica: 100, replicas: {min: 1, max: 20}}\n"
          "  - {name: inventory, ratio: 0.5, replicas: {min: 2, max: 4}}\n");
  startOperator();
  // 300/s: 6 checkout replicas at 50 each, 3 payment at 100 each, inventory half of checkout.
  ASSERT_TRUE(
      waitFor([&] { return replicas("checkout") == 6 && replicas("payment") == 3 && replicas("inventory") == 3; }, 60s))
      << jsonpath("tps checkout", ns(), ".status") << "\n"
      << op_->log();
  EXPECT_EQ(jsonpath("tps checkout", ns(), ".status.dependents[0].desiredReplicas"), "3");
  EXPECT_EQ(jsonpath("tps checkout", ns(), ".status.dependents[1].name"), "inventory");

  // Twice the demand: payment follows it, inventory stops at its max.
  ASSERT_EQ(kubectl("patch tps checkout -n " + ns() +
                    " --type=merge -p '{\"spec\":{\"demand\":{\"query\":\"vector(600)\"}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitFor([&] { return replicas("checkout") == 12 && replicas("payment") == 6; }, 60s))
      << jsonpath("tps checkout", ns(), ".status");
  EXPECT_EQ(replicas("inventory"), 4);
  const std::string metrics =
      runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/metrics").output;
  EXPECT_NE(metrics.find("tso_dependent_replicas{namespace=\"" + ns() +
                         "\",name=\"checkout\",dependent=\"payment\",source=\"final\"} 6"),
            std::string::npos)
      << metrics;
}

TEST_F(OperatorTest, FallbackWhenPrometheusStopsNeverScalesDownAndRecovers) {
  PrivatePrometheus prom;
  prom.dir = ::testing::TempDir() + "prom-" + ns();
  startPrometheus(prom);
  if (HasFatalFailure()) return;
  deployment("svc", 2);
  service("svc", "vector(400)", "  fallback: {staleAfter: 10s}\n");
  startOperator(prom.url());
  ASSERT_TRUE(waitFor([&] { return replicas("svc") == 8; }, 60s)) << op_->log();

  prom.process->stop();
  ASSERT_TRUE(waitFor([&] { return condition("svc", "Fallback") == "True"; }, 30s)) << op_->log();
  EXPECT_EQ(condition("svc", "PrometheusAvailable"), "False");
  EXPECT_EQ(condition("svc", "PrometheusAvailable", "reason"), "PrometheusUnreachable");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(replicas("svc"), 8) << "replicas reduced while blind";
    std::this_thread::sleep_for(1s);
  }
  auto events = kubectl("get events -n " + ns() + " --field-selector reason=FallbackActivated -o name");
  EXPECT_FALSE(events.output.empty()) << "no FallbackActivated event";

  startPrometheus(prom);
  EXPECT_TRUE(waitFor(
      [&] { return condition("svc", "Fallback") == "False" && condition("svc", "PrometheusAvailable") == "True"; },
      60s))
      << op_->log();
  EXPECT_EQ(condition("svc", "Ready"), "True");
}

TEST_F(OperatorScenarioTest, AnOutageBeforeAForecastPeakProvisionsItFromTheLastForecastThenHolds) {
  // The spike wave of RecurringSpikeIsProvisionedAhead (8 pods during seconds 40-59 of each
  // minute, 2 between). Prometheus goes away between spikes, before the operator raised the
  // replicas for the next one: blind, it still provisions that spike from its last forecast
  // (HoldCurrent alone would keep 2), and once the forecast's horizon no longer covers the lead
  // window it holds what it has.
  PrivatePrometheus prom;
  prom.dir = ::testing::TempDir() + "prom-blind-" + ns();
  startPrometheus(prom);
  if (HasFatalFailure()) return;
  deployment("blind", 2, "1s");
  service("blind", "vector(100 + 300 * (time() % 60 >= bool 40))",
          "  forecast: {leadTime: 10s}\n  behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n"
          "  fallback: {staleAfter: 4s}\n");
  startOperator(prom.url());
  ASSERT_TRUE(waitFor([&] { return condition("blind", "ForecastReady") == "True"; }, 60s)) << op_->log();
  // A whole cycle up to 8 and back, so the forecast drives; then a moment between spikes.
  ASSERT_TRUE(waitFor([&] { return replicas("blind") == 8; }, 90s)) << op_->log();
  ASSERT_TRUE(waitFor(
      [&] {
        const double sec = std::fmod(wallNow(), 60);
        return replicas("blind") == 2 && sec >= 8 && sec < 16;
      },
      120s))
      << jsonpath("tps blind", ns(), ".status") << "\n"
      << op_->log();
  prom.process->stop();
  const double stoppedAt = wallNow();
  ASSERT_TRUE(waitFor([&] { return condition("blind", "Fallback") == "True"; }, 30s)) << op_->log();
  EXPECT_FALSE(jsonpath("tps blind", ns(), ".status.lastForecastUntil").empty())
      << jsonpath("tps blind", ns(), ".status");
  // The next spike starts at second 40 of this minute: raised for it while blind.
  ASSERT_TRUE(waitFor([&] { return replicas("blind") == 8; }, 45s))
      << "blind at :" << std::fmod(stoppedAt, 60) << ", replicas " << replicas("blind") << "\n"
      << jsonpath("tps blind", ns(), ".status") << "\n"
      << op_->log();
  // A reconcile scales before it writes status: the message follows within a reconcile or two.
  EXPECT_TRUE(waitFor(
      [&] {
        return condition("blind", "Fallback", "message").find("the last forecast asks for 8") != std::string::npos;
      },
      10s))
      << condition("blind", "Fallback", "message");
  // Past the horizon (48 steps of 2 s after the last sample) the policy alone: hold 8.
  ASSERT_TRUE(waitFor([&] { return jsonpath("tps blind", ns(), ".status.lastForecastUntil").empty(); }, 150s))
      << jsonpath("tps blind", ns(), ".status");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(replicas("blind"), 8) << "blind, never below the current replicas";
    std::this_thread::sleep_for(1s);
  }
  EXPECT_EQ(condition("blind", "Fallback"), "True");
}

TEST_F(OperatorTest, SeasonalNaiveFallbackProvisionsYesterdaysPeakWhileBlind) {
  // Demand 100/s today and 400/s yesterday (by the parity of the UTC day): with Prometheus
  // gone, fallback.behavior SeasonalNaive must provision yesterday's 400/s (8 pods), read
  // from the history the operator fetched before, where HoldCurrent would keep 2.
  if (const auto toMidnight = 86400 - static_cast<std::int64_t>(wallNow()) % 86400; toMidnight < 300) {
    std::this_thread::sleep_for(std::chrono::seconds(toMidnight + 5));  // "today" must last the test
  }
  const auto parity = (static_cast<std::int64_t>(wallNow()) / 86400) % 2;
  PrivatePrometheus prom;
  prom.dir = ::testing::TempDir() + "prom-sn-" + ns();
  startPrometheus(prom);
  if (HasFatalFailure()) return;
  deployment("svc", 1);
  auto r = applyManifest(ns(),
                         "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\nmetadata: {name: svc}\n"
                         "spec:\n  targetRef: {name: svc}\n"
                         "  demand:\n    query: 'vector(100 + 300 * ((time() - time() % 86400) / 86400 % 2 != bool " +
                             std::to_string(parity) +
                             "))'\n    step: 60s\n    history: 2d\n"
                             "  capacity: {perReplica: 50, targetUtilization: 1.0}\n"
                             "  replicas: {min: 1, max: 20}\n"
                             "  fallback: {behavior: SeasonalNaive, staleAfter: 5m}\n");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  startOperator(prom.url());
  ASSERT_TRUE(waitFor([&] { return replicas("svc") == 2; }, 60s)) << op_->log();

  prom.process->stop();
  // The next reconcile is up to one step (60 s) away.
  ASSERT_TRUE(waitFor([&] { return condition("svc", "Fallback") == "True"; }, 90s)) << op_->log();
  EXPECT_TRUE(waitFor([&] { return replicas("svc") == 8; }, 30s))
      << "replicas " << replicas("svc") << "; " << jsonpath("tps svc", ns(), ".status") << "\n"
      << op_->log();
}

TEST_F(OperatorTest, ForecastOnlyAndPausedTouchNothing) {
  deployment("watched", 2);
  deployment("paused", 2);
  service("watched", "vector(400)", "  mode: ForecastOnly\n");
  service("paused", "vector(400)", "  mode: Paused\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return jsonpath("tps watched", ns(), ".status.desiredReplicas") == "8"; }, 60s))
      << op_->log();
  EXPECT_EQ(condition("watched", "Ready", "reason"), "ForecastOnly");
  // The two services are reconciled independently: "watched" being done says nothing of "paused".
  EXPECT_TRUE(waitFor([&] { return condition("paused", "Ready", "reason") == "Paused"; }, 30s))
      << jsonpath("tps paused", ns(), ".status") << "\n"
      << op_->log();
  std::this_thread::sleep_for(6s);
  EXPECT_EQ(replicas("watched"), 2);
  EXPECT_EQ(replicas("paused"), 2);
  EXPECT_EQ(kubectl("get hpa -n " + ns() + " -o name").output, "");
}

TEST_F(OperatorTest, AShadowServiceTouchesNothingThenPromotesItselfAndScales) {
  // 370/s against the 7 pods of 50/s that ran (350/s): what ran misses 20/s, the policy asks for
  // 8. Over a whole 1-minute window it misses only its 4 s warm-up's share at 8/7 the cost, so
  // it promotes itself and scales.
  deployment("shadowed", 7);
  service("shadowed", "vector(370)",
          "  mode: Shadow\n  forecast: {leadTime: 4s}\n  shadow: {window: 1m, promotion: Auto}\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return jsonpath("tps shadowed", ns(), ".status.desiredReplicas") == "8"; }, 60s))
      << op_->log();
  EXPECT_EQ(condition("shadowed", "Ready", "reason"), "Shadow");
  EXPECT_EQ(replicas("shadowed"), 7) << "Shadow writes no replicas";
  ASSERT_TRUE(waitFor([&] { return replicas("shadowed") == 8; }, 150s))
      << jsonpath("tps shadowed", ns(), ".status.shadow") << "\n"
      << op_->log();
  EXPECT_FALSE(jsonpath("tps shadowed", ns(), ".status.shadow.promotedAt").empty());
  const double actualMissed = std::atof(jsonpath("tps shadowed", ns(), ".status.shadow.actual.missedRequests").c_str());
  const double predictiveMissed =
      std::atof(jsonpath("tps shadowed", ns(), ".status.shadow.predictive.missedRequests").c_str());
  EXPECT_GT(actualMissed, 0);
  EXPECT_LE(predictiveMissed, 0.2 * actualMissed);
  const auto events = kubectl("get events -n " + ns() + " --field-selector reason=Promoted -o name").output;
  EXPECT_FALSE(events.empty()) << "Event Promoted";
  EXPECT_EQ(kubectl("get tps shadowed -n " + ns() + " -o jsonpath='{.spec.mode}'").output, "Shadow")
      << "the spec is not rewritten";
}

TEST_F(OperatorTest, AShadowServiceOnASeasonalWeekIsPromotedFromItsHistory) {
  // Six days of the NASA trace (x100) end just now in a private Prometheus, with the replicas
  // that ran: a fixed 10 (200/s at 20/s a pod), short of the daily peak. The Shadow service
  // replays its policy over the last day (trained on the three before) at its first reconcile,
  // so it is promoted at once rather than a day later.
  PrivatePrometheus prom;
  prom.dir = ::testing::TempDir() + "prom-history-" + ns();
  const std::string backfill = "python3 " + sourceDir() + "/e2e/prometheus/backfill.py ";
  const std::string before = std::to_string(static_cast<std::int64_t>(wallNow()));
  const std::string demandCsv = prom.dir + "/demand.csv";
  auto r = runCommand(
      backfill + TSO_TRACES_DIR "/nasa_jul95_1min.csv --metric 'web:requests:rate1m{service=\"history\"}'" +
      " --data " + prom.dir + "/data --days 6 --scale 100 --shift step --before " + before + " --csv-out " + demandCsv);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  {
    std::ifstream in(demandCsv);
    std::ofstream out(prom.dir + "/replicas.csv");
    std::string line;
    std::getline(in, line);
    out << "timestamp,value\n";
    while (std::getline(in, line)) out << line.substr(0, line.find(',')) << ",10\n";
  }
  r = runCommand(backfill + prom.dir + "/replicas.csv --gauge --shift step --before " + before + " --data " + prom.dir +
                 "/data --metric 'kube_deployment_status_replicas_available{namespace=\"" + ns() +
                 "\",deployment=\"history\"}'");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  startPrometheus(prom);
  if (HasFatalFailure()) return;

  deployment("history", 10);
  r = applyManifest(ns(),
                    "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\nmetadata: {name: history}\n"
                    "spec:\n  targetRef: {name: history}\n  mode: Shadow\n"
                    "  demand: {query: 'web:requests:rate1m{service=\"history\"}', step: 60s, history: 3d}\n"
                    "  capacity: {perReplica: 20, targetUtilization: 0.8}\n  replicas: {min: 2, max: 60}\n"
                    "  forecast: {quantile: 0.9, leadTime: 2m}\n  shadow: {window: 1d, promotion: Auto}\n");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  startOperator(prom.url());
  ASSERT_TRUE(waitFor([&] { return !jsonpath("tps history", ns(), ".status.shadow.promotedAt").empty(); }, 120s))
      << jsonpath("tps history", ns(), ".status") << "\n"
      << op_->log();
  auto shadow = [&](const std::string& field) {
    return std::atof(jsonpath("tps history", ns(), ".status.shadow." + field).c_str());
  };
  EXPECT_GE(shadow("historySeconds"), 86400 - 120) << jsonpath("tps history", ns(), ".status.shadow");
  EXPECT_EQ(jsonpath("tps history", ns(), ".status.shadow.historyNote"), "");
  const double actualMissed = shadow("actual.missedRequests");
  EXPECT_GT(actualMissed, 0) << "10 pods miss the daily peak";
  EXPECT_LE(shadow("predictive.missedRequests"), 0.2 * actualMissed);
  EXPECT_LE(shadow("predictive.podSeconds"), 1.25 * shadow("actual.podSeconds"));
  EXPECT_FALSE(kubectl("get events -n " + ns() + " --field-selector reason=Promoted -o name").output.empty());
  // Promoted, it writes the forecast's replicas.
  EXPECT_TRUE(waitFor([&] { return replicas("history") != 10; }, 60s))
      << jsonpath("tps history", ns(), ".status") << "\n"
      << op_->log();
}

TEST_F(OperatorTest, FleetRegressionForecastsAndScalesTheService) {
  // forecast.model FleetRegression: the fleet regression (predictor/fleet.h) fitted on this
  // service alone. Demand 310/s at 50/s a pod needs 7 pods; the forecast must say so.
  deployment("shared", 2);
  service("shared", "vector(310)", "  forecast: {model: FleetRegression}\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return condition("shared", "ForecastReady", "reason") == "ModelFitted"; }, 60s))
      << jsonpath("tps shared", ns(), ".status") << "\n"
      << op_->log();
  const auto message = condition("shared", "ForecastReady", "message");
  EXPECT_NE(message.find("model fleet_regression fitted on"), std::string::npos) << message;
  EXPECT_TRUE(waitFor([&] { return replicas("shared") == 7; }, 30s)) << replicas("shared") << "\n"
                                                                     << jsonpath("tps shared", ns(), ".status");
  const double predicted = std::atof(jsonpath("tps shared", ns(), ".status.predictedDemand").c_str());
  EXPECT_NEAR(predicted, 310.0, 5.0) << jsonpath("tps shared", ns(), ".status");
  // The model label the dashboards read.
  const auto metrics = runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/metrics").output;
  EXPECT_NE(metrics.find("model=\"fleet_regression\""), std::string::npos) << metrics;
}

TEST_F(OperatorScenarioTest, AServiceWhoseDemandChangesCharacterDegradesToReactiveAndRecovers) {
  // A 60 s sine on 2 s steps: the fit picks the period the FFT finds (periodic_30). For 40 s
  // from t0 demand drops to 20 (an upstream outage). Two guards act, each with its Events:
  // - the model's own: forecasting its swing while the newest sample forecasts the flat 20
  //   exactly, periodic_30 is set aside (ModelSetAside) for the naive stand-in, and taken back
  //   once the sine is back and its one-step error decays (ModelRecovered). Replays of this
  //   query set it aside within 26 s and take it back within 58 s of the outage's end;
  // - the accuracy gate, judging skill over a 90 s window (the forecast must lose at most 0.8
  //   of the newest demand's loss, a lead time of 6 s ahead): the periodic model wins by far
  //   while the wave runs, loses through the outage and the stand-in's trailing of the wave's
  //   return, so the service degrades to reactive scaling; once the model is taken back,
  //   winning forecasts fill the window again and it recovers.
  deployment("shift", 4);
  startOperator();
  const auto t0 = static_cast<std::int64_t>(wallNow()) + 50;
  const auto t1 = t0 + 40;
  service("shift", waveWithOutage(t0, t1),
          "  forecast: {leadTime: 6s, guard: {window: 90s, minScored: 10, maxSkill: 0.8, minCoverage: 0}}\n"
          "  behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n");
  ASSERT_TRUE(waitFor([&] { return jsonpath("tps shift", ns(), ".status.guard.state") == "Trusted"; },
                      std::chrono::seconds(t0 - static_cast<std::int64_t>(wallNow()))))
      << jsonpath("tps shift", ns(), ".status") << "\n"
      << op_->log();
  ASSERT_NE(condition("shift", "ForecastReady", "message").find("periodic_30"), std::string::npos)
      << condition("shift", "ForecastReady", "message");
  auto eventMessages = [&](const std::string& reason) {
    return kubectl("get events -n " + ns() + " --field-selector reason=" + reason +
                   " -o jsonpath='{.items[*].message}'")
        .output;
  };

  ASSERT_TRUE(waitFor([&] { return condition("shift", "ForecastReady", "reason") == "Degraded"; },
                      std::chrono::seconds(t1 + 90 - static_cast<std::int64_t>(wallNow()))))
      << jsonpath("tps shift", ns(), ".status") << "\n"
      << op_->log();
  EXPECT_EQ(condition("shift", "ForecastReady"), "False");
  EXPECT_EQ(jsonpath("tps shift", ns(), ".status.guard.state"), "Degraded");
  EXPECT_TRUE(waitFor([&] { return eventMessages("ModelSetAside").find("periodic_30 set aside") != std::string::npos; },
                      std::chrono::seconds(std::max<std::int64_t>(5, t1 - static_cast<std::int64_t>(wallNow())))))
      << eventMessages("ModelSetAside");
  EXPECT_FALSE(kubectl("get events -n " + ns() + " --field-selector reason=ForecastDegraded,type=Warning -o name")
                   .output.empty());
  // Metrics follow the status write.
  auto metrics = [&] {
    return runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/metrics").output;
  };
  EXPECT_TRUE(waitFor(
      [&] {
        return metrics().find("tso_forecast_degraded{namespace=\"" + ns() + "\",name=\"shift\"} 1") !=
               std::string::npos;
      },
      10s))
      << metrics();
  // Reactive: the replicas measured demand needs, whatever the model forecasts (one status read).
  std::istringstream degraded(jsonpath("tps shift", ns(),
                                       ".status.conditions[?(@.type==\"ForecastReady\")].reason}{\" \"}{"
                                       ".status.recommendation.final}{\" \"}{.status.recommendation.reactive"));
  std::string reason;
  int final = -1;
  int reactive = -2;
  degraded >> reason >> final >> reactive;
  if (reason == "Degraded") {
    EXPECT_EQ(final, reactive) << jsonpath("tps shift", ns(), ".status.recommendation");
  }

  auto recovered = [&] {
    return kubectl("get events -n " + ns() + " --field-selector reason=ForecastRecovered -o name").output;
  };
  EXPECT_TRUE(waitFor([&] { return !recovered().empty(); },
                      std::chrono::seconds(t1 + 210 - static_cast<std::int64_t>(wallNow()))))
      << jsonpath("tps shift", ns(), ".status") << "\n"
      << op_->log();
  EXPECT_GE(wallNow(), static_cast<double>(t1)) << "recovered while demand was still down";
  EXPECT_NE(eventMessages("ModelRecovered").find("periodic_30 taken back"), std::string::npos)
      << "the gate recovers on the model taken back: " << eventMessages("ModelRecovered");
  EXPECT_TRUE(waitFor([&] { return condition("shift", "ForecastReady") == "True"; }, 10s))
      << condition("shift", "ForecastReady", "message");
  EXPECT_EQ(jsonpath("tps shift", ns(), ".status.guard.state"), "Trusted");
}

TEST_F(OperatorTest, BadQueriesBecomeConditionsNotCrashes) {
  deployment("two", 2);
  deployment("nan", 2);
  service("two", R"(label_replace(vector(1), "s", "a", "", "") or label_replace(vector(2), "s", "b", "", ""))");
  service("nan", "vector(0/0)");
  startOperator();
  EXPECT_TRUE(waitFor([&] { return condition("two", "ForecastReady", "reason") == "MultipleSeries"; }, 60s))
      << jsonpath("tps two", ns(), ".status") << "\n"
      << op_->log();
  EXPECT_NE(condition("two", "ForecastReady", "message").find("2 series"), std::string::npos);
  EXPECT_TRUE(waitFor([&] { return condition("nan", "ForecastReady", "reason") == "NotANumber"; }, 60s))
      << jsonpath("tps nan", ns(), ".status");
  EXPECT_EQ(replicas("two"), 2);
  EXPECT_EQ(replicas("nan"), 2);
  EXPECT_TRUE(op_->alive());
}

TEST_F(OperatorTest, SpecTheSchemaCannotCheckIsReportedAsInvalidSpec) {
  deployment("odd", 2);
  auto r = applyManifest(ns(),
                         "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\nmetadata: {name: odd}\n"
                         "spec:\n  targetRef: {name: odd}\n  demand: {query: vector(1), step: 1m, history: 5m}\n"
                         "  capacity: {perReplica: 1}\n  replicas: {max: 3}\n");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  startOperator();
  ASSERT_TRUE(waitFor([&] { return condition("odd", "InvalidSpec") == "True"; }, 30s)) << op_->log();
  EXPECT_NE(condition("odd", "InvalidSpec", "message").find("spec.demand.history"), std::string::npos);
  EXPECT_EQ(condition("odd", "Ready"), "False");
  auto events =
      kubectl("get events -n " + ns() + " --field-selector reason=InvalidSpec -o jsonpath='{.items[*].message}'");
  EXPECT_NE(events.output.find("spec.demand.history"), std::string::npos) << events.output;
}

TEST_F(OperatorTest, MetricsExportWhatTheChartAndDashboardsQuery) {
  deployment("m", 2);
  service("m", "vector(200)", "  forecast: {leadTime: 4s}\n");
  startOperator();
  ASSERT_TRUE(waitFor([&] { return jsonpath("tps m", ns(), ".status.desiredReplicas") == "4"; }, 60s)) << op_->log();
  // Accuracy is exported once forecasts made a lead time ago have been scored.
  const std::string url = "curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/metrics";
  ASSERT_TRUE(waitFor([&] { return runCommand(url).output.find("\ntso_forecast_wape{") != std::string::npos; }, 60s));
  const auto metrics = runCommand(url).output;
  // Every name the chart's alerts use (charts/throughput-operator/metrics.yaml) is exported.
  std::ifstream in(sourceDir() + "/charts/throughput-operator/metrics.yaml");
  std::string line;
  int names = 0;
  const std::regex nameLine(R"(^\s+name:\s+(tso_[a-z_]+)\s*$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, nameLine)) {
      ++names;
      EXPECT_NE(metrics.find("\n" + m[1].str()), std::string::npos) << m[1] << " not exported";
    }
  }
  EXPECT_GE(names, 4);
  const std::string labels = "{namespace=\"" + ns() + "\",name=\"m\"";
  EXPECT_NE(metrics.find("tso_demand_actual" + labels + "} 200"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tso_replicas" + labels + ",source=\"final\"} 4"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tso_demand_predicted" + labels + ",quantile=\"0.9\"}"), std::string::npos);
  // The dashboard's data source lists the service with its history.
  const auto api = runCommand("curl -sf http://127.0.0.1:" + std::to_string(metricsPort_) + "/api/services").output;
  const auto services = nlohmann::json::parse(api, nullptr, false);
  ASSERT_TRUE(services.is_array()) << api;
  const auto m =
      std::find_if(services.begin(), services.end(), [](const auto& s) { return s.value("name", "") == "m"; });
  ASSERT_NE(m, services.end()) << api;
  const auto& history = (*m)["history"];
  const auto steps = history["times"].size();
  ASSERT_GT(steps, 0u) << api;
  EXPECT_EQ(history["actual"].size(), steps);
  EXPECT_EQ(history["predicted"].size(), steps);
  ASSERT_EQ(history["desired"].size(), steps);
  // The chart's desired replicas end at the decision the metrics report.
  EXPECT_EQ(history["desired"].back(), 4) << history.dump();

  // The dashboard's summary list has no histories; its charts ask for named services only.
  const std::string base = "curl -s -w '\\n%{http_code}' 'http://127.0.0.1:" + std::to_string(metricsPort_);
  auto get = [&](const std::string& query) {
    const auto out = runCommand(base + "/api/services" + query + "'").output;
    const auto nl = out.rfind('\n');
    return std::pair{out.substr(0, nl), out.substr(nl + 1)};
  };
  const auto [summaryText, summaryCode] = get("?history=none");
  ASSERT_EQ(summaryCode, "200") << summaryText;
  const auto summary = nlohmann::json::parse(summaryText, nullptr, false);
  ASSERT_TRUE(summary.is_array()) << summaryText;
  ASSERT_EQ(summary.size(), services.size()) << summaryText;
  for (const auto& s : summary) EXPECT_FALSE(s.contains("history")) << s.dump();
  const auto [oneText, oneCode] = get("?service=" + ns() + "%2Fm&service=" + ns() + "/no-such-service");
  ASSERT_EQ(oneCode, "200") << oneText;
  const auto one = nlohmann::json::parse(oneText, nullptr, false);
  ASSERT_TRUE(one.is_array() && one.size() == 1) << oneText;
  EXPECT_EQ(one[0]["name"], "m");
  EXPECT_EQ(one[0]["history"]["desired"].back(), 4) << oneText;
  const auto [badText, badCode] = get("?histroy=none");
  EXPECT_EQ(badCode, "400");
  EXPECT_NE(badText.find("unknown parameter \"histroy\""), std::string::npos) << badText;
}

TEST_F(OperatorTest, OnlyTheLeaseHolderReconcilesAndSigtermHandsOver) {
  deployment("le", 2);
  service("le", "vector(200)");
  auto start = [&](int port) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{operatorBinary(), "run", "--namespace", ns(), "--prometheus-address", prometheus_,
                                 "--metrics-bind-address", "127.0.0.1:" + std::to_string(port), "--leader-elect",
                                 "--leader-election-namespace", ns()},
        ::testing::TempDir() + "le-" + std::to_string(port) + ".log");
  };
  auto leaderMetric = [](int port) {
    auto m = runCommand("curl -sf http://127.0.0.1:" + std::to_string(port) + "/metrics").output;
    auto at = m.find("\ntso_leader ");
    return at == std::string::npos ? -1 : m[at + 12] - '0';
  };
  const int p1 = freePort();
  auto first = start(p1);
  ASSERT_TRUE(waitFor([&] { return leaderMetric(p1) == 1; }, 30s)) << first->log();
  const int p2 = freePort();
  auto second = start(p2);
  ASSERT_TRUE(waitFor([&] { return leaderMetric(p2) == 0; }, 30s)) << second->log();
  ASSERT_TRUE(waitFor([&] { return replicas("le") == 4; }, 60s)) << first->log();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(leaderMetric(p2), 0) << "two leaders at once";
  // SIGTERM: the leader drains, releases the Lease, and the other takes over at once.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(first->stop(), 0) << first->log();
  ASSERT_TRUE(waitFor([&] { return leaderMetric(p2) == 1; }, 15s)) << second->log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_NE(first->log().find("stopped cleanly"), std::string::npos);
  EXPECT_NE(jsonpath("lease throughput-operator", ns(), ".spec.holderIdentity"), "");
}

}  // namespace
}  // namespace tso::testing

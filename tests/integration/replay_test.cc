// `throughput-operator replay` against the real Prometheus holding real history: nine days of
// the NASA trace (x100, a web front end at up to 675 req/s) backfilled with promtool by
// e2e/prometheus/backfill.py. The replay of crds/examples/web.yaml must count the same misses
// and pod-seconds as `simulate --service` on a CSV of the same samples, read the resource
// from the cluster as from the file, and say when Prometheus holds too little history.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "tests/integration/support/cluster_env.h"

namespace tso::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kWeek = 7 * kDay;
constexpr int kDays = 9;
constexpr int kSamples = kDays * 1440;  // the trace's 1-minute samples
constexpr const char* kSeries = R"(web:requests:rate1m{service="web"})";

struct History {
  std::string csv;         // the same samples as the backfill, for simulate
  std::int64_t start = 0;  // first and last sample, unix seconds
  std::int64_t end = 0;
  std::string problem;  // why there is none
};

std::string example() { return sourceDir() + "/crds/examples/web.yaml"; }

std::string prometheusUrl() {
  const char* url = std::getenv("TSO_PROMETHEUS_URL");
  return url != nullptr ? url : "";
}

bool loaded(std::int64_t end) {
  const auto r = runCommand("curl -sf " + prometheusUrl() + "/api/v1/query --data-urlencode 'query=count_over_time(" +
                            kSeries + "[" + std::to_string(kDays + 1) + "d] @ " + std::to_string(end) + ")'");
  return r.exitCode == 0 && r.output.find("\"" + std::to_string(kSamples) + "\"") != std::string::npos;
}

// backfill.py with `extra` flags: the moved range, or a problem.
History runBackfill(const std::string& data, std::int64_t before, const std::string& extra) {
  History h;
  h.csv = ::testing::TempDir() + "web-history.csv";
  const auto r =
      runCommand("python3 " + sourceDir() + "/e2e/prometheus/backfill.py " + TSO_TRACES_DIR +
                 "/nasa_jul95_1min.csv --metric '" + kSeries + "' --data " + data + " --days " + std::to_string(kDays) +
                 " --scale 100 --before " + std::to_string(before) + " --csv-out " + h.csv + extra);
  std::smatch m;
  if (r.exitCode != 0 || !std::regex_search(r.output, m, std::regex(R"(start=(\d+) end=(\d+))"))) {
    h.problem = "backfill.py failed: " + r.output;
    return h;
  }
  h.start = std::stoll(m[1]);
  h.end = std::stoll(m[2]);
  return h;
}

// Loads the history unless an earlier test process did; Prometheus loads new blocks within
// about a minute.
History backfill() {
  const char* data = std::getenv("TSO_PROMETHEUS_DATA");
  if (prometheusUrl().empty() || data == nullptr || *data == '\0') {
    History none;
    none.problem = "no TSO_PROMETHEUS_URL / TSO_PROMETHEUS_DATA (run through scripts/integration.sh)";
    return none;
  }
  // Ends before this week began, so every test process this week loads the same samples.
  const std::int64_t before = std::time(nullptr) / kWeek * kWeek;
  History h = runBackfill(data, before, " --dry-run");
  if (!h.problem.empty() || loaded(h.end)) return h;
  h = runBackfill(data, before, "");
  if (h.problem.empty() && !waitFor([&] { return loaded(h.end); }, 150s)) {
    h.problem = "Prometheus did not load the backfilled blocks in 150 s";
  }
  return h;
}

const History& history() {
  static const History h = backfill();
  return h;
}

nlohmann::json runJson(const std::string& args) {
  const auto r = runCommand(operatorBinary() + " " + args + " 2>/dev/null");
  EXPECT_EQ(r.exitCode, 0) << args << "\n" << r.output;
  try {
    return nlohmann::json::parse(r.output);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << args << ": not JSON (" << e.what() << "):\n" << r.output.substr(0, 2000);
    return {};
  }
}

// The replay's flags for the backfilled range: two days replayed after the week the fit reads.
std::string replayArgs(const History& h) {
  return "--prometheus-address " + prometheusUrl() + " --since 2d --end " + std::to_string(h.end);
}

void expectSameOutcomes(const nlohmann::json& a, const nlohmann::json& b) {
  for (const char* policy : {"predictive", "hpa", "oracle"}) {
    for (const char* field : {"requests", "missed_requests", "pod_seconds", "actions_per_hour"}) {
      const double x = a["policies"][policy][field].get<double>();
      const double y = b["policies"][policy][field].get<double>();
      EXPECT_NEAR(x, y, 1e-6 * std::max(1.0, std::abs(y))) << policy << " " << field;
    }
  }
}

class ReplayIT : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!history().problem.empty()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << history().problem;
      GTEST_SKIP() << history().problem;
    }
  }
};

TEST_F(ReplayIT, CountsWhatSimulateCountsOnTheSameSamples) {
  const auto& h = history();
  const auto replay = runJson("replay -f " + example() + " " + replayArgs(h) + " --no-sweep --json");
  const auto simulate = runJson("simulate --input " + h.csv + " --service " + example() + " --no-sweep --json");
  ASSERT_FALSE(replay.is_null());
  ASSERT_FALSE(simulate.is_null());
  // Nine days at the service's 60 s step; the fit reads spec.demand.history (7d) first.
  EXPECT_EQ(replay["series"]["start"], h.start);
  EXPECT_EQ(replay["series"]["samples"], kSamples);
  EXPECT_EQ(replay["series"]["evaluated_from"], h.start + 7 * kDay);
  EXPECT_EQ(replay["service"]["name"], "web");
  EXPECT_GT(replay["policies"]["predictive"]["requests"].get<double>(), 0);
  expectSameOutcomes(replay, simulate);
}

TEST_F(ReplayIT, PrintsTheTableAgainstTheHpaAtTheSameCostAndThePlot) {
  const auto& h = history();
  const std::string svg = ::testing::TempDir() + "replay-web.svg";
  const auto r = runCommand(operatorBinary() + " replay -f " + example() + " " + replayArgs(h) + " --plot " + svg);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (const char* want : {"replay of web on", "replayed 2d from", "per-replica capacity 20.000 (the service's)",
                           "against the HPA tuned to the same cost (145 settings swept"}) {
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
  }
  std::ifstream in(svg);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("replay of web: replicas the demand needs"), std::string::npos);
  EXPECT_NE(text.str().find("predictive (ready)"), std::string::npos);
}

TEST_F(ReplayIT, ReadsTheResourceFromTheClusterAsFromTheFile) {
  ASSERT_TRUE(installCrds().empty());
  std::ifstream in(example());
  std::stringstream yaml;
  yaml << in.rdbuf();
  const auto applied = applyManifest(ns(), yaml.str());
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  const auto& h = history();
  const auto fromCluster =
      runJson("replay --namespace " + ns() + " --name web " + replayArgs(h) + " --no-sweep --json");
  const auto fromFile = runJson("replay -f " + example() + " " + replayArgs(h) + " --no-sweep --json");
  ASSERT_FALSE(fromCluster.is_null());
  EXPECT_EQ(fromCluster["service"]["namespace"], ns());
  expectSameOutcomes(fromCluster, fromFile);
}

TEST_F(ReplayIT, TooLittleHistoryExitsThreeAndSaysHowMuchThereIs) {
  const auto& h = history();
  // Three days of samples before --end: less than the week the fit reads.
  const auto r = runCommand(operatorBinary() + " replay -f " + example() + " --prometheus-address " + prometheusUrl() +
                            " --since 2d --end " + std::to_string(h.start + 3 * kDay) + " --no-sweep");
  EXPECT_EQ(r.exitCode, 3) << r.output;
  EXPECT_NE(r.output.find("Prometheus holds 3.0d"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("spec.demand.history (7d)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tso::testing

// The ThroughputService CRD against the real API server: it installs, explains itself,
// accepts the shipped examples, fills in defaults, prints its columns and rejects every
// invalid resource in testdata/invalid_tps with the message a person needs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/support/cluster_env.h"

namespace tso::testing {
namespace {

namespace fs = std::filesystem;

class CrdTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto error = installCrds();
    ASSERT_TRUE(error.empty()) << error;
  }
};

TEST_F(CrdTest, ExplainShowsFieldDescriptions) {
  // The OpenAPI document kubectl explain reads is published a moment after the CRD is served.
  CommandResult explained;
  ASSERT_TRUE(waitFor([&] { return (explained = kubectl("explain tps.spec.capacity")).exitCode == 0; },
                      std::chrono::seconds(30)))
      << explained.output;
  EXPECT_NE(explained.output.find("How much demand one replica serves"), std::string::npos) << explained.output;
  EXPECT_NE(explained.output.find("perReplica"), std::string::npos);
  auto status = kubectl("explain tps.status.recommendation.winner");
  EXPECT_NE(status.output.find("Which source set the final value"), std::string::npos) << status.output;
}

TEST_F(CrdTest, ShippedExamplesAreAccepted) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(sourceDir() + "/crds/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    auto created = kubectl("create -n " + ns() + " -f " + entry.path().string());
    EXPECT_EQ(created.exitCode, 0) << entry.path() << ": " << created.output;
    ++count;
  }
  EXPECT_GE(count, 3);
  auto listed = kubectl("get tps -n " + ns() + " -o name");
  EXPECT_NE(listed.output.find("throughputservice.throughput.dev/checkout"), std::string::npos) << listed.output;
}

TEST_F(CrdTest, DefaultsAreFilledIn) {
  auto created = applyManifest(ns(),
                               "apiVersion: throughput.dev/v1alpha1\nkind: ThroughputService\n"
                               "metadata: {name: minimal}\n"
                               "spec:\n  targetRef: {name: web}\n  demand: {query: up}\n"
                               "  capacity: {perReplica: 10}\n  replicas: {max: 5}\n");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto get = [&](const std::string& path) {
    return kubectl("get tps minimal -n " + ns() + " -o jsonpath={" + path + "}").output;
  };
  EXPECT_EQ(get(".spec.mode"), "Auto");
  EXPECT_EQ(get(".spec.targetRef.kind"), "Deployment");
  EXPECT_EQ(get(".spec.targetRef.apiVersion"), "apps/v1");
  EXPECT_EQ(get(".spec.demand.step"), "30s");
  EXPECT_EQ(get(".spec.demand.history"), "7d");
  EXPECT_EQ(get(".spec.capacity.targetUtilization"), "0.8");
  EXPECT_EQ(get(".spec.replicas.min"), "1");
  EXPECT_EQ(get(".spec.forecast.quantile"), "0.9");
  EXPECT_EQ(get(".spec.forecast.leadTime"), "Auto");
  EXPECT_EQ(get(".spec.forecast.guard.enabled"), "true");
  EXPECT_EQ(get(".spec.forecast.guard.window"), "1d");
  EXPECT_EQ(get(".spec.forecast.guard.minScored"), "100");
  EXPECT_EQ(get(".spec.forecast.guard.maxSkill"), "1");
  EXPECT_EQ(get(".spec.forecast.guard.minCoverage"), "0.8");
  EXPECT_EQ(get(".spec.fallback.behavior"), "HoldCurrent");
  EXPECT_EQ(get(".spec.fallback.staleAfter"), "5m");
}

TEST_F(CrdTest, PrinterColumnsAreShown) {
  ASSERT_EQ(kubectl("create -n " + ns() + " -f " + sourceDir() + "/crds/examples/checkout.yaml").exitCode, 0);
  auto table = kubectl("get tps -n " + ns());
  ASSERT_EQ(table.exitCode, 0) << table.output;
  auto header = table.output.substr(0, table.output.find('\n'));
  for (const char* column : {"NAME", "TARGET", "MODE", "REPLICAS", "DESIRED", "ACTUAL", "PREDICTED", "READY", "AGE"}) {
    EXPECT_NE(header.find(column), std::string::npos) << "missing column " << column << " in " << header;
  }
  EXPECT_NE(table.output.find("checkout"), std::string::npos);
}

struct InvalidCase {
  std::string file;
  std::string expect;
};

std::vector<InvalidCase> invalidCases() {
  std::vector<InvalidCase> cases;
  for (const auto& entry : fs::directory_iterator(sourceDir() + "/tests/integration/testdata/invalid_tps")) {
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string prefix = "# expect: ";
    if (first.rfind(prefix, 0) != 0) continue;
    cases.push_back({entry.path().string(), first.substr(prefix.size())});
  }
  std::sort(cases.begin(), cases.end(), [](const InvalidCase& a, const InvalidCase& b) { return a.file < b.file; });
  return cases;
}

TEST_F(CrdTest, InvalidResourcesAreRejectedWithAClearMessage) {
  auto cases = invalidCases();
  ASSERT_GE(cases.size(), 20U) << "the issue asks for at least 20 invalid resources";
  for (const auto& c : cases) {
    auto created = kubectl("create -n " + ns() + " -f " + c.file);
    EXPECT_NE(created.exitCode, 0) << c.file << " was accepted";
    EXPECT_NE(created.output.find(c.expect), std::string::npos)
        << c.file << ": expected \"" << c.expect << "\" in: " << created.output;
  }
  // Nothing invalid was stored.
  auto listed = kubectl("get tps -n " + ns() + " -o name");
  EXPECT_EQ(listed.output, "") << listed.output;
}

}  // namespace
}  // namespace tso::testing

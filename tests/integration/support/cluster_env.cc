#include "tests/integration/support/cluster_env.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

namespace tso::testing {

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult kubectl(const std::string& args) { return runCommand("kubectl " + args); }

CommandResult applyManifest(const std::string& ns, const std::string& yaml) {
  std::string path = ::testing::TempDir() + "manifest-" + std::to_string(std::random_device{}()) + ".yaml";
  {
    std::ofstream out(path);
    out << yaml;
  }
  auto result = kubectl("apply -n " + ns + " -f " + path);
  std::remove(path.c_str());
  return result;
}

std::string sourceDir() { return TSO_SOURCE_DIR; }

std::string installCrds() {
  // Strict: an unknown field in the CRD itself (a YAML slip) is an error, not ignored.
  auto applied = kubectl("apply --validate=strict -f " + sourceDir() +
                         "/crds/throughput.dev_throughputservices.yaml");
  if (applied.exitCode != 0) return "kubectl apply of the CRD failed: " + applied.output;
  auto established = kubectl(
      "wait --for=condition=Established crd/throughputservices.throughput.dev --timeout=30s");
  if (established.exitCode != 0) return "CRD not Established: " + established.output;
  // Discovery lags Established by a moment; the API is usable once a list works.
  if (!waitFor([] { return kubectl("get tps -A").exitCode == 0; }, std::chrono::seconds(30))) {
    return "the tps resource never appeared in discovery";
  }
  return "";
}

bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return predicate();
}

namespace {

bool inCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

}  // namespace

void PrometheusTest::SetUp() {
  const char* url = std::getenv("TSO_PROMETHEUS_URL");
  if (url == nullptr || *url == '\0') {
    if (inCi()) {
      FAIL() << "TSO_PROMETHEUS_URL is not set but CI=true: these tests must run against a real "
                "Prometheus (run them through scripts/integration.sh or `make integration`)";
    }
    GTEST_SKIP() << "no TSO_PROMETHEUS_URL: start one with `make integration` "
                    "(or eval \"$(e2e/prometheus/up.sh | tail -n 1)\")";
  }
  url_ = url;
}

void ClusterTest::SetUp() {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    if (inCi()) {
      FAIL() << "KUBECONFIG is not set but CI=true: integration tests must run against a real "
                "cluster (run them through scripts/integration.sh or `make integration`)";
    }
    GTEST_SKIP() << "no KUBECONFIG: start a cluster with `make integration` "
                    "(or eval \"$(e2e/cluster/up.sh | tail -n 1)\")";
  }
  std::random_device rd;
  namespace_ = "tso-it-" + std::to_string(rd() % 1000000);
  auto created = kubectl("create namespace " + namespace_);
  ASSERT_EQ(created.exitCode, 0) << created.output;
  // Pods are admitted only once the namespace's default ServiceAccount exists.
  ASSERT_TRUE(waitFor([&] { return kubectl("get sa default -n " + namespace_).exitCode == 0; },
                      std::chrono::seconds(30)))
      << "the default ServiceAccount never appeared in " << namespace_;
}

void ClusterTest::TearDown() {
  if (!namespace_.empty()) kubectl("delete namespace " + namespace_ + " --wait=false");
}

}  // namespace tso::testing

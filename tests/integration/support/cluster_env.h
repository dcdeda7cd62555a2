// Shared set-up for integration tests: they run against the real cluster named by
// $KUBECONFIG (started by scripts/integration.sh), each test in a namespace of its own.
// Without KUBECONFIG a test is skipped with the reason, except with CI=true, where it fails.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tso::testing {

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line (tests only; arguments are test-controlled constants).
CommandResult runCommand(const std::string& command);

// kubectl with the test's kubeconfig; `args` is appended as is.
CommandResult kubectl(const std::string& args);

// `kubectl apply -n ns -f <manifest>`, through a temporary file.
CommandResult applyManifest(const std::string& ns, const std::string& yaml);

// The repository root (for crds/, examples and test data).
std::string sourceDir();

// Applies crds/ and waits until the ThroughputService API is served (Established and in
// discovery). Returns an empty string on success, else what went wrong.
std::string installCrds();

// Polls `predicate` every 200 ms until it is true or `timeout` passes.
bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

// Fixture: checks a cluster is configured and creates a fresh namespace `ns()`, deleted after.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  [[nodiscard]] const std::string& ns() const { return namespace_; }

 private:
  std::string namespace_;
};

// A child process (the operator, a private Prometheus) with its output in a log file;
// stopped with SIGTERM (then SIGKILL after 10 s) when destroyed.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string logPath);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  [[nodiscard]] bool alive();
  // Sends SIGTERM and waits; returns the exit status (or -1 when killed).
  int stop();
  [[nodiscard]] std::string log() const;

 private:
  int pid_ = -1;
  int status_ = 0;
  std::string logPath_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();

// Path of the built throughput-operator binary.
std::string operatorBinary();

// Fixture for tests that need a real Prometheus ($TSO_PROMETHEUS_URL, started by
// scripts/integration.sh via e2e/prometheus/up.sh); skipped without it unless CI=true.
class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override;
  [[nodiscard]] const std::string& prometheusUrl() const { return url_; }

 private:
  std::string url_;
};

}  // namespace tso::testing

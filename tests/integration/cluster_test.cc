// Proves the harness end to end against the real control plane: kube-scheduler binds the
// pods, kwok runs them on fake nodes, and the deployment controller reacts to /scale.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/support/cluster_env.h"

namespace tso::testing {
namespace {

int readyReplicas(const std::string& ns, const std::string& name) {
  auto r = kubectl("get deployment " + name + " -n " + ns + " -o jsonpath={.status.readyReplicas}");
  if (r.exitCode != 0 || r.output.empty()) return 0;
  return std::stoi(r.output);
}

class HarnessTest : public ClusterTest {};

TEST_F(HarnessTest, DeploymentBecomesReadyAndScalesThroughScaleSubresource) {
  auto apply = runCommand("kubectl apply -n " + ns() + " -f - <<'EOF'\n"
                          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                          "spec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n"
                          "  template:\n    metadata: {labels: {app: web}}\n"
                          "    spec: {containers: [{name: app, image: registry.invalid/web:1}]}\n"
                          "EOF");
  ASSERT_EQ(apply.exitCode, 0) << apply.output;
  EXPECT_TRUE(waitFor([&] { return readyReplicas(ns(), "web") == 3; }, std::chrono::seconds(60)))
      << "ready replicas: " << readyReplicas(ns(), "web");

  // The scale subresource, explicitly (what the operator and the HPA use).
  auto scaled = kubectl("patch deployment web -n " + ns() +
                        " --subresource=scale --type=merge -p '{\"spec\":{\"replicas\":5}}'");
  ASSERT_EQ(scaled.exitCode, 0) << scaled.output;
  auto spec = kubectl("get deployment web -n " + ns() + " --subresource=scale -o jsonpath={.spec.replicas}");
  EXPECT_EQ(spec.output, "5");
  EXPECT_TRUE(waitFor([&] { return readyReplicas(ns(), "web") == 5; }, std::chrono::seconds(60)))
      << "ready replicas: " << readyReplicas(ns(), "web");

  // Every pod was bound by the scheduler to a kwok node and is Running.
  auto pods = kubectl("get pods -n " + ns() +
                      " -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.phase}{\"\\n\"}{end}'");
  ASSERT_EQ(pods.exitCode, 0) << pods.output;
  int running = 0;
  size_t pos = 0;
  while ((pos = pods.output.find("kwok-node-", pos)) != std::string::npos) {
    auto eol = pods.output.find('\n', pos);
    if (pods.output.substr(pos, eol - pos).ends_with(" Running")) ++running;
    pos = eol;
  }
  EXPECT_EQ(running, 5) << pods.output;
}

}  // namespace
}  // namespace tso::testing

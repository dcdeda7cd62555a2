// Proves the harness end to end against the real control plane: kube-scheduler binds the
// pods, kwok runs them on fake nodes, and the deployment controller reacts to /scale.
#include <gtest/gtest.h>

#include <chrono>
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
  auto apply = applyManifest(ns(),
                             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                             "spec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n"
                             "  template:\n    metadata: {labels: {app: web}}\n"
                             "    spec: {containers: [{name: app, image: registry.invalid/web:1}]}\n");
  ASSERT_EQ(apply.exitCode, 0) << apply.output;
  EXPECT_TRUE(waitFor([&] { return readyReplicas(ns(), "web") == 3; }, std::chrono::seconds(60)))
      << "ready replicas: " << readyReplicas(ns(), "web");

  // The scale subresource, explicitly (what the operator and the HPA use).
  auto scaled =
      kubectl("patch deployment web -n " + ns() + " --subresource=scale --type=merge -p '{\"spec\":{\"replicas\":5}}'");
  ASSERT_EQ(scaled.exitCode, 0) << scaled.output;
  auto spec = kubectl("get deployment web -n " + ns() + " --subresource=scale -o jsonpath={.spec.replicas}");
  EXPECT_EQ(spec.output, "5");
  EXPECT_TRUE(waitFor([&] { return readyReplicas(ns(), "web") == 5; }, std::chrono::seconds(60)))
      << "ready replicas: " << readyReplicas(ns(), "web");

  // Every pod was bound by the scheduler to a kwok node and is Running.
  auto pods =
      kubectl("get pods -n " + ns() + " -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.phase}{\"\\n\"}{end}'");
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

// The warm-up model: a pod annotated with a readiness delay is Running at once but Ready
// only after the delay, as a real pod whose readiness probe waits for its warm-up.
TEST_F(HarnessTest, PodReadinessDelayAnnotationModelsWarmUp) {
  auto apply = applyManifest(ns(),
                             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: slow\n"
                             "  annotations: {pod-ready.stage.kwok.x-k8s.io/delay: \"4s\"}\n"
                             "spec: {containers: [{name: app, image: registry.invalid/web:1}]}\n");
  ASSERT_EQ(apply.exitCode, 0) << apply.output;
  auto start = std::chrono::steady_clock::now();
  auto isReady = [&] {
    auto r = kubectl("get pod slow -n " + ns() + " -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'");
    return r.output == "True";
  };
  ASSERT_TRUE(waitFor(isReady, std::chrono::seconds(30)));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(3500));
  EXPECT_LE(waited, std::chrono::seconds(15));
}

}  // namespace
}  // namespace tso::testing

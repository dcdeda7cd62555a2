#include "controller/kube/request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tso::kube {
namespace {

TEST(RequestTest, PathsForCoreGroupedClusterScopedAndSubresources) {
  EXPECT_EQ(resourcePath(kConfigMaps, "ns1", "cm"), "/api/v1/namespaces/ns1/configmaps/cm");
  EXPECT_EQ(resourcePath(kDeployments, "ns1", "web", "scale"), "/apis/apps/v1/namespaces/ns1/deployments/web/scale");
  EXPECT_EQ(resourcePath(kThroughputServices, "ns1", "a", "status"),
            "/apis/throughput.dev/v1alpha1/namespaces/ns1/throughputservices/a/status");
  EXPECT_EQ(resourcePath(kLeases, "", {}), "/apis/coordination.k8s.io/v1/leases");  // all namespaces
  EXPECT_EQ(resourcePath(kNamespaces, "ignored", "x"), "/api/v1/namespaces/x");
  EXPECT_EQ(resourcePath(kHorizontalPodAutoscalers, "n", {}),
            "/apis/autoscaling/v2/namespaces/n/horizontalpodautoscalers");
  EXPECT_EQ(kHorizontalPodAutoscalers.apiVersion(), "autoscaling/v2");
  EXPECT_EQ(kPods.apiVersion(), "v1");
}

TEST(RequestTest, ListQueryEncodesSelectorsAndPaging) {
  ListParams p;
  p.labelSelector = "app in (a,b),tier=web";
  p.limit = 500;
  p.resourceVersion = "0";
  auto req = listRequest(kPods, "n", p);
  EXPECT_EQ(req.method, Method::kGet);
  EXPECT_EQ(req.path,
            "/api/v1/namespaces/n/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%3Dweb&limit=500&resourceVersion=0");
  p.continueToken = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0=";
  auto next = listRequest(kPods, "n", p);
  // resourceVersion is dropped with continue (the server rejects or ignores the pair).
  EXPECT_EQ(next.path,
            "/api/v1/namespaces/n/"
            "pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%3Dweb&limit=500&continue="
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0%3D");
}

TEST(RequestTest, WatchAsksForBookmarksAndOutlivesTheServerTimeout) {
  WatchParams p;
  p.resourceVersion = "1234";
  auto req = watchRequest(kConfigMaps, "n", p);
  EXPECT_EQ(
      req.path,
      "/api/v1/namespaces/n/configmaps?watch=true&resourceVersion=1234&allowWatchBookmarks=true&timeoutSeconds=290");
  EXPECT_GT(req.timeout, std::chrono::seconds(290));
  p.allowWatchBookmarks = false;
  p.timeoutSeconds = 0;
  EXPECT_EQ(watchRequest(kConfigMaps, "n", p).path, "/api/v1/namespaces/n/configmaps?watch=true&resourceVersion=1234");
}

TEST(RequestTest, WritesCarryBodiesContentTypesAndFieldManager) {
  auto create = createRequest(kConfigMaps, "n", R"({"a":1})");
  EXPECT_EQ(create.method, Method::kPost);
  EXPECT_EQ(create.path, "/api/v1/namespaces/n/configmaps?fieldManager=throughput-operator");
  EXPECT_EQ(create.contentType, "application/json");

  auto put = replaceRequest(kThroughputServices, "n", "a", "{}", "status");
  EXPECT_EQ(put.method, Method::kPut);
  EXPECT_EQ(put.path,
            "/apis/throughput.dev/v1alpha1/namespaces/n/throughputservices/a/status?fieldManager=throughput-operator");

  PatchParams pp;
  pp.fieldManager = "tso";
  pp.force = true;
  auto apply = patchRequest(kDeployments, "n", "web", PatchType::kApply, "{}", pp);
  EXPECT_EQ(apply.method, Method::kPatch);
  EXPECT_EQ(apply.path, "/apis/apps/v1/namespaces/n/deployments/web?fieldManager=tso&force=true");
  EXPECT_EQ(apply.contentType, "application/apply-patch+yaml");

  auto merge = patchRequest(kDeployments, "n", "web", PatchType::kMerge, R"({"spec":{"replicas":3}})", pp, "scale");
  EXPECT_EQ(merge.path, "/apis/apps/v1/namespaces/n/deployments/web/scale?fieldManager=tso");  // force only for apply
  EXPECT_EQ(merge.contentType, "application/merge-patch+json");
  EXPECT_EQ(merge.body, R"({"spec":{"replicas":3}})");
}

TEST(RequestTest, DeleteOptionsOnlyWhenAsked) {
  auto plain = deleteRequest(kPods, "n", "p");
  EXPECT_EQ(plain.method, Method::kDelete);
  EXPECT_TRUE(plain.body.empty());
  EXPECT_TRUE(plain.contentType.empty());
  auto opts = deleteRequest(kPods, "n", "p", {"Foreground", "42"});
  auto body = nlohmann::json::parse(opts.body);
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "42");
  EXPECT_EQ(opts.contentType, "application/json");
}

TEST(RequestTest, UrlEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(urlEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(urlEncode("a b/c?d&e=f"), "a%20b%2Fc%3Fd%26e%3Df");
  EXPECT_EQ(urlEncode("\xff"), "%FF");
}

}  // namespace
}  // namespace tso::kube

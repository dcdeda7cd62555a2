#include "controller/reconcile/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "controller/reconcile/lead_time.h"
#include "tests/controller/support/scripted_transport.h"

namespace tso::reconcile {
namespace {

using kube::HttpRequest;
using kube::HttpResponse;
using kube::Method;
using nlohmann::json;
using tso::testing::ScriptedTransport;

kube::Config testConfig() {
  kube::Config c;
  c.server = "https://unused";
  c.token = "tok";
  c.qps = 0;
  return c;
}

HttpResponse ok(const json& body) { return HttpResponse{200, body.dump(), 0}; }
// The object the server would return after merging `patch` into `base`.
HttpResponse merged(json base, const std::string& patch) {
  base.merge_patch(json::parse(patch));
  return ok(base);
}
HttpResponse notFound() { return HttpResponse{404, R"({"kind":"Status","reason":"NotFound","code":404})", 0}; }

// An Executor over a ScriptedTransport whose answers come from `handler`.
struct Harness {
  explicit Harness(ScriptedTransport::Handler handler) {
    auto t = std::make_unique<ScriptedTransport>(std::move(handler));
    transport = t.get();
    client = std::make_unique<kube::Client>(std::move(t), testConfig());
    executor = std::make_unique<Executor>(*client);
  }
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<Executor> executor;
};

// The one request the harness saw, checked for method, path and content type.
HttpRequest onlyRequest(Harness& h, Method method, const std::string& path, const std::string& contentType) {
  auto requests = h.transport->requests();
  EXPECT_EQ(requests.size(), 1U) << path;
  if (requests.empty()) return {};
  EXPECT_EQ(requests[0].method, method) << path;
  EXPECT_EQ(requests[0].path, path);
  EXPECT_EQ(requests[0].contentType, contentType) << path;
  return requests[0];
}

ServiceSpec specOf(const std::string& extraJson = "{}") {
  auto j = json::parse(R"J({
    "targetRef": {"kind": "Deployment", "name": "web"},
    "demand": {"query": "q"},
    "capacity": {"perReplica": 100},
    "replicas": {"min": 2, "max": 30},
    "hpa": {"enabled": true, "metrics": [{"type": "Resource", "resource": {"name": "cpu"}}]}})J");
  j.merge_patch(json::parse(extraJson));
  auto s = parseSpec(j);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return *s;
}

kube::Object serviceObject() {
  kube::Object o;
  o.meta.name = "shop";
  o.meta.ns = "prod";
  o.meta.uid = "uid-1";
  return o;
}

TEST(ExecutorTest, ScaleTargetPatchesTheScaleSubresourceOfTheKind) {
  struct Case {
    const char* kind;
    const char* path;
  };
  const std::vector<Case> cases = {
      {"Deployment", "/apis/apps/v1/namespaces/prod/deployments/web/scale?fieldManager=throughput-operator"},
      {"StatefulSet", "/apis/apps/v1/namespaces/prod/statefulsets/web/scale?fieldManager=throughput-operator"},
  };
  for (const auto& c : cases) {
    Harness h(
        [](const HttpRequest& r) -> Result<HttpResponse> { return merged({{"metadata", {{"name", "web"}}}}, r.body); });
    TargetRef target{"apps/v1", c.kind, "web"};
    ASSERT_TRUE(h.executor->scaleTarget("prod", target, 7).has_value()) << c.kind;
    const auto request = onlyRequest(h, Method::kPatch, c.path, "application/merge-patch+json");
    EXPECT_EQ(json::parse(request.body), json::parse(R"({"spec":{"replicas":7}})")) << c.kind;
  }
}

TEST(ExecutorTest, ReadTargetReturnsReplicasAndSelectorAndNotFound) {
  Harness h([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.path.find("/deployments/gone/") != std::string::npos) return notFound();
    return ok(json::parse(
        R"({"metadata":{"name":"web"},"spec":{"replicas":4},"status":{"replicas":3,"selector":"app=web"}})"));
  });
  auto got = h.executor->readTarget("prod", {"apps/v1", "Deployment", "web"});
  ASSERT_TRUE(got.has_value()) << got.error().toString();
  EXPECT_EQ(got->replicas, 4);
  EXPECT_EQ(got->selector, "app=web");
  EXPECT_EQ(h.transport->requests()[0].path, "/apis/apps/v1/namespaces/prod/deployments/web/scale");
  auto gone = h.executor->readTarget("prod", {"apps/v1", "Deployment", "gone"});
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST(ExecutorTest, ApplyHpaServerSideAppliesTheFloorBehaviorAndOwner) {
  Harness h([](const HttpRequest& r) -> Result<HttpResponse> { return ok(json::parse(r.body)); });
  auto spec = specOf(R"({"behavior": {
      "scaleUp": {"stabilizationWindowSeconds": 30, "tolerance": 0.02,
                  "policies": [{"type": "Pods", "value": 8, "periodSeconds": 60}]},
      "scaleDown": {"stabilizationWindowSeconds": 600, "selectPolicy": "Min", "tolerance": 0.2,
                    "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60},
                                 {"type": "Pods", "value": 2, "periodSeconds": 30}]}}})");
  ASSERT_TRUE(h.executor->applyHpa(serviceObject(), spec, 12).has_value());
  const auto request = onlyRequest(h, Method::kPatch,
                                   "/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/tso-shop"
                                   "?fieldManager=throughput-operator&force=true",
                                   "application/apply-patch+yaml");
  auto hpa = json::parse(request.body);  // not const: a missing key reads as null, not an assertion
  EXPECT_EQ(hpa["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(hpa["kind"], "HorizontalPodAutoscaler");
  EXPECT_EQ(hpa["spec"]["minReplicas"], 12);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 30);
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"], json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web"})"));
  EXPECT_EQ(hpa["spec"]["metrics"], json::parse(R"([{"type":"Resource","resource":{"name":"cpu"}}])"));
  const auto& owner = hpa["metadata"]["ownerReferences"].at(0);
  EXPECT_EQ(owner["kind"], "ThroughputService");
  EXPECT_EQ(owner["apiVersion"], "throughput.dev/v1alpha1");
  EXPECT_EQ(owner["name"], "shop");
  EXPECT_EQ(owner["uid"], "uid-1");
  EXPECT_EQ(owner["controller"], true);
  // The spec's behavior, field by field, so the HPA's own scaling keeps to the same rules.
  EXPECT_EQ(hpa["spec"]["behavior"], json::parse(R"({
      "scaleUp": {"stabilizationWindowSeconds": 30, "selectPolicy": "Max", "tolerance": "0.02",
                  "policies": [{"type": "Pods", "value": 8, "periodSeconds": 60}]},
      "scaleDown": {"stabilizationWindowSeconds": 600, "selectPolicy": "Min", "tolerance": "0.2",
                    "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60},
                                 {"type": "Pods", "value": 2, "periodSeconds": 30}]}})"))
      << hpa["spec"]["behavior"].dump();
}

TEST(ExecutorTest, HpaBehaviorLeavesUnsetFieldsToTheHpaDefaults) {
  struct Case {
    const char* name;
    const char* behavior;
    const char* want;
  };
  const std::vector<Case> cases = {
      // No behavior: scale-up without stabilization (the HPA's default too) and the HPA's
      // default rate policies; scale-down's window and tolerance left to the HPA (300 s, 0.1).
      {"none", "{}",
       R"({"scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max"},
           "scaleDown":{"selectPolicy":"Max","policies":[{"type":"Percent","value":100,"periodSeconds":15}]}})"},
      {"disabled scale-down", R"({"behavior":{"scaleDown":{"selectPolicy":"Disabled"}}})",
       R"({"scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max"},
           "scaleDown":{"selectPolicy":"Disabled","policies":[{"type":"Percent","value":100,"periodSeconds":15}]}})"},
  };
  for (const auto& c : cases) {
    auto hpa = hpaManifest(serviceObject(), specOf(c.behavior), 3);
    EXPECT_EQ(hpa["spec"]["behavior"], json::parse(c.want)) << c.name << ": " << hpa["spec"]["behavior"].dump();
  }
}

TEST(ExecutorTest, HpaFloorStaysWithinOneAndMax) {
  EXPECT_EQ(hpaManifest(serviceObject(), specOf(), 0)["spec"]["minReplicas"], 1);
  EXPECT_EQ(hpaManifest(serviceObject(), specOf(), 99)["spec"]["minReplicas"], 30);
}

TEST(ExecutorTest, RemoveHpaDeletesAndTreatsNotFoundAsDone) {
  int calls = 0;
  Harness h([&](const HttpRequest&) -> Result<HttpResponse> {
    if (++calls == 1) return ok(json::object());
    return notFound();
  });
  EXPECT_TRUE(h.executor->removeHpa("prod", "shop").has_value());
  EXPECT_TRUE(h.executor->removeHpa("prod", "shop").has_value());  // already gone
  auto requests = h.transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].method, Method::kDelete);
  EXPECT_EQ(requests[0].path, "/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/tso-shop");

  Harness failing([](const HttpRequest&) -> Result<HttpResponse> { return HttpResponse{403, "{}", 0}; });
  auto denied = failing.executor->removeHpa("prod", "shop");
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthorized);
}

TEST(ExecutorTest, ApplyCacheWritesOnlyWhenTheKeyDiffers) {
  struct Case {
    const char* name;
    json data;  // the ConfigMap's data before
    bool writes;
  };
  const std::vector<Case> cases = {
      {"same", json{{"maxmemory", "64Mi"}, {"other", "x"}}, false},
      {"different", json{{"maxmemory", "32Mi"}}, true},
      {"missing key", json{{"other", "x"}}, true},
      {"no data", json(nullptr), true},
  };
  for (const auto& c : cases) {
    Harness h([&](const HttpRequest& r) -> Result<HttpResponse> {
      json cm = {{"metadata", {{"name", "cache"}}}};
      if (!c.data.is_null()) cm["data"] = c.data;
      return r.method == Method::kPatch ? merged(cm, r.body) : ok(cm);
    });
    CacheSpec cache;
    cache.configMapName = "cache";
    cache.key = "maxmemory";
    auto held = h.executor->applyCache("prod", cache, 64LL << 20);
    ASSERT_TRUE(held.has_value()) << c.name;
    EXPECT_EQ(*held, 64LL << 20) << c.name;
    auto requests = h.transport->requests();
    ASSERT_EQ(requests.size(), c.writes ? 2U : 1U) << c.name;
    EXPECT_EQ(requests[0].path, "/api/v1/namespaces/prod/configmaps/cache") << c.name;
    if (c.writes) {
      EXPECT_EQ(requests[1].method, Method::kPatch) << c.name;
      EXPECT_EQ(requests[1].contentType, "application/merge-patch+json") << c.name;
      EXPECT_EQ(json::parse(requests[1].body), json::parse(R"({"data":{"maxmemory":"64Mi"}})")) << c.name;
    }
  }
}

TEST(ExecutorTest, ApplyCacheOnAMissingConfigMapIsNotFound) {
  Harness h([](const HttpRequest&) -> Result<HttpResponse> { return notFound(); });
  CacheSpec cache{"cache", "maxmemory", 1, 0, std::nullopt};
  auto held = h.executor->applyCache("prod", cache, 1024);
  ASSERT_FALSE(held.has_value());
  EXPECT_EQ(held.error().code, ErrorCode::kNotFound);
}

TEST(ExecutorTest, WriteStatusMergePatchesTheStatusSubresource) {
  bool gone = false;
  Harness h([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (gone) return notFound();
    return merged({{"metadata", {{"name", "shop"}}}}, r.body);
  });
  const json status = {{"desiredReplicas", 5}, {"conditions", json::array()}};
  ASSERT_TRUE(h.executor->writeStatus(serviceObject(), status).has_value());
  const auto request = onlyRequest(h, Method::kPatch,
                                   "/apis/throughput.dev/v1alpha1/namespaces/prod/throughputservices/shop/status"
                                   "?fieldManager=throughput-operator",
                                   "application/merge-patch+json");
  EXPECT_EQ(json::parse(request.body), (json{{"status", status}}));

  gone = true;
  auto written = h.executor->writeStatus(serviceObject(), status);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

// A Ready pod created at `created` (unix seconds) that took `warmup` seconds to be Ready.
json podOf(const std::string& name, std::int64_t created, std::int64_t warmup) {
  auto rfc3339 = [](std::int64_t t) {
    const std::time_t tt = t;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  return {
      {"metadata", {{"name", name}, {"creationTimestamp", rfc3339(created)}}},
      {"status",
       {{"conditions",
         json::array({{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", rfc3339(created + warmup)}}})}}}};
}

TEST(ExecutorTest, PodWarmupsPageThroughAndKeepTheNewestPods) {
  // 300 pods over two pages in name order: 250 old ones (pod-000..pod-249, created a day ago,
  // 10 s warm-ups) then 50 new ones (pod-250..pod-299, created in the last hour, 90 s). The
  // newest kMaxWarmupPods by creation are the 50 new ones and 150 of the old.
  const std::int64_t now = 1'800'000'000;
  std::vector<json> pods;
  for (int i = 0; i < 300; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "pod-%03d", i);
    const bool fresh = i >= 250;
    // Old pods get older with the name, so the newest old ones are pod-000..pod-149.
    pods.push_back(podOf(name, fresh ? now - 3600 + i : now - 86400 - i, fresh ? 90 : 10));
  }
  Harness h([&](const HttpRequest& r) -> Result<HttpResponse> {
    const bool second = r.path.find("continue=next") != std::string::npos;
    json list = {{"metadata", {{"resourceVersion", "7"}}}, {"items", json::array()}};
    for (int i = second ? 250 : 0; i < (second ? 300 : 250); ++i) list["items"].push_back(pods[i]);
    if (!second) list["metadata"]["continue"] = "next";
    return ok(list);
  });
  auto warmups = h.executor->podWarmups("prod", "app=web");
  ASSERT_TRUE(warmups.has_value()) << warmups.error().toString();
  ASSERT_EQ(warmups->size(), kMaxWarmupPods);
  EXPECT_EQ(std::count(warmups->begin(), warmups->end(), 90), 50);
  EXPECT_EQ(std::count(warmups->begin(), warmups->end(), 10), 150);
  auto requests = h.transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[0].path.find("labelSelector=app%3Dweb"), std::string::npos) << requests[0].path;
  EXPECT_NE(requests[1].path.find("continue=next"), std::string::npos) << requests[1].path;
  // p95 of 150 x 10 s and 50 x 90 s: the 190th of 200 is a fresh pod's 90 s.
  EXPECT_EQ(leadFromWarmups(*warmups), 90);
}

}  // namespace
}  // namespace tso::reconcile

// The Kubernetes client against the real local control plane: TLS with client certificates
// from $KUBECONFIG, every verb the operator uses, paging through 2,000 objects, the scale
// subresource, coded errors, and 409 Conflict retried until concurrent writers converge.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "controller/kube/api.h"
#include "controller/kube/config.h"
#include "controller/kube/event_recorder.h"
#include "tests/integration/support/cluster_env.h"

namespace tso::kube {
namespace {

using tso::testing::ClusterTest;

class KubeClientTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto cfg = loadConfig({});
    ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
    cfg->qps = 0;  // tests create thousands of objects; the limiter has its own unit tests
    auto client = Client::connect(*cfg);
    ASSERT_TRUE(client.has_value()) << client.error().toString();
    client_ = std::move(*client);
  }

  nlohmann::json configMap(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns()}}},
            {"data", {{"k", value}}}};
  }

  std::unique_ptr<Client> client_;
};

TEST_F(KubeClientTest, CrudMergePatchApplyAndDelete) {
  Api api(*client_, kConfigMaps, ns());
  auto created = api.create(configMap("a", "1"));
  ASSERT_TRUE(created.has_value()) << created.error().toString();
  EXPECT_EQ(created->meta.ns, ns());
  EXPECT_FALSE(created->meta.uid.empty());

  auto got = api.get("a");
  ASSERT_TRUE(got.has_value()) << got.error().toString();
  EXPECT_EQ(got->body["data"]["k"], "1");

  got->body["data"]["k"] = "2";
  auto replaced = api.replace("a", got->body);
  ASSERT_TRUE(replaced.has_value()) << replaced.error().toString();
  EXPECT_NE(replaced->meta.resourceVersion, got->meta.resourceVersion);

  auto patched = api.patch("a", {{"data", {{"extra", "x"}}}});
  ASSERT_TRUE(patched.has_value()) << patched.error().toString();
  EXPECT_EQ(patched->body["data"]["k"], "2");
  EXPECT_EQ(patched->body["data"]["extra"], "x");

  PatchParams pp;
  pp.fieldManager = "tso-it";
  pp.force = true;
  auto applied = api.apply("b", configMap("b", "applied"), pp);
  ASSERT_TRUE(applied.has_value()) << applied.error().toString();
  EXPECT_EQ(applied->body["data"]["k"], "applied");
  auto reapplied = api.apply("b", configMap("b", "again"), pp);
  ASSERT_TRUE(reapplied.has_value()) << reapplied.error().toString();
  EXPECT_EQ(reapplied->body["data"]["k"], "again");

  ASSERT_TRUE(api.remove("a").has_value());
  auto gone = api.get("a");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(api.remove("a").error().code, ErrorCode::kNotFound);
}

TEST_F(KubeClientTest, ErrorsCarryCodesAndTheServerMessage) {
  Api api(*client_, kConfigMaps, ns());
  auto invalid = api.create(configMap("Not_A_Valid_Name", "x"));
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_NE(invalid.error().message.find("Not_A_Valid_Name"), std::string::npos) << invalid.error().message;

  ASSERT_TRUE(api.create(configMap("dup", "x")).has_value());
  EXPECT_EQ(api.create(configMap("dup", "x")).error().code, ErrorCode::kConflict);  // AlreadyExists is 409

  auto stale = api.get("dup");
  ASSERT_TRUE(stale.has_value());
  ASSERT_TRUE(api.patch("dup", {{"data", {{"k", "moved"}}}}).has_value());
  auto conflict = api.replace("dup", stale->body);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
}

TEST_F(KubeClientTest, ListsTwoThousandConfigMapsInPages) {
  constexpr int kCount = 2000;
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      Api api(*client_, kConfigMaps, ns());
      for (int i = t; i < kCount; i += kThreads) {
        if (!api.create(configMap("cm-" + std::to_string(i), std::to_string(i)))) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  Api api(*client_, kConfigMaps, ns());
  auto start = std::chrono::steady_clock::now();
  auto all = api.listAll({}, 250);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(all.has_value()) << all.error().toString();
  std::set<std::string> names;
  for (const auto& obj : all->items) {
    if (obj.meta.name.starts_with("cm-")) names.insert(obj.meta.name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kCount));
  EXPECT_FALSE(all->resourceVersion.empty());
  std::cout << "listed " << all->items.size() << " ConfigMaps in pages of 250 in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";

  // One page alone carries a continue token.
  ListParams one;
  one.limit = 100;
  auto page = api.list(one);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->items.size(), 100u);
  EXPECT_FALSE(page->continueToken.empty());
}

TEST_F(KubeClientTest, ScaleSubresourceReadsAndWritesReplicas) {
  Api deployments(*client_, kDeployments, ns());
  nlohmann::json deploy = nlohmann::json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "app", "image": "registry.invalid/web:1"}]}}}})");
  ASSERT_TRUE(deployments.create(deploy).has_value());
  auto scale = deployments.getScale("web");
  ASSERT_TRUE(scale.has_value()) << scale.error().toString();
  EXPECT_EQ(scale->specReplicas, 2);
  auto scaled = deployments.setScale("web", 4);
  ASSERT_TRUE(scaled.has_value()) << scaled.error().toString();
  EXPECT_EQ(scaled->specReplicas, 4);
  auto after = deployments.get("web");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->body["spec"]["replicas"], 4);
  EXPECT_EQ(deployments.getScale("missing").error().code, ErrorCode::kNotFound);
}

TEST_F(KubeClientTest, ConcurrentWritersConvergeThroughConflictRetry) {
  Api api(*client_, kConfigMaps, ns());
  ASSERT_TRUE(api.create(configMap("counter", "0")).has_value());
  constexpr int kWriters = 4;
  constexpr int kIncrements = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      Api mine(*client_, kConfigMaps, ns());
      for (int i = 0; i < kIncrements; ++i) {
        auto r = updateWithRetry(
            mine, "counter",
            [](nlohmann::json& obj) -> Status {
              int v = std::stoi(obj["data"]["k"].get<std::string>());
              obj["data"]["k"] = std::to_string(v + 1);
              return {};
            },
            50);
        if (!r) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  auto final = api.get("counter");
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->body["data"]["k"], std::to_string(kWriters * kIncrements));
}

TEST_F(KubeClientTest, WrongCertificateAuthorityFailsVerification) {
  auto cfg = loadConfig({});
  ASSERT_TRUE(cfg.has_value());
  // The client certificate is not a CA for the server's certificate chain.
  cfg->caPem = cfg->clientCertPem;
  auto client = Client::connect(*cfg);
  ASSERT_TRUE(client.has_value()) << client.error().toString();
  Api api(**client, kConfigMaps, ns());
  auto r = api.list();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kTransient) << r.error().toString();

  cfg->clientKeyPem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  auto bad = Client::connect(*cfg);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfig);
  EXPECT_NE(bad.error().message.find("client-key"), std::string::npos);
}

TEST_F(KubeClientTest, RepeatedEventsAggregateIntoOneEventWithACount) {
  Api api(*client_, kConfigMaps, ns());
  auto cm = api.create(configMap("subject", "x"));
  ASSERT_TRUE(cm.has_value());
  EventRecorder recorder(*client_, "throughput-operator");
  ObjectReference ref{"v1", "ConfigMap", ns(), "subject", cm->meta.uid};
  for (int i = 0; i < 3; ++i) {
    auto st = recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus unreachable");
    ASSERT_TRUE(st.has_value()) << st.error().toString();
  }
  Api events(*client_, kEvents, ns());
  auto list = events.list();
  ASSERT_TRUE(list.has_value()) << list.error().toString();
  ASSERT_EQ(list->items.size(), 1u);
  const auto& ev = list->items[0].body;
  EXPECT_EQ(ev["count"], 3);
  EXPECT_EQ(ev["reason"], "QueryFailed");
  EXPECT_EQ(ev["type"], "Warning");
  EXPECT_EQ(ev["involvedObject"]["uid"], cm->meta.uid);
}

}  // namespace
}  // namespace tso::kube

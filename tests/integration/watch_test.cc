// The informer against the real control plane: a watch survives a kube-apiserver restart and
// the store ends with the changes made while it was reconnecting (including a delete the
// handlers must see); a too-old resourceVersion (410 Gone) leads to a re-list after which
// the store equals the server.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "controller/kube/api.h"
#include "controller/kube/config.h"
#include "controller/watch/informer.h"
#include "tests/integration/support/cluster_env.h"

namespace tso::watch {
namespace {

using std::chrono::seconds;
using tso::testing::ClusterTest;
using tso::testing::runCommand;
using tso::testing::waitFor;

class WatchIntegrationTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto cfg = kube::loadConfig({});
    ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
    auto client = kube::Client::connect(*cfg);
    ASSERT_TRUE(client.has_value()) << client.error().toString();
    client_ = std::move(*client);
    api_ = std::make_unique<kube::Api>(*client_, kube::kConfigMaps, ns());
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(
          api_->create({{"metadata", {{"name", name}, {"labels", {{"tso-test", "watch"}}}}}, {"data", {{"v", "1"}}}})
              .has_value());
    }
    // The selector leaves out the namespace's kube-root-ca.crt ConfigMap.
    WatcherConfig config;
    config.labelSelector = "tso-test=watch";
    informer_ = std::make_unique<Informer>(kube::Api(*client_, kube::kConfigMaps, ns()), config);
    informer_->onDelete([this](const ObjectPtr& o) {
      std::lock_guard lock(mu_);
      deleted_.insert(o->meta.name);
    });
    informer_->start();
    ASSERT_TRUE(informer_->store().waitUntilReady(std::chrono::milliseconds(10000)));
    ASSERT_EQ(informer_->store().size(), 3u);
  }

  void TearDown() override {
    if (informer_) informer_->stop();
    ClusterTest::TearDown();
  }

  std::string valueOf(const std::string& name) {
    auto o = informer_->store().get(ns() + "/" + name);
    if (!o) return "<absent>";
    return o->body["data"].value("v", "");
  }

  std::set<std::string> names() {
    std::set<std::string> out;
    for (const auto& o : informer_->store().list()) out.insert(o->meta.name);
    return out;
  }

  bool sawDelete(const std::string& name) {
    std::lock_guard lock(mu_);
    return deleted_.contains(name);
  }

  std::string restartScript() { return tso::testing::sourceDir() + "/e2e/cluster/restart-apiserver.sh"; }

  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Api> api_;
  std::unique_ptr<Informer> informer_;
  std::mutex mu_;
  std::set<std::string> deleted_;
};

TEST_F(WatchIntegrationTest, WatchSurvivesApiserverRestart) {
  auto restarted = runCommand(restartScript() + " 2");
  ASSERT_EQ(restarted.exitCode, 0) << restarted.output;
  // Written as soon as the apiserver is back, while the watcher is still reconnecting.
  auto patched = api_->patch("a", {{"data", {{"v", "after-restart"}}}});
  ASSERT_TRUE(patched.has_value()) << patched.error().toString();
  ASSERT_TRUE(api_->remove("b").has_value());
  EXPECT_TRUE(waitFor([&] { return valueOf("a") == "after-restart"; }, seconds(60)))
      << "store value: " << valueOf("a") << ", last error: " << informer_->watcher().lastError().toString();
  EXPECT_TRUE(waitFor([&] { return names() == std::set<std::string>{"a", "c"}; }, seconds(30)));
  EXPECT_TRUE(sawDelete("b"));
  EXPECT_GE(informer_->watcher().errors(), 1u) << "the restart must have been noticed";
  std::cout << "relists " << informer_->watcher().relists() << ", watch starts " << informer_->watcher().watchStarts()
            << ", errors " << informer_->watcher().errors() << "\n";
}

TEST_F(WatchIntegrationTest, TooOldResourceVersionIsGoneThenRelistGivesConsistentStore) {
  // A second informer resumes from resourceVersion 1, long gone from the apiserver's watch
  // cache and etcd: the server answers 410 and the watcher must re-list.
  ASSERT_TRUE(api_->remove("c").has_value());
  WatcherConfig config;
  config.labelSelector = "tso-test=watch";
  config.initialResourceVersion = "1";
  Informer resumed(kube::Api(*client_, kube::kConfigMaps, ns()), config);
  resumed.start();
  ASSERT_TRUE(resumed.store().waitUntilReady(std::chrono::milliseconds(30000)))
      << "last error: " << resumed.watcher().lastError().toString();
  EXPECT_EQ(resumed.watcher().relists(), 1u);
  EXPECT_EQ(resumed.watcher().lastError().code, ErrorCode::kGone) << resumed.watcher().lastError().toString();
  std::set<std::string> listed;
  for (const auto& o : resumed.store().list()) listed.insert(o->meta.name);
  EXPECT_EQ(listed, (std::set<std::string>{"a", "b"}));
  // The watch after the re-list delivers new changes.
  ASSERT_TRUE(api_->patch("b", {{"data", {{"v", "2"}}}}).has_value());
  EXPECT_TRUE(waitFor(
      [&] {
        auto o = resumed.store().get(ns() + "/b");
        return o && o->body["data"].value("v", "") == "2";
      },
      seconds(30)))
      << "state " << stateName(resumed.watcher().state()) << " rv " << resumed.watcher().resourceVersion()
      << " watch starts " << resumed.watcher().watchStarts() << " errors " << resumed.watcher().errors() << " last "
      << resumed.watcher().lastError().toString() << " server b rv " << api_->get("b").value().meta.resourceVersion;
  resumed.stop();
}

}  // namespace
}  // namespace tso::watch

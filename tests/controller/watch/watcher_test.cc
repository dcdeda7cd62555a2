#include "controller/watch/watcher.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "controller/watch/informer.h"
#include "tests/controller/support/fake_api_server.h"

namespace tso::watch {
namespace {

using std::chrono::milliseconds;
using tso::testing::FakeApiServer;

bool eventually(const std::function<bool()>& pred, milliseconds timeout = milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

class WatcherTest : public ::testing::Test {
 protected:
  WatcherTest() {
    auto server = std::make_unique<FakeApiServer>();
    server_ = server.get();
    kube::Config cfg;
    cfg.qps = 0;
    client_ = std::make_unique<kube::Client>(std::move(server), cfg);
  }

  WatcherConfig fastConfig(int pageSize = 2) {
    WatcherConfig c;
    c.pageSize = pageSize;
    c.backoff.initial = milliseconds(1);
    c.backoff.max = milliseconds(20);
    return c;
  }

  kube::Api api() { return kube::Api(*client_, kube::kConfigMaps, "ns"); }

  std::set<std::string> storeKeys(const Store& s) {
    std::set<std::string> keys;
    for (const auto& o : s.list()) keys.insert(o->key());
    return keys;
  }

  FakeApiServer* server_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(WatcherTest, StateMachineListsInPagesThenWatchesFromTheListVersion) {
  for (int i = 0; i < 5; ++i) server_->upsert("ns", "o" + std::to_string(i), "v");
  Watcher w(api(), fastConfig(2));
  std::vector<EventType> types;
  auto emit = [&](Event&& e) { types.push_back(e.type); };
  EXPECT_EQ(w.state(), Watcher::State::kEmpty);
  ASSERT_TRUE(w.step(emit).has_value());
  EXPECT_EQ(w.state(), Watcher::State::kListing);
  ASSERT_TRUE(w.step(emit).has_value());
  EXPECT_EQ(w.state(), Watcher::State::kListing);
  ASSERT_TRUE(w.step(emit).has_value());
  EXPECT_EQ(w.state(), Watcher::State::kListed);
  EXPECT_EQ(w.resourceVersion(), "105");
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kInit, EventType::kInitApply, EventType::kInitApply,
                                           EventType::kInitApply, EventType::kInitApply, EventType::kInitApply,
                                           EventType::kInitDone}));
  auto paths = server_->paths();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_NE(paths[1].find("continue=2%3A105"), std::string::npos) << paths[1];

  // The watch starts from the list's resourceVersion, with bookmarks.
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    server_->upsert("ns", "o1", "changed");
    server_->sendBookmark();
    server_->closeStreams();
  });
  types.clear();
  ASSERT_TRUE(w.step(emit).has_value());
  writer.join();
  EXPECT_EQ(w.state(), Watcher::State::kWatching);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kApply}));
  EXPECT_EQ(w.resourceVersion(), "106");
  paths = server_->paths();
  EXPECT_NE(paths.back().find("resourceVersion=105&allowWatchBookmarks=true"), std::string::npos) << paths.back();
}

TEST_F(WatcherTest, ExpiredContinueTokenRestartsTheList) {
  for (int i = 0; i < 4; ++i) server_->upsert("ns", "o" + std::to_string(i), "v");
  Watcher w(api(), fastConfig(2));
  auto emit = [](Event&&) {};
  ASSERT_TRUE(w.step(emit).has_value());
  server_->upsert("ns", "o9", "v");
  server_->compact();
  auto page = w.step(emit);
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().code, ErrorCode::kGone);
  EXPECT_EQ(w.state(), Watcher::State::kEmpty);
}

TEST_F(WatcherTest, GoneDuringWatchRelistsAndStoreMatchesServerWithDeletesSeen) {
  for (int i = 0; i < 3; ++i) server_->upsert("ns", "o" + std::to_string(i), "v");
  Informer inf(api(), fastConfig(2));
  std::mutex mu;
  std::vector<std::string> deleted;
  inf.onDelete([&](const ObjectPtr& o) {
    std::lock_guard lock(mu);
    deleted.push_back(o->key());
  });
  inf.start();
  ASSERT_TRUE(inf.store().waitUntilReady(milliseconds(5000)));
  EXPECT_EQ(storeKeys(inf.store()), (std::set<std::string>{"ns/o0", "ns/o1", "ns/o2"}));
  EXPECT_FALSE(inf.store().get("ns/o0")->body["metadata"].contains("managedFields")) << "transform strips them";
  ASSERT_TRUE(eventually([&] { return server_->watchCalls() >= 1; }));

  // Disconnected: o1 is deleted, o2 changes, o3 appears, and history is compacted so the
  // deletion can only be found by re-listing.
  server_->setDown(true);
  server_->erase("ns", "o1");
  server_->upsert("ns", "o2", "new");
  server_->upsert("ns", "o3", "v");
  server_->compact();
  std::this_thread::sleep_for(milliseconds(30));
  server_->setDown(false);

  ASSERT_TRUE(eventually([&] { return storeKeys(inf.store()) == std::set<std::string>{"ns/o0", "ns/o2", "ns/o3"}; }));
  EXPECT_TRUE(eventually([&] { return inf.store().get("ns/o2")->body["data"]["v"] == "new"; }));
  EXPECT_EQ(inf.watcher().relists(), 2u);
  EXPECT_GE(inf.watcher().errors(), 1u);
  inf.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(deleted, std::vector<std::string>{"ns/o1"});
}

TEST_F(WatcherTest, TransientErrorsResumeFromTheLastVersionWithoutRelisting) {
  server_->upsert("ns", "a", "1");
  Informer inf(api(), fastConfig(10));
  std::atomic<int> applies{0};
  inf.onApply([&](const ObjectPtr&) { ++applies; });
  inf.start();
  ASSERT_TRUE(inf.store().waitUntilReady(milliseconds(5000)));
  ASSERT_TRUE(eventually([&] { return server_->watchCalls() >= 1; }));
  server_->failNext(3, 503);
  server_->closeStreams();          // the stream drops; the next three reconnects fail
  server_->upsert("ns", "a", "2");  // made while reconnecting: replayed from history
  ASSERT_TRUE(eventually([&] {
    auto o = inf.store().get("ns/a");
    return o && o->body["data"]["v"] == "2";
  }));
  EXPECT_EQ(inf.watcher().relists(), 1u) << "a transient error must not force a re-list";
  ASSERT_TRUE(eventually([&] { return inf.watcher().errors() >= 3u; }));
  EXPECT_EQ(inf.watcher().lastError().code, ErrorCode::kTransient);
  inf.stop();
  EXPECT_EQ(applies.load(), 2);
}

TEST_F(WatcherTest, TooOldInitialVersionRelistsThenKeepsWatching) {
  server_->upsert("ns", "a", "1");
  server_->compact();
  WatcherConfig c = fastConfig();
  c.initialResourceVersion = "1";
  Informer inf(api(), c);
  inf.start();
  ASSERT_TRUE(inf.store().waitUntilReady(milliseconds(5000)));
  EXPECT_EQ(inf.watcher().lastError().code, ErrorCode::kGone);
  EXPECT_EQ(inf.watcher().relists(), 1u);
  server_->upsert("ns", "a", "2");
  EXPECT_TRUE(eventually([&] {
    auto o = inf.store().get("ns/a");
    return o && o->body["data"]["v"] == "2";
  }));
  inf.stop();
}

TEST_F(WatcherTest, StopAbortsABlockedWatchPromptly) {
  Informer inf(api(), fastConfig());
  inf.start();
  ASSERT_TRUE(inf.store().waitUntilReady(milliseconds(5000)));
  ASSERT_TRUE(eventually([&] { return inf.watcher().state() == Watcher::State::kWatching; }));
  auto start = std::chrono::steady_clock::now();
  inf.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

TEST(BackoffTest, GrowsWithJitterWithinBoundsCapsAndResets) {
  Backoff::Options o;
  o.initial = milliseconds(800);
  o.max = std::chrono::seconds(30);
  Backoff b(o, 42);
  auto first = b.next();
  EXPECT_GE(first, milliseconds(400));
  EXPECT_LE(first, milliseconds(1200));
  auto second = b.next();
  EXPECT_GE(second, milliseconds(800));
  EXPECT_LE(second, milliseconds(2400));
  for (int i = 0; i < 200; ++i) EXPECT_LE(b.next(), std::chrono::seconds(30));
  b.reset();
  EXPECT_LE(b.next(), milliseconds(1200));
  // Two seeds do not produce the same sequence: reconnects spread out.
  Backoff x(o, 1), y(o, 2);
  EXPECT_NE(x.next(), y.next());
}

TEST(StoreTest, ReplaceSwapsAtomicallyAndReportsVanishedObjects) {
  Store s;
  EXPECT_FALSE(s.ready());
  EXPECT_FALSE(s.waitUntilReady(milliseconds(1)));
  auto make = [](const std::string& name) {
    return std::make_shared<const kube::Object>(kube::Object{{name, "ns", "", "1", 0, false}, {}});
  };
  s.apply(make("a"));
  s.apply(make("b"));
  std::unordered_map<std::string, ObjectPtr> fresh{{"ns/b", make("b")}, {"ns/c", make("c")}};
  auto removed = s.replace(std::move(fresh));
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0]->key(), "ns/a");
  EXPECT_TRUE(s.ready());
  EXPECT_TRUE(s.waitUntilReady(milliseconds(1)));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.remove("ns/b")->key(), "ns/b");
  EXPECT_EQ(s.remove("ns/b"), nullptr);
  EXPECT_EQ(s.get("ns/zzz"), nullptr);
}

TEST(StoreTest, KeepsObjectsCompactAndGivesThemBackIntactAndIndexed) {
  Store s;
  s.setIndex([](const kube::Object& o) {
    const auto& ref = o.body.value("spec", nlohmann::json::object()).value("targetRef", nlohmann::json::object());
    return std::vector<std::string>{o.meta.ns + "/" + ref.value("name", std::string())};
  });
  auto make = [](const std::string& name, const std::string& target) {
    auto parsed = kube::parseObject(R"j({"metadata": {"name": ")j" + name +
                                    R"j(", "namespace": "shop", "uid": "u-1", "resourceVersion": "42",
        "generation": 3}, "spec": {"targetRef": {"name": ")j" +
                                    target + R"j("}, "capacity": {"perReplica": 12.5},
        "query": "sum(rate(x{a=\"b\"}[1m]))", "neg": -3, "big": 18446744073709551615,
        "list": [1, "two", null, true]}})j");
    EXPECT_TRUE(parsed.has_value());
    return std::make_shared<const kube::Object>(std::move(*parsed));
  };
  const auto web = make("svc-a", "web");
  EXPECT_FALSE(s.apply(web));
  EXPECT_FALSE(s.apply(make("svc-b", "web")));
  EXPECT_FALSE(s.apply(make("svc-c", "api")));
  EXPECT_TRUE(s.apply(make("svc-c", "api")));  // replaced, not added
  const auto back = s.get("shop/svc-a");
  ASSERT_NE(back, nullptr);
  EXPECT_NE(back, web);  // a fresh copy, decoded from the compact form
  EXPECT_EQ(back->body, web->body);
  EXPECT_EQ(back->meta.name, "svc-a");
  EXPECT_EQ(back->meta.uid, "u-1");
  EXPECT_EQ(back->meta.resourceVersion, "42");
  EXPECT_EQ(back->meta.generation, 3);
  EXPECT_DOUBLE_EQ(back->body["spec"]["capacity"]["perReplica"].get<double>(), 12.5);
  EXPECT_TRUE(back->body["spec"]["neg"].is_number_integer());
  auto byWeb = s.keysByIndex("shop/web");
  std::sort(byWeb.begin(), byWeb.end());
  EXPECT_EQ(byWeb, (std::vector<std::string>{"shop/svc-a", "shop/svc-b"}));
  EXPECT_EQ(s.keysByIndex("shop/api"), std::vector<std::string>{"shop/svc-c"});
  EXPECT_TRUE(s.keysByIndex("other/web").empty());
  EXPECT_EQ(s.list().size(), 3u);
  // An update moves the object to its new index value.
  s.apply(make("svc-b", "api"));
  EXPECT_EQ(s.keysByIndex("shop/web"), std::vector<std::string>{"shop/svc-a"});
}

}  // namespace
}  // namespace tso::watch

#include "controller/kube/api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/controller/support/scripted_transport.h"

namespace tso::kube {
namespace {

using tso::testing::ScriptedTransport;

Config testConfig() {
  Config c;
  c.server = "https://unused";
  c.token = "tok";
  c.qps = 0;
  return c;
}

HttpResponse ok(std::string body) { return HttpResponse{200, std::move(body), 0}; }

TEST(ApiTest, ListAllFollowsContinueTokens) {
  auto transport = std::make_unique<ScriptedTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.path.find("continue=") == std::string::npos) {
      return ok(R"({"metadata":{"resourceVersion":"10","continue":"p2"},"items":[{"metadata":{"name":"a"}}]})");
    }
    return ok(R"({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"b"}},{"metadata":{"name":"c"}}]})");
  });
  auto* t = transport.get();
  Client client(std::move(transport), testConfig());
  Api api(client, kConfigMaps, "n");
  auto all = api.listAll({}, 1);
  ASSERT_TRUE(all.has_value()) << all.error().toString();
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[2].meta.name, "c");
  EXPECT_EQ(all->resourceVersion, "10");
  auto requests = t->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/api/v1/namespaces/n/configmaps?limit=1");
  EXPECT_EQ(requests[1].path, "/api/v1/namespaces/n/configmaps?limit=1&continue=p2");
  EXPECT_EQ(t->tokens()[0], "tok");
}

TEST(ApiTest, HttpErrorsAndTransportErrorsBecomeCodes) {
  auto transport = std::make_unique<ScriptedTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.path.ends_with("/missing")) return HttpResponse{404, R"({"kind":"Status","message":"not found"})", 0};
    if (r.path.ends_with("/garbage")) return ok("{\"metadata\":");
    if (r.path.ends_with("/down")) return fail(ErrorCode::kTransient, "connection refused");
    return HttpResponse{422, R"({"kind":"Status","message":"bad replicas"})", 0};
  });
  Client client(std::move(transport), testConfig());
  Api api(client, kDeployments, "n");
  EXPECT_EQ(api.get("missing").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(api.get("garbage").error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(api.get("down").error().code, ErrorCode::kTransient);
  auto invalid = api.create({{"metadata", {{"name", "x"}}}});
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_NE(invalid.error().message.find("bad replicas"), std::string::npos);
}

TEST(ApiTest, ThrottledIsRetriedAfterRetryAfterThenReported) {
  std::atomic<int> calls{0};
  auto transport = std::make_unique<ScriptedTransport>([&](const HttpRequest&) -> Result<HttpResponse> {
    if (calls.fetch_add(1) < 2) return HttpResponse{429, "{}", 3};
    return ok(R"({"metadata":{"name":"a"}})");
  });
  ManualClock clock;
  Client client(std::move(transport), testConfig(), clock);
  Api api(client, kConfigMaps, "n");
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    for (int i = 0; i < 2000 && !done; ++i) {
      clock.advance(std::chrono::milliseconds(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto got = api.get("a");
  done = true;
  ticker.join();
  ASSERT_TRUE(got.has_value()) << got.error().toString();
  EXPECT_EQ(calls.load(), 3);

  client.setMaxThrottleRetries(0);
  calls = 0;
  auto throttled = api.get("a");
  ASSERT_FALSE(throttled.has_value());
  EXPECT_EQ(throttled.error().code, ErrorCode::kThrottled);
  EXPECT_EQ(throttled.error().retryAfterSeconds, 3);
}

TEST(ApiTest, UpdateWithRetryRereadsOnConflict) {
  std::atomic<int> puts{0};
  auto transport = std::make_unique<ScriptedTransport>([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == Method::kGet) {
      return ok(R"({"metadata":{"name":"a","resourceVersion":")" + std::to_string(puts.load()) + R"("},"data":{}})");
    }
    if (puts.fetch_add(1) < 2) return HttpResponse{409, R"({"message":"the object has been modified"})", 0};
    return ok(r.body);
  });
  Client client(std::move(transport), testConfig());
  Api api(client, kConfigMaps, "n");
  int mutations = 0;
  auto updated = updateWithRetry(api, "a", [&](nlohmann::json& obj) -> Status {
    ++mutations;
    obj["data"]["k"] = "v";
    return {};
  });
  ASSERT_TRUE(updated.has_value()) << updated.error().toString();
  EXPECT_EQ(mutations, 3);
  EXPECT_EQ(updated->body["data"]["k"], "v");
  EXPECT_EQ(updated->meta.resourceVersion, "2");  // the write used the freshly read version

  puts = -100;  // always conflict from now on
  auto exhausted = updateWithRetry(api, "a", [](nlohmann::json&) -> Status { return {}; }, 3);
  EXPECT_EQ(exhausted.error().code, ErrorCode::kConflict);
}

TEST(ApiTest, ScaleAndWatchDecoding) {
  auto transport = std::make_unique<ScriptedTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.path.find("watch=true") != std::string::npos) {
      return ok(
          "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"}}}\n"
          "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"3\"}}}\n"
          "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"4\"}}}\n"
          "{\"type\":\"ADDED\",\"obj");  // truncated tail: the server closed mid-event
    }
    if (r.method == Method::kPatch) {
      EXPECT_EQ(r.body, R"({"spec":{"replicas":5}})");
      return ok(R"({"metadata":{"name":"web"},"spec":{"replicas":5},"status":{"replicas":3,"selector":"app=web"}})");
    }
    return ok(R"({"metadata":{"name":"web"},"spec":{"replicas":"three"}})");
  });
  Client client(std::move(transport), testConfig());
  Api api(client, kDeployments, "n");
  auto scaled = api.setScale("web", 5);
  ASSERT_TRUE(scaled.has_value()) << scaled.error().toString();
  EXPECT_EQ(scaled->specReplicas, 5);
  EXPECT_EQ(scaled->statusReplicas, 3);
  EXPECT_EQ(scaled->selector, "app=web");
  EXPECT_EQ(api.getScale("web").error().code, ErrorCode::kBadResponse);  // wrong type, no throw

  std::vector<WatchEventType> types;
  Cancellation cancel;
  auto st = api.watch(
      {},
      [&](WatchEvent&& ev) {
        types.push_back(ev.type);
        return true;
      },
      cancel);
  EXPECT_TRUE(st.has_value());  // a truncated final line is dropped, not decoded
  EXPECT_EQ(types,
            (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kBookmark, WatchEventType::kDeleted}));
}

}  // namespace
}  // namespace tso::kube

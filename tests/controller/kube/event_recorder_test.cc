#include "controller/kube/event_recorder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/controller/support/scripted_transport.h"

namespace tso::kube {
namespace {

using tso::testing::ScriptedTransport;

TEST(EventRecorderTest, RepeatsAggregateIntoACountUntilTheWindowPasses) {
  bool eventGone = false;
  auto transport = std::make_unique<ScriptedTransport>([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == Method::kPatch && eventGone) return HttpResponse{404, "{}", 0};
    return HttpResponse{201, R"({"metadata":{"name":"e"}})", 0};
  });
  auto* t = transport.get();
  Config cfg;
  cfg.qps = 0;
  ManualClock clock;
  Client client(std::move(transport), cfg, clock);
  EventRecorder recorder(client, "throughput-operator", clock);
  ObjectReference ref{"throughput.dev/v1alpha1", "ThroughputService", "team-a", "checkout", "uid-1"};

  ASSERT_TRUE(recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus down").has_value());
  ASSERT_TRUE(recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus down").has_value());
  ASSERT_TRUE(recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus down").has_value());
  ASSERT_TRUE(recorder.record(ref, EventType::kNormal, "Scaled", "to 5").has_value());
  auto reqs = t->requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].method, Method::kPost);
  EXPECT_EQ(reqs[0].path, "/api/v1/namespaces/team-a/events?fieldManager=throughput-operator");
  auto body = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(body["type"], "Warning");
  EXPECT_EQ(body["reason"], "QueryFailed");
  EXPECT_EQ(body["count"], 1);
  EXPECT_EQ(body["involvedObject"]["kind"], "ThroughputService");
  EXPECT_EQ(body["firstTimestamp"], "2025-01-01T00:00:00Z");
  std::string name = body["metadata"]["name"];
  EXPECT_TRUE(name.starts_with("checkout.")) << name;
  EXPECT_EQ(reqs[1].method, Method::kPatch);
  EXPECT_NE(reqs[1].path.find("/events/" + name), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(reqs[2].body)["count"], 3);
  EXPECT_EQ(reqs[3].method, Method::kPost) << "a different reason is a different event";

  clock.advance(EventRecorder::kAggregationWindow + std::chrono::seconds(1));
  ASSERT_TRUE(recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus down").has_value());
  EXPECT_EQ(t->requests().back().method, Method::kPost) << "after the window a new Event starts";

  eventGone = true;  // the server expired the Event: the patch 404s and a new one is created
  ASSERT_TRUE(recorder.record(ref, EventType::kWarning, "QueryFailed", "prometheus down").has_value());
  reqs = t->requests();
  EXPECT_EQ(reqs[reqs.size() - 2].method, Method::kPatch);
  EXPECT_EQ(reqs.back().method, Method::kPost);
}

}  // namespace
}  // namespace tso::kube

#include "controller/prom/client.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/controller/support/scripted_transport.h"

namespace tso::prom {
namespace {

// Answers from a script, in order; a missing answer is a connection failure.
struct Script {
  std::deque<Result<kube::HttpResponse>> answers;
  std::unique_ptr<testing::ScriptedTransport> transport() {
    return std::make_unique<testing::ScriptedTransport>([this](const kube::HttpRequest&) -> Result<kube::HttpResponse> {
      if (answers.empty()) return fail(ErrorCode::kTransient, "connection refused");
      auto a = answers.front();
      answers.pop_front();
      return a;
    });
  }
};

std::string matrix(std::int64_t from, std::int64_t to, std::int64_t step) {
  std::string values;
  for (auto t = from; t <= to; t += step) {
    if (!values.empty()) values += ",";
    values += "[" + std::to_string(t) + ",\"1\"]";
  }
  return R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[)" + values + "]}]}}";
}

TEST(PromRequestTest, InstantQueryIsEncodedWithTimeAndTimeout) {
  auto r = instantRequest("", "sum(rate(x{a=\"b\"}[1m]))", 1700000000, std::chrono::seconds(5));
  EXPECT_EQ(r.method, kube::Method::kGet);
  EXPECT_EQ(r.path,
            "/api/v1/query?query=sum%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29&time=1700000000.000"
            "&timeout=5000ms");
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(6000));
}

TEST(PromRequestTest, RangeQueryKeepsThePathPrefix) {
  auto r = rangeRequest("/prometheus", "up", 100, 400, 30, std::chrono::seconds(2));
  EXPECT_EQ(r.path, "/prometheus/api/v1/query_range?query=up&start=100&end=400&step=30&timeout=2000ms");
}

TEST(PromClientTest, LongRangesAreSplitUnderThePointLimit) {
  Script script;
  auto transport = script.transport();
  auto* t = transport.get();
  const std::int64_t step = 30;
  const std::int64_t start = 0;
  const std::int64_t end = start + 25'000 * step;  // 25,001 points: three queries
  script.answers.push_back(kube::HttpResponse{200, matrix(start, start + 9'999 * step, step), 0});
  script.answers.push_back(kube::HttpResponse{200, matrix(start + 10'000 * step, start + 19'999 * step, step), 0});
  script.answers.push_back(kube::HttpResponse{200, matrix(start + 20'000 * step, end, step), 0});
  Client client(std::move(transport), "");
  auto r = client.queryRange("up", start, end, step, std::chrono::seconds(5));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->samples.size(), 25'001U);
  const auto requests = t->requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_NE(requests[1].path.find("&start=300000&end=599970&"), std::string::npos) << requests[1].path;
  EXPECT_NE(requests[2].path.find("&start=600000&end=750000&"), std::string::npos) << requests[2].path;
}

TEST(PromClientTest, ConnectionFailureIsUnreachable) {
  Script script;
  Client client(script.transport(), "");
  auto r = client.query("up", 1, std::chrono::seconds(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnreachable);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos);
}

TEST(PromClientTest, InvalidRangeIsRejectedWithoutARequest) {
  Script script;
  auto transport = script.transport();
  auto* t = transport.get();
  Client client(std::move(transport), "");
  auto r = client.queryRange("up", 100, 50, 30, std::chrono::seconds(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kQueryFailed);
  EXPECT_TRUE(t->requests().empty());
}

TEST(PromClientTest, ConnectRejectsANonHttpAddress) {
  auto r = Client::connect("ftp://prom:9090", std::chrono::seconds(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnreachable);
  EXPECT_NE(r.error().message.find("not an http(s) URL"), std::string::npos);
}

}  // namespace
}  // namespace tso::prom

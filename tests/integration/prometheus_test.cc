// The Prometheus client against a real Prometheus server: values, ranges, and each way a
// demand query can be unusable comes back as the right problem instead of a crash.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <ctime>

#include "controller/prom/client.h"
#include "tests/integration/support/cluster_env.h"

namespace tso::testing {
namespace {

using tso::ErrorCode;
constexpr std::chrono::seconds kTimeout{5};

class PromClientIT : public PrometheusTest {
 protected:
  void SetUp() override {
    PrometheusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto c = prom::Client::connect(prometheusUrl(), kTimeout);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    client_ = std::move(*c);
  }
  static double now() { return static_cast<double>(std::time(nullptr)); }
  std::unique_ptr<prom::Client> client_;
};

TEST_F(PromClientIT, InstantValue) {
  auto r = client_->query("vector(42)", now(), kTimeout);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->value, 42);
}

TEST_F(PromClientIT, RangeOfAConstant) {
  auto end = static_cast<std::int64_t>(now());
  auto r = client_->queryRange("vector(7)", end - 60, end, 10, kTimeout);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->samples.size(), 7U);
  EXPECT_DOUBLE_EQ(r->samples.front().time, static_cast<double>(end - 60));
  for (const auto& s : r->samples) EXPECT_DOUBLE_EQ(s.value, 7);
}

TEST_F(PromClientIT, TwoSeriesAreRejected) {
  auto r = client_->query(R"(label_replace(vector(1), "s", "a", "", "") or label_replace(vector(2), "s", "b", "", ""))",
                          now(), kTimeout);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kMultipleSeries) << r.error().message;
}

TEST_F(PromClientIT, NaNIsRejected) {
  auto r = client_->query("vector(0/0)", now(), kTimeout);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFinite) << r.error().message;
  auto range = client_->queryRange("vector(0/0)", static_cast<std::int64_t>(now()) - 30,
                                   static_cast<std::int64_t>(now()), 10, kTimeout);
  ASSERT_TRUE(range.has_value()) << range.error().message;
  EXPECT_EQ(range->nonFinite, range->samples.size());
  EXPECT_TRUE(std::isnan(range->samples.at(0).value));
}

TEST_F(PromClientIT, MissingMetricIsNoData) {
  auto r = client_->query("tso_metric_that_does_not_exist", now(), kTimeout);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNoData);
}

TEST_F(PromClientIT, SyntaxErrorIsAQueryFailure) {
  auto r = client_->query("sum(", now(), kTimeout);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kQueryFailed);
  EXPECT_NE(r.error().message.find("bad_data"), std::string::npos) << r.error().message;
}

TEST_F(PromClientIT, ClosedPortIsUnreachable) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto c = prom::Client::connect("http://127.0.0.1:1", std::chrono::seconds(2));
  ASSERT_TRUE(c.has_value());
  auto r = (*c)->query("up", now(), std::chrono::seconds(2));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnreachable) << r.error().message;
}

}  // namespace
}  // namespace tso::testing

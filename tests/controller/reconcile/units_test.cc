#include "controller/reconcile/units.h"

#include <gtest/gtest.h>

namespace tso::reconcile {
namespace {

TEST(DurationTest, ParsesEveryUnitAndSums) {
  EXPECT_EQ(parseDurationMs("250ms").value(), 250);
  EXPECT_EQ(parseDurationMs("30s").value(), 30'000);
  EXPECT_EQ(parseDurationMs("5m").value(), 300'000);
  EXPECT_EQ(parseDurationMs("1h30m").value(), 5'400'000);
  EXPECT_EQ(parseDurationMs("7d").value(), 7 * 86'400'000LL);
  EXPECT_EQ(parseDurationMs("2w").value(), 14 * 86'400'000LL);
  EXPECT_EQ(parseDurationMs("1.5s").value(), 1'500);
}

TEST(DurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "30", "s", "30 s", "5x", "1h-5m", "3days", "1e3s"}) {
    auto r = parseDurationMs(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
}

TEST(DurationTest, FormatsLargestUnitsFirstAndParsesBack) {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "0s"}, {45, "45s"}, {90, "1m30s"}, {3600, "1h"}, {5400, "1h30m"}, {86400, "1d"}, {90061, "1d1h1m1s"}};
  for (const auto& [seconds, text] : cases) {
    EXPECT_EQ(formatDuration(seconds), text) << seconds;
    EXPECT_EQ(parseDurationMs(formatDuration(seconds)).value(), seconds * 1000) << seconds;
  }
}

TEST(QuantityTest, DecimalBinaryAndExponent) {
  EXPECT_EQ(parseQuantityBytes("64Mi").value(), 64LL << 20);
  EXPECT_EQ(parseQuantityBytes("4Gi").value(), 4LL << 30);
  EXPECT_EQ(parseQuantityBytes("500M").value(), 500'000'000);
  EXPECT_EQ(parseQuantityBytes("1.5Gi").value(), 3LL << 29);
  EXPECT_EQ(parseQuantityBytes("1048576").value(), 1'048'576);
  EXPECT_EQ(parseQuantityBytes("1e9").value(), 1'000'000'000);
  EXPECT_EQ(parseQuantityBytes("0").value(), 0);
  for (const char* bad : {"", "lots", "4GB", "-1Gi", "Mi", "1.2.3"}) {
    EXPECT_FALSE(parseQuantityBytes(bad).has_value()) << bad;
  }
}

TEST(QuantityTest, FormatsCanonically) {
  EXPECT_EQ(formatQuantityBytes(64LL << 20), "64Mi");
  EXPECT_EQ(formatQuantityBytes(3LL << 29), "1536Mi");
  EXPECT_EQ(formatQuantityBytes(4LL << 30), "4Gi");
  EXPECT_EQ(formatQuantityBytes(1'000'001), "1000001");
  EXPECT_EQ(formatQuantityBytes(0), "0");
  // Round trip.
  EXPECT_EQ(parseQuantityBytes(formatQuantityBytes(123LL << 20)).value(), 123LL << 20);
}

TEST(Rfc3339Test, RoundTripAndOffsets) {
  EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(parseRfc3339("2026-11-21T19:45:00Z").value(), 1'795'290'300);
  EXPECT_EQ(formatRfc3339(1'795'290'300), "2026-11-21T19:45:00Z");
  EXPECT_EQ(parseRfc3339("2026-11-21T20:45:00+01:00").value(), 1'795'290'300);
  EXPECT_EQ(parseRfc3339("2026-11-21T19:45:00.123456Z").value(), 1'795'290'300);
  EXPECT_EQ(parseRfc3339("2024-02-29T00:00:00Z").value(), 1'709'164'800);
  for (const char* bad : {"tomorrow", "2026-11-21", "2026-13-01T00:00:00Z", "2026-11-21T19:45:00"}) {
    EXPECT_FALSE(parseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tso::reconcile

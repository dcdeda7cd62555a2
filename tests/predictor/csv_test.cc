#include "predictor/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tso::predictor {
namespace {

Result<CsvTrace> read(const std::string& text, CsvOptions options = {}) {
  std::istringstream in(text);
  return readCsv(in, options);
}

TEST(CsvTest, ReadsIsoWithHeader) {
  auto t = read("timestamp,value\n2024-01-01T00:00:00Z,5\n2024-01-01T00:01:00Z,7\n");
  ASSERT_TRUE(t) << t.error().toString();
  EXPECT_EQ(t->series.start, 1704067200);
  EXPECT_EQ(t->series.step, 60);
  EXPECT_EQ(t->series.values, (std::vector<double>{5, 7}));
}

TEST(CsvTest, ReadsUnixSecondsOffsetsAndNaiveTimes) {
  auto unix = read("100,1\n160,2\n220,3\n");
  ASSERT_TRUE(unix);
  EXPECT_EQ(unix->series.start, 100);
  EXPECT_EQ(unix->series.step, 60);
  EXPECT_EQ(parseTimestamp("2024-01-01T02:00:00+02:00"), 1704067200);
  EXPECT_EQ(parseTimestamp("2024-01-01 00:00:00"), 1704067200);
  EXPECT_EQ(parseTimestamp("2024-01-01T00:00:00.250Z"), 1704067200);
  EXPECT_EQ(parseTimestamp("2024-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parseTimestamp("yesterday"), std::nullopt);
}

TEST(CsvTest, BadLineIsParseErrorWithLine) {
  auto t = read("timestamp,value\n100,1\n160,abc\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kParse);
  EXPECT_EQ(t.error().line, 3u);
  auto noComma = read("100,1\n160\n");
  ASSERT_FALSE(noComma);
  EXPECT_EQ(noComma.error().code, ErrorCode::kParse);
  EXPECT_EQ(noComma.error().line, 2u);
}

TEST(CsvTest, DuplicateAndNonMonotonicAreErrors) {
  auto dup = read("100,1\n160,2\n160,3\n");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kDuplicate);
  EXPECT_EQ(dup.error().line, 3u);
  auto back = read("100,1\n160,2\n130,3\n");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, ErrorCode::kNonMonotonic);
  EXPECT_EQ(back.error().line, 3u);
}

TEST(CsvTest, NegativeValueIsError) {
  auto t = read("100,1\n160,-2\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kNegative);
  EXPECT_EQ(t.error().line, 2u);
}

TEST(CsvTest, NaNAndGapsAreInterpolated) {
  auto t = read("0,10\n60,NaN\n120,30\n300,60\n");
  ASSERT_TRUE(t) << t.error().toString();
  EXPECT_EQ(t->missing, 1u);
  EXPECT_EQ(t->gapSamples, 2u);
  EXPECT_EQ(t->firstRepairLine, 2u);
  EXPECT_EQ(t->series.values, (std::vector<double>{10, 20, 30, 40, 50, 60}));
}

TEST(CsvTest, OffGridTimestampIsError) {
  auto t = read("0,1\n60,1\n150,1\n", CsvOptions{60});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kOffGrid);
  EXPECT_EQ(t.error().line, 3u);
}

TEST(CsvTest, EmptyInputIsError) {
  auto t = read("timestamp,value\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kEmpty);
}

TEST(CsvTest, ParsesDurations) {
  EXPECT_EQ(parseDuration("90s"), 90);
  EXPECT_EQ(parseDuration("5m"), 300);
  EXPECT_EQ(parseDuration("7d"), 604800);
  EXPECT_EQ(parseDuration("42"), 42);
  EXPECT_EQ(parseDuration("-5m"), std::nullopt);
  EXPECT_EQ(parseDuration("m"), std::nullopt);
}

}  // namespace
}  // namespace tso::predictor

// Checks the shared real traces the backtests and benchmarks use, when they are present.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "predictor/csv.h"

namespace tso::predictor {
namespace {

void checkTrace(const char* file, std::size_t samples, std::int64_t step) {
  const std::filesystem::path path = std::filesystem::path(TSO_TRACES_DIR) / file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: the real traces live in ../shared/traces";
  std::ifstream in(path);
  auto t = readCsv(in);
  ASSERT_TRUE(t) << t.error().toString();
  EXPECT_EQ(t->series.size(), samples);
  EXPECT_EQ(t->series.step, step);
  EXPECT_EQ(t->missing + t->gapSamples, 0u);
}

TEST(TracesTest, Nasa) { checkTrace("nasa_jul95_1min.csv", 39'693, 60); }
TEST(TracesTest, WorldCup) { checkTrace("worldcup98_1min.csv", 125'310, 60); }
TEST(TracesTest, NycTaxi) { checkTrace("nab_nyc_taxi_30min.csv", 10'320, 1800); }

}  // namespace
}  // namespace tso::predictor

#include "predictor/series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tso::predictor {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(SeriesTest, FillMissingInterpolatesInteriorAndExtendsEdges) {
  std::vector<double> v = {kNaN, 2, kNaN, kNaN, 8, kNaN};
  EXPECT_EQ(fillMissing(v), 4u);
  EXPECT_EQ(v, (std::vector<double>{2, 2, 4, 6, 8, 8}));
}

TEST(SeriesTest, FillMissingAllMissingBecomesZero) {
  std::vector<double> v = {kNaN, kNaN};
  EXPECT_EQ(fillMissing(v), 2u);
  EXPECT_EQ(v, (std::vector<double>{0, 0}));
  EXPECT_EQ(countMissing(v), 0u);
}

TEST(SeriesTest, SeasonalityFromStep) {
  EXPECT_EQ(seasonalityFor(60).day, 1440);
  EXPECT_EQ(seasonalityFor(60).week, 10080);
  EXPECT_EQ(seasonalityFor(1800).day, 48);
  EXPECT_EQ(seasonalityFor(7).day, 0);      // does not divide a day
  EXPECT_EQ(seasonalityFor(43200).day, 0);  // two samples a day is no shape
  EXPECT_EQ(seasonalityFor(0).day, 0);
}

TEST(SeriesTest, ErrorToStringNamesLineAndCode) {
  const Error e{ErrorCode::kDuplicate, "duplicate timestamp", 7};
  EXPECT_EQ(e.toString(), "line 7: duplicate timestamp (duplicate)");
}

}  // namespace
}  // namespace tso::predictor

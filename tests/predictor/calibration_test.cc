#include "predictor/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace tso::predictor::calibration {
namespace {

TEST(CalibrationTest, ConformalQuantilesRaiseEachLevelByTheSmallSampleCorrection) {
  struct Case {
    const char* name;
    std::vector<double> errors;
    std::array<double, 4> want;  // P50, P90, P95, P99
  };
  std::vector<double> hundred;
  for (int i = 0; i < 100; ++i) hundred.push_back(i);  // 0..99
  const Case cases[] = {
      // Levels (n + 1) / n: 0.505, 0.909, 0.9595, 0.9999 of 0..99, linear between order statistics.
      {"0..99", hundred, {0.505 * 99, 0.909 * 99, 0.9595 * 99, 0.9999 * 99}},
      // Nine values: 0.9 x 10 / 9 = 1, so P90 and above are the largest.
      {"nine", {4, 1, 3, 2, 0, 8, 7, 6, 5}, {0.5 * 10 / 9 * 8, 8, 8, 8}},
      {"none", {}, {0, 0, 0, 0}},
      {"one", {-2.5}, {-2.5, -2.5, -2.5, -2.5}},
  };
  for (const auto& c : cases) {
    auto errors = c.errors;
    const auto q = conformalQuantiles(errors);
    for (std::size_t k = 0; k < q.size(); ++k) EXPECT_NEAR(q[k], c.want[k], 1e-9) << c.name << " level " << k;
  }
}

TEST(CalibrationTest, ConformalQuantilesNeverDecreaseAcrossLevels) {
  std::vector<double> errors = {-5, -5, -5, -5, -5, -5, -5, -5, -5, 10};
  const auto q = conformalQuantiles(errors);
  for (std::size_t k = 1; k < q.size(); ++k) EXPECT_GE(q[k], q[k - 1]) << k;
  EXPECT_DOUBLE_EQ(q[0], -5);
  EXPECT_DOUBLE_EQ(q[3], 10);
}

TEST(CalibrationTest, GuardThresholdsScaleTheValidatedRatioWithAFloor) {
  struct Case {
    double ratio;
    float asideAt;
    float backAt;
  };
  for (const Case c : {Case{1.0, 2.0F, 1.5F}, Case{0.8, 1.6F, 1.2F}, Case{0.2, 1.0F, 0.75F}, Case{0.5, 1.0F, 0.75F}}) {
    const auto t = guardThresholds(c.ratio);
    EXPECT_FLOAT_EQ(t.asideAt, c.asideAt) << c.ratio;
    EXPECT_FLOAT_EQ(t.backAt, c.backAt) << c.ratio;
  }
}

}  // namespace
}  // namespace tso::predictor::calibration

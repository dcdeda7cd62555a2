#include "predictor/period.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

TEST(PeriodTest, FindsThePeriodOfANoisyCycle) {
  Rng rng(9);
  std::vector<double> v(20000);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = 100 + 30 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / 137.0) + 10 * rng.normal();
  }
  auto p = detectPeriod(v, 4, 5000);
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->period, 137, 1);
  EXPECT_GT(p->strength, 0.5);
}

TEST(PeriodTest, NoPeriodInWhiteNoise) {
  Rng rng(10);
  std::vector<double> v(5000);
  for (auto& x : v) x = rng.normal();
  EXPECT_FALSE(detectPeriod(v, 4, 1000));
}

TEST(PeriodTest, AutocorrelationOfAConstantIsZeroNotNaN) {
  const std::vector<double> v(100, 3.0);
  for (double a : autocorrelation(v, 10)) EXPECT_EQ(a, 0.0);
}

}  // namespace
}  // namespace tso::predictor

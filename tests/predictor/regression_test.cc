#include "predictor/regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

// A day of 48 half-hour samples whose log follows a sine: demand swings x7.4 between night
// and day, proportionally, as request rates do.
std::vector<double> multiplicativeDays(int days, double noise, std::uint64_t seed, int day = 48) {
  Rng rng(seed);
  std::vector<double> y;
  for (int t = 0; t < days * day; ++t) {
    const double phase = 2 * std::numbers::pi * (t % day) / day;
    y.push_back(std::exp(std::log(1000.0) + std::sin(phase) + noise * rng.normal()));
  }
  return y;
}

// 3,000 samples growing 0.1 % per step, each multiplied by spike(t); fitted without a daily
// profile, then the forecast must continue the growth within `tolerance` (relative) at each
// of `checked` (steps of a forecast of `horizon` steps, scored at `focus`).
void expectGrowthContinues(double (*spike)(int), double tolerance, int horizon = 30,
                           std::vector<int> focus = {1, 15, 30}, std::vector<int> checked = {1, 10, 30}) {
  std::vector<double> y;
  for (int t = 0; t < 3000; ++t) y.push_back(100.0 * std::pow(1.001, t) * spike(t));
  LogRegressionModel m(0, horizon);
  FitOptions fo;
  fo.horizons = std::move(focus);
  m.fit(y, fo);
  std::vector<double> out(static_cast<std::size_t>(horizon));
  m.forecast(out);
  for (int h : checked) {
    const double expected = 100.0 * std::pow(1.001, 2999 + h);
    EXPECT_NEAR(out[static_cast<std::size_t>(h - 1)], expected, tolerance * expected) << "h=" << h;
  }
}

TEST(LogRegressionTest, ContinuesProportionalGrowthExactly) {
  // A straight line in logs, which the intercept of every horizon learns.
  expectGrowthContinues([](int) { return 1.0; }, 0.01);
}

TEST(LogRegressionTest, IsolatedSpikesDoNotBiasTheFit) {
  // The same line with a one-sample spike of 20x every 101 steps. Least squares would lift
  // every horizon's intercept by ~3 % (a log change of 3 in 1 row of 101); the robust fit
  // ignores the spikes. The last spike is 70 steps back.
  expectGrowthContinues([](int t) { return t % 101 == 0 ? 20.0 : 1.0; }, 0.005);
}

TEST(LogRegressionTest, MoreThanEightFittedHorizonsAreFittedAlike) {
  // 15 fitted horizons (7 of its own up to 150 and 8 more the search scores): the fit's sums
  // run over 16 lanes instead of 8, and every horizon, first lanes and last, must still learn
  // the line.
  expectGrowthContinues([](int) { return 1.0; }, 0.01, 150, {1, 2, 4, 6, 10, 20, 45, 90, 150},
                        {1, 2, 45, 90, 140, 150});
}

TEST(LogRegressionTest, FollowsTheDailyShapeFarBetterThanNaive) {
  const std::vector<double> y = multiplicativeDays(30, 0.05, 7);
  const std::size_t train = 25 * 48;
  LogRegressionModel m(48, 8);
  FitOptions fo;
  fo.horizons = {1, 4, 8};
  m.fit(std::span<const double>(y).first(train), fo);
  std::vector<double> out(8);
  double eModel = 0, eNaive = 0;
  for (std::size_t i = train; i + 8 <= y.size(); ++i) {
    m.forecast(out);
    eModel += std::abs(y[i + 7] - out[7]);
    eNaive += std::abs(y[i + 7] - y[i - 1]);
    m.update(y[i]);
  }
  // 8 steps is a sixth of the cycle: naive misses the swing, the profile features carry it.
  EXPECT_LT(eModel, 0.25 * eNaive) << "model " << eModel << " naive " << eNaive;
  EXPECT_FALSE(m.coefficients(8).empty());
}

TEST(LogRegressionTest, ALastingShiftOfLevelIsNotForecastToRevert) {
  // Steady days teach the fit that each sample returns to the daily profile. Then demand
  // moves to 5x for good (traffic moved here from another region): once the model has seen
  // an hour of it, every step of the forecast must be at the new level, not at the old one.
  const int day = 1440;
  std::vector<double> y = multiplicativeDays(15, 0.05, 11, day);
  const std::size_t train = 14 * day;
  for (std::size_t i = train; i < y.size(); ++i) y[i] *= 5.0;
  LogRegressionModel m(day, 30);
  FitOptions fo;
  fo.horizons = {1, 15, 30};
  m.fit(std::span<const double>(y).first(train), fo);
  const std::size_t shifted = 60;  // an hour of minute samples
  for (std::size_t i = train; i < train + shifted; ++i) m.update(y[i]);
  std::vector<double> out(30);
  m.forecast(out);
  for (std::size_t h = 0; h < out.size(); ++h) {
    const std::size_t t = train + shifted + h;  // the noise-free demand, 5x
    const double expected = 5.0 * std::exp(std::log(1000.0) + std::sin(2 * std::numbers::pi * (t % day) / day));
    EXPECT_NEAR(out[h], expected, 0.2 * expected) << "h=" << h + 1;
  }
}

TEST(LogRegressionTest, ProfileBucketsOfAFractionalWidthAreWalkedConsistently) {
  // 45-second steps: 1,920 samples a day in 288 buckets of 6.67 samples. The forecast walks
  // the buckets step by step; a walk that disagreed with the fit's bucket of a phase would
  // shift the profile features and show as a large error at the longer horizons.
  const int day = 1920;
  const std::vector<double> y = multiplicativeDays(12, 0.05, 5, day);
  const std::size_t train = 10 * day;
  LogRegressionModel m(day, 80);
  FitOptions fo;
  fo.horizons = {1, 40, 80};
  m.fit(std::span<const double>(y).first(train), fo);
  std::vector<double> out(80);
  double eModel = 0, eNaive = 0;
  for (std::size_t i = train; i + 80 <= y.size(); i += 7) {
    m.forecast(out);
    eModel += std::abs(y[i + 79] - out[79]);
    eNaive += std::abs(y[i + 79] - y[i - 1]);
    for (std::size_t k = i; k < i + 7; ++k) m.update(y[k]);
  }
  EXPECT_LT(eModel, 0.5 * eNaive) << "model " << eModel << " naive " << eNaive;
}

TEST(LogRegressionTest, TooLittleHistoryForecastsTheLastValue) {
  LogRegressionModel m(48, 5);
  const std::vector<double> y = {3, 4, 5, 6, 7, 8, 9, 10};
  ASSERT_GT(m.minHistory(), y.size());
  m.fit(y, {});
  EXPECT_TRUE(m.coefficients(1).empty());
  std::vector<double> out(5);
  m.forecast(out);
  for (double v : out) EXPECT_NEAR(v, 10.0, 1e-4);  // logs are kept as float
}

TEST(LogRegressionTest, ZerosAndNegativesStayFiniteAndNonNegative) {
  std::vector<double> y(1000, 0.0);
  for (std::size_t i = 0; i < y.size(); i += 7) y[i] = -5.0;  // a bad metric: treated as 0
  LogRegressionModel m(0, 10);
  m.fit(y, {});
  std::vector<double> out(10);
  m.forecast(out);
  for (double v : out) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1e-6);
  }
}

TEST(LogRegressionTest, ExtrapolationIsBounded) {
  // A history that only ever rises steeply, then a forecast from the top: the log change per
  // forecast is clamped, so no horizon can run away to infinity.
  std::vector<double> y;
  for (int t = 0; t < 1500; ++t) y.push_back(std::exp(0.02 * t));
  LogRegressionModel m(0, 30);
  m.fit(y, {});
  std::vector<double> out(30);
  m.forecast(out);
  for (double v : out) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_LE(v, y.back() * std::exp(3.0) * 1.0001);
  }
}

TEST(LogRegressionTest, CloneForecastsTheSameAndUpdatesAreO1State) {
  const std::vector<double> y = multiplicativeDays(10, 0.1, 3);
  LogRegressionModel m(48, 6);
  m.fit(y, {});
  auto c = m.clone();
  std::vector<double> a(6), b(6);
  m.update(1234);
  c->update(1234);
  m.forecast(a);
  c->forecast(b);
  EXPECT_EQ(a, b);
  EXPECT_DOUBLE_EQ(m.next(), a[0]);
  // State: ring + profile (48 buckets) + 6 x 15 coefficients, no history kept.
  EXPECT_LT(m.stateBytes(), 1500u);
  EXPECT_TRUE(m.refitAfterValidation());
}

}  // namespace
}  // namespace tso::predictor

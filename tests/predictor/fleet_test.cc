#include "predictor/fleet.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

constexpr int kDay = 48;  // half-hour steps keep the tests fast

// `days` of half-hourly demand at `level` whose log follows a sine (x7.4 between night and
// day, proportionally, as request rates do), with multiplicative noise.
std::vector<double> dailyShape(int days, double level, double noise, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> y;
  for (int t = 0; t < days * kDay; ++t) {
    const double phase = 2 * std::numbers::pi * (t % kDay) / kDay;
    y.push_back(std::exp(std::log(level) + std::sin(phase) + noise * rng.normal()));
  }
  return y;
}

FleetConfig halfHourly(int horizon = 8) {
  FleetConfig c;
  c.step = 1800;
  c.horizon = horizon;
  c.focusHorizons = {1, 4, horizon};
  return c;
}

std::vector<std::span<const double>> firstOf(const std::vector<std::vector<double>>& series, std::size_t n) {
  std::vector<std::span<const double>> out;
  for (const auto& s : series) out.push_back(std::span<const double>(s).first(std::min(n, s.size())));
  return out;
}

// Each series' forecasts of one tick, copied out of the sink.
struct Collected {
  std::vector<Forecast> f;
  explicit Collected(std::size_t n) : f(n) {}
  auto sink() {
    return [this](std::size_t i, const FleetForecast& ff) { ff.copyTo(f[i]); };
  }
};

TEST(FleetTest, OneSharedFitServesSeriesAtEveryLevel) {
  // Twelve series from 20 to 2,000,000 a step: the features are log changes, so one set of
  // coefficients fits them all, and each beats its own naive forecast by far at 4 steps (an
  // eighth of the daily swing).
  std::vector<std::vector<double>> series;
  for (int i = 0; i < 12; ++i) series.push_back(dailyShape(30, 20.0 * std::pow(10.0, i / 2.0), 0.05, 10 + i));
  const std::size_t train = 25 * kDay;
  Fleet fleet(halfHourly());
  auto report = fleet.fit(firstOf(series, train));
  ASSERT_TRUE(report) << report.error().toString();
  EXPECT_TRUE(report->fitted);
  EXPECT_EQ(report->series, 12u);
  EXPECT_GE(report->rows, 200u);
  EXPECT_EQ(report->naiveSeries, 0u);
  EXPECT_EQ(report->anchors, (std::vector<int>{1, 3, 4, 8}));
  Collected c(series.size());
  std::vector<double> eModel(series.size()), eNaive(series.size());
  std::vector<double> samples(series.size());
  for (std::size_t t = train; t + 4 < series[0].size(); ++t) {
    for (std::size_t i = 0; i < series.size(); ++i) samples[i] = series[i][t];
    ASSERT_TRUE(fleet.tick(samples, c.sink()));
    for (std::size_t i = 0; i < series.size(); ++i) {
      eModel[i] += std::abs(series[i][t + 4] - c.f[i].point[3]);
      eNaive[i] += std::abs(series[i][t + 4] - series[i][t]);
    }
  }
  for (std::size_t i = 0; i < series.size(); ++i) EXPECT_LT(eModel[i], 0.5 * eNaive[i]) << "series " << i;
}

TEST(FleetTest, QuantilesAreOrderedAndTheP90CoversAboutNineInTen) {
  std::vector<std::vector<double>> series;
  for (int i = 0; i < 9; ++i) series.push_back(dailyShape(30, 500.0 + 300.0 * i, 0.15, 40 + i));
  const std::size_t train = 24 * kDay;
  Fleet fleet(halfHourly());
  ASSERT_TRUE(fleet.fit(firstOf(series, train)));
  std::size_t covered = 0, points = 0;
  std::vector<double> samples(series.size());
  for (std::size_t t = train; t + 4 < series[0].size(); ++t) {
    for (std::size_t i = 0; i < series.size(); ++i) samples[i] = series[i][t];
    ASSERT_TRUE(fleet.tick(samples, [&](std::size_t i, const FleetForecast& f) {
      for (int h = 1; h <= f.horizon(); ++h) {
        EXPECT_LE(f.quantile(h, kP50), f.quantile(h, kP90));
        EXPECT_LE(f.quantile(h, kP90), f.quantile(h, kP95));
        EXPECT_LE(f.quantile(h, kP95), f.quantile(h, kP99));
        EXPECT_GE(f.quantile(h, kP50), 0.0F);
      }
      EXPECT_EQ(f.peak(1, 4, kP95),
                std::max({f.quantile(1, kP95), f.quantile(2, kP95), f.quantile(3, kP95), f.quantile(4, kP95)}));
      covered += series[i][t + 4] <= f.quantile(4, kP90) ? 1 : 0;
      ++points;
    }));
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(points);
  EXPECT_GT(coverage, 0.8);
  EXPECT_LT(coverage, 0.97);
}

TEST(FleetTest, ASeriesForecastsAlikeInAnyLane) {
  // The same eleven series in two orders (two blocks, the second padded): with every origin a
  // training row the shared fit sees the same rows in another order (its cold start, on every
  // 4th row, sees other rows, which moves the coefficients by ~0.1 %), so each series must
  // forecast the same within 1 % whichever lane holds it; neighbours differ by 10-50 %.
  std::vector<std::vector<double>> series;
  for (int i = 0; i < 11; ++i) series.push_back(dailyShape(12, 100.0 + 50.0 * i, 0.1, 70 + i));
  std::vector<std::vector<double>> reversed(series.rbegin(), series.rend());
  FleetConfig config = halfHourly();
  config.maxRows = 1'000'000;  // every origin of every series
  Fleet a(config), b(config);
  const std::size_t train = 10 * kDay;
  ASSERT_TRUE(a.fit(firstOf(series, train)));
  ASSERT_TRUE(b.fit(firstOf(reversed, train)));
  Collected ca(series.size()), cb(series.size());
  std::vector<double> sa(series.size()), sb(series.size());
  for (std::size_t t = train; t < train + 20; ++t) {
    for (std::size_t i = 0; i < series.size(); ++i) {
      sa[i] = series[i][t];
      sb[series.size() - 1 - i] = series[i][t];
    }
    ASSERT_TRUE(a.tick(sa, ca.sink()));
    ASSERT_TRUE(b.tick(sb, cb.sink()));
    for (std::size_t i = 0; i < series.size(); ++i) {
      const Forecast& fa = ca.f[i];
      const Forecast& fb = cb.f[series.size() - 1 - i];
      for (std::size_t h = 0; h < fa.point.size(); ++h) {
        EXPECT_NEAR(fa.point[h], fb.point[h], 0.01 * fa.point[h]) << "series " << i << " step " << h + 1;
        EXPECT_NEAR(fa.quantiles[h][kP99], fb.quantiles[h][kP99], 0.01 * fa.quantiles[h][kP99]);
      }
    }
  }
}

TEST(FleetTest, AMissingSampleAdvancesOnItsOwnOneStepForecast) {
  std::vector<std::vector<double>> series;
  for (int i = 0; i < 5; ++i) series.push_back(dailyShape(12, 300.0 + 10.0 * i, 0.1, 90 + i));
  Fleet a(halfHourly());
  ASSERT_TRUE(a.fit(firstOf(series, 10 * kDay)));
  Collected before(series.size());
  a.forecastNow(before.sink());
  Fleet b = a;
  std::vector<double> sa(series.size()), sb(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) sa[i] = sb[i] = series[i][10 * kDay];
  sa[3] = std::numeric_limits<double>::quiet_NaN();
  sb[3] = before.f[3].point[0];  // what stands in for it
  Collected ca(series.size()), cb(series.size());
  ASSERT_TRUE(a.tick(sa, ca.sink()));
  ASSERT_TRUE(b.tick(sb, cb.sink()));
  for (std::size_t i = 0; i < series.size(); ++i) {
    for (std::size_t h = 0; h < ca.f[i].point.size(); ++h) EXPECT_EQ(ca.f[i].point[h], cb.f[i].point[h]);
  }
  EXPECT_TRUE(std::isfinite(ca.f[3].point[0]));
}

TEST(FleetTest, TooLittleHistoryForecastsTheNewestSampleAndSaysSo) {
  const std::vector<std::vector<double>> series = {std::vector<double>(40, 7.0), std::vector<double>(40, 900.0)};
  Fleet fleet(halfHourly());
  auto report = fleet.fit(firstOf(series, 40));
  ASSERT_TRUE(report) << report.error().toString();
  EXPECT_FALSE(report->fitted);
  ASSERT_EQ(report->notes.size(), 1u);
  EXPECT_NE(report->notes[0].find("too little history"), std::string::npos) << report->notes[0];
  EXPECT_EQ(report->naiveSeries, 2u);
  Collected c(2);
  fleet.forecastNow(c.sink());
  for (std::size_t h = 0; h < 8; ++h) {
    EXPECT_NEAR(c.f[0].point[h], 7.0, 1e-3);
    EXPECT_NEAR(c.f[1].point[h], 900.0, 0.1);
  }
}

TEST(FleetTest, AHistoryShorterThanADayIsFittedOnItsLags) {
  // An hour of 2 s steps (a day is 43,200 of them): no daily profile can be seen yet, so the
  // rows skip the day of warm-up and the fit learns from the lags and levels; a 60 s swing,
  // which the lags see, is then forecast better than by the newest sample.
  std::vector<double> y;
  for (int t = 0; t < 1800; ++t) y.push_back(200.0 + 100.0 * std::sin(2 * std::numbers::pi * t / 30.0));
  FleetConfig c;
  c.step = 2;
  c.horizon = 10;
  Fleet fleet(c);
  const std::vector<std::span<const double>> histories = {std::span<const double>(y).first(1500)};
  auto report = fleet.fit(histories);
  ASSERT_TRUE(report) << report.error().toString();
  EXPECT_TRUE(report->fitted);
  EXPECT_GE(report->rows, 200u);
  Collected col(1);
  double eModel = 0, eNaive = 0;
  for (std::size_t t = 1500; t + 5 < y.size(); ++t) {
    const std::array<double, 1> sample = {y[t]};
    ASSERT_TRUE(fleet.tick(sample, col.sink()));
    eModel += std::abs(y[t + 5] - col.f[0].point[4]);
    eNaive += std::abs(y[t + 5] - y[t]);
  }
  EXPECT_LT(eModel, 0.5 * eNaive);
}

TEST(FleetTest, AShorterHistoryStartsLaterAndForecastsItsOwnLevel) {
  // A series with two days beside one with twelve, both ending now: the young one is fitted
  // with the fleet's coefficients and forecasts its own level, not the old one's.
  const std::vector<double> old = dailyShape(12, 5000.0, 0.05, 3);
  const std::vector<double> young = dailyShape(2, 40.0, 0.05, 4);
  const std::vector<std::span<const double>> histories = {old, young};
  Fleet fleet(halfHourly());
  auto report = fleet.fit(histories);
  ASSERT_TRUE(report) << report.error().toString();
  EXPECT_TRUE(report->fitted);
  Collected c(2);
  fleet.forecastNow(c.sink());
  EXPECT_GT(c.f[1].point[0], 0.5 * young.back());
  EXPECT_LT(c.f[1].point[0], 2.0 * young.back());
  EXPECT_GT(c.f[0].point[0], 0.5 * old.back());
  EXPECT_LT(c.f[0].point[0], 2.0 * old.back());
}

TEST(FleetTest, BadInputIsAnErrorThatNamesTheSeries) {
  Fleet fleet(halfHourly());
  auto none = fleet.fit({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);

  const std::vector<double> good(100, 1.0);
  std::vector<double> bad(100, 1.0);
  bad[5] = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::span<const double>> withNaN = {good, good, bad};
  auto nan = fleet.fit(withNaN);
  ASSERT_FALSE(nan);
  EXPECT_EQ(nan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(nan.error().message.find("series 2: sample 5"), std::string::npos) << nan.error().message;

  const std::vector<std::span<const double>> withEmpty = {good, std::span<const double>()};
  auto empty = fleet.fit(withEmpty);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kTooShort);
  EXPECT_NE(empty.error().message.find("series 1"), std::string::npos) << empty.error().message;

  const std::vector<std::span<const double>> two = {good, good};
  ASSERT_TRUE(fleet.fit(two));
  const std::vector<double> three = {1, 2, 3};
  auto st = fleet.tick(three, [](std::size_t, const FleetForecast&) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

TEST(FleetTest, ARegressionThatBreaksIsSetAsideForTheNaiveForecast) {
  // Eight series with a steady daily shape, fitted; then series 0 stops following it and
  // stays flat (a stuck metric, a capped queue). The regression keeps forecasting the daily
  // swing, its one-step error grows far past twice what validation measured against the naive
  // forecast, and the guard sets it aside: series 0 forecasts its newest sample, the others
  // keep the regression.
  std::vector<std::vector<double>> series;
  for (int i = 0; i < 8; ++i) series.push_back(dailyShape(14, 1000.0, 0.03, 120 + i));
  const std::size_t train = 12 * kDay;
  Fleet fleet(halfHourly());
  ASSERT_TRUE(fleet.fit(firstOf(series, train)));
  EXPECT_FALSE(fleet.isSetAside(0));
  Collected c(series.size());
  std::vector<double> samples(series.size());
  const double flat = series[0][train - 1];
  for (std::size_t t = train; t < train + 40; ++t) {
    for (std::size_t i = 0; i < series.size(); ++i) samples[i] = series[i][t];
    samples[0] = flat;
    ASSERT_TRUE(fleet.tick(samples, c.sink()));
  }
  EXPECT_TRUE(fleet.isSetAside(0));
  for (std::size_t i = 1; i < series.size(); ++i) EXPECT_FALSE(fleet.isSetAside(i)) << "series " << i;
  for (std::size_t h = 0; h < 8; ++h) EXPECT_NEAR(c.f[0].point[h], flat, 0.02 * flat) << "step " << h + 1;
  // The others still forecast the daily swing: 4 steps ahead is not their newest sample.
  double moved = 0;
  for (std::size_t i = 1; i < series.size(); ++i) moved += std::abs(c.f[i].point[3] - samples[i]) / samples[i];
  EXPECT_GT(moved / 7, 0.1);
}

}  // namespace
}  // namespace tso::predictor

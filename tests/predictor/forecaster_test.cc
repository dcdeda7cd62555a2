#include "predictor/forecaster.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "predictor/regression.h"
#include "predictor/simple_models.h"
#include "predictor/smoothing.h"
#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

Series minuteDays(int days, int crowds = 0) {
  SyntheticSpec spec;
  spec.days = days;
  spec.flashCrowds = crowds;
  return synthesize(spec);
}

ForecasterConfig minuteConfig() {
  ForecasterConfig c;
  c.step = 60;
  c.horizon = 30;
  c.focusHorizons = {5, 15, 30};
  return c;
}

TEST(ForecasterTest, TooLittleHistoryFallsBackWithoutCrashing) {
  for (std::size_t n : {0u, 1u, 2u, 5u, 40u}) {
    Forecaster f(minuteConfig());
    std::vector<double> h(n, 7.0);
    const FitReport r = f.fit(h);
    Forecast out;
    f.forecast(out);
    ASSERT_EQ(out.point.size(), 30u);
    for (std::size_t k = 0; k < 30; ++k) {
      EXPECT_TRUE(std::isfinite(out.point[k])) << "n=" << n;
      EXPECT_LE(out.quantiles[k][kP50], out.quantiles[k][kP99]);
    }
    if (n > 0) {
      EXPECT_NEAR(out.point[0], 7.0, 1e-6) << "n=" << n;
    }
    EXPECT_FALSE(r.notes.empty()) << "a fallback must be reported, n=" << n;
  }
}

TEST(ForecasterTest, SeasonalDataSelectsASeasonalModelAndBeatsEwma) {
  const Series s = minuteDays(12);
  const std::size_t train = 10 * 1440;
  Forecaster f(minuteConfig());
  f.fit(std::span<const double>(s.values).first(train));
  EXPECT_NE(f.selectedModel(30).find("holt_winters"), std::string::npos) << f.lastFit().selection;

  // Held-out day, compared with a naive forecast at 30 steps.
  Forecast out;
  double eAuto = 0, eNaive = 0;
  std::size_t covered = 0, n = 0;
  for (std::size_t i = train; i + 30 <= s.size(); ++i) {
    f.forecast(out);
    const double y = s.values[i + 29];
    eAuto += std::abs(y - out.point[29]);
    eNaive += std::abs(y - s.values[i - 1]);
    covered += y <= out.quantiles[29][kP90] ? 1 : 0;
    ++n;
    f.update(s.values[i]);
  }
  EXPECT_LT(eAuto, 0.8 * eNaive);
  const double coverage = static_cast<double>(covered) / static_cast<double>(n);
  EXPECT_GT(coverage, 0.8);
  EXPECT_LT(coverage, 0.98);
}

TEST(ForecasterTest, FollowsAFlashCrowdWithinOneStep) {
  const Series s = minuteDays(4);
  Forecaster f(minuteConfig());
  f.fit(s.values);
  Forecast out;
  f.forecast(out);
  const double jump = out.point[0] * 5 + 500;
  f.update(jump);
  f.forecast(out);
  EXPECT_GT(out.point[0], 0.8 * jump);
}

TEST(ForecasterTest, ComesBackDownWithinOneStepWhenASpikeEnds) {
  // Noise around a flat level with one-minute spikes of 15x at random, about one an hour.
  // After a spike and one normal sample every horizon must be back near the level, and each
  // model, whatever it learnt, must have been tested on its own one-step forecast. (On this
  // data log_regression wins every horizon; the case where a step-1 choice that expected the
  // fall left a later horizon's EWMA up is WorldCup98's day 4.)
  Rng rng(11);
  std::vector<double> y(4 * 1440);
  for (auto& v : y) v = rng.uniform() < 1.0 / 60 ? 1500 : 100 + 10 * rng.normal();
  ForecasterConfig c = minuteConfig();
  c.onlyModels = {"log_regression", "ewma"};
  Forecaster f(c);
  f.fit(y);
  Forecast out;
  f.update(1500);
  f.update(100);
  f.forecast(out);
  for (std::size_t h = 0; h < out.point.size(); ++h) {
    EXPECT_LT(out.point[h], 200) << "h=" << h + 1 << " " << f.lastFit().selection;
  }
}

TEST(ForecasterTest, MissingSampleAdvancesOnItsOwnForecast) {
  const Series s = minuteDays(4);
  Forecaster f(minuteConfig());
  f.fit(s.values);
  f.update(std::numeric_limits<double>::quiet_NaN());
  Forecast out;
  f.forecast(out);
  for (double v : out.point) EXPECT_TRUE(std::isfinite(v));
  // An infinite sample (a division by zero in the query) is missing too, not a level.
  const double before = out.point[0];
  f.update(std::numeric_limits<double>::infinity());
  f.forecast(out);
  for (double v : out.point) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(out.point[0], 10 * before + 100);
}

TEST(ForecasterTest, AModelThatBreaksBetweenFitsIsSetAsideUntilTheNextFit) {
  // Additive Holt-Winters alone, fitted on steady days; then demand moves to 5x for good. Its
  // level follows at once (the jump test) but its daily swing stays at the old size, so it
  // now misses far more than it did in validation: the forecaster sets it aside and the
  // newest sample stands in, until the next fit, which forgets the guard's state.
  SyntheticSpec spec;
  spec.days = 10;
  spec.base = 200;
  spec.weekendFactor = 1.0;
  spec.shiftDay = 8;
  spec.shiftFactor = 5.0;
  const Series s = synthesize(spec);
  ForecasterConfig c = minuteConfig();
  c.onlyModels = {"holt_winters"};
  c.keepAllCandidates = true;  // forecastCandidate(0) is the model's own forecast
  Forecaster f(c);
  const std::size_t shift = 8 * 1440;
  f.fit(std::span<const double>(s.values).first(shift - 1440));
  ASSERT_EQ(f.selectedModel(1), "holt_winters");
  for (std::size_t t = shift - 1440; t < shift; ++t) {  // a steady day: never set aside
    f.update(s.values[t]);
    ASSERT_TRUE(f.modelsSetAside().empty()) << "t=" << t;
  }
  double guarded = 0, alone = 0;
  Forecast out, own;
  for (std::size_t t = shift; t < shift + 360; ++t) {
    f.update(s.values[t]);
    if (t < shift + 120) continue;  // the guard's error needs ~20 samples; then score 4 hours
    f.forecast(out);
    f.forecastCandidate(0, own);
    guarded += std::abs(s.values[t + 15] - out.point[14]);
    alone += std::abs(s.values[t + 15] - own.point[14]);
  }
  EXPECT_EQ(f.modelsSetAside(), std::vector<std::string>{"holt_winters"});
  EXPECT_EQ(f.selectedModel(1), "naive (holt_winters set aside)");
  EXPECT_LT(guarded, 0.6 * alone) << guarded / alone;
  f.fit(std::span<const double>(s.values).first(shift + 360));
  EXPECT_TRUE(f.modelsSetAside().empty());
  EXPECT_EQ(f.selectedModel(1), "holt_winters");
}

TEST(ForecasterTest, StateStaysWithinTheMemoryBudget) {
  // 2,000 services x a week of minute data must fit in 64 MB: 32 KB each.
  const Series s = minuteDays(21);
  Forecaster f(minuteConfig());
  f.fit(s.values);
  EXPECT_LT(f.stateBytes(), 32u * 1024u) << f.lastFit().selection;
}

TEST(ForecasterTest, PeakQuantileTakesTheMaxOverTheWindow) {
  Forecast f;
  f.point = {1, 2, 3};
  f.quantiles = {Quantiles{1, 2, 3, 4}, Quantiles{2, 5, 6, 7}, Quantiles{1, 3, 4, 5}};
  EXPECT_EQ(peakQuantile(f, 1, 3, kP90), 5);
  EXPECT_EQ(peakQuantile(f, 3, 3, kP99), 5);
  EXPECT_EQ(peakQuantile(f, -4, 99, kP50), 2);  // clamped to the forecast
  EXPECT_EQ(peakQuantile(Forecast{}, 1, 3, kP90), 0);
}

TEST(ForecasterTest, EmpiricalQuantileInterpolates) {
  std::vector<double> v = {4, 1, 3, 2, 5};
  EXPECT_DOUBLE_EQ(empiricalQuantile(v, 0.5), 3);
  EXPECT_DOUBLE_EQ(empiricalQuantile(v, 0.9), 4.6);
  std::vector<double> empty;
  EXPECT_EQ(empiricalQuantile(empty, 0.9), 0);
}

// The tick reaches models through addresses cached in the object: a copy must use its own
// models, and a moved-to forecaster the ones it took over.
TEST(ForecasterTest, CopiesAndMovesForecastLikeTheOriginal) {
  const Series s = minuteDays(8, 1);
  const std::span<const double> all(s.values);
  Forecaster original(minuteConfig());
  original.fit(all.first(7 * 1440));
  Forecaster copy(original);
  Forecaster assigned(minuteConfig());
  assigned = original;
  Forecaster source(original);
  Forecaster moved(std::move(source));
  Forecast a, b;
  for (std::size_t t = 7 * 1440; t < 7 * 1440 + 120; ++t) {
    original.update(all[t]);
    original.forecast(a);
    for (Forecaster* f : {&copy, &assigned, &moved}) {
      f->update(all[t]);
      f->forecast(b);
      ASSERT_EQ(a.point, b.point) << "t " << t;
      ASSERT_EQ(a.quantiles, b.quantiles) << "t " << t;
    }
  }
  // The copies advanced on their own: refitting the original leaves them intact.
  original.fit(all.first(2 * 1440));
  copy.forecast(b);
  EXPECT_EQ(b.point.size(), 30u);
  for (double v : b.point) EXPECT_TRUE(std::isfinite(v));
}

TEST(ForecasterTest, TickFleetForecastsEachSeriesAsItsOwnLoopWould) {
  // More series than tickFleet() prefetches ahead, with different models and phases, and one
  // too short to fit anything but a fallback.
  std::vector<Series> data;
  std::vector<Forecaster> fleet;
  for (int i = 0; i < 20; ++i) {
    SyntheticSpec spec;
    spec.seed = static_cast<std::uint64_t>(i) + 1;
    spec.days = 3;
    spec.base = 40.0 + 30.0 * i;
    data.push_back(synthesize(spec));
    Forecaster f(minuteConfig());
    const std::size_t fitted = i == 7 ? 5 : 2 * 1440 + static_cast<std::size_t>(i) * 17;
    f.fit(std::span<const double>(data.back().values).first(fitted));
    fleet.push_back(std::move(f));
  }
  std::vector<Forecaster> alone = fleet;
  Forecast a;
  Forecast b;
  std::vector<double> samples(fleet.size());
  for (std::size_t step = 0; step < 30; ++step) {
    for (std::size_t i = 0; i < fleet.size(); ++i) samples[i] = data[i].values[2 * 1440 + 400 + step];
    if (step == 3) samples[5] = std::numeric_limits<double>::quiet_NaN();  // a missing sample
    std::vector<std::size_t> seen;
    tickFleet(fleet, samples, a, [&](std::size_t i, const Forecast& f) {
      alone[i].update(samples[i]);
      alone[i].forecast(b);
      ASSERT_EQ(f.point, b.point) << "series " << i << " step " << step;
      ASSERT_EQ(f.quantiles, b.quantiles) << "series " << i << " step " << step;
      seen.push_back(i);
    });
    ASSERT_EQ(seen.size(), fleet.size());
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  }
  // Fewer samples than series: only the series with a sample tick.
  std::size_t calls = 0;
  tickFleet(fleet, std::span<const double>(samples).first(3), a, [&](std::size_t, const Forecast&) { ++calls; });
  EXPECT_EQ(calls, 3u);
}

TEST(ForecasterTest, EveryModelsShorterForecastIsThePrefixOfItsLongerOne) {
  // The forecaster forecasts a model only up to the last step some horizon takes from it, so
  // forecast(k steps) must equal the first k steps of forecast(30 steps) for every model.
  const Series data = minuteDays(8, 2);
  const std::span<const double> history = std::span<const double>(data.values).first(7 * 1440 + 123);
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<NaiveModel>());
  models.push_back(std::make_unique<EwmaModel>());
  models.push_back(std::make_unique<LinearTrendModel>());
  models.push_back(std::make_unique<SeasonalNaiveModel>(1440, "seasonal_naive_day"));
  models.push_back(std::make_unique<LogRegressionModel>(1440, 30));
  models.push_back(std::make_unique<SmoothingModel>(SmoothingSpec{"hw", SeasonalForm::kAdditive, true, 1440, 0}));
  models.push_back(
      std::make_unique<SmoothingModel>(SmoothingSpec{"hw_mult", SeasonalForm::kMultiplicative, true, 1440, 0}));
  models.push_back(std::make_unique<SmoothingModel>(
      SmoothingSpec{"double_seasonal", SeasonalForm::kMultiplicative, true, 1440, 10080}));
  FitOptions options;
  options.horizons = {1, 15, 30};
  for (auto& m : models) {
    m->fit(history, options);
    std::vector<double> full(30);
    m->forecast(full);
    ASSERT_GT(full[29], 0.0) << m->name();
    for (std::size_t k = 1; k < full.size(); ++k) {
      std::vector<double> part(k);
      m->forecast(part);
      ASSERT_EQ(part, std::vector<double>(full.begin(), full.begin() + static_cast<long>(k)))
          << m->name() << ", " << k << " steps";
    }
  }
}

}  // namespace
}  // namespace tso::predictor

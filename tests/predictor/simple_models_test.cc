#include "predictor/simple_models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

TEST(SimpleModelsTest, NaiveRepeatsTheLastValue) {
  NaiveModel m;
  m.fit(std::vector<double>{1, 2, 3}, {});
  std::vector<double> out(3);
  m.forecast(out);
  EXPECT_EQ(out, (std::vector<double>{3, 3, 3}));
}

TEST(SimpleModelsTest, SeasonalNaiveRepeatsThePeriod) {
  SeasonalNaiveModel m(4, "sn");
  m.fit(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {});
  std::vector<double> out(6);
  m.forecast(out);
  // Next samples are at phases 2, 3, 0, 1, 2, 3 of the last period seen (7, 8, 9, 10).
  EXPECT_EQ(out, (std::vector<double>{7, 8, 9, 10, 7, 8}));
}

TEST(SimpleModelsTest, SeasonalNaiveOverALongPeriodKeepsMeans) {
  // Period 6 in a ring of 3: slots of two samples, each the mean of its two phases.
  SeasonalNaiveModel m(6, "sn", 3);
  m.fit(std::vector<double>{0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 9, 11, 20}, {});
  std::vector<double> out(7);
  m.forecast(out);
  // The newest sample (20) sits at phase 0, its slot still unfinished: phase 1 forecasts the
  // last period's slot 0 mean, (1 + 3) / 2, then slots 1 and 2, then slot 0 again.
  EXPECT_EQ(out, (std::vector<double>{2, 6, 6, 10, 10, 2, 2}));
  EXPECT_LE(m.stateBytes(), sizeof(m) + 3 * sizeof(float));
}

TEST(SimpleModelsTest, EwmaFitPrefersFastAlphaOnARandomWalk) {
  Rng rng(3);
  std::vector<double> walk(2000);
  double x = 100;
  for (auto& v : walk) v = (x += rng.normal());
  EwmaModel m;
  FitOptions fo;
  fo.horizons = {1};
  fo.scoreWindow = 1000;
  fo.stride = 1;
  m.fit(walk, fo);
  EXPECT_GE(m.alpha(), 0.75);
  std::vector<double> out(1);
  m.forecast(out);
  EXPECT_NEAR(out[0], walk.back(), 2.0);
}

TEST(SimpleModelsTest, EwmaFitPrefersSlowAlphaOnNoise) {
  Rng rng(4);
  std::vector<double> noise(2000);
  for (auto& v : noise) v = 50 + 5 * rng.normal();
  EwmaModel m;
  FitOptions fo;
  fo.horizons = {1, 10};
  fo.scoreWindow = 1000;
  m.fit(noise, fo);
  EXPECT_LE(m.alpha(), 0.1);
}

// The window's least squares runs on O(1) running sums; after thousands of updates (past the
// periodic re-summation) the fit must equal a direct least squares over the last window.
TEST(SimpleModelsTest, LinearTrendRunningSumsMatchADirectFit) {
  const int w = 30;
  LinearTrendModel m(w, 1.0);
  std::vector<double> y;
  for (int i = 0; i < 3000; ++i) y.push_back(1000 + 3.0 * i + 50 * std::sin(0.37 * i));
  m.reset(y);
  for (double v : y) m.update(v);
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int j = 0; j < w; ++j) {
    const double v = static_cast<float>(y[y.size() - w + static_cast<std::size_t>(j)]);
    sx += j;
    sy += v;
    sxx += j * j;
    sxy += j * v;
  }
  const double slope = (w * sxy - sx * sy) / (w * sxx - sx * sx);
  const double intercept = sy / w + slope * (w - 1 - sx / w);
  std::vector<double> out(1);
  m.forecast(out);
  EXPECT_NEAR(out[0], intercept + slope, 1e-6 * std::abs(out[0]));
  EXPECT_NEAR(m.next(), out[0], 1e-9 * std::abs(out[0]));
}

TEST(SimpleModelsTest, LinearTrendExtrapolatesALineAndAbsorbsJumps) {
  std::vector<double> line(200);
  for (std::size_t i = 0; i < line.size(); ++i) line[i] = 10 + 2.0 * static_cast<double>(i);
  LinearTrendModel m(30, 1.0);
  m.reset(line);
  for (double v : line) m.update(v);
  std::vector<double> out(2);
  m.forecast(out);
  EXPECT_NEAR(out[0], 10 + 2.0 * 200, 1e-3);
  EXPECT_NEAR(out[1], 10 + 2.0 * 201, 1e-3);
  m.absorbJump(1000);
  m.forecast(out);
  EXPECT_NEAR(out[0], 1000, 1e-9);
}

}  // namespace
}  // namespace tso::predictor

#include "predictor/smoothing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "predictor/simple_models.h"
#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

Series hourlyDays(int days, double noise) {
  SyntheticSpec spec;
  spec.step = 1800;
  spec.days = days;
  spec.noise = noise;
  spec.base = 1000;
  return synthesize(spec);
}

TEST(SmoothingTest, ProfileWidthKeepsBucketsWithinBudget) {
  EXPECT_EQ(profileWidth(48, 288), 1);
  EXPECT_EQ(profileWidth(1440, 288), 5);
  EXPECT_EQ(profileWidth(10080, 336), 30);
}

TEST(SmoothingTest, ProfileInterpolatesBetweenBucketCentres) {
  Profile p(20, 10);  // two buckets, centres at samples 4.5 and 14.5
  p.add(4, 1.0);      // mostly bucket 0
  EXPECT_GT(p.at(4), p.at(14));
  EXPECT_NEAR(p.at(4) + p.at(14), 1.0, 1e-6);
  EXPECT_EQ(p.bytes(), 2 * sizeof(float));
}

// The tick walks profiles with cursors and linear segments; they must agree with at(t)
// everywhere, across bucket crossings and the period's end.
TEST(SmoothingTest, CursorAndSegmentWalkMatchRandomAccess) {
  for (int width : {1, 5, 30}) {
    Profile p(width * 12, width);
    for (int t = 0; t < width * 12; ++t) p.add(static_cast<std::size_t>(t), std::sin(0.7 * t) + 0.01 * t);
    for (std::size_t start : {std::size_t{0}, std::size_t{3}, static_cast<std::size_t>(width * 12 - 2)}) {
      Profile::Cursor c = p.cursorAt(start);
      std::vector<double> add(static_cast<std::size_t>(width * 30), 0.0);
      std::vector<double> mul(add.size(), 2.0);
      p.accumulate(c, add, false, 0.0, 0.0);
      p.accumulate(c, mul, true, -100.0, 100.0);
      for (std::size_t k = 0; k < add.size(); ++k) {
        ASSERT_NEAR(p.at(c), p.at(start + k), 1e-6) << "width " << width << " k " << k;
        ASSERT_NEAR(add[k], p.at(start + k), 1e-5) << "width " << width << " k " << k;
        ASSERT_NEAR(mul[k], 2.0 * p.at(start + k), 1e-5) << "width " << width << " k " << k;
        p.advance(c);
      }
    }
  }
}

TEST(SmoothingTest, DoubleSeasonalBeatsSeasonalNaiveOnSyntheticWeeks) {
  const Series s = hourlyDays(35, 0.05);
  const std::span<const double> all(s.values);
  const std::size_t train = 28 * 48;
  FitOptions fo;
  fo.horizons = {1, 4};
  fo.scoreWindow = 7 * 48;
  fo.stride = 1;
  SmoothingModel dshw({"dshw", SeasonalForm::kMultiplicative, true, 48, 336});
  SeasonalNaiveModel snaive(336, "week");
  dshw.fit(all.first(train), fo);
  snaive.fit(all.first(train), fo);
  double eModel = 0, eNaive = 0;
  std::vector<double> a(1), b(1);
  for (std::size_t i = train; i < s.size(); ++i) {
    dshw.forecast(a);
    snaive.forecast(b);
    eModel += std::abs(s.values[i] - a[0]);
    eNaive += std::abs(s.values[i] - b[0]);
    dshw.update(s.values[i]);
    snaive.update(s.values[i]);
  }
  EXPECT_LT(eModel, 0.8 * eNaive);
  EXPECT_LT(dshw.stateBytes(), 4096u);
}

TEST(SmoothingTest, AbsorbJumpMakesTheNextForecastFollow) {
  const Series s = hourlyDays(10, 0.02);
  SmoothingModel hw({"hw", SeasonalForm::kAdditive, true, 48, 0});
  hw.fit(s.values, FitOptions{{1}, 96, 1});
  std::vector<double> out(1);
  hw.forecast(out);
  const double jump = out[0] * 4;
  hw.absorbJump(jump);
  hw.forecast(out);
  EXPECT_NEAR(out[0], jump, 1e-6 * jump);
}

TEST(SmoothingTest, MinimalHistoryDoesNotCrashAndForecastsAreFinite) {
  SmoothingModel hw({"hw", SeasonalForm::kMultiplicative, true, 48, 336});
  std::vector<double> tiny = {0, 0, 0};
  hw.fit(tiny, FitOptions{{1, 5}, 10, 1});
  std::vector<double> out(5);
  hw.forecast(out);
  for (double v : out) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0);
  }
}

// The parameter search scores many parameter sets in one replay; each lane must give exactly
// the score a one-trial replay of the model gives (the search's decisions depend on ties).
// Five sets: the replay takes lanes four at a time, so a second group is padded.
TEST(SmoothingTest, ManyLaneScoresEqualOneTrialReplays) {
  SyntheticSpec spec;
  spec.step = 300;
  spec.days = 15;
  spec.base = 200;
  spec.flashCrowds = 2;
  const Series s = synthesize(spec);
  const std::vector<SmoothingParams> sets = {{0.1, 0.0, 0.9, 0.1, 0.1},
                                             {0.4, 0.02, 0.8, 0.0, 0.15},
                                             {0.005, 0.0005, 0.95, 0.4, 0.0},
                                             {0.7, 0.0, 0.95, 0.05, 0.4},
                                             {0.2, 0.01, 0.9, 0.15, 0.05}};
  for (auto form : {SeasonalForm::kAdditive, SeasonalForm::kMultiplicative}) {
    for (auto [p1, p2] : {std::pair{0, 0}, {288, 0}, {288, 2016}, {1440, 0}, {7, 0}}) {
      const SmoothingSpec sp{"m", form, true, p1, p2};
      const FitOptions fo{{1, 3, 6, 12}, 1000, 3};
      SmoothingModel model(sp);
      model.reset(s.values);
      std::vector<double> lanes(sets.size());
      model.scoreSets(s.values, fo, sets, lanes);
      for (std::size_t l = 0; l < sets.size(); ++l) {
        SmoothingModel one(sp, sets[l]);
        EXPECT_EQ(lanes[l], scoreModel(one, s.values, fo))
            << "form " << static_cast<int>(form) << " p1 " << p1 << " p2 " << p2 << " set " << l;
      }
    }
  }
}

}  // namespace
}  // namespace tso::predictor

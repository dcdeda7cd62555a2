#include "predictor/synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace tso::predictor {
namespace {

TEST(SyntheticTest, SameSeedSameSeries) {
  SyntheticSpec spec;
  spec.days = 2;
  EXPECT_EQ(synthesize(spec).values, synthesize(spec).values);
  spec.seed = 2;
  SyntheticSpec other;
  other.days = 2;
  EXPECT_NE(synthesize(spec).values, synthesize(other).values);
}

TEST(SyntheticTest, AShiftScalesOnlyTheDaysItCovers) {
  SyntheticSpec spec;
  spec.days = 4;
  spec.step = 600;  // 144 samples a day
  const Series plain = synthesize(spec);
  spec.shiftDay = 1;
  spec.shiftDays = 1;
  spec.shiftFactor = 0.0;  // an outage on day 1
  const Series outage = synthesize(spec);
  ASSERT_EQ(outage.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const bool inOutage = i >= 144 && i < 288;
    EXPECT_EQ(outage.values[i], inOutage ? 0.0 : plain.values[i]) << i;  // the same draws elsewhere
  }
  spec.shiftDays = 0;  // for good, from day 1
  spec.shiftFactor = 5.0;
  spec.noise = 0;
  spec.poisson = false;
  const Series shifted = synthesize(spec);
  spec.shiftDay = -1;
  const Series smooth = synthesize(spec);
  EXPECT_EQ(shifted.values[100], smooth.values[100]);
  for (std::size_t i : {144u, 300u, 575u}) EXPECT_NEAR(shifted.values[i], 5.0 * smooth.values[i], 2.5) << i;
}

TEST(SyntheticTest, WeekendIsLowerAndCrowdsRaiseThePeak) {
  SyntheticSpec spec;
  spec.days = 7;
  spec.step = 3600;
  spec.noise = 0;
  spec.poisson = false;
  const Series s = synthesize(spec);
  ASSERT_EQ(s.size(), 7u * 24u);
  // The spec starts on a Thursday: days 2 and 3 are Saturday and Sunday.
  auto dayMean = [&](std::size_t d) {
    return std::accumulate(s.values.begin() + static_cast<long>(d * 24),
                           s.values.begin() + static_cast<long>(d * 24 + 24), 0.0) /
           24;
  };
  EXPECT_NEAR(dayMean(2) / dayMean(0), spec.weekendFactor, 0.02);
  spec.flashCrowds = 2;
  spec.flashMagnitude = 8;
  const Series crowd = synthesize(spec);
  EXPECT_GT(*std::max_element(crowd.values.begin(), crowd.values.end()),
            1.5 * *std::max_element(s.values.begin(), s.values.end()));
}

}  // namespace
}  // namespace tso::predictor

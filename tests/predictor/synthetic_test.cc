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

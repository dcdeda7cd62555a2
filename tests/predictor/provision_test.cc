#include "predictor/provision.h"

#include <gtest/gtest.h>

#include <cmath>

#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

const Quantiles kQ = {100, 110, 115, 130};  // P50, P90, P95, P99

TEST(ProvisionTest, HeadroomInNormalUnitsHitsEachQuantileLevel) {
  struct Case {
    double z;
    double want;
  };
  const Case cases[] = {
      {0.0, 100},
      {1.2815516, 110},
      {1.6448536, 115},
      {2.3263479, 130},
      // Halfway between P90 and P95 in z: halfway in value.
      {(1.2815516 + 1.6448536) / 2, 112.5},
      // Past P99 the P95-P99 slope goes on: (130 - 115) / 0.6815 per unit.
      {3.0, 130 + (3.0 - 2.3263479) * 15 / (2.3263479 - 1.6448536)},
      // Below P50 the P50-P90 slope, never below zero.
      {-1.0, 100 - 10 / 1.2815516},
      {-100.0, 0},
  };
  for (const auto& c : cases) EXPECT_NEAR(quantileAtZ(kQ, c.z), c.want, 1e-9) << c.z;
}

TEST(ProvisionTest, LevelsMapToTheirNormalScores) {
  EXPECT_NEAR(zOfLevel(0.5), 0.0, 1e-12);
  EXPECT_NEAR(zOfLevel(0.9), 1.2815516, 1e-12);
  EXPECT_NEAR(zOfLevel(0.95), 1.6448536, 1e-12);
  EXPECT_NEAR(zOfLevel(0.99), 2.3263479, 1e-12);
  EXPECT_NEAR(zOfLevel(0.975), 1.6448536 + (2.3263479 - 1.6448536) * 0.025 / 0.04, 1e-12);
  // quantileAtZ(zOfLevel(q)) interpolates the quantiles linearly in the level, as the operator does.
  EXPECT_NEAR(quantileAtZ(kQ, zOfLevel(0.97)), 115 + 15 * 0.5, 1e-9);
}

TEST(ProvisionTest, LevelOfZInvertsZOfLevel) {
  for (double level : {0.2, 0.5, 0.7, 0.9, 0.93, 0.95, 0.975, 0.99, 0.995})
    EXPECT_NEAR(levelOfZ(zOfLevel(level)), level, 1e-12) << level;
  EXPECT_GT(levelOfZ(-10), 0.0);
  EXPECT_LT(levelOfZ(10), 1.0);
}

// Demand ~ N(100, sd) each 15 s; capacity = 100 + sd_forecast x z. Returns the missed share
// over the last `measureDays` of `days`.
double runBudget(MissBudget& b, Rng& rng, int days, int measureDays, double sd, double forecastSd) {
  double requested = 0, missed = 0;
  const int ticks = days * 5760;
  for (int i = 0; i < ticks; ++i) {
    const double demand = std::max(0.0, 100 + sd * rng.normal());
    const double capacity = 100 + forecastSd * b.z();
    const double miss = std::max(0.0, demand - capacity);
    if (i >= ticks - measureDays * 5760) {
      requested += demand;
      missed += miss;
    }
    b.observe(demand, miss, 15);
  }
  return missed / requested;
}

TEST(ProvisionTest, AMissBudgetIsSpentWhateverTheForecastsCalibration) {
  struct Case {
    double budget;
    double sd;          // real spread of demand
    double forecastSd;  // what the forecast believes: over- or under-confident
  };
  for (const Case c : {Case{0.005, 10, 10}, Case{0.005, 10, 5}, Case{0.001, 10, 20}, Case{0.02, 10, 10}}) {
    MissBudgetConfig cfg;
    cfg.budget = c.budget;
    MissBudget b(cfg);
    Rng rng(7);
    const double share = runBudget(b, rng, 40, 20, c.sd, c.forecastSd);
    EXPECT_NEAR(share, c.budget, 0.2 * c.budget) << c.budget << " " << c.forecastSd << " z " << b.z();
  }
}

TEST(ProvisionTest, UnderDriftTheHeadroomFollowsAndTheBudgetHolds) {
  MissBudgetConfig cfg;
  cfg.budget = 0.005;
  MissBudget b(cfg);
  Rng rng(11);
  runBudget(b, rng, 30, 1, 10, 10);
  const double zCalm = b.z();
  // Demand twice as volatile from now on, the forecast unchanged: z must grow to keep the budget.
  const double share = runBudget(b, rng, 40, 20, 20, 10);
  EXPECT_GT(b.z(), zCalm + 0.5);
  EXPECT_NEAR(share, 0.005, 0.001);
}

TEST(ProvisionTest, ABudgetBeyondTheHeadroomLimitStopsAtTheLimit) {
  MissBudgetConfig cfg;
  cfg.budget = 1e-6;
  MissBudget b(cfg);
  Rng rng(3);
  runBudget(b, rng, 10, 1, 10, 1);  // a forecast sure of itself: no z within bounds suffices
  EXPECT_NEAR(b.z(), cfg.zMax, 0.01);
  const double z = b.z();
  b.observe(-1, 0, 15);  // nonsense is ignored
  b.observe(100, 0, 0);
  b.observe(100, std::nan(""), 15);
  EXPECT_EQ(b.z(), z);
}

// Ticks of 15 s for `days` days. Demand beyond its forecast is N(0, spread(hour)); capacity
// holds z = 2 plus the hour's offset, so an offset raised makes that hour short less often.
template <typename Spread>
void runTimeOfDay(TimeOfDayHeadroom& h, int days, Rng& rng, Spread spread) {
  for (std::int64_t t = 0; t < std::int64_t{days} * 86'400; t += 15) {
    const bool isShort = rng.normal() * spread((t % 86'400) / 3600) > 2.0 + h.offset(t);
    h.observe(t, isShort, 15);
  }
}

double meanOf(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

TEST(ProvisionTest, TimeOfDayHeadroomMovesToTheHoursThatFallShortAndKeepsTheMean) {
  TimeOfDayHeadroom h;
  Rng rng(5);
  // The forecast's band is half as wide as it should be from 19:00 to 21:00 (kick-offs).
  runTimeOfDay(h, 20, rng, [](std::int64_t hour) { return hour == 19 || hour == 20 ? 1.5 : 1.0; });
  ASSERT_EQ(h.offsets().size(), 24U);
  EXPECT_NEAR(meanOf(h.offsets()), 0.0, 1e-9);
  EXPECT_GT(h.offset(19 * 3600 + 60), 0.5);
  EXPECT_GT(h.offset(20 * 3600 + 60), 0.5);
  double calm = 0;
  for (int hour = 0; hour < 24; ++hour) {
    if (hour == 19 || hour == 20) continue;
    calm += h.offset(hour * 3600) / 22;
    EXPECT_LT(h.offset(hour * 3600), 0.25) << hour;
  }
  EXPECT_LT(calm, -0.05) << "the calm hours pay for it";
  EXPECT_EQ(h.offset(19 * 3600), h.offset(19 * 3600 + 86'400 * 3)) << "by time of day, whatever the date";
}

TEST(ProvisionTest, TimeOfDayHeadroomStaysNearZeroWhenEveryHourFallsShortAlike) {
  TimeOfDayHeadroom h;
  Rng rng(9);
  runTimeOfDay(h, 20, rng, [](std::int64_t) { return 1.0; });
  for (double o : h.offsets()) EXPECT_LT(std::abs(o), 0.25);
}

TEST(ProvisionTest, TimeOfDayHeadroomIsBoundedAndResumesFromKeptOffsets) {
  TimeOfDayConfig cfg;
  cfg.maxOffset = 0.5;
  TimeOfDayHeadroom h(cfg);
  Rng rng(1);
  runTimeOfDay(h, 10, rng, [](std::int64_t hour) { return hour == 3 ? 100.0 : 0.0; });
  for (double o : h.offsets()) EXPECT_LE(std::abs(o), 0.5 + 1e-12);
  EXPECT_NEAR(h.offset(3 * 3600), 0.5, 0.01);

  const TimeOfDayHeadroom resumed(cfg, h.offsets());
  EXPECT_EQ(resumed.offsets(), h.offsets());
  std::vector<double> odd(24, 0.0);
  odd[2] = std::nan("");
  odd[5] = 9.0;
  const TimeOfDayHeadroom repaired(cfg, odd);
  EXPECT_EQ(repaired.offset(2 * 3600), 0.0);
  EXPECT_EQ(repaired.offset(5 * 3600), 0.5);
  EXPECT_EQ(TimeOfDayHeadroom(cfg, {1.0}).offsets(), std::vector<double>(24, 0.0));
}

}  // namespace
}  // namespace tso::predictor

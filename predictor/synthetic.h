// Seeded synthetic demand (diurnal + weekly + trend + noise + flash crowds + shifts of level)
// so tests, the benchmarks and the demo run on a fresh clone without the real traces.
// Deterministic for a given spec on every platform: it uses its own generator, not std::
// distributions.
#pragma once

#include <cstdint>

#include "predictor/series.h"

namespace tso::predictor {

struct SyntheticSpec {
  std::uint64_t seed = 1;
  std::int64_t start = 1'700'000'000 - 1'700'000'000 % (7 * kSecondsPerDay);  // a Thursday 00:00 UTC
  std::int64_t step = 60;
  int days = 14;
  double base = 100.0;          // mean demand per step at the daily mean
  double dailyAmplitude = 0.6;  // peak-to-mean fraction of the daily cycle
  double weekendFactor = 0.6;   // Saturday/Sunday demand relative to weekdays
  double growthPerDay = 0.0;    // multiplicative growth per day (0.01 = +1 %/day)
  double noise = 0.05;          // multiplicative Gaussian noise (sd, fraction of demand)
  bool poisson = true;          // add counting noise on top (sd = sqrt(demand))
  int flashCrowds = 0;          // number of flash crowds, placed at random
  double flashMagnitude = 3.0;  // peak multiplier of a flash crowd
  int flashMinutes = 60;        // duration; it rises in one step and decays linearly
  // A change of level: demand x shiftFactor from the start of day shiftDay (0-based) for
  // shiftDays days (0 = for good). shiftFactor 0 for a day is an outage.
  int shiftDay = -1;  // -1 = none
  int shiftDays = 0;
  double shiftFactor = 1.0;
};

Series synthesize(const SyntheticSpec& spec);

// A small splitmix64-based generator shared by the synthetic data and the tests.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();  // [0, 1)
  double normal();   // standard normal (Box-Muller)

 private:
  std::uint64_t state_;
};

}  // namespace tso::predictor

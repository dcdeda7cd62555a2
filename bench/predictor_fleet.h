// The benchmarks' forecasters, in one place so that predictor_bench's tick and
// predictor_tick_count (the same tick under callgrind) keep measuring the same thing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "predictor/forecaster.h"
#include "predictor/synthetic.h"

namespace tso::predictor::bench {

// Distinct fitted forecasters; the fleet tick copies them to 10,000.
inline constexpr int kDistinct = 16;

// `days` of seeded synthetic minute data with one flash crowd, at a level set by the seed.
inline Series week(std::uint64_t seed, int days = 7) {
  SyntheticSpec spec;
  spec.seed = seed;
  spec.days = days;
  spec.base = 50.0 + static_cast<double>(seed % 7) * 100.0;
  spec.flashCrowds = 1;
  return synthesize(spec);
}

// Minute steps and 30 steps ahead, scored at the lead time the operator provisions for.
inline ForecasterConfig operatorConfig() {
  ForecasterConfig c;
  c.step = 60;
  c.horizon = 30;
  c.focusHorizons = {1, 2, 3, 5};
  return c;
}

// The tick's kDistinct forecasters, each fitted on the first 7 of its 8 days (`data` receives
// the series; the tick then feeds day 8).
inline std::vector<Forecaster> fittedFleet(std::vector<Series>& data) {
  std::vector<Forecaster> fitted;
  for (int i = 0; i < kDistinct; ++i) {
    data.push_back(week(static_cast<std::uint64_t>(i) + 1, 8));
    Forecaster f(operatorConfig());
    f.fit(std::span<const double>(data.back().values).first(7 * 1440));
    fitted.push_back(std::move(f));
  }
  return fitted;
}

}  // namespace tso::predictor::bench

// Period detection for series whose season is not a day or a week (or whose step does not
// divide a day): the autocorrelation via FFT, as Crane's DSP predictor does, picks the
// strongest repeating lag so a single-seasonal model can use it.
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace tso::predictor {

struct DetectedPeriod {
  int period = 0;       // in samples
  double strength = 0;  // autocorrelation at that lag, in (0, 1]
};

// The lag in [minPeriod, maxPeriod] (and at most a third of the series, so it repeats at least
// three times) with the highest autocorrelation local maximum above `minStrength`.
std::optional<DetectedPeriod> detectPeriod(std::span<const double> values, int minPeriod, int maxPeriod,
                                           double minStrength = 0.3);

// Autocorrelation for lags 0..maxLag (mean removed, normalised so acf[0] = 1), O(n log n).
std::vector<double> autocorrelation(std::span<const double> values, std::size_t maxLag);

}  // namespace tso::predictor

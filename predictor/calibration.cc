#include "predictor/calibration.h"

#include <algorithm>
#include <limits>

namespace tso::predictor::calibration {

std::array<double, kQuantileLevels.size()> conformalQuantiles(std::vector<double>& normalised) {
  std::array<double, kQuantileLevels.size()> out{};
  double prev = -std::numeric_limits<double>::infinity();
  std::size_t from = 0;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const auto m = static_cast<double>(normalised.size());
    const double level = normalised.empty() ? 0.5 : std::min(1.0, kQuantileLevels[k] * (m + 1) / m);
    const double q = normalised.empty() ? 0.0 : std::max(prev, empiricalQuantileFrom(normalised, level, from));
    out[k] = q;
    prev = q;
  }
  return out;
}

GuardThresholds guardThresholds(double validatedRatio) {
  const double valid = std::max(validatedRatio, kMinRatio);
  return {static_cast<float>(kAsideRatio * valid), static_cast<float>(kBackRatio * valid)};
}

}  // namespace tso::predictor::calibration

// How forecast quantiles and the model guard are calibrated, in one place for the Forecaster,
// the Fleet, the operator's Events and the docs: split-conformal quantiles of normalised
// validation errors, and the thresholds at which a model is set aside and taken back.
#pragma once

#include <array>
#include <vector>

#include "predictor/forecaster.h"

namespace tso::predictor::calibration {

// Quantiles of the normalised errors (actual - forecast) / noise unit at kQuantileLevels, each
// level raised by the split-conformal small-sample correction (n + 1) / n and kept
// non-decreasing across levels. Reorders `normalised`; none gives all zeros.
std::array<double, kQuantileLevels.size()> conformalQuantiles(std::vector<double>& normalised);

// The guard: a model whose recent one-step error, over the naive forecast's, grows to
// kAsideRatio times what validation measured is set aside until it is back within kBackRatio
// times; a validated ratio under kMinRatio counts as kMinRatio, so a model that validated far
// better than naive is not set aside for ordinary noise.
inline constexpr double kAsideRatio = 2.0;
inline constexpr double kBackRatio = 1.5;
inline constexpr double kMinRatio = 0.5;

struct GuardThresholds {
  float asideAt = 0;  // set aside when the recent ratio reaches this
  float backAt = 0;   // taken back when it is within this
};
GuardThresholds guardThresholds(double validatedRatio);

}  // namespace tso::predictor::calibration

// How much capacity the predictive policy provisions above its forecast: a headroom on the
// forecast's quantiles, fixed (a quantile level) or tuned online to spend a miss budget.
// Pure: the caller feeds what it observed; no clock.
#pragma once

#include <cstdint>
#include <optional>

#include "predictor/forecaster.h"

namespace tso::predictor {

// Headroom in standard-normal units across the forecaster's quantile levels: 0 is the P50,
// 1.2816 the P90, 1.6449 the P95, 2.3263 the P99. Between levels it interpolates linearly in
// z; beyond P99 (or below P50) it extends the outer segment, so a budget may ask for more (or
// less) than the levels the forecaster estimates. Never negative.
double quantileAtZ(const Quantiles& q, double z);
// The z of a quantile level in (0, 1), on the same piecewise-linear map through the levels.
double zOfLevel(double level);
// Its inverse: the quantile level a headroom z stands for (in (0, 1), for status and metrics).
double levelOfZ(double z);

struct MissBudgetConfig {
  double budget = 0.005;  // missed / requested over the long run, (0, 1)
  // How fast z moves once settled: one unit in this time while nothing is missed, and up by
  // as much per budget's worth of misses. Days, not minutes: a fixed level is the best trade
  // of pods for misses when the forecast's quantiles are calibrated, so z should follow slow
  // drift, not chase each burst (headroom raised after a burst is paid when it is over).
  double adaptSeconds = 7 * 86'400.0;
  double zMin = -1.0;  // below the P50 only when misses are far under budget
  // A little past the P99 (2.33): further out the quantiles are extrapolated, and a budget
  // that needs more is not met by headroom (it is reported as missed instead).
  double zMax = 3.0;
  // Time constant of the mean demand that makes the update scale-free.
  double meanDemandSeconds = 86'400.0;
};

// Rolling risk control (Feldman, Ringel, Bates and Romano, "Achieving Risk Control in Online
// Learning Settings", TMLR 2023; the adaptive conformal inference of Gibbs and Candes, 2021,
// applied to a loss): after each interval of `dt` seconds,
//   z += dt / tau x (missed / budget - demand) / mean demand,
// with tau the time observed so far, from one day up to adaptSeconds (Robbins-Monro steps that
// shrink as evidence accumulates, then stay at a floor so z still follows drift). Since z stays
// in [zMin, zMax], the long-run missed fraction converges to the budget whatever the
// forecaster's calibration, unless the budget needs z beyond a bound.
class MissBudget {
 public:
  explicit MissBudget(MissBudgetConfig config, double startZ = 1.6449);
  [[nodiscard]] double z() const { return z_; }
  // What an interval of `seconds` delivered: demand and missed demand as rates (same unit).
  void observe(double demand, double missed, double seconds);
  [[nodiscard]] const MissBudgetConfig& config() const { return config_; }

 private:
  MissBudgetConfig config_;
  double z_;
  double meanDemand_ = 0;
  double seconds_ = 0;
  double elapsed_ = 0;
};

}  // namespace tso::predictor

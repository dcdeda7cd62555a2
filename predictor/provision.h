// How much capacity the predictive policy provisions above its forecast: a headroom on the
// forecast's quantiles, fixed (a quantile level) or tuned online to spend a miss budget.
// Pure: the caller feeds what it observed; no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

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

// Headroom placed by time of day: an offset to z per hour, so that each hour of the day is short
// of capacity about as often as the day on average. With calibrated quantiles the same level at
// every hour is the cheapest for its misses (the marginal misses per pod are 1 - Phi(z) whatever
// the spread); where the forecast's band is too narrow at some hours (kick-offs, the morning
// ramp) their level is effectively lower, and this moves headroom there from the calm hours.
// Adaptive conformal inference per hour (Gibbs and Candes, 2021), offsets kept to mean zero so
// the overall level stays the budget's (or the quantile's).
struct TimeOfDayConfig {
  int buckets = 24;                   // of the day, by the time the capacity serves
  double step = 0.02;                 // z moved per miss (and down by step x the mean rate per hit)
  double maxOffset = 1.0;             // |offset| bound in z
  double rateSeconds = 7 * 86'400.0;  // time constant of the day's mean shortfall rate
};

class TimeOfDayHeadroom {
 public:
  explicit TimeOfDayHeadroom(TimeOfDayConfig config = {});
  // Resumes from offsets kept elsewhere (a restart); ignored unless one per bucket.
  TimeOfDayHeadroom(TimeOfDayConfig config, const std::vector<double>& offsets);
  // The offset for capacity that serves at unix time `t`.
  [[nodiscard]] double offset(std::int64_t t) const;
  // Whether capacity serving at `t` fell short, over an interval of `seconds`.
  void observe(std::int64_t t, bool short_, double seconds);
  [[nodiscard]] const std::vector<double>& offsets() const { return offsets_; }

 private:
  [[nodiscard]] std::size_t bucketOf(std::int64_t t) const;
  TimeOfDayConfig config_;
  std::vector<double> offsets_;
  double rate_ = 0;
  double seconds_ = 0;
};

}  // namespace tso::predictor

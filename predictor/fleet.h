// Many series forecast in step by one log-domain regression fitted across all of them. The
// regression's features (regression.h: log changes, log-EWMA gaps, and here a daily and a
// weekly profile) are scale-free, so one set of coefficients serves series at any level: a
// refit is one replay per series plus one shared fit, and a tick runs eight series per
// instruction with the shared coefficients in L1. Each series keeps what is its own: its
// state, a shrinkage toward its newest sample per fitted horizon (searched on its own held-out
// samples), its error quantiles and a guard that sets the regression aside when it stops
// fitting. This is the form for fleets of thousands of series sampled on one clock; the
// operator runs it per ThroughputService as a fleet of one (forecast.model FleetRegression),
// beside the auto-selecting Forecaster. docs/benchmarks.md has its speed and its skill.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "predictor/forecaster.h"
#include "predictor/series.h"

namespace tso::predictor {

struct FleetConfig {
  std::int64_t step = 60;  // seconds per sample, shared by every series; decides the daily profile
  int horizon = 30;        // steps forecast: 1..horizon
  // Horizons fitted directly besides 1, 3, 8, 15, 30, ... below `horizon` (at most 16 in all);
  // the steps between fitted horizons blend the two around them.
  std::vector<int> focusHorizons;
  // The newest samples of every history held out of the shared fit; each series' shrinkage
  // and error quantiles are chosen on forecasts over them. 0 = one day (at least 240 samples),
  // at most a third of the longest history.
  std::size_t validationSamples = 0;
  // Validation origins per series at most (held-out samples strided to fit): fewer cost less,
  // and the P99 of too few errors is poor.
  std::size_t maxValidationOrigins = 480;
  std::size_t maxRows = 50'000;  // training rows of the shared fit, spread over the fleet
  // A weekly profile (30-minute buckets, 336 on minute data) beside the daily one, for demand
  // whose days differ (weekends); its features stay 0 until a week has been seen.
  bool weeklyProfile = true;
};

// The fleet regression forecasting the same steps as a Forecaster: its step, horizon and
// focus horizons, the fleet's defaults for the rest.
inline FleetConfig fleetConfigLike(const ForecasterConfig& c) {
  FleetConfig f;
  f.step = c.step;
  f.horizon = c.horizon;
  f.focusHorizons = c.focusHorizons;
  return f;
}

struct FleetFitReport {
  std::size_t series = 0;
  std::size_t rows = 0;      // training rows of the shared fit
  bool fitted = false;       // false: too little history; every series forecasts its newest sample
  std::vector<int> anchors;  // the horizons fitted directly
  // Series whose shrinkage is 0 at every fitted horizon: the shared regression did worse on
  // their held-out samples than their newest sample did, so they forecast that (naive).
  std::size_t naiveSeries = 0;
  std::vector<std::string> notes;  // fallbacks, with the reason
};

// One series' forecast inside a tick: valid until the sink returns.
class FleetForecast {
 public:
  FleetForecast(const float* block, std::size_t lane, int horizon) : block_(block), lane_(lane), horizon_(horizon) {}
  [[nodiscard]] int horizon() const { return horizon_; }
  // Quantile k (kQuantileLevels index) of the sample `step` steps ahead (1..horizon).
  [[nodiscard]] float quantile(int step, std::size_t k) const;
  [[nodiscard]] float point(int step) const { return quantile(step, kP50); }  // the P50
  // Peak of quantile k over steps [fromStep, toStep] (clamped to 1..horizon): what the
  // controller provisions for over its lead time.
  [[nodiscard]] float peak(int fromStep, int toStep, std::size_t k) const;
  // Into the per-series Forecaster's type (backtests and tests compare the two).
  void copyTo(Forecast& out) const;

 private:
  const float* block_;
  std::size_t lane_;
  int horizon_;
};

class Fleet {
 public:
  static constexpr std::size_t kLanes = 8;        // series a block holds: one AVX2 register of floats
  static constexpr std::size_t kMaxProfiles = 2;  // daily and weekly

  explicit Fleet(FleetConfig config);

  // Refits on histories[i], series i's samples (repaired: finite, no NaN), which all end at
  // the same instant one step apart (a shorter one starts later). Errors: no series, an empty
  // or non-finite history (named by its index). With too little history for the shared fit
  // every series forecasts its newest sample, and the report says so.
  Result<FleetFitReport> fit(std::span<const std::span<const double>> histories);

  // One step: series i consumes samples[i] (NaN or Inf = missing: it advances on its own
  // one-step P50), then sink(i, const FleetForecast&) reads its forecast. samples must hold
  // size() values.
  template <typename Sink>
  Result<void> tick(std::span<const double> samples, Sink&& sink);
  // The forecast of the current state, consuming nothing (after fit(), before the first tick).
  template <typename Sink>
  void forecastNow(Sink&& sink) const;

  [[nodiscard]] std::size_t size() const { return series_; }
  [[nodiscard]] const FleetConfig& config() const { return config_; }
  [[nodiscard]] const FleetFitReport& lastFit() const { return report_; }
  // The shared coefficients of horizon h (a fitted one's own, or blended); empty before a fit.
  [[nodiscard]] std::vector<float> coefficients(int h) const;
  // Series i's shrinkage at fitted horizon a (an index into lastFit().anchors).
  [[nodiscard]] float shrinkage(std::size_t i, std::size_t a) const;
  // Whether series i's regression is set aside now: its recent one-step error, over its naive
  // forecast's, grew to twice what validation measured (as the Forecaster's guard does), so
  // it forecasts its newest sample until the error is back within 1.5 times or the next fit.
  [[nodiscard]] bool isSetAside(std::size_t i) const;
  [[nodiscard]] std::size_t stateBytes() const;

 public:
  struct Layout;  // offsets of a block's fields (fleet.cc)

 private:
  // Series of block b consume y[0..kLanes) and forecast into out (tick()); forecastBlock()
  // forecasts the current state without consuming.
  void tickBlock(std::size_t b, const double* y, float* out);
  void forecastBlock(std::size_t b, float* out) const;
  // stepBucket_ for a forecast made after the next sample (consuming) or of the current state.
  void prepareSteps(bool consuming) const;
  void advanceClock();
  [[nodiscard]] std::size_t features() const;
  // After a fit: the clock after the newest of `length` samples, the per-step blend of fitted
  // horizons, and each series' one-step P50 (the stand-in for a missing first sample).
  void startClockAt(std::size_t length);
  void blendSteps();
  void primeOneStep();
  struct Fitter;  // fit()'s phases (fleet.cc)

  FleetConfig config_;
  // Seasonal profiles: 0 (the step does not divide a day), 1 (daily) or 2 (daily and weekly);
  // per profile its period in samples, its buckets and the bucket of each phase.
  std::size_t np_ = 0;
  std::array<std::size_t, kMaxProfiles> period_{};
  std::array<std::size_t, kMaxProfiles> nb_{};
  // Shared by every Fleet with the same period and buckets (phaseTable() in fleet.cc): a
  // week of minute phases is 20 KB, and an operator holds a fleet a service.
  std::array<std::shared_ptr<const std::vector<std::uint16_t>>, kMaxProfiles> bucketOf_;
  [[nodiscard]] std::size_t bucketAt(std::size_t q, std::size_t phase) const { return (*bucketOf_[q])[phase]; }
  std::size_t series_ = 0;
  std::vector<int> anchors_;
  std::vector<float> coef_;                                // [feature][anchor], shared by every series
  std::vector<float> state_;                               // blocks of kLanes series, see Layout
  mutable std::vector<float> out_;                         // one block's forecast: [step][quantile][lane]
  mutable std::vector<float> scratch_;                     // one block's point forecasts: [step][lane]
  std::uint64_t clock_ = 0;                                // global index of the next sample
  std::array<std::size_t, kMaxProfiles> phase_{};          // per profile, the next sample's phase
  std::array<std::size_t, kMaxProfiles> pendingBucket_{};  // per profile, the newest sample's bucket
  // Per step h (index h - 1), constant between fits: the fitted horizons around it and the
  // weight on the upper one.
  std::vector<std::uint8_t> stepLo_, stepHi_;
  std::vector<float> stepF_;
  // Per profile, the bucket of each step's target.
  mutable std::array<std::vector<std::uint16_t>, kMaxProfiles> stepBucket_;
  FleetFitReport report_;
};

template <typename Sink>
Result<void> Fleet::tick(std::span<const double> samples, Sink&& sink) {
  if (samples.size() != series_) {
    return fail(ErrorCode::kInvalidArgument, "tick got " + std::to_string(samples.size()) + " samples for a fleet of " +
                                                 std::to_string(series_) + " series");
  }
  std::array<double, kLanes> tail{};
  prepareSteps(true);
  const std::size_t blocks = (series_ + kLanes - 1) / kLanes;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t first = b * kLanes;
    const std::size_t lanes = std::min(kLanes, series_ - first);
    const double* in = samples.data() + first;
    if (lanes < kLanes) {  // the last block's padding lanes consume zeros
      std::copy_n(in, lanes, tail.begin());
      in = tail.data();
    }
    tickBlock(b, in, out_.data());
    for (std::size_t l = 0; l < lanes; ++l) sink(first + l, FleetForecast(out_.data(), l, config_.horizon));
  }
  advanceClock();
  return {};
}

template <typename Sink>
void Fleet::forecastNow(Sink&& sink) const {
  prepareSteps(false);
  const std::size_t blocks = (series_ + kLanes - 1) / kLanes;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t first = b * kLanes;
    const std::size_t lanes = std::min(kLanes, series_ - first);
    forecastBlock(b, out_.data());
    for (std::size_t l = 0; l < lanes; ++l) sink(first + l, FleetForecast(out_.data(), l, config_.horizon));
  }
}

}  // namespace tso::predictor

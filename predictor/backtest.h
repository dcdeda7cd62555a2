// Rolling-origin evaluation: every origin forecasts from the past only, refits happen on a
// schedule, and each model is scored against the simple baselines over the same points.
// This is the evidence that the forecast beats what users already have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "predictor/fleet.h"
#include "predictor/forecaster.h"
#include "predictor/series.h"

namespace tso::predictor {

struct BacktestConfig {
  std::vector<std::int64_t> horizonSeconds{300, 900, 1800};
  std::int64_t trainSeconds = 7 * kSecondsPerDay;  // first origin; refits see the past only
  std::int64_t refitSeconds = kSecondsPerDay;
  double jumpThreshold = 6.0;
  std::vector<std::string> onlyModels;  // restrict the candidates (empty = all)
  bool fastSearch = false;              // ForecasterConfig::fastSearch (the operator refit mode)
  // Evaluate the fleet regression (fleet.h) on this series, as a fleet of one, instead of the
  // auto-selecting forecaster; onlyModels and fastSearch do not apply to it.
  bool fleet = false;
  // Keep actual / point / P90 at the first horizon for every origin (for plots).
  bool recordTrace = false;
  // Called now and then with the fraction done (progress on a terminal); may be empty.
  std::function<void(double)> progress;
};

struct HorizonMetrics {
  std::int64_t seconds = 0;
  int steps = 0;  // horizons shorter than the step are evaluated at one step
  std::size_t points = 0;
  double mae = 0;
  double wape = 0;              // sum |error| / sum |actual|
  double coverageP90 = 0;       // share of actuals at or below the P90 forecast
  double pinball = 0;           // mean pinball loss over P50, P90, P95, P99
  std::optional<double> mase;   // MAE / MAE of the daily seasonal naive on the same points
  std::optional<double> skill;  // MAE / the smallest simple-baseline MAE on the same points
  std::string bestBaseline;     // which baseline that was
};

struct ModelMetrics {
  std::string model;
  std::vector<HorizonMetrics> horizons;
};

struct TracePoint {
  std::size_t index = 0;  // sample index of the target
  double actual = 0;
  double point = 0;
  double p90 = 0;
};

struct BacktestReport {
  std::int64_t step = 0;
  std::size_t samples = 0;
  std::size_t firstOrigin = 0;
  std::size_t refits = 0;
  ModelMetrics selected;                // the auto-selecting forecaster ("auto"), or the fleet regression
  std::string selection;                // its choice at the last refit
  std::vector<ModelMetrics> models;     // each candidate on its own
  std::vector<ModelMetrics> baselines;  // naive, seasonal naive day/week, EWMA (fitted)
  std::vector<std::string> notes;       // fallbacks, skipped models
  std::vector<TracePoint> trace;        // with recordTrace
};

Result<BacktestReport> runBacktest(const Series& series, const BacktestConfig& config);
// The fleet regression (config.fleet) on several series at once, one report each: they share
// the step and are aligned (sample i of each is the same instant, so they have one length),
// the fleet is refitted on all of them and each is scored against its own baselines.
Result<std::vector<BacktestReport>> runFleetBacktest(std::span<const Series> series, const BacktestConfig& config);

}  // namespace tso::predictor

// Forecast accuracy as the status reports it: the chosen quantile's forecast for the time a
// lead ahead is remembered at each reconcile and scored once the actual for that time arrives,
// over a sliding window (WAPE of the point forecast, coverage of the quantile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <tuple>
#include <vector>

#include "controller/reconcile/accuracy_gate.h"
#include "controller/reconcile/recent_series.h"

namespace tso::reconcile {

struct Accuracy {
  double wape = 0;
  double coverage = 0;  // share of actuals at or under the quantile
  std::size_t scored = 0;
  double windowSeconds = 0;
};

// What a forecast for one time said when it was made, and the baselines it is judged against.
struct ForecastMade {
  double point = 0;
  double upper = 0;  // the provisioned quantile
  double level = 0.9;
  double p90 = 0;
  std::optional<double> naive;
  std::optional<double> seasonal;
};

class ForecastScore {
 public:
  explicit ForecastScore(std::size_t window = 120) : window_(window) {}

  // Scores the remembered forecasts whose time `recent` now holds (missing actuals are dropped),
  // handing each to `onScored` (the accuracy gate).
  void scoreDue(const RecentSeries& recent, const std::function<void(const ScoredForecast&)>& onScored = {});
  // Remembers a forecast for grid time `t`, unless one for `t` or later is already held.
  void remember(std::int64_t t, const ForecastMade& made);
  void clear();

  // Over the scored window; empty while nothing with a nonzero actual was scored.
  [[nodiscard]] std::optional<Accuracy> summary(std::int64_t stepSeconds) const;
  [[nodiscard]] std::size_t scored() const { return scored_.size(); }

  // (time, upper) of every scored and pending forecast, oldest first: what the charts draw.
  [[nodiscard]] std::vector<std::pair<std::int64_t, float>> forecastsByTime() const;

 private:
  std::size_t window_;
  // Vectors, not deques: a deque allocates ~600 bytes even when empty, at 2,000 services.
  struct Pending {
    std::int64_t time;
    float point, upper, level, p90, naive, seasonal;  // a baseline is NaN where there was none
  };
  std::vector<Pending> pending_;
  // time (unix seconds, as 32 bits: 16 bytes an entry, ~2 KB a full window), actual, point, upper
  std::vector<std::tuple<std::uint32_t, float, float, float>> scored_;
};

}  // namespace tso::reconcile

// The accuracy gate (spec.forecast.guard): over a rolling window of forecasts scored a lead
// time after they were made, is the forecast still worth provisioning on? It compares the
// provisioned quantile's pinball loss with the best simple baseline's (the newest demand when
// the forecast was made; yesterday's peak around the target where the service keeps it) and
// checks the P90's coverage. When the forecast loses, the service degrades to reactive scaling
// until it wins again by a margin (hysteresis). Pure: no I/O, no clock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace tso::reconcile {

// spec.forecast.guard.
struct GuardSpec {
  bool enabled = true;
  std::int64_t windowSeconds = 86400;
  std::size_t minScored = 100;    // forecasts scored in the window before the gate judges
  double maxSkill = 1.0;          // the forecast's loss over the best baseline's above it: degraded
  double minCoverage = 0.8;       // the share of actuals at or under the P90 below it: degraded
  bool onDegradedShadow = false;  // guard.onDegraded Shadow: stop writing replicas instead of reacting
};

// Recovery asks for a margin past the thresholds, so a forecast on the edge does not flap.
inline constexpr double kRecoverSkillFactor = 0.9;
inline constexpr double kRecoverCoverageMargin = 0.05;

// One forecast, scored once its target's actual arrived.
struct ScoredForecast {
  std::int64_t time = 0;  // the target's time
  double actual = 0;
  double level = 0.9;  // the provisioned quantile's level
  double upper = 0;    // the provisioned quantile
  double p90 = 0;
  std::optional<double> naive;     // the newest demand when the forecast was made
  std::optional<double> seasonal;  // yesterday's peak around the target
};

// Sums over the window.
struct GateSums {
  std::size_t scored = 0;
  std::size_t coveredP90 = 0;
  double loss = 0;  // pinball loss of the provisioned quantile
  double naiveLoss = 0;
  std::size_t naiveScored = 0;
  double seasonalLoss = 0;
  std::size_t seasonalScored = 0;
};

struct GateReport {
  std::size_t scored = 0;
  double coverageP90 = 0;
  std::optional<double> skill;  // loss over the best baseline's; empty while no baseline lost anything
  std::string baseline;         // the best baseline: naive | seasonal_naive_peak
  bool degraded = false;
  bool judged = false;  // enough forecasts were scored to judge
};

enum class GateChange { kNone, kDegraded, kRecovered };

class AccuracyGate {
 public:
  void add(const ScoredForecast& s, std::int64_t windowSeconds);
  // Judges the window ending at `now` and moves between trusted and degraded.
  GateChange evaluate(std::int64_t now, const GuardSpec& spec);
  [[nodiscard]] GateReport report(std::int64_t now, const GuardSpec& spec) const;
  [[nodiscard]] bool degraded() const { return degraded_; }
  // After a restart: the status said the service was degraded.
  void restore(bool degraded) { degraded_ = degraded; }

  static constexpr std::size_t kBuckets = 24;  // the window in slices, dropped one slice at a time

 private:
  struct Bucket {
    std::int64_t start = std::numeric_limits<std::int64_t>::min();
    GateSums sums;
  };
  [[nodiscard]] GateSums sums(std::int64_t now, std::int64_t windowSeconds) const;
  std::array<Bucket, kBuckets> buckets_{};
  bool degraded_ = false;
};

// What the gate found, for the ForecastReady condition and the gate's Events: the window's
// skill and coverage against the thresholds, and what replicas follow.
std::string gateMessage(const GateReport& r, const GuardSpec& spec);

// The pinball (quantile) loss of `forecast` at `level` for `actual`.
double pinballLoss(double level, double actual, double forecast);

}  // namespace tso::reconcile

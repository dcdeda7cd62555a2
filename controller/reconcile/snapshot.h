// What metrics and dashboards show of a service: a snapshot taken after each successful status
// write (so /metrics never shows a decision the API did not record), and the charts' recent
// past built on request from the demand buffer, the scored forecasts and the desired replicas.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/reconcile/dependents.h"
#include "controller/reconcile/forecast_score.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/recent_series.h"
#include "predictor/forecaster.h"

namespace tso::reconcile {

// Recent past for charts, one entry per step from `start`: actual demand, what was forecast for
// that time (the chosen quantile, made a lead time ahead; NaN if none) and the desired replicas
// (-1 before this operator's first decision). Floats: this is kept for every service, and 2,000
// of them must fit the memory budget.
struct ServiceHistory {
  std::int64_t start = 0;
  std::vector<float> actual;
  std::vector<float> forecastForTime;
  std::vector<std::int32_t> desired;
};

// What metrics and the dashboard show of one service (copied out under a lock).
struct ServiceSnapshot {
  std::string ns;
  std::string name;
  std::string mode;
  bool valid = false;
  double demand = 0;
  bool hasDemand = false;
  std::optional<double> demandAgeSeconds;  // of the newest demand sample
  std::array<double, 4> predictedPeak{};   // P50/P90/P95/P99 peak over the lead window
  bool hasForecast = false;
  double predictedDemand = 0;  // at the spec's quantile
  int reactive = 0;
  int predicted = 0;
  int scheduled = 0;
  int desired = 0;
  int current = 0;
  // What the target's ready pods serve at full utilization (ready x perReplica, in the query's
  // unit); empty while the ready count is unknown (the target was read through /scale).
  std::optional<double> readyCapacity;
  std::optional<double> backlog;  // demand.backlog's messages waiting, when known
  struct Dependent {
    std::string name;
    int desired = 0;
    std::optional<int> current;
  };
  std::vector<Dependent> dependents;  // spec.dependents, in spec order
  std::string winner;
  std::int64_t leadSeconds = 0;
  double wape = 0;
  double coverage = 0;
  std::size_t scored = 0;
  bool degraded = false;        // the accuracy gate took the forecast out of provisioning
  std::optional<double> skill;  // the provisioned quantile's loss over the best baseline's
  // The P90's coverage over the guard's window, once guard.minScored forecasts are in it (fewer
  // are noise); and the bound the gate holds it to (guard.minCoverage).
  std::optional<double> coverageP90;
  std::optional<double> coverageBound;
  bool fallback = false;
  std::string model;
  std::int64_t step = 0;
  std::size_t modelBytes = 0;  // recent-demand buffer + forecaster state
  // Recent past for charts: only in a snapshot with history, built at that call from the service's
  // recent demand, scored forecasts and desired-replica changes (null before the first sample).
  // Not kept between requests: that would hold memory for every service, charted or not.
  std::shared_ptr<const ServiceHistory> history;
};

// Which services a snapshot covers, and whether it builds their chart history.
struct SnapshotFilter {
  bool history = false;
  std::vector<std::string> keys;  // "namespace/name"; empty = every service
};

struct SnapshotInput {
  std::string ns;
  std::string name;
  const ServiceSpec* spec = nullptr;
  const Decision* decision = nullptr;
  const predictor::Forecast* forecast = nullptr;  // null or empty: no forecast
  std::optional<double> demand;
  std::optional<std::int64_t> demandAgeSeconds;
  int currentReplicas = 0;
  std::optional<int> readyReplicas;  // empty: unknown
  std::int64_t leadSeconds = 0;
  std::optional<Accuracy> accuracy;
  GateReport gate;
  std::string model;
  std::size_t modelBytes = 0;
  const std::vector<DependentOutcome>* dependents = nullptr;
};

ServiceSnapshot buildSnapshot(const SnapshotInput& in);

// The desired replicas as a step function over the chart window: appends (now, desired) when it
// changed and drops what fell out of the last `steps` steps (keeping the value at the start).
void recordDesired(std::vector<std::pair<std::int64_t, int>>& history, std::int64_t now, int desired, std::int64_t step,
                   std::size_t steps);

// The charts' recent past over the newest `steps` of `recent`; null before the first sample.
std::shared_ptr<const ServiceHistory> buildHistory(const RecentSeries& recent, const ForecastScore& score,
                                                   const std::vector<std::pair<std::int64_t, int>>& desired,
                                                   std::size_t steps);

}  // namespace tso::reconcile

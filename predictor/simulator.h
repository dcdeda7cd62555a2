// Replays a demand trace against autoscaling policies side by side: `predictive` (Forecaster +
// Planner), `hpa` (HPA v2 semantics with metric lag and pod warm-up) and `oracle` (perfect
// knowledge), and measures missed requests, cost in pod-seconds and the SPEC RG elasticity
// metrics. Pure and deterministic: simulated time only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "predictor/fleet.h"
#include "predictor/forecaster.h"
#include "predictor/series.h"

namespace tso::predictor {

struct SimulationConfig {
  std::int64_t warmupSeconds = 90;                 // a new pod serves only after this
  int peakReplicas = 50;                           // the trace's peak needs this many at utilization 1.0
  std::int64_t tickSeconds = 15;                   // controller / HPA sync period
  std::int64_t metricLagSeconds = 30;              // age of the newest metric sample
  std::int64_t trainSeconds = 7 * kSecondsPerDay;  // history before the evaluated part
  std::int64_t refitSeconds = kSecondsPerDay;
  double hpaTargetUtilization = 1.0;
  // Predictive policy: provision the peak of this quantile (kQuantileLevels index) over the
  // lead time; its own scale-down stabilization.
  std::size_t predictiveQuantile = kP95;
  std::int64_t predictiveScaleDownSeconds = 300;
  double jumpThreshold = 6.0;
  bool fastSearch = false;  // ForecasterConfig::fastSearch (the operator refit mode)
  // The predictive policy forecasts with the fleet regression (fleet.h, a fleet of one)
  // instead of the auto-selecting forecaster.
  bool fleet = false;
  bool recordTimeline = false;
  std::function<void(double)> progress;
};

struct PolicyResult {
  std::string name;
  double requests = 0;                   // all requests in the evaluated part
  double missedRequests = 0;             // arriving beyond ready capacity
  double underprovisionedFraction = 0;   // missed / all
  double underprovisionedTimeShare = 0;  // share of time with demand above ready capacity
  double podSeconds = 0;                 // pods alive (warming included) x seconds
  double podSecondsRatio = 0;            // to the oracle's
  double actionsPerHour = 0;             // replica-count changes per hour
  double thetaU = 0;                     // SPEC RG under-provisioning accuracy, % (ready pods)
  double thetaO = 0;                     // SPEC RG over-provisioning accuracy, % (all pods)
};

struct SimulationReport {
  std::int64_t start = 0;  // unix seconds of the first evaluated tick
  std::int64_t tickSeconds = 0;
  double perReplica = 0;               // requests per second one replica serves
  std::vector<PolicyResult> policies;  // predictive, hpa, oracle
  std::vector<std::string> notes;
  // With recordTimeline: per tick, the replicas demand needs and each policy's ready replicas.
  std::vector<float> needed;
  std::vector<std::vector<float>> ready;
};

Result<SimulationReport> simulate(const Series& series, const SimulationConfig& config);

}  // namespace tso::predictor

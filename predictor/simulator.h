// Replays a demand trace against autoscaling policies side by side: `predictive` (Forecaster +
// headroom + Planner), `hpa` (HPA v2 semantics with metric lag and pod warm-up) and `oracle`
// (perfect knowledge), and measures missed requests, cost in pod-seconds and the SPEC RG
// elasticity metrics. Each policy's knob can be swept to draw its cost/miss frontier, so the
// predictive policy is compared with the HPA at the same cost (frontier.h). Pure and
// deterministic: simulated time only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "predictor/events.h"
#include "predictor/fleet.h"
#include "predictor/forecaster.h"
#include "predictor/frontier.h"
#include "predictor/planner.h"
#include "predictor/provision.h"
#include "predictor/series.h"

namespace tso::predictor {

// The predictive policy's headroom over its forecast.
struct Provisioning {
  // Without a budget: the quantile level provisioned over the lead time.
  double quantile = 0.95;
  // A share of requests the policy may miss; its headroom is tuned online to spend it
  // (MissBudget), starting from `quantile`'s.
  std::optional<double> missBudget;
  MissBudgetConfig budget;
  // Known events (a sale, a match): their multiplier scales the predicted demand over the lead
  // window, as the operator's spec.events do.
  EventCalendar events;
  // Fast path: when the observed rate breaks out above the forecast band of its own step (this
  // level's quantile), the steps ahead are raised at once by how far it runs above the
  // forecast's median, before the forecaster has the completed sample; 0 disables it.
  double breakoutLevel = 0.9;
  // Headroom placed by the hour of day (TimeOfDayHeadroom) on top of the level or budget.
  bool timeOfDay = false;
  TimeOfDayConfig timeOfDayConfig;
};

struct HpaSetting {
  double target = 1.0;                  // target utilization, (0, 1]
  std::int64_t scaleDownSeconds = 300;  // scale-down stabilization window
};

struct SimulationConfig {
  std::int64_t warmupSeconds = 90;                 // a new pod serves only after this
  int peakReplicas = 50;                           // the trace's peak needs this many at utilization 1.0
  std::int64_t tickSeconds = 15;                   // controller / HPA sync period
  std::int64_t metricLagSeconds = 30;              // age of the newest metric sample
  std::int64_t trainSeconds = 7 * kSecondsPerDay;  // history before the evaluated part
  std::int64_t refitSeconds = kSecondsPerDay;
  // The HPA reported beside the predictive policy; without one, the swept HPA setting nearest
  // the predictive policy's cost on the HPA's lower envelope (its default when nothing is swept).
  std::optional<HpaSetting> hpa;
  Provisioning provisioning;
  // The predictive policy's own scale-down stabilization. None by default, as the operator
  // while its forecast drives: its lead window already looks as far ahead as a pod takes to
  // come back, so it need not look back.
  std::int64_t predictiveScaleDownSeconds = 0;
  double jumpThreshold = 6.0;
  bool fastSearch = false;  // ForecasterConfig::fastSearch (the operator refit mode)
  // The predictive policy forecasts with the fleet regression (fleet.h, a fleet of one)
  // instead of the auto-selecting forecaster.
  bool fleet = false;
  // Frontiers: the HPA at each setting, the predictive policy at each miss budget and, as it
  // is configured otherwise, at each of these scale-down windows (HPA's default 300 s).
  std::vector<HpaSetting> hpaSweep;
  std::vector<double> missBudgets;
  std::vector<std::int64_t> scaleDownWindows;
  // A ThroughputService's own policy (`replay`, `simulate --service`): its per-replica capacity
  // replaces peakReplicas', its planner (utilization target, bounds, behavior, tolerances)
  // plans the predictive policy, and its replica bounds hold the HPA and the oracle too.
  std::optional<PlannerConfig> servicePlanner;
  std::vector<std::string> onlyModels;  // ForecasterConfig::onlyModels (the resource's model)
  bool recordTimeline = false;
  std::function<void(double)> progress;
};

// The HPA at its best: target utilizations 0.30, 0.325, ..., 1.0, each with a scale-down
// stabilization of 0, 60, 150, 300 (the default) and 600 s, judged on their lower envelope;
// budgets 0.1 % to 5 %. What `simulate` sweeps.
std::vector<HpaSetting> defaultHpaSweep();
std::vector<double> defaultMissBudgets();

struct PolicyResult {
  std::string name;
  double knob = 0;                       // the HPA's target, the predictive budget or quantile
  std::int64_t scaleDownSeconds = 0;     // the policy's scale-down stabilization
  double requests = 0;                   // all requests in the evaluated part
  double missedRequests = 0;             // arriving beyond ready capacity
  double underprovisionedFraction = 0;   // missed / all
  double underprovisionedTimeShare = 0;  // share of time with demand above ready capacity
  double podSeconds = 0;                 // pods alive (warming included) x seconds
  double podSecondsRatio = 0;            // to the oracle's
  double actionsPerHour = 0;             // replica-count changes per hour
  double thetaU = 0;                     // SPEC RG under-provisioning accuracy, % (ready pods)
  double thetaO = 0;                     // SPEC RG over-provisioning accuracy, % (all pods)
  [[nodiscard]] FrontierPoint point() const { return {knob, podSecondsRatio, underprovisionedFraction}; }
};

struct SimulationReport {
  std::int64_t start = 0;  // unix seconds of the first evaluated tick
  std::int64_t tickSeconds = 0;
  double perReplica = 0;               // requests per second one replica serves
  std::vector<PolicyResult> policies;  // predictive, hpa, oracle
  // The swept runs (empty when nothing is swept) and the predictive policy against the HPA's
  // lower envelope at its own cost.
  std::vector<PolicyResult> hpaSweep;
  std::vector<PolicyResult> predictiveSweep;
  std::vector<PolicyResult> windowSweep;  // knob: the quantile or budget; scaleDownSeconds set
  EqualCost equalCost;
  std::vector<std::string> notes;
  // With recordTimeline: per tick, the replicas demand needs and each policy's ready replicas
  // and replicas alive (warming included).
  std::vector<float> needed;
  std::vector<std::vector<float>> ready;
  std::vector<std::vector<float>> alive;
};

// What the forecaster knew at each tick, for replaying policies without forecasting again.
struct LeadForecast {
  // The step the newest metric falls in, as forecast before any of it was seen (rates).
  std::array<float, kQuantileLevels.size()> seen{};
  // Per level, the peak over the lead window's steps that no metric has reached yet (rates);
  // NaN when the whole window lies in the step being observed.
  std::array<float, kQuantileLevels.size()> ahead{};
};

struct LeadForecasts {
  std::int64_t start = 0;  // unix seconds of the first tick
  std::int64_t tickSeconds = 0;
  std::vector<LeadForecast> ticks;  // one per evaluated tick
  std::vector<std::string> notes;   // the last fit's
};

// The expensive part: the forecaster fed tick by tick and refitted on schedule. Depends only on
// the trace and the config's timing and forecaster fields, so one pass serves any number of
// policies (provisioning, HPA targets) replayed by simulate().
Result<LeadForecasts> forecastLeadTimes(const Series& series, const SimulationConfig& config);

Result<SimulationReport> simulate(const Series& series, const SimulationConfig& config);
Result<SimulationReport> simulate(const Series& series, const SimulationConfig& config, const LeadForecasts& lead);

}  // namespace tso::predictor

// The reconcile planner (pure): the observed state of a ThroughputService, its forecast, its
// events and the time -> what to do: replicas by source and the final count, the cache size,
// the forecast points for the status, and whether the operator is blind (fallback) or held
// back (bounds, behavior). No I/O and no clock: everything arrives as arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/reconcile/spec.h"
#include "predictor/events.h"
#include "predictor/forecaster.h"
#include "predictor/planner.h"
#include "predictor/provision.h"

namespace tso::reconcile {

struct Observed {
  std::int64_t now = 0;
  int currentReplicas = 0;
  // Newest finite demand sample and its time; empty when none was ever seen.
  std::optional<double> demand;
  std::int64_t demandTime = 0;
  bool prometheusAvailable = true;
  std::string prometheusProblem;  // CamelCase reason when not available
  std::string prometheusMessage;
  // For fallback.behavior SeasonalNaive: the peak demand the day before, in the 5 minutes of
  // the UTC day that now + lead falls in (DailyPeaks).
  std::optional<double> seasonalDemand;
  // With demand.backlog: the messages waiting, newest; empty with the reason it could not be read.
  std::optional<double> backlog;
  std::string backlogProblem;
};

// The newest sample ran above the band forecast for it: the forecast made before it, for the
// steps after it, and how far the sample ran above that forecast's median.
struct Breakout {
  double gap = 0;
  std::int64_t firstTime = 0;  // the time of ahead[0]
  std::vector<predictor::Quantiles> ahead;
};

// A forecast whose step 1 is at `firstTime` (the grid time after the newest sample).
struct ForecastView {
  const predictor::Forecast* forecast = nullptr;
  std::int64_t firstTime = 0;
  std::int64_t step = 0;
  std::string model;  // selected model, for events and status
  // Headroom in normal units set by the miss budget; empty: the spec's quantile.
  std::optional<double> headroomZ;
  // With spec.headroomByTimeOfDay: the offset added for the hour a step serves.
  const predictor::TimeOfDayHeadroom* timeOfDay = nullptr;
  // The newest sample broke out above its band: the window is raised by its gap.
  const Breakout* breakout = nullptr;
  // The accuracy gate degraded the forecast: it is shown, not provisioned on.
  bool degraded = false;
};

// The headroom in normal units the forecast is provisioned at: the miss budget's when it
// drives, else the spec's quantile (predictor::zOfLevel).
double headroomZOf(const ServiceSpec& spec, const ForecastView* forecast);
// The same for capacity serving at `t`, the time-of-day offset included.
double headroomZAt(const ServiceSpec& spec, const ForecastView* forecast, std::int64_t t);

struct ForecastPoint {
  std::int64_t time = 0;
  double value = 0;  // point forecast, events applied
  double upper = 0;  // the chosen quantile, events applied
};

struct Decision {
  int desired = 0;  // what to apply (or would apply, in ForecastOnly)
  int reactive = 0;
  int predicted = 0;
  int scheduled = 0;
  std::string winner;                     // reactive | predicted | scheduled | min | max | behavior | fallback
  std::optional<double> predictedDemand;  // peak of the quantile over the lead window
  std::optional<double> scheduledDemand;  // the same with event multipliers, when one is active
  std::optional<double> breakoutGap;      // the newest sample's run above its forecast's median
  // With demand.backlog: the messages waiting and the rate that drains them within drainWithin,
  // added to every source's demand (the forecast is of arrivals).
  std::optional<double> backlog;
  double backlogRate = 0;
  // The demand the count provisions for (the largest source, the backlog's drain included), which
  // spec.dependents are sized from; while blind, the last forecast's or an event's, if any.
  std::optional<double> provisionedDemand;
  bool fallback = false;
  // Blind, but the last forecast still covers the lead window: provisioned until this time.
  std::optional<std::int64_t> lastForecastUntil;
  std::string fallbackReason;  // CamelCase
  std::string fallbackMessage;
  bool scalingLimited = false;
  std::string limitedReason;  // CamelCase: TooManyReplicas, TooFewReplicas, BehaviorLimited
  std::string limitedMessage;
  std::optional<std::int64_t> cacheBytes;
  std::vector<ForecastPoint> points;  // at most kMaxStatusPoints
  std::string explanation;            // one sentence for events and logs
};

inline constexpr std::size_t kMaxStatusPoints = 48;

// The chosen quantile `q` in (0, 1) of horizon `h` (1-based), linear between the predictor's
// levels (P50, P90, P95, P99) and, outside them, along the nearest segment (predictor::
// quantileAtZ): a P99.9 asks for more than the P99, a P30 for less than the P50.
double quantileAt(const predictor::Forecast& f, int h, double q);
double quantileAtZ(const predictor::Forecast& f, int h, double z);

// Steps of a forecast that cover [now, now + lead + 2 steps]: pods started now are ready after
// `lead` (measured from pod creation), the next chance to start more comes one step later, and
// one more step allows for the workload controllers creating the pods after the scale.
int leadSteps(std::int64_t leadSeconds, std::int64_t stepSeconds);

// The predictor's planner configured from the spec (bounds, capacity, behavior). Without a
// scale-down window in the spec: none while a forecast drives (its lead window already looks as
// far ahead as a pod takes to come back, so holding pods 300 s only pays for them), HPA's 300 s
// while replicas follow measured demand alone.
predictor::PlannerConfig plannerConfigOf(const ServiceSpec& spec, bool forecastDriven);
inline constexpr std::int64_t kReactiveScaleDownSeconds = 300;
inline constexpr double kDefaultTolerance = 0.1;  // the HPA's, when behavior gives none
// Demand over a whole number of replicas by under a thousandth of one replica's capacity is
// rounding (float sums, rate() extrapolation), not load: it adds no replica from any source.
inline constexpr double kRoundingNoiseReplicas = 1e-3;

// Decides. `planner` carries the stabilization/rate-limit history of this service between
// calls; `forecast` is null when no forecast is available yet.
Decision decide(const ServiceSpec& spec, const Observed& observed, const ForecastView* forecast,
                const predictor::EventCalendar& events, std::int64_t leadSeconds, predictor::Planner& planner);

}  // namespace tso::reconcile

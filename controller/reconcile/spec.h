// A ThroughputService's spec, decoded from the API object into typed values with every
// duration, quantity and schedule parsed. The API server's schema already rejects most bad
// input; what it cannot check (a cron that never fires, history shorter than a day with a
// daily model, ...) comes back here as kInvalid naming the field, for the InvalidSpec condition.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/reconcile/accuracy_gate.h"
#include "controller/reconcile/shadow.h"
#include "predictor/events.h"
#include "predictor/planner.h"

namespace tso::reconcile {

enum class Mode { kAuto, kForecastOnly, kPaused, kShadow };
enum class FallbackBehavior { kHoldCurrent, kSeasonalNaive, kStatic };

struct TargetRef {
  std::string apiVersion = "apps/v1";
  std::string kind = "Deployment";  // Deployment | StatefulSet
  std::string name;
};

struct CacheSpec {
  std::string configMapName;
  std::string key;
  double bytesPerDemandUnit = 0;
  std::int64_t minBytes = 0;
  std::optional<std::int64_t> maxBytes;
};

// demand.backlog: a queue consumer's messages waiting, to be drained within drainSeconds on top
// of the arrivals demand.query measures.
struct BacklogSpec {
  std::string query;
  std::int64_t drainSeconds = 0;
};

// spec.dependents[]: a service behind the target (payment, inventory) scaled from the same
// decision: by what one of its replicas serves of the demand, or by a ratio to the target's
// replicas; within its own bounds.
struct DependentSpec {
  TargetRef target;
  std::optional<double> perReplica;
  std::optional<double> ratio;
  double targetUtilization = 0.8;  // the service's capacity.targetUtilization unless given
  int minReplicas = 1;
  int maxReplicas = 1;
};

struct EventSpec {
  std::string name;
  std::optional<predictor::CronSchedule> schedule;
  std::optional<std::int64_t> start;  // unix seconds
  std::int64_t durationSeconds = 0;
  double multiplier = 1;
};

struct ServiceSpec {
  TargetRef target;
  Mode mode = Mode::kAuto;
  std::string prometheusAddress;  // empty: the operator's --prometheus-address
  std::int64_t queryTimeoutMs = 5000;
  std::string query;
  std::optional<BacklogSpec> backlog;
  std::int64_t stepSeconds = 30;
  std::int64_t historySeconds = std::int64_t{7} * 86400;
  double perReplica = 1;
  double targetUtilization = 0.8;
  int minReplicas = 1;
  int maxReplicas = 1;
  std::string model = "Auto";
  double quantile = 0.9;
  // forecast.missBudget as a fraction: the headroom is tuned online (predictor::MissBudget) to
  // under-provision this share of demand, starting from `quantile`.
  std::optional<double> missBudget;
  // forecast.headroomByTimeOfDay: the headroom also moves toward the hours of the day that fall
  // short more often than the day on average (predictor::TimeOfDayHeadroom).
  bool headroomByTimeOfDay = false;
  // forecast.breakoutQuantile: a new sample above this quantile of its own forecast raises the
  // lead window by its gap over that forecast's median at once; 0 is off.
  double breakoutQuantile = 0.9;
  // forecast.guard: when the forecast loses to a simple baseline, replicas follow measured demand.
  GuardSpec guard;
  // spec.shadow: the window Shadow mode accounts over, and whether it promotes itself to Auto.
  ShadowSpec shadow;
  std::optional<std::int64_t> leadTimeSeconds;  // empty: Auto (measured from pods)
  std::vector<EventSpec> events;
  predictor::ScalingBehavior behavior;  // scale-up unlimited by default, see parseSpec
  // behavior.scaleDown.stabilizationWindowSeconds was given; otherwise the window depends on
  // whether a forecast drives (plannerConfigOf).
  bool scaleDownWindowSet = false;
  // behavior.scaleUp/scaleDown.tolerance; empty: not given (the planner uses HPA's 0.1, the
  // owned HPA its own default).
  std::optional<double> scaleUpTolerance;
  std::optional<double> scaleDownTolerance;
  bool hpaEnabled = false;
  std::string hpaMetricsJson = "[]";  // the autoscaling/v2 metrics list, passed through
  std::optional<CacheSpec> cache;
  std::vector<DependentSpec> dependents;
  std::int64_t staleAfterSeconds = 300;
  FallbackBehavior fallback = FallbackBehavior::kHoldCurrent;
  int fallbackReplicas = 0;
};

// Decodes `spec` (the object's .spec). Errors are kInvalid with "spec.<field>: <why>".
Result<ServiceSpec> parseSpec(const nlohmann::json& spec);

// The event calendar of a spec, for predictor::EventCalendar::apply.
predictor::EventCalendar calendarOf(const ServiceSpec& spec);

// How often the model is refitted from Prometheus' history: when a seventh of the history is
// new, within [1 h, 1 d] (daily for the default 7d). The backtest evaluates this cadence: on the
// shared traces more frequent refits cost their multiple of the refit work and scored the same
// within noise; of the synthetic shapes (bench/predictor_shapes) only the outage scored better
// hourly, and not 2-hourly: what matters is when a refit lands, not how often.
std::int64_t refitIntervalSeconds(const ServiceSpec& spec);

}  // namespace tso::reconcile

// The status stage of a reconcile (pure): what the stages found and did -> the status object
// and its conditions, merged over the previous status. Fields that no longer apply are set to
// null, because the status is written as a JSON merge patch and only null deletes a field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/reconcile/accuracy_gate.h"
#include "controller/reconcile/dependents.h"
#include "controller/reconcile/forecast_score.h"
#include "controller/reconcile/miss_budget.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

// Where a status is written: the previous status, the object's generation and the time.
struct StatusFrame {
  nlohmann::json previous = nlohmann::json::object();
  std::int64_t generation = 0;
  std::string nowText;  // RFC 3339
};

// Accuracy is reported once this many forecasts were scored: a handful of steps reads as a
// broken forecast rather than as "not yet".
inline constexpr std::size_t kMinScoredForAccuracy = 10;

struct ForecastHealth {
  std::optional<Error> queryProblem;  // the demand query's problem this reconcile
  bool hasModel = false;
  bool usable = false;            // the model has seen enough samples to drive replicas
  std::size_t samplesNeeded = 0;  // ... which is this many
  std::string fitSummary;
  std::vector<std::string> modelsAside;
  std::string modelInUse;
};

struct PrometheusHealth {
  bool available = true;
  std::string reason;  // CamelCase when not available
  std::string message;
  std::string address;
};

struct StatusInput {
  const ServiceSpec* spec = nullptr;
  const Decision* decision = nullptr;
  int currentReplicas = 0;
  std::int64_t leadSeconds = 0;
  std::optional<double> demand;
  std::optional<std::int64_t> demandAgeSeconds;  // of the newest demand sample
  std::optional<Accuracy> accuracy;
  std::optional<std::int64_t> appliedCacheBytes;
  std::string lastScaleTime;
  std::optional<BudgetReport> missBudget;
  std::optional<std::vector<double>> headroomByHour;
  PrometheusHealth prometheus;
  ForecastHealth forecast;
  GateReport gate;  // the accuracy gate over its window
  std::optional<Error> actionError;
  Mode inForce = Mode::kAuto;          // the mode this reconcile ran in (a promoted Shadow runs as Auto)
  std::optional<ShadowReport> shadow;  // Shadow mode's account, while it is kept
  std::string promotedAt;              // when a Shadow service was promoted (RFC 3339)
  const std::vector<DependentOutcome>* dependents = nullptr;  // spec.dependents, read and decided
};

// The full status of a reconciled service.
nlohmann::json buildStatus(const StatusFrame& frame, const StatusInput& in);

// The status of a spec the schema let through but parseSpec rejected (terminal until it changes).
nlohmann::json invalidSpecStatus(const StatusFrame& frame, const std::string& message);
// spec.mode Paused: only the conditions change.
nlohmann::json pausedStatus(const StatusFrame& frame);
// The target workload does not exist.
nlohmann::json targetMissingStatus(const StatusFrame& frame, const ServiceSpec& spec, const std::string& ns);

}  // namespace tso::reconcile

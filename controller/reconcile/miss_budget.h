// The miss-budget stage (spec.forecast.missBudget): what the replicas left unserved since the
// last reconcile, fed to the rolling risk control that sets the forecast's headroom
// (predictor::MissBudget), as `simulate --miss-budget` does. Pure: the reconciler passes the
// demand it holds and the replicas it asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "controller/reconcile/recent_series.h"
#include "controller/reconcile/spec.h"
#include "predictor/provision.h"

namespace tso::reconcile {

struct BudgetState {
  std::optional<predictor::MissBudget> control;
  std::optional<predictor::TimeOfDayHeadroom> timeOfDay;  // with spec.headroomByTimeOfDay
  double budget = 0;                                      // the spec's when `control` was made
  std::int64_t seenUntil = 0;                             // newest demand step accounted for
  double demandDay = 0;                                   // exponentially weighted over a day, for status
  double missedDay = 0;
};

// (time, replicas) whenever the desired replicas changed, oldest first.
using DesiredSteps = std::vector<std::pair<std::int64_t, int>>;

// Accounts every demand step after state.seenUntil: missed = max(0, demand - perReplica x the
// replicas asked for at least `leadSeconds` before it, i.e. ready by then). Steps before the
// operator's first decision are skipped. Starts (or restarts, when the budget changed) the
// control at `start.z` and the time-of-day offsets at `start.byHour`. Does nothing without
// spec.missBudget or spec.headroomByTimeOfDay.
struct HeadroomStart {
  double z = 0;
  std::vector<double> byHour;  // empty: all zero
};
void accountMisses(BudgetState& state, const ServiceSpec& spec, const RecentSeries& recent, const DesiredSteps& desired,
                   std::int64_t leadSeconds, const HeadroomStart& start);

// The headroom the decision uses: the control's z, or none (the spec's quantile).
std::optional<double> headroomZ(const BudgetState& state);

struct BudgetReport {
  double budget = 0;
  double missedShare = 0;  // over about the past day
  double z = 0;
  double level = 0;  // the quantile level z stands for
};
std::optional<BudgetReport> budgetReport(const BudgetState& state);
// The time-of-day offsets for status (rounded), or none.
std::optional<std::vector<double>> headroomByHour(const BudgetState& state);

}  // namespace tso::reconcile

#include "controller/reconcile/miss_budget.h"

#include <algorithm>
#include <cmath>

namespace tso::reconcile {

namespace {

constexpr double kDaySeconds = 86'400;

// The replicas in effect at `t`: the last change at or before it; -1 before the first.
int desiredAt(const DesiredSteps& desired, std::int64_t t) {
  auto it =
      std::upper_bound(desired.begin(), desired.end(), t, [](std::int64_t v, const auto& e) { return v < e.first; });
  return it == desired.begin() ? -1 : std::prev(it)->second;
}

}  // namespace

void accountMisses(BudgetState& state, const ServiceSpec& spec, const RecentSeries& recent, const DesiredSteps& desired,
                   std::int64_t leadSeconds, double startZ) {
  if (!spec.missBudget) {
    state = BudgetState{};
    return;
  }
  if (!state.control || state.budget != *spec.missBudget) {
    predictor::MissBudgetConfig config;
    config.budget = *spec.missBudget;
    state = BudgetState{};
    state.control.emplace(config, startZ);
    state.budget = *spec.missBudget;
  }
  if (recent.size() == 0) return;
  const std::int64_t step = recent.step();
  const std::int64_t from = std::max(state.seenUntil + step, recent.firstTime());
  const double decay = std::exp(-static_cast<double>(step) / kDaySeconds);
  for (std::int64_t t = from; t <= recent.newestTime(); t += step) {
    state.seenUntil = t;
    const double demand = recent.at(t);
    const int ready = desiredAt(desired, t - leadSeconds);
    if (!std::isfinite(demand) || ready < 0) continue;
    const double missed = std::max(0.0, demand - ready * spec.perReplica);
    state.control->observe(demand, missed, static_cast<double>(step));
    state.demandDay = state.demandDay * decay + demand;
    state.missedDay = state.missedDay * decay + missed;
  }
}

std::optional<double> headroomZ(const BudgetState& state) {
  if (!state.control) return std::nullopt;
  return state.control->z();
}

std::optional<BudgetReport> budgetReport(const BudgetState& state) {
  if (!state.control) return std::nullopt;
  const double z = state.control->z();
  return BudgetReport{state.budget, state.demandDay > 0 ? state.missedDay / state.demandDay : 0, z,
                      predictor::levelOfZ(z)};
}

}  // namespace tso::reconcile

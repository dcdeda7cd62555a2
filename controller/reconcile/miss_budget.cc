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

// (Re)creates what the spec asks for; keeps what it still asks for unchanged.
void configure(BudgetState& state, const ServiceSpec& spec, const HeadroomStart& start) {
  const bool budgetChanged = spec.missBudget && (!state.control || state.budget != *spec.missBudget);
  if (!spec.missBudget || budgetChanged) {
    state.control.reset();
    state.budget = 0;
    state.demandDay = state.missedDay = 0;
  }
  if (budgetChanged) {
    predictor::MissBudgetConfig config;
    config.budget = *spec.missBudget;
    state.control.emplace(config, start.z);
    state.budget = *spec.missBudget;
  }
  if (!spec.headroomByTimeOfDay) state.timeOfDay.reset();
  if (spec.headroomByTimeOfDay && !state.timeOfDay) state.timeOfDay.emplace(predictor::TimeOfDayConfig{}, start.byHour);
}

}  // namespace

void accountMisses(BudgetState& state, const ServiceSpec& spec, const RecentSeries& recent, const DesiredSteps& desired,
                   std::int64_t leadSeconds, const HeadroomStart& start) {
  configure(state, spec, start);
  if (!state.control && !state.timeOfDay) {
    state.seenUntil = 0;
    return;
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
    if (state.timeOfDay) state.timeOfDay->observe(t, missed > 0, static_cast<double>(step));
    if (!state.control) continue;
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

std::optional<std::vector<double>> headroomByHour(const BudgetState& state) {
  if (!state.timeOfDay) return std::nullopt;
  std::vector<double> out;
  out.reserve(state.timeOfDay->offsets().size());
  for (double o : state.timeOfDay->offsets()) out.push_back(std::round(o * 1000) / 1000);
  return out;
}

}  // namespace tso::reconcile

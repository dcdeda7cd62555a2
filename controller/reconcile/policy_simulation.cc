#include "controller/reconcile/policy_simulation.h"

#include <algorithm>
#include <cmath>

#include "controller/reconcile/planner.h"
#include "controller/reconcile/service_model.h"

namespace tso::reconcile {

predictor::SimulationConfig simulationConfigOf(const ServiceSpec& spec, std::int64_t autoLeadSeconds, bool sweep) {
  predictor::SimulationConfig cfg;
  cfg.servicePlanner = plannerConfigOf(spec, /*forecastDriven=*/true);
  cfg.predictiveScaleDownSeconds = cfg.servicePlanner->behavior.scaleDown.stabilizationSeconds;
  cfg.warmupSeconds = spec.leadTimeSeconds.value_or(autoLeadSeconds);
  cfg.trainSeconds = spec.historySeconds;
  cfg.refitSeconds = refitIntervalSeconds(spec);
  cfg.fleet = isFleetModel(spec.model);
  cfg.onlyModels = forecasterModelsOf(spec.model);
  cfg.fastSearch = !cfg.fleet;  // the operator's refit mode (ServiceModel)
  auto& p = cfg.provisioning;
  p.quantile = spec.quantile;
  p.missBudget = spec.missBudget;
  p.breakoutLevel = spec.breakoutQuantile;
  p.timeOfDay = spec.headroomByTimeOfDay;
  p.events = calendarOf(spec);
  if (sweep) {
    cfg.hpaSweep = predictor::defaultHpaSweep();
    cfg.missBudgets = predictor::defaultMissBudgets();
  } else {
    cfg.hpa = predictor::HpaSetting{spec.targetUtilization, 300};
  }
  return cfg;
}

Result<predictor::Series> simulationSeriesOf(const prom::RangeSeries& range, std::int64_t step, std::size_t& repaired) {
  if (range.samples.empty()) return fail(ErrorCode::kNoData, "the query returned no samples in the range");
  predictor::Series s;
  s.step = step;
  s.start = static_cast<std::int64_t>(std::llround(range.samples.front().time));
  const auto last = static_cast<std::int64_t>(std::llround(range.samples.back().time));
  s.values.assign(static_cast<std::size_t>((last - s.start) / step + 1), std::nan(""));
  for (const auto& p : range.samples) {
    const auto i = static_cast<std::size_t>((std::llround(p.time) - s.start) / step);
    if (std::isfinite(p.value)) s.values[i] = std::max(0.0, p.value) * static_cast<double>(step);
  }
  repaired = predictor::fillMissing(s.values);
  return s;
}

}  // namespace tso::reconcile

// A ThroughputService's own policy as a simulation (predictor/simulator.h): what `replay`
// runs on its Prometheus history, `simulate --service` on a CSV, and Shadow mode on the
// history before its first reconcile. Pure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "controller/common/result.h"
#include "controller/prom/response.h"
#include "controller/reconcile/spec.h"
#include "predictor/series.h"
#include "predictor/simulator.h"

namespace tso::reconcile {

// The simulation of the service's policy: capacity, bounds, behavior and tolerances (the
// operator's planner while its forecast drives), quantile or miss budget, breakout, time-of-day
// headroom, events, model, history and refit cadence. `autoLeadSeconds` stands for leadTime
// Auto (measured from pods by the operator). With `sweep` the HPA shown is the one tuned to the
// predictive policy's cost; without, the HPA at the service's target utilization.
predictor::SimulationConfig simulationConfigOf(const ServiceSpec& spec, std::int64_t autoLeadSeconds, bool sweep);

// A range answer of the demand query as the simulator reads it: on the step grid from its
// first sample to its last, as per-step totals (rate x step), missing samples interpolated
// (`repaired` counts them). kNoData when the answer is empty.
Result<predictor::Series> simulationSeriesOf(const prom::RangeSeries& range, std::int64_t step, std::size_t& repaired);

}  // namespace tso::reconcile

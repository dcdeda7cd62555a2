// A ThroughputService's own policy as a simulation, for `replay` (its Prometheus history) and
// `simulate --service` (a CSV): the resource read from a manifest or the API and mapped onto
// predictor::SimulationConfig the way the operator applies it. Pure but for readServiceFile.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "controller/common/result.h"
#include "controller/reconcile/spec.h"
#include "predictor/series.h"
#include "predictor/simulator.h"

namespace tso::cli {

struct ServicePolicy {
  std::string name;  // metadata.name
  std::string ns;    // metadata.namespace, empty when the manifest has none
  reconcile::ServiceSpec spec;
};

// A ThroughputService object (JSON) decoded; kInvalid names the spec field, as the operator's
// InvalidSpec condition does.
Result<ServicePolicy> servicePolicyOf(const nlohmann::json& object);

// The one ThroughputService in a manifest file ("-" = stdin); `name` picks one when the file
// holds several. kConfig names the file.
Result<ServicePolicy> readServiceFile(const std::string& path, const std::optional<std::string>& name);

// The simulation of the service's policy: capacity, bounds, behavior and tolerances (the
// operator's planner while its forecast drives), quantile or miss budget, breakout, time-of-day
// headroom, events, model, history and refit cadence. `autoLeadSeconds` stands for leadTime
// Auto (measured from pods by the operator). With `sweep` the HPA shown is the one tuned to the
// predictive policy's cost; without, the HPA at the service's target utilization.
predictor::SimulationConfig simulationConfigOf(const reconcile::ServiceSpec& spec, std::int64_t autoLeadSeconds,
                                               bool sweep);

// `series` as a range query at `step` sees it: a trace step that is a multiple of `step` is
// split evenly (the rate kept); the same step is returned as is. kInvalid otherwise.
Result<predictor::Series> atStep(const predictor::Series& series, std::int64_t step);

}  // namespace tso::cli

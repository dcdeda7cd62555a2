// A ThroughputService read for `replay` and `simulate --service`: from a manifest or the API
// object, decoded as the operator decodes it (its simulation: reconcile/policy_simulation.h).
// Pure but for readServiceFile.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "controller/common/result.h"
#include "controller/reconcile/spec.h"
#include "predictor/series.h"

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

// `series` as a range query at `step` sees it: a trace step that is a multiple of `step` is
// split evenly (the rate kept); the same step is returned as is. kInvalid otherwise.
Result<predictor::Series> atStep(const predictor::Series& series, std::int64_t step);

}  // namespace tso::cli

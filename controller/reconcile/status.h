// Status conditions as the Kubernetes API conventions define them: one entry per type, and
// lastTransitionTime moves only when the status changes, so `kubectl describe` tells people
// how long something has been true.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tso::reconcile {

struct Condition {
  std::string type;  // Ready, ForecastReady, PrometheusAvailable, ScalingLimited, Fallback, InvalidSpec
  bool status = false;
  std::string reason;  // CamelCase
  std::string message;
};

// Sets `c` in `conditions` (a JSON array, created when null) for `generation` at `now`
// (RFC 3339). Returns true when the status flipped.
bool setCondition(nlohmann::json& conditions, const Condition& c, std::int64_t generation, const std::string& now);

// The condition of `type`, or null.
const nlohmann::json* findCondition(const nlohmann::json& conditions, const std::string& type);

}  // namespace tso::reconcile

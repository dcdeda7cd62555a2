// spec.dependents (pure): the replicas each service behind the target needs for a decision. They
// follow the same decision, so they are raised ahead by the same lead time.
#pragma once

#include <optional>
#include <string>

#include "controller/reconcile/planner.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

// A dependent as read and decided this reconcile, for the status.
struct DependentOutcome {
  TargetRef target;
  std::optional<int> current;  // empty: it could not be read
  int desired = 0;
  std::string problem;  // why it could not be read or scaled
};

// ratio x the target's desired replicas, or the decision's provisioned demand at the dependent's
// perReplica x targetUtilization; within the dependent's bounds. While blind the count never drops
// below `current`, and without a provisioned demand a perReplica dependent holds `current`.
int dependentReplicas(const DependentSpec& dep, const Decision& d, int current);

}  // namespace tso::reconcile

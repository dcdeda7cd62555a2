#include "controller/reconcile/dependents.h"

#include <algorithm>
#include <cmath>

#include "predictor/planner.h"

namespace tso::reconcile {

int dependentReplicas(const DependentSpec& dep, const Decision& d, int current) {
  const int lo = dep.minReplicas;
  const int hi = std::max(dep.minReplicas, dep.maxReplicas);
  int desired = current;
  if (dep.ratio) {
    desired = std::clamp(static_cast<int>(std::ceil(*dep.ratio * d.desired - predictor::kFloatSlack)), lo, hi);
  } else if (dep.perReplica && d.provisionedDemand) {
    desired = predictor::replicasFor(*d.provisionedDemand, *dep.perReplica, dep.targetUtilization, lo, hi,
                                     kRoundingNoiseReplicas);
  }
  if (d.fallback) return std::max({desired, current, lo});
  return std::clamp(desired, lo, hi);
}

}  // namespace tso::reconcile

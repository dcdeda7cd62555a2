#include "predictor/planner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tso::predictor {
namespace {

// Drops the oldest entries of a time-ordered (time, value) list while stale(time) holds.
template <typename Entries, typename Stale>
void dropOlder(Entries& entries, Stale stale) {
  auto keep = entries.begin();
  while (keep != entries.end() && stale(keep->first)) ++keep;
  entries.erase(entries.begin(), keep);
}

}  // namespace

int replicasFor(double demand, double perReplica, double targetUtilization, int minReplicas, int maxReplicas,
                double slack) {
  const int lo = std::max(0, minReplicas);
  const int hi = std::max(lo, maxReplicas);
  if (!(demand > 0) || !(perReplica > 0) || !(targetUtilization > 0)) return lo;
  const double r = std::ceil(demand / (perReplica * targetUtilization) - std::max(0.0, slack));
  if (!(r < static_cast<double>(hi))) return hi;
  return std::clamp(static_cast<int>(r), lo, hi);
}

double queueDemand(double arrivalRate, double backlog, double drainSeconds) {
  const double arrivals = std::max(0.0, arrivalRate);
  if (!(drainSeconds > 0)) return arrivals;
  return arrivals + std::max(0.0, backlog) / drainSeconds;
}

Planner::Planner(PlannerConfig config) : config_(std::move(config)) {}

int Planner::withTolerance(double demand, int current, double up, double down) const {
  const int want = replicasFor(demand, config_.perReplica, config_.targetUtilization, config_.minReplicas,
                               config_.maxReplicas, config_.roundingSlack);
  if (current > 0) {
    // As the HPA: a ratio above 1 is checked against the scale-up tolerance, below against the scale-down one.
    const double ratio = demand / (current * config_.perReplica * config_.targetUtilization);
    if (ratio >= 1.0 ? ratio - 1.0 <= up : 1.0 - ratio <= down) return current;
  }
  return want;
}

Plan Planner::plan(const PlanInput& in) {
  Plan p;
  const int current = std::max(0, in.currentReplicas);
  if (in.observedDemand) {
    p.reactive = withTolerance(*in.observedDemand, current, config_.toleranceUp, config_.toleranceDown);
  }
  if (in.forecastDemand) {
    p.predicted = withTolerance(*in.forecastDemand, current, config_.forecastTolerance, config_.forecastTolerance);
  }
  if (in.scheduledDemand) {
    p.scheduled = replicasFor(*in.scheduledDemand, config_.perReplica, config_.targetUtilization, config_.minReplicas,
                              config_.maxReplicas, config_.roundingSlack);
  }
  const bool anyInput = in.observedDemand || in.forecastDemand || in.scheduledDemand;
  int rec = anyInput ? std::max({p.reactive, p.predicted, p.scheduled}) : current;
  rec = std::clamp(rec, config_.minReplicas, std::max(config_.minReplicas, config_.maxReplicas));
  p.recommendation = rec;
  p.reason = rec == p.scheduled && p.scheduled > p.predicted && p.scheduled > p.reactive ? "scheduled"
             : rec == p.predicted && p.predicted > p.reactive                            ? "forecast"
                                                                                         : "observed";

  // Stabilization (HPA v2): scale up to the lowest recommendation of the up window, down to
  // the highest of the down window. A forecast dip therefore cannot remove replicas until
  // every recommendation in the down window, reactive ones included, agrees.
  const auto& up = config_.behavior.scaleUp;
  const auto& down = config_.behavior.scaleDown;
  const std::int64_t keep = std::max(up.stabilizationSeconds, down.stabilizationSeconds);
  dropOlder(recommendations_, [&](std::int64_t t) { return t < in.now - keep; });
  int upRec = rec;
  int downRec = rec;
  for (const auto& [t, r] : recommendations_) {
    if (t >= in.now - up.stabilizationSeconds) upRec = std::min(upRec, r);
    if (t >= in.now - down.stabilizationSeconds) downRec = std::max(downRec, r);
  }
  recommendations_.emplace_back(in.now, rec);
  int desired = current;
  if (desired < upRec) desired = upRec;
  if (desired > downRec) desired = downRec;
  if (desired < rec && desired < current) p.reason = "stabilization window holds replicas";
  if (desired > rec && desired > current) p.reason = "stabilization window holds replicas";
  if (desired == current && rec < current) p.reason = "scale-down stabilization";

  // Rate limits over each policy's period, from the replica count at the period's start.
  std::int64_t longest = 0;
  for (const auto& pol : up.policies) longest = std::max(longest, pol.periodSeconds);
  for (const auto& pol : down.policies) longest = std::max(longest, pol.periodSeconds);
  dropOlder(scaleEvents_, [&](std::int64_t t) { return t <= in.now - longest; });
  auto changeIn = [&](std::int64_t period, bool positive) {
    int sum = 0;
    for (const auto& [t, d] : scaleEvents_) {
      if (t > in.now - period && (positive ? d > 0 : d < 0)) sum += positive ? d : -d;
    }
    return sum;
  };
  if (desired > current) {
    if (up.select == SelectPolicy::kDisabled) {
      desired = current;
      p.reason = "scale-up disabled";
    } else if (!up.policies.empty()) {
      int limit = up.select == SelectPolicy::kMax ? std::numeric_limits<int>::min() : std::numeric_limits<int>::max();
      for (const auto& pol : up.policies) {
        const int start = current - changeIn(pol.periodSeconds, true);
        const int l = pol.type == ScalingPolicy::Type::kPods
                          ? start + pol.value
                          : static_cast<int>(std::ceil(start * (1.0 + pol.value / 100.0)));
        limit = up.select == SelectPolicy::kMax ? std::max(limit, l) : std::min(limit, l);
      }
      if (desired > limit) {
        desired = std::max(current, limit);
        p.reason += " (scale-up rate limited)";
      }
    }
  } else if (desired < current) {
    if (down.select == SelectPolicy::kDisabled) {
      desired = current;
      p.reason = "scale-down disabled";
    } else if (!down.policies.empty()) {
      int limit = down.select == SelectPolicy::kMax ? std::numeric_limits<int>::max() : std::numeric_limits<int>::min();
      for (const auto& pol : down.policies) {
        const int start = current + changeIn(pol.periodSeconds, false);
        const int l = pol.type == ScalingPolicy::Type::kPods
                          ? start - pol.value
                          : static_cast<int>(std::ceil(start * (1.0 - pol.value / 100.0)));
        limit = down.select == SelectPolicy::kMax ? std::min(limit, l) : std::max(limit, l);
      }
      if (desired < limit) {
        desired = std::min(current, limit);
        p.reason += " (scale-down rate limited)";
      }
    }
  }
  desired = std::clamp(desired, config_.minReplicas, std::max(config_.minReplicas, config_.maxReplicas));
  if (desired != current) scaleEvents_.emplace_back(in.now, desired - current);
  p.desired = desired;
  return p;
}

}  // namespace tso::predictor

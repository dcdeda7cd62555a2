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

// The replicas each input asks for (the reactive and forecast ones within their tolerance of
// the current count) and the recommendation: the highest, within the bounds.
void Planner::recommend(const PlanInput& in, int current, Plan& p) const {
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
}

// Stabilization (HPA v2): scale up to the lowest recommendation of the up window, down to
// the highest of the down window. A forecast dip therefore cannot remove replicas until
// every recommendation in the down window, reactive ones included, agrees.
int Planner::stabilize(std::int64_t now, int rec, int current, std::string& reason) {
  const auto& up = config_.behavior.scaleUp;
  const auto& down = config_.behavior.scaleDown;
  const std::int64_t keep = std::max(up.stabilizationSeconds, down.stabilizationSeconds);
  dropOlder(recommendations_, [&](std::int64_t t) { return t < now - keep; });
  int upRec = rec;
  int downRec = rec;
  for (const auto& [t, r] : recommendations_) {
    if (t >= now - up.stabilizationSeconds) upRec = std::min(upRec, r);
    if (t >= now - down.stabilizationSeconds) downRec = std::max(downRec, r);
  }
  recommendations_.emplace_back(now, rec);
  int desired = current;
  if (desired < upRec) desired = upRec;
  if (desired > downRec) desired = downRec;
  if (desired < rec && desired < current) reason = "stabilization window holds replicas";
  if (desired > rec && desired > current) reason = "stabilization window holds replicas";
  if (desired == current && rec < current) reason = "scale-down stabilization";
  return desired;
}

// The replicas added (up) or removed over the last `period` seconds.
int Planner::changeIn(std::int64_t now, std::int64_t period, bool up) const {
  int sum = 0;
  for (const auto& [t, d] : scaleEvents_) {
    if (t > now - period && (up ? d > 0 : d < 0)) sum += up ? d : -d;
  }
  return sum;
}

// The furthest one direction's policies let a scale go now: each policy's limit counts from
// the replica count at its period's start; Max takes the policy that allows the most change.
int Planner::rateLimit(const ScalingRules& rules, bool up, std::int64_t now, int current) const {
  const bool most = rules.select == SelectPolicy::kMax;
  int limit = most == up ? std::numeric_limits<int>::min() : std::numeric_limits<int>::max();
  for (const auto& pol : rules.policies) {
    const int start =
        up ? current - changeIn(now, pol.periodSeconds, true) : current + changeIn(now, pol.periodSeconds, false);
    const bool pods = pol.type == ScalingPolicy::Type::kPods;
    const int l = up ? (pods ? start + pol.value : static_cast<int>(std::ceil(start * (1.0 + pol.value / 100.0))))
                     : (pods ? start - pol.value : static_cast<int>(std::ceil(start * (1.0 - pol.value / 100.0))));
    limit = most == up ? std::max(limit, l) : std::min(limit, l);
  }
  return limit;
}

// Rate limits over each policy's period, from the replica count at the period's start.
int Planner::limitRate(std::int64_t now, int desired, int current, std::string& reason) {
  const auto& up = config_.behavior.scaleUp;
  const auto& down = config_.behavior.scaleDown;
  std::int64_t longest = 0;
  for (const auto& pol : up.policies) longest = std::max(longest, pol.periodSeconds);
  for (const auto& pol : down.policies) longest = std::max(longest, pol.periodSeconds);
  dropOlder(scaleEvents_, [&](std::int64_t t) { return t <= now - longest; });
  if (desired == current) return desired;
  const bool scaleUp = desired > current;
  const ScalingRules& rules = scaleUp ? up : down;
  if (rules.select == SelectPolicy::kDisabled) {
    reason = scaleUp ? "scale-up disabled" : "scale-down disabled";
    return current;
  }
  if (rules.policies.empty()) return desired;
  const int limit = rateLimit(rules, scaleUp, now, current);
  if (scaleUp && desired > limit) {
    reason += " (scale-up rate limited)";
    return std::max(current, limit);
  }
  if (!scaleUp && desired < limit) {
    reason += " (scale-down rate limited)";
    return std::min(current, limit);
  }
  return desired;
}

Plan Planner::plan(const PlanInput& in) {
  Plan p;
  const int current = std::max(0, in.currentReplicas);
  recommend(in, current, p);
  int desired = stabilize(in.now, p.recommendation, current, p.reason);
  desired = limitRate(in.now, desired, current, p.reason);
  desired = std::clamp(desired, config_.minReplicas, std::max(config_.minReplicas, config_.maxReplicas));
  if (desired != current) scaleEvents_.emplace_back(in.now, desired - current);
  p.desired = desired;
  return p;
}

}  // namespace tso::predictor

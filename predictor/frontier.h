// Cost/miss frontiers of scaling policies and the comparison of one policy with another at equal
// cost: a policy's knob (an HPA's target utilization, the predictive policy's miss budget) swept
// over a trace gives points (pod-seconds, missed requests); a baseline is judged at its best, on
// the lower envelope of its points. Pure.
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace tso::predictor {

struct FrontierPoint {
  double knob = 0;    // what was swept: target utilization, miss budget, ...
  double cost = 0;    // pod-seconds over the oracle's
  double misses = 0;  // missed requests over all requests
};

// The points no other point beats: sorted by cost, each with fewer misses than every cheaper one.
std::vector<FrontierPoint> lowerEnvelope(std::span<const FrontierPoint> points);

// On a lower envelope, the misses at `cost` and the cost of `misses`, interpolated linearly in
// cost and log-misses (misses span decades); nullopt outside the envelope's range, where no
// swept setting of the baseline says what it would do.
std::optional<double> missesAtCost(std::span<const FrontierPoint> envelope, double cost);
std::optional<double> costAtMisses(std::span<const FrontierPoint> envelope, double misses);

struct EqualCost {
  // The policy's misses over the baseline's at the policy's own cost (below 1: fewer misses).
  std::optional<double> missRatio;
  // The policy's cost over what the baseline pays for the policy's misses (below 1: cheaper).
  std::optional<double> costRatio;
};
EqualCost compareAtEqualCost(std::span<const FrontierPoint> baselineEnvelope, const FrontierPoint& policy);

}  // namespace tso::predictor

#include "predictor/frontier.h"

#include <algorithm>
#include <cmath>

namespace tso::predictor {
namespace {

// Misses of zero would be minus infinity in logs: a floor far below any budget.
constexpr double kMissFloor = 1e-9;

double logMisses(double m) { return std::log(std::max(m, kMissFloor)); }

}  // namespace

std::vector<FrontierPoint> lowerEnvelope(std::span<const FrontierPoint> points) {
  std::vector<FrontierPoint> sorted(points.begin(), points.end());
  std::sort(sorted.begin(), sorted.end(), [](const FrontierPoint& a, const FrontierPoint& b) {
    return a.cost < b.cost || (a.cost == b.cost && a.misses < b.misses);
  });
  std::vector<FrontierPoint> out;
  for (const auto& p : sorted) {
    if (out.empty() || p.misses < out.back().misses) out.push_back(p);
  }
  return out;
}

std::optional<double> missesAtCost(std::span<const FrontierPoint> env, double cost) {
  if (env.empty() || cost < env.front().cost || cost > env.back().cost) return std::nullopt;
  for (std::size_t i = 1; i < env.size(); ++i) {
    if (cost <= env[i].cost) {
      const auto& a = env[i - 1];
      const auto& b = env[i];
      const double w = (cost - a.cost) / (b.cost - a.cost);
      return std::exp(logMisses(a.misses) + w * (logMisses(b.misses) - logMisses(a.misses)));
    }
  }
  return env.front().misses;  // a single point, at exactly its cost
}

std::optional<double> costAtMisses(std::span<const FrontierPoint> env, double misses) {
  // Misses fall as cost grows along the envelope.
  if (env.empty() || misses > env.front().misses || misses < env.back().misses) return std::nullopt;
  for (std::size_t i = 1; i < env.size(); ++i) {
    if (misses >= env[i].misses) {
      const auto& a = env[i - 1];
      const auto& b = env[i];
      const double span = logMisses(b.misses) - logMisses(a.misses);
      if (span == 0) return a.cost;
      const double w = (logMisses(misses) - logMisses(a.misses)) / span;
      return a.cost + w * (b.cost - a.cost);
    }
  }
  return env.front().cost;
}

EqualCost compareAtEqualCost(std::span<const FrontierPoint> env, const FrontierPoint& policy) {
  EqualCost out;
  if (auto m = missesAtCost(env, policy.cost); m && *m > 0) out.missRatio = policy.misses / *m;
  if (auto c = costAtMisses(env, policy.misses); c && *c > 0) out.costRatio = policy.cost / *c;
  return out;
}

}  // namespace tso::predictor

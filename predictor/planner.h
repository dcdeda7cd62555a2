// The capacity planner: demand (observed, forecast, scheduled, or a queue backlog) to a
// replica count, with Kubernetes HPA v2 behaviour (tolerance, stabilization windows,
// scale-up/down rate policies). Pure: time is passed in, state is the recent history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tso::predictor {

struct ScalingPolicy {
  enum class Type { kPods, kPercent };
  Type type = Type::kPercent;
  int value = 100;
  std::int64_t periodSeconds = 15;
  bool operator==(const ScalingPolicy&) const = default;
};

enum class SelectPolicy { kMax, kMin, kDisabled };

struct ScalingRules {
  std::int64_t stabilizationSeconds = 0;
  std::vector<ScalingPolicy> policies;
  SelectPolicy select = SelectPolicy::kMax;
  bool operator==(const ScalingRules&) const = default;
};

// Defaults are the HPA v2 defaults (autoscaling/v2 HorizontalPodAutoscalerBehavior).
struct ScalingBehavior {
  ScalingRules scaleUp{
      0, {{ScalingPolicy::Type::kPercent, 100, 15}, {ScalingPolicy::Type::kPods, 4, 15}}, SelectPolicy::kMax};
  ScalingRules scaleDown{300, {{ScalingPolicy::Type::kPercent, 100, 15}}, SelectPolicy::kMax};
  bool operator==(const ScalingBehavior&) const = default;
};

// The division's own rounding: 3 x 100 / 100 must not ask for a fourth replica.
inline constexpr double kFloatSlack = 1e-9;

struct PlannerConfig {
  double perReplica = 1.0;         // demand one replica serves at 100 % utilization
  double targetUtilization = 1.0;  // (0, 1]
  int minReplicas = 1;
  int maxReplicas = 10'000;
  // HPA's tolerance band on the observed demand, one per direction (autoscaling/v2's
  // behavior.scaleUp/scaleDown.tolerance): no change while demand / capacity - 1 is within
  // toleranceUp above 1, or within toleranceDown below it.
  double toleranceUp = 0.1;
  double toleranceDown = 0.1;
  // Forecasts already carry their margin (a high quantile), so by default a forecast asking
  // for more replicas is not held back by the tolerance band.
  double forecastTolerance = 0.0;
  // Demand above a whole number of replicas by at most this fraction of one replica rounds
  // down (see replicasFor); the default only absorbs the division's own rounding.
  double roundingSlack = kFloatSlack;
  ScalingBehavior behavior;
  // The reconciler keeps a service's planner (its stabilization history) while this is equal.
  bool operator==(const PlannerConfig&) const = default;
};

struct PlanInput {
  std::int64_t now = 0;  // unix seconds
  int currentReplicas = 0;
  std::optional<double> observedDemand;   // the reactive signal (what an HPA sees)
  std::optional<double> forecastDemand;   // e.g. the P95 peak over [now, now + lead]
  std::optional<double> scheduledDemand;  // demand implied by a scheduled event
};

struct Plan {
  int desired = 0;
  int reactive = 0;  // 0 when there was no observed demand
  int predicted = 0;
  int scheduled = 0;
  int recommendation = 0;  // max of the three, clamped, before stabilization and rate limits
  std::string reason;      // which input drove the change, or what held it back
};

// ceil(demand / (perReplica * targetUtilization) - slack) clamped to [min, max]; never divides
// by zero. `slack` (a fraction of one replica) is the excess over a whole number of replicas
// that counts as rounding rather than demand.
int replicasFor(double demand, double perReplica, double targetUtilization, int minReplicas, int maxReplicas,
                double slack = kFloatSlack);

// Demand of a queue consumer: arrivals plus draining the backlog within `drainSeconds`.
double queueDemand(double arrivalRate, double backlog, double drainSeconds);

class Planner {
 public:
  explicit Planner(PlannerConfig config);
  // Decides the replica count at `input.now` and records it (stabilization and rate limits
  // look at the recent decisions).
  Plan plan(const PlanInput& input);
  [[nodiscard]] const PlannerConfig& config() const { return config_; }

 private:
  [[nodiscard]] int withTolerance(double demand, int current, double up, double down) const;
  // plan()'s stages, in order: the recommendation, the stabilization windows, the rate limits.
  void recommend(const PlanInput& in, int current, Plan& p) const;
  int stabilize(std::int64_t now, int rec, int current, std::string& reason);
  [[nodiscard]] int changeIn(std::int64_t now, std::int64_t period, bool up) const;
  [[nodiscard]] int rateLimit(const ScalingRules& rules, bool up, std::int64_t now, int current) const;
  int limitRate(std::int64_t now, int desired, int current, std::string& reason);
  PlannerConfig config_;
  // Time-ordered, a few dozen at most: vectors, because a deque allocates ~600 bytes even
  // when empty (2,000 services hold two of them each).
  std::vector<std::pair<std::int64_t, int>> recommendations_;
  std::vector<std::pair<std::int64_t, int>> scaleEvents_;  // (time, replica change)
};

}  // namespace tso::predictor

#include "controller/cli/simulate_report.h"

#include <cstdio>

namespace tso::cli {
namespace {

nlohmann::json optional(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json policyJson(const predictor::PolicyResult& p) {
  return {{"knob", p.knob},
          {"scale_down_seconds", p.scaleDownSeconds},
          {"underprovisioned_fraction", p.underprovisionedFraction},
          {"underprovisioned_time_share", p.underprovisionedTimeShare},
          {"pod_seconds", p.podSeconds},
          {"pod_seconds_ratio", p.podSecondsRatio},
          {"actions_per_hour", p.actionsPerHour},
          {"theta_u", p.thetaU},
          {"theta_o", p.thetaO},
          {"requests", p.requests},
          {"missed_requests", p.missedRequests}};
}

std::vector<predictor::FrontierPoint> hpaEnvelope(const predictor::SimulationReport& r) {
  std::vector<predictor::FrontierPoint> points;
  points.reserve(r.hpaSweep.size());
  for (const auto& h : r.hpaSweep) points.push_back(h.point());
  return predictor::lowerEnvelope(points);
}

// Each run with its equal-cost ratios against the HPA's envelope.
nlohmann::json comparedRuns(const std::vector<predictor::FrontierPoint>& env,
                            const std::vector<predictor::PolicyResult>& runs) {
  auto out = nlohmann::json::array();
  for (const auto& p : runs) {
    const auto ec = predictor::compareAtEqualCost(env, p.point());
    auto j = policyJson(p);
    j["equal_cost_miss_ratio"] = optional(ec.missRatio);
    j["equal_cost_cost_ratio"] = optional(ec.costRatio);
    out.push_back(j);
  }
  return out;
}

std::string ratio(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

}  // namespace

nlohmann::json reportJson(const std::string& input, const predictor::SimulationConfig& cfg,
                          const predictor::SimulationReport& r) {
  nlohmann::json out;
  out["input"] = input;
  out["warmup_seconds"] = cfg.warmupSeconds;
  if (const auto& s = cfg.servicePlanner) {
    out["service"] = {{"target_utilization", s->targetUtilization},
                      {"min_replicas", s->minReplicas},
                      {"max_replicas", s->maxReplicas}};
  } else {
    out["peak_replicas"] = cfg.peakReplicas;
  }
  out["per_replica_rps"] = r.perReplica;
  out["provisioning"] = {{"quantile", cfg.provisioning.quantile},
                         {"miss_budget", optional(cfg.provisioning.missBudget)},
                         {"breakout_level", cfg.provisioning.breakoutLevel},
                         {"scale_down_seconds", cfg.predictiveScaleDownSeconds}};
  out["policies"] = nlohmann::json::object();
  for (const auto& p : r.policies) out["policies"][p.name] = policyJson(p);
  out["equal_cost"] = {{"miss_ratio", optional(r.equalCost.missRatio)},
                       {"cost_ratio", optional(r.equalCost.costRatio)}};
  const auto env = hpaEnvelope(r);
  out["hpa_sweep"] = nlohmann::json::array();
  for (const auto& h : r.hpaSweep) out["hpa_sweep"].push_back(policyJson(h));
  out["hpa_envelope"] = nlohmann::json::array();
  for (const auto& p : env)
    out["hpa_envelope"].push_back({{"pod_seconds_ratio", p.cost}, {"underprovisioned_fraction", p.misses}});
  out["predictive_windows"] = comparedRuns(env, r.windowSweep);
  out["predictive_sweep"] = comparedRuns(env, r.predictiveSweep);
  out["notes"] = r.notes;
  return out;
}

void printReportTable(const predictor::SimulationConfig& cfg, const predictor::SimulationReport& r) {
  if (const auto& s = cfg.servicePlanner) {
    std::printf(
        "per-replica capacity %.3f (the service's), target utilization %.2f, replicas %d..%d, lead time %llds\n",
        r.perReplica, s->targetUtilization, s->minReplicas, s->maxReplicas, static_cast<long long>(cfg.warmupSeconds));
  } else {
    std::printf("per-replica capacity %.3f req/s (peak needs %d replicas), warm-up %llds\n", r.perReplica,
                cfg.peakReplicas, static_cast<long long>(cfg.warmupSeconds));
  }
  std::printf("%-11s %9s %7s %12s %10s %14s %9s %9s %9s %9s\n", "policy", "knob", "down_s", "under_frac", "under_time",
              "pod_seconds", "vs_oracle", "acts/h", "theta_U%", "theta_O%");
  for (const auto& p : r.policies) {
    std::printf("%-11s %9.4f %7lld %12.6f %10.4f %14.0f %9.3f %9.2f %9.3f %9.2f\n", p.name.c_str(), p.knob,
                static_cast<long long>(p.scaleDownSeconds), p.underprovisionedFraction, p.underprovisionedTimeShare,
                p.podSeconds, p.podSecondsRatio, p.actionsPerHour, p.thetaU, p.thetaO);
  }
  if (!r.hpaSweep.empty()) {
    std::printf(
        "against the HPA tuned to the same cost (%zu settings swept, lower envelope): misses x%s, "
        "pod-seconds for the same misses x%s\n",
        r.hpaSweep.size(), ratio(r.equalCost.missRatio).c_str(), ratio(r.equalCost.costRatio).c_str());
  }
  for (const auto& p : r.windowSweep) {
    const auto ec = predictor::compareAtEqualCost(hpaEnvelope(r), p.point());
    std::printf(
        "the same with a %llds scale-down window: under_frac %.6f at %.3fx the oracle, %.2f acts/h: "
        "misses x%s, pod-seconds for the same misses x%s\n",
        static_cast<long long>(p.scaleDownSeconds), p.underprovisionedFraction, p.podSecondsRatio, p.actionsPerHour,
        ratio(ec.missRatio).c_str(), ratio(ec.costRatio).c_str());
  }
  if (!r.predictiveSweep.empty()) {
    const auto env = hpaEnvelope(r);
    std::printf("%-12s %12s %9s %9s %16s %16s\n", "miss_budget", "under_frac", "vs_oracle", "acts/h", "equal_cost_miss",
                "equal_miss_cost");
    for (const auto& p : r.predictiveSweep) {
      const auto ec = predictor::compareAtEqualCost(env, p.point());
      std::printf("%11.2f%% %12.6f %9.3f %9.2f %16s %16s\n", 100 * p.knob, p.underprovisionedFraction,
                  p.podSecondsRatio, p.actionsPerHour, ratio(ec.missRatio).c_str(), ratio(ec.costRatio).c_str());
    }
  }
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
}

}  // namespace tso::cli

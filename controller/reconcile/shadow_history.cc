#include "controller/reconcile/shadow_history.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "controller/reconcile/policy_simulation.h"
#include "controller/reconcile/units.h"
#include "predictor/simulator.h"

namespace tso::reconcile {
namespace {

// A series' value at `t`: the newest sample at or before it within a step; asked in time order.
struct SampleAt {
  const prom::RangeSeries& range;
  std::int64_t step = 60;
  std::size_t next = 0;

  std::optional<double> at(std::int64_t t) {
    while (next < range.samples.size() && range.samples[next].time <= static_cast<double>(t)) ++next;
    if (next == 0) return std::nullopt;
    const prom::Sample& s = range.samples[next - 1];
    if (!std::isfinite(s.value) || static_cast<double>(t) - s.time >= static_cast<double>(step)) return std::nullopt;
    return s.value;
  }
};

ShadowSeed noSeed(std::string note) {
  ShadowSeed out;
  out.note = std::move(note);
  return out;
}

}  // namespace

std::string readyReplicasQuery(const ServiceSpec& spec, const std::string& ns) {
  if (!spec.shadow.replicasQuery.empty()) return spec.shadow.replicasQuery;
  if (spec.target.kind == "StatefulSet")
    return "kube_statefulset_status_replicas_ready{namespace=\"" + ns + "\",statefulset=\"" + spec.target.name + "\"}";
  return "kube_deployment_status_replicas_available{namespace=\"" + ns + "\",deployment=\"" + spec.target.name + "\"}";
}

HistoryRanges historyRanges(const ServiceSpec& spec, std::int64_t now) {
  HistoryRanges r;
  r.to = now - now % spec.stepSeconds;
  r.replicasFrom = r.to - spec.shadow.windowSeconds;
  r.demandFrom = r.replicasFrom - spec.historySeconds;
  return r;
}

ShadowSeed shadowSeedOf(const ServiceSpec& spec, const prom::RangeSeries& demand, const prom::RangeSeries& replicas,
                        std::int64_t leadSeconds, std::int64_t now) {
  const std::int64_t window = spec.shadow.windowSeconds;
  if (replicas.samples.empty()) return noSeed("no history of the replicas that ran");
  std::size_t repaired = 0;
  auto series = simulationSeriesOf(demand, spec.stepSeconds, repaired);
  if (!series) return noSeed("no history of the demand");
  // Train on the spec's history where Prometheus has it, on at least a day (or all of a
  // shorter history); the window replayed is what is left after it.
  const std::int64_t span = static_cast<std::int64_t>(series->size()) * spec.stepSeconds;
  const std::int64_t minTrain = std::min<std::int64_t>(spec.historySeconds, predictor::kSecondsPerDay);
  predictor::SimulationConfig cfg = simulationConfigOf(spec, leadSeconds, /*sweep=*/false);
  cfg.trainSeconds = std::clamp(span - window, minTrain, spec.historySeconds);
  cfg.recordTimeline = true;
  auto report = predictor::simulate(*series, cfg);
  if (!report) {
    return noSeed("the demand history (" + formatDuration(span) +
                  ") is too short to replay the policy on: " + report.error().message);
  }
  ShadowSeed out;
  SampleAt demandAt{demand, spec.stepSeconds};
  SampleAt ran{replicas, spec.stepSeconds};
  const auto& alive = report->alive[0];
  const std::int64_t maxStep = std::max<std::int64_t>(3 * spec.stepSeconds, 15);
  std::optional<std::int64_t> first;
  std::int64_t last = 0;
  for (std::size_t i = 0; i < alive.size(); ++i) {
    const std::int64_t t = report->start + static_cast<std::int64_t>(i) * report->tickSeconds;
    if (t <= now - window) continue;
    if (t >= now) break;
    const std::optional<double> rate = demandAt.at(t);
    const std::optional<double> ready = ran.at(t);
    if (!rate || !ready) continue;
    const int readyReplicas = static_cast<int>(std::lround(*ready));
    out.steps.push_back({t, std::max(0.0, *rate), static_cast<int>(alive[i]), readyReplicas, readyReplicas,
                         spec.perReplica, leadSeconds, maxStep});
    if (!first) first = t;
    last = t;
  }
  out.seconds = first ? last - *first : 0;
  // The replay's ticks fall inside the window and the newest step may not be in yet.
  if (out.seconds < window - 2 * std::max(spec.stepSeconds, report->tickSeconds)) {
    out.note = "history spans " + formatDuration(out.seconds) + " of the " + formatDuration(window) +
               " window where both the demand and the replicas that ran were recorded";
  }
  return out;
}

}  // namespace tso::reconcile

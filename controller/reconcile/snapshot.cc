#include "controller/reconcile/snapshot.h"

#include <algorithm>
#include <limits>

namespace tso::reconcile {

namespace {

std::string modeName(Mode m) {
  switch (m) {
    case Mode::kAuto:
      return "Auto";
    case Mode::kForecastOnly:
      return "ForecastOnly";
    case Mode::kPaused:
      return "Paused";
    case Mode::kShadow:
      return "Shadow";
  }
  return "Auto";
}

}  // namespace

ServiceSnapshot buildSnapshot(const SnapshotInput& in) {
  const Decision& d = *in.decision;
  ServiceSnapshot s;
  s.ns = in.ns;
  s.name = in.name;
  s.mode = modeName(in.spec->mode);
  s.valid = true;
  s.hasDemand = in.demand.has_value();
  s.demand = in.demand.value_or(0);
  if (in.demandAgeSeconds) s.demandAgeSeconds = static_cast<double>(*in.demandAgeSeconds);
  s.hasForecast = in.forecast != nullptr && !in.forecast->quantiles.empty();
  if (s.hasForecast) {
    const int to =
        std::min<int>(leadSteps(in.leadSeconds, in.spec->stepSeconds), static_cast<int>(in.forecast->quantiles.size()));
    for (std::size_t k = 0; k < predictor::kQuantileLevels.size(); ++k)
      s.predictedPeak[k] = predictor::peakQuantile(*in.forecast, 1, to, k);
  }
  s.predictedDemand = d.predictedDemand.value_or(0);
  s.reactive = d.reactive;
  s.predicted = d.predicted;
  s.scheduled = d.scheduled;
  s.desired = d.desired;
  s.current = in.currentReplicas;
  if (in.readyReplicas) s.readyCapacity = *in.readyReplicas * in.spec->perReplica;
  s.backlog = d.backlog;
  if (in.dependents != nullptr) {
    for (const auto& o : *in.dependents) s.dependents.push_back({o.target.name, o.desired, o.current});
  }
  s.winner = d.winner;
  s.leadSeconds = in.leadSeconds;
  if (in.accuracy) {
    s.scored = in.accuracy->scored;
    s.wape = in.accuracy->wape;
    s.coverage = in.accuracy->coverage;
  }
  s.degraded = in.gate.degraded;
  s.skill = in.gate.skill;
  if (in.gate.scored > 0 && in.gate.scored >= in.spec->guard.minScored) s.coverageP90 = in.gate.coverageP90;
  s.coverageBound = in.spec->guard.minCoverage;
  s.fallback = d.fallback;
  s.model = in.model;
  s.step = in.spec->stepSeconds;
  s.modelBytes = in.modelBytes;
  return s;
}

void recordDesired(std::vector<std::pair<std::int64_t, int>>& history, std::int64_t now, int desired, std::int64_t step,
                   std::size_t steps) {
  if (history.empty() || history.back().second != desired) history.emplace_back(now, desired);
  const std::int64_t windowStart = now - static_cast<std::int64_t>(steps) * step;
  std::size_t stale = 0;
  while (stale + 1 < history.size() && history[stale + 1].first <= windowStart) ++stale;
  // A value flapping at every reconcile is bounded by the window's steps too.
  stale = std::max(stale, history.size() > steps ? history.size() - steps : std::size_t{0});
  history.erase(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(stale));
}

std::shared_ptr<const ServiceHistory> buildHistory(const RecentSeries& recent, const ForecastScore& score,
                                                   const std::vector<std::pair<std::int64_t, int>>& desired,
                                                   std::size_t steps) {
  if (recent.size() == 0) return nullptr;
  const std::int64_t step = recent.step();
  auto values = recent.values();
  std::int64_t first = recent.firstTime();
  if (values.size() > steps) {
    const auto drop = values.size() - steps;
    values.erase(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(drop));
    first += static_cast<std::int64_t>(drop) * step;
  }
  auto h = std::make_shared<ServiceHistory>();
  h->start = first;
  h->actual.reserve(values.size());
  h->forecastForTime.reserve(values.size());
  h->desired.reserve(values.size());
  const auto forecastAt = score.forecastsByTime();
  std::size_t fi = 0;
  std::size_t di = 0;
  int lastDesired = -1;  // unknown before this operator's first decision
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int64_t t = first + static_cast<std::int64_t>(i) * step;
    h->actual.push_back(static_cast<float>(values[i]));
    while (fi < forecastAt.size() && forecastAt[fi].first < t) ++fi;
    h->forecastForTime.push_back(fi < forecastAt.size() && forecastAt[fi].first == t
                                     ? forecastAt[fi].second
                                     : std::numeric_limits<float>::quiet_NaN());
    while (di < desired.size() && desired[di].first <= t) lastDesired = desired[di++].second;
    h->desired.push_back(lastDesired);
  }
  return h;
}

}  // namespace tso::reconcile

#include "controller/reconcile/actions.h"

#include "controller/reconcile/dependents.h"

namespace tso::reconcile {

namespace {

Error withContext(Error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

std::optional<Error> applyReplicas(Executor& executor, const kube::Object& service, const ServiceSpec& spec,
                                   int desired, int current, ActionState& state) {
  const std::string& ns = service.meta.ns;
  if (spec.hpaEnabled) {
    state.hpaChecked = false;
    if (auto s = executor.applyHpa(service, spec, desired); !s) return withContext(s.error(), "applying the HPA");
    return std::nullopt;
  }
  if (!state.hpaChecked) {
    if (auto s = executor.removeHpa(ns, service.meta.name); s) state.hpaChecked = true;
  }
  if (desired == current) return std::nullopt;
  if (auto s = executor.scaleTarget(ns, spec.target, desired); !s)
    return withContext(s.error(), "scaling " + spec.target.name);
  return std::nullopt;
}

}  // namespace

ActionResult act(Executor& executor, EventSink& events, const kube::Object& service, const ServiceSpec& spec,
                 const Decision& d, int current, bool apply, ActionState& state, const std::string& nowText) {
  ActionResult out;
  if (!apply) return out;
  out.error = applyReplicas(executor, service, spec, d.desired, current, state);
  if (!out.error && d.desired != current) {
    out.scaled = true;
    state.lastScaleTime = nowText;
    if (d.desired > current && (d.winner == "predicted" || d.winner == "scheduled")) {
      events.record(service, "Normal", "ScaledAhead",
                    "scaled " + spec.target.name + " from " + std::to_string(current) + " to " +
                        std::to_string(d.desired) + " ahead of demand: " + d.explanation);
    }
  }
  if (spec.cache && d.cacheBytes) {
    auto applied = executor.applyCache(service.meta.ns, *spec.cache, *d.cacheBytes);
    if (applied)
      out.appliedCacheBytes = *applied;
    else if (!out.error)
      out.error = withContext(applied.error(), "writing the cache size to ConfigMap " + spec.cache->configMapName);
  }
  return out;
}

std::vector<DependentOutcome> actOnDependents(Executor& executor, EventSink& events, const TargetLookup& lookup,
                                              const kube::Object& service, const ServiceSpec& spec, const Decision& d,
                                              bool apply) {
  std::vector<DependentOutcome> out;
  out.reserve(spec.dependents.size());
  for (const DependentSpec& dep : spec.dependents) {
    DependentOutcome& o = out.emplace_back(DependentOutcome{dep.target, std::nullopt, 0, {}});
    auto observed = observeTarget(lookup, executor, service.meta.ns, dep.target);
    if (!observed) {
      o.problem = dep.target.kind + " " + dep.target.name + ": " + observed.error().message;
      continue;
    }
    const int current = observed->replicas;
    o.current = current;
    o.desired = dependentReplicas(dep, d, current);
    if (!apply || o.desired == current) continue;
    if (auto s = executor.scaleTarget(service.meta.ns, dep.target, o.desired); !s) {
      o.problem = "scaling " + dep.target.name + ": " + s.error().message;
      continue;
    }
    if (o.desired > current && (d.winner == "predicted" || d.winner == "scheduled")) {
      events.record(service, "Normal", "ScaledAhead",
                    "scaled dependent " + dep.target.name + " from " + std::to_string(current) + " to " +
                        std::to_string(o.desired) + " ahead of demand: " + d.explanation);
    }
  }
  return out;
}

}  // namespace tso::reconcile

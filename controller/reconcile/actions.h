// The action stage of a reconcile (mode Auto only): the decision applied through the executor,
// either as the workload's replicas (/scale) or as the floor of the owned HPA, and the cache
// size into its ConfigMap key. A scale-up the forecast or an event drove is an Event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/kube/object.h"
#include "controller/reconcile/dependents.h"
#include "controller/reconcile/executor.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/spec.h"
#include "controller/reconcile/target.h"

namespace tso::reconcile {

// What actions remember of a service between reconciles.
struct ActionState {
  bool hpaChecked = false;    // no owned HPA is left behind since hpa.enabled went off
  std::string lastScaleTime;  // RFC 3339
};

struct ActionResult {
  std::optional<Error> error;  // the first action that failed, its message saying which
  std::optional<std::int64_t> appliedCacheBytes;
  bool scaled = false;  // the desired count differs from the current and was applied
};

// `apply`: the mode in force writes (Auto, or a promoted Shadow); otherwise nothing is touched.
ActionResult act(Executor& executor, EventSink& events, const kube::Object& service, const ServiceSpec& spec,
                 const Decision& decision, int current, bool apply, ActionState& state, const std::string& nowText);

// Sizes spec.dependents for the decision (dependents.h) and, with `apply`, scales them through
// /scale; a rise the forecast or an event drove is a ScaledAhead Event, as for the target.
// A dependent that cannot be read or scaled is reported, and leaves the others and the target be.
std::vector<DependentOutcome> actOnDependents(Executor& executor, EventSink& events, const TargetLookup& lookup,
                                              const kube::Object& service, const ServiceSpec& spec,
                                              const Decision& decision, bool apply);

}  // namespace tso::reconcile

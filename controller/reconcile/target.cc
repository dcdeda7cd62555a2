#include "controller/reconcile/target.h"

namespace tso::reconcile {

Result<Executor::TargetState> observeTarget(const TargetLookup& lookup, Executor& executor, const std::string& ns,
                                            const TargetRef& target) {
  if (lookup) {
    if (auto cached = lookup(ns, target)) return *cached;
  }
  return executor.readTarget(ns, target);
}

std::int64_t updateLead(LeadState& state, const ServiceSpec& spec, const std::string& selector, std::int64_t now,
                        const PodWarmups& warmups) {
  if (spec.leadTimeSeconds) {
    state.seconds = *spec.leadTimeSeconds;
  } else if (now - state.measuredAt >= kLeadRemeasureSeconds && !selector.empty()) {
    if (auto measured = warmups(selector)) {
      state.seconds = leadFromWarmups(std::move(*measured));
      state.measuredAt = now;
    }
  }
  return state.seconds;
}

}  // namespace tso::reconcile

// The target stage of a reconcile: the workload's current replicas and selector (from the
// workload informers' cache when it has them, else the API's /scale), and the lead time: the
// spec's, or measured from the target's pods (leadTime: Auto) at most once a minute.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/reconcile/executor.h"
#include "controller/reconcile/lead_time.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

using TargetLookup =
    std::function<std::optional<Executor::TargetState>(const std::string& ns, const TargetRef& target)>;

// The cache first (level-based: a stale read only delays a correct write); /scale otherwise.
Result<Executor::TargetState> observeTarget(const TargetLookup& lookup, Executor& executor, const std::string& ns,
                                            const TargetRef& target);

struct LeadState {
  std::int64_t seconds = kDefaultLeadSeconds;
  std::int64_t measuredAt = 0;
};

inline constexpr std::int64_t kLeadRemeasureSeconds = 60;

// Warm-ups (seconds) of the pods matching a selector.
using PodWarmups = std::function<Result<std::vector<std::int64_t>>(const std::string& selector)>;

// The lead time at `now`: the spec's when set, else the pods' p95 warm-up, re-measured at most
// every kLeadRemeasureSeconds; a failed measurement keeps the last one.
std::int64_t updateLead(LeadState& state, const ServiceSpec& spec, const std::string& selector, std::int64_t now,
                        const PodWarmups& warmups);

}  // namespace tso::reconcile

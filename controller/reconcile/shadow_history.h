// Shadow mode's account from history: at a Shadow service's first reconcile, its policy is
// replayed (policy_simulation.h, what `replay` runs) over the window before now on the demand
// Prometheus recorded, against the ready replicas it recorded, so the account and promotion
// need not wait a whole window of live reconciles. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/prom/response.h"
#include "controller/reconcile/shadow.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

// The ready replicas that ran, over time: spec.shadow.replicasQuery, else kube-state-metrics'
// series for the target (kube_deployment_status_replicas_available or
// kube_statefulset_status_replicas_ready).
std::string readyReplicasQuery(const ServiceSpec& spec, const std::string& ns);

// The ranges to read, on the step grid ending at or before `now`: the demand over the spec's
// history and then the window; the replicas over the window.
struct HistoryRanges {
  std::int64_t demandFrom = 0;
  std::int64_t replicasFrom = 0;
  std::int64_t to = 0;
};
HistoryRanges historyRanges(const ServiceSpec& spec, std::int64_t now);

struct ShadowSeed {
  std::vector<ShadowStep> steps;  // to record, oldest first, all before `now`
  std::int64_t seconds = 0;       // of the window they span
  std::string note;               // why they span less than the window; empty when they span it
};

// The steps the policy would have taken over the window, each with the demand and the ready
// replicas recorded then; the replay's ticks where the replicas are unknown are left out.
ShadowSeed shadowSeedOf(const ServiceSpec& spec, const prom::RangeSeries& demand, const prom::RangeSeries& replicas,
                        std::int64_t leadSeconds, std::int64_t now);

}  // namespace tso::reconcile

// Lead time Auto: how long the target's pods take from creation to Ready, measured on the
// pods themselves (p95 over the recent ones), so the operator provisions as far ahead as the
// workload's real warm-up. Pure: the reconciler passes the pods' timestamps.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

namespace tso::reconcile {

inline constexpr std::int64_t kDefaultLeadSeconds = 60;  // until enough pods were seen
inline constexpr std::size_t kMinPodsForLead = 3;

struct PodWarmup {
  std::int64_t created = 0;  // creationTimestamp, unix seconds
  std::int64_t seconds = 0;  // from creation to Ready
};

// When a Ready pod was created and the seconds from then to its Ready condition's
// lastTransitionTime; empty for pods that are not Ready or lack either time.
std::optional<PodWarmup> podWarmup(const nlohmann::json& pod);

// p95 of the warm-ups (nearest rank), or kDefaultLeadSeconds with fewer than kMinPodsForLead.
std::int64_t leadFromWarmups(std::vector<std::int64_t> warmups);

}  // namespace tso::reconcile

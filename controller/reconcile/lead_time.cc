#include "controller/reconcile/lead_time.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "controller/reconcile/units.h"

namespace tso::reconcile {

std::optional<PodWarmup> podWarmup(const nlohmann::json& pod) {
  if (!pod.is_object()) return std::nullopt;
  const auto meta = pod.find("metadata");
  const auto status = pod.find("status");
  if (meta == pod.end() || status == pod.end() || !meta->is_object() || !status->is_object()) {
    return std::nullopt;
  }
  const auto created = meta->find("creationTimestamp");
  const auto conditions = status->find("conditions");
  if (created == meta->end() || !created->is_string() || conditions == status->end() || !conditions->is_array()) {
    return std::nullopt;
  }
  for (const auto& c : *conditions) {
    if (!c.is_object() || c.value("type", std::string()) != "Ready") continue;
    if (c.value("status", std::string()) != "True") return std::nullopt;
    const auto t0 = parseRfc3339(created->get<std::string>());
    const auto t1 = parseRfc3339(c.value("lastTransitionTime", std::string()));
    if (!t0 || !t1 || *t1 < *t0) return std::nullopt;
    return PodWarmup{*t0, *t1 - *t0};
  }
  return std::nullopt;
}

std::int64_t leadFromWarmups(std::vector<std::int64_t> warmups) {
  if (warmups.size() < kMinPodsForLead) return kDefaultLeadSeconds;
  std::sort(warmups.begin(), warmups.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(warmups.size())));
  return warmups[std::max<std::size_t>(1, rank) - 1];
}

}  // namespace tso::reconcile

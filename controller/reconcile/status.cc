#include "controller/reconcile/status.h"

namespace tso::reconcile {

const nlohmann::json* findCondition(const nlohmann::json& conditions, const std::string& type) {
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", std::string()) == type) return &c;
  }
  return nullptr;
}

bool setCondition(nlohmann::json& conditions, const Condition& c, std::int64_t generation, const std::string& now) {
  if (!conditions.is_array()) conditions = nlohmann::json::array();
  const std::string status = c.status ? "True" : "False";
  nlohmann::json entry = {{"type", c.type},
                          {"status", status},
                          {"reason", c.reason.empty() ? std::string("Unknown") : c.reason},
                          {"message", c.message},
                          {"observedGeneration", generation},
                          {"lastTransitionTime", now}};
  for (auto& existing : conditions) {
    if (!existing.is_object() || existing.value("type", std::string()) != c.type) continue;
    const bool flipped = existing.value("status", std::string()) != status;
    if (!flipped && existing.contains("lastTransitionTime")) {
      entry["lastTransitionTime"] = existing["lastTransitionTime"];
    }
    existing = std::move(entry);
    return flipped;
  }
  conditions.push_back(std::move(entry));
  return true;
}

}  // namespace tso::reconcile

#include "controller/reconcile/executor.h"

#include <algorithm>
#include <cstdio>

#include "controller/kube/resource.h"
#include "controller/reconcile/lead_time.h"
#include "controller/reconcile/units.h"

namespace tso::reconcile {

namespace {

const kube::Resource& workloadResource(const TargetRef& target) {
  return target.kind == "StatefulSet" ? kube::kStatefulSets : kube::kDeployments;
}

std::string_view selectPolicyName(predictor::SelectPolicy p) {
  switch (p) {
    case predictor::SelectPolicy::kMin:
      return "Min";
    case predictor::SelectPolicy::kDisabled:
      return "Disabled";
    case predictor::SelectPolicy::kMax:
      break;
  }
  return "Max";
}

// A tolerance in [0, 1] as a decimal quantity ("0.05"): resource.Quantity is a string in the
// API, and six decimals are finer than any tolerance worth setting.
std::string quantityOf(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// One direction of autoscaling/v2 behavior. What the spec left unset is left to the HPA's
// defaults: no policies means the operator's unlimited scale-up, which the HPA cannot express
// (it requires at least one policy), so the HPA keeps its own. The tolerance field exists in
// autoscaling/v2 since Kubernetes 1.33 (beta and on by default from 1.35; the project runs
// 1.36), and is sent only when set, so a cluster without the field still takes the manifest.
nlohmann::json hpaRules(const predictor::ScalingRules& rules, bool windowSet, const std::optional<double>& tolerance) {
  nlohmann::json out = {{"selectPolicy", selectPolicyName(rules.select)}};
  if (windowSet) out["stabilizationWindowSeconds"] = rules.stabilizationSeconds;
  if (tolerance) out["tolerance"] = quantityOf(*tolerance);
  if (!rules.policies.empty()) {
    auto& policies = out["policies"] = nlohmann::json::array();
    for (const auto& p : rules.policies) {
      policies.push_back({{"type", p.type == predictor::ScalingPolicy::Type::kPods ? "Pods" : "Percent"},
                          {"value", p.value},
                          {"periodSeconds", p.periodSeconds}});
    }
  }
  return out;
}

// Without a scale-down window in the spec the HPA keeps its 300 s, the operator's own choice
// while it follows measured demand, which is all the HPA sees.
nlohmann::json hpaBehavior(const ServiceSpec& spec) {
  return {{"scaleUp", hpaRules(spec.behavior.scaleUp, true, spec.scaleUpTolerance)},
          {"scaleDown", hpaRules(spec.behavior.scaleDown, spec.scaleDownWindowSet, spec.scaleDownTolerance)}};
}

}  // namespace

std::string hpaNameFor(std::string_view serviceName) { return "tso-" + std::string(serviceName); }

nlohmann::json hpaManifest(const kube::Object& service, const ServiceSpec& spec, int floor) {
  nlohmann::json hpa = {
      {"apiVersion", "autoscaling/v2"},
      {"kind", "HorizontalPodAutoscaler"},
      {"metadata",
       {{"name", hpaNameFor(service.meta.name)},
        {"namespace", service.meta.ns},
        {"labels", {{"app.kubernetes.io/managed-by", "throughput-operator"}}},
        {"ownerReferences", nlohmann::json::array({{{"apiVersion", kube::kThroughputServices.apiVersion()},
                                                    {"kind", kube::kThroughputServices.kind},
                                                    {"name", service.meta.name},
                                                    {"uid", service.meta.uid},
                                                    {"controller", true},
                                                    {"blockOwnerDeletion", true}}})}}},
      {"spec",
       {{"scaleTargetRef",
         {{"apiVersion", spec.target.apiVersion}, {"kind", spec.target.kind}, {"name", spec.target.name}}},
        {"minReplicas", std::max(1, std::min(floor, spec.maxReplicas))},
        {"maxReplicas", spec.maxReplicas},
        {"behavior", hpaBehavior(spec)}}}};
  auto metrics = nlohmann::json::parse(spec.hpaMetricsJson, nullptr, false);
  if (metrics.is_array() && !metrics.empty()) hpa["spec"]["metrics"] = metrics;
  return hpa;
}

Result<Executor::TargetState> Executor::readTarget(const std::string& ns, const TargetRef& target) {
  kube::Api api(client_, workloadResource(target), ns);
  auto scale = api.getScale(target.name);
  if (!scale) return std::unexpected(scale.error());
  return TargetState{scale->specReplicas, scale->selector, std::nullopt};
}

Status Executor::scaleTarget(const std::string& ns, const TargetRef& target, int replicas) {
  kube::Api api(client_, workloadResource(target), ns);
  auto scaled = api.setScale(target.name, replicas);
  if (!scaled) return std::unexpected(scaled.error());
  return {};
}

Status Executor::applyHpa(const kube::Object& service, const ServiceSpec& spec, int floor) {
  kube::Api api(client_, kube::kHorizontalPodAutoscalers, service.meta.ns);
  kube::PatchParams params;
  params.force = true;  // the operator owns these fields
  auto applied = api.apply(hpaNameFor(service.meta.name), hpaManifest(service, spec, floor), params);
  if (!applied) return std::unexpected(applied.error());
  return {};
}

Status Executor::removeHpa(const std::string& ns, std::string_view serviceName) {
  kube::Api api(client_, kube::kHorizontalPodAutoscalers, ns);
  auto removed = api.remove(hpaNameFor(serviceName));
  if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
  return {};
}

Result<std::int64_t> Executor::applyCache(const std::string& ns, const CacheSpec& cache, std::int64_t bytes) {
  kube::Api api(client_, kube::kConfigMaps, ns);
  auto cm = api.get(cache.configMapName);
  if (!cm) return std::unexpected(cm.error());
  const std::string want = formatQuantityBytes(bytes);
  const auto& data = cm->body.contains("data") ? cm->body["data"] : nlohmann::json::object();
  if (data.is_object() && data.contains(cache.key) && data[cache.key].is_string() &&
      data[cache.key].get<std::string>() == want) {
    return bytes;
  }
  auto patched = api.patch(cache.configMapName, {{"data", {{cache.key, want}}}});
  if (!patched) return std::unexpected(patched.error());
  return bytes;
}

namespace {

// Keeps the newest `n` warm-ups by creation time (in no particular order).
void keepNewest(std::vector<PodWarmup>& w, std::size_t n) {
  if (w.size() <= n) return;
  auto newer = [](const PodWarmup& a, const PodWarmup& b) { return a.created > b.created; };
  std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(n), w.end(), newer);
  w.resize(n);
}

}  // namespace

Result<std::vector<std::int64_t>> Executor::podWarmups(const std::string& ns, const std::string& selector) {
  kube::Api api(client_, kube::kPods, ns);
  kube::ListParams params;
  params.labelSelector = selector;
  params.limit = kPodListPageSize;
  std::vector<PodWarmup> newest;
  // Page by page, trimmed as it goes, so a workload of thousands of pods costs one page of
  // memory; bounded like Api::listAll.
  for (int page = 0; page < 10'000; ++page) {
    auto pods = api.list(params);
    if (!pods) return std::unexpected(pods.error());
    for (const auto& pod : pods->items) {
      if (auto w = podWarmup(pod.body)) newest.push_back(*w);
    }
    if (newest.size() >= 2 * kMaxWarmupPods) keepNewest(newest, kMaxWarmupPods);
    if (pods->continueToken.empty()) break;
    params.continueToken = pods->continueToken;
  }
  keepNewest(newest, kMaxWarmupPods);
  std::vector<std::int64_t> out;
  out.reserve(newest.size());
  for (const auto& w : newest) out.push_back(w.seconds);
  return out;
}

Status Executor::writeStatus(const kube::Object& service, const nlohmann::json& status) {
  kube::Api api(client_, kube::kThroughputServices, service.meta.ns);
  auto patched = api.patch(service.meta.name, {{"status", status}}, {}, "status");
  if (!patched) return std::unexpected(patched.error());
  return {};
}

void ApiEventSink::record(const kube::Object& regarding, std::string_view type, std::string_view reason,
                          std::string_view message) {
  kube::ObjectReference ref{kube::kThroughputServices.apiVersion(), std::string(kube::kThroughputServices.kind),
                            regarding.meta.ns, regarding.meta.name, regarding.meta.uid};
  // Best effort: an Event lost is not worth failing a reconcile.
  (void)recorder_.record(ref, type == "Warning" ? kube::EventType::kWarning : kube::EventType::kNormal,
                         std::string(reason), std::string(message));
}

}  // namespace tso::reconcile

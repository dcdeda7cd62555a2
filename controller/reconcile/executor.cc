#include "controller/reconcile/executor.h"

#include "controller/kube/resource.h"
#include "controller/reconcile/lead_time.h"
#include "controller/reconcile/units.h"

namespace tso::reconcile {

namespace {

const kube::Resource& workloadResource(const TargetRef& target) {
  return target.kind == "StatefulSet" ? kube::kStatefulSets : kube::kDeployments;
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
        {"maxReplicas", spec.maxReplicas}}}};
  auto metrics = nlohmann::json::parse(spec.hpaMetricsJson, nullptr, false);
  if (metrics.is_array() && !metrics.empty()) hpa["spec"]["metrics"] = metrics;
  return hpa;
}

Result<Executor::TargetState> Executor::readTarget(const std::string& ns, const TargetRef& target) {
  kube::Api api(client_, workloadResource(target), ns);
  auto scale = api.getScale(target.name);
  if (!scale) return std::unexpected(scale.error());
  return TargetState{scale->specReplicas, scale->selector};
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

Result<std::vector<std::int64_t>> Executor::podWarmups(const std::string& ns, const std::string& selector) {
  kube::Api api(client_, kube::kPods, ns);
  kube::ListParams params;
  params.labelSelector = selector;
  params.limit = 200;  // the newest few hundred pods are plenty for a p95
  auto pods = api.list(params);
  if (!pods) return std::unexpected(pods.error());
  std::vector<std::int64_t> out;
  for (const auto& pod : pods->items) {
    if (auto w = podWarmupSeconds(pod.body)) out.push_back(*w);
  }
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

// Descriptors of the API resources the operator uses (group, version, plural, kind), from
// which request paths are built. Adding a kind is one constant here.
#pragma once

#include <string>
#include <string_view>

namespace tso::kube {

struct Resource {
  std::string_view group;  // empty for the core group
  std::string_view version;
  std::string_view plural;
  std::string_view kind;
  bool namespaced = true;

  // "v1" or "apps/v1": the apiVersion field of objects of this resource.
  [[nodiscard]] std::string apiVersion() const {
    return group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  }
};

inline constexpr Resource kThroughputServices{"throughput.dev", "v1alpha1", "throughputservices", "ThroughputService",
                                              true};
inline constexpr Resource kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline constexpr Resource kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet", true};
inline constexpr Resource kHorizontalPodAutoscalers{"autoscaling", "v2", "horizontalpodautoscalers",
                                                    "HorizontalPodAutoscaler", true};
inline constexpr Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline constexpr Resource kEvents{"", "v1", "events", "Event", true};
inline constexpr Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline constexpr Resource kPods{"", "v1", "pods", "Pod", true};
inline constexpr Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};

}  // namespace tso::kube

// The executor: the only part of reconcile that writes to the API server. It reads the target's
// scale, scales it through /scale or owns an HPA whose floor is the plan, writes the cache size
// into a ConfigMap key, records Events, and writes the ThroughputService status (last).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/kube/api.h"
#include "controller/kube/client.h"
#include "controller/kube/event_recorder.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

// Where Events go (core/v1 Events in the cluster; a recorder in tests).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void record(const kube::Object& regarding, std::string_view type, std::string_view reason,
                      std::string_view message) = 0;
};

// Pods whose warm-up the lead time is measured on: the newest few hundred are plenty for a
// p95 and reflect the workload's recent start-ups.
inline constexpr std::size_t kMaxWarmupPods = 200;
inline constexpr int kPodListPageSize = 500;

// Name of the HPA a ThroughputService owns.
std::string hpaNameFor(std::string_view serviceName);

// The HPA (autoscaling/v2) a ThroughputService owns: target, floor, ceiling, metrics, the
// spec's behavior (so the HPA's own scaling keeps the same rules), and an ownerReference so
// deleting the ThroughputService deletes it (and never the workload).
nlohmann::json hpaManifest(const kube::Object& service, const ServiceSpec& spec, int floor);

class Executor {
 public:
  explicit Executor(kube::Client& client) : client_(client) {}

  struct TargetState {
    int replicas = 0;  // spec.replicas (what the workload is asked to run)
    std::string selector;
    // status.readyReplicas, from the workload cache; empty through /scale, which has no ready count.
    std::optional<int> readyReplicas;
  };
  Result<TargetState> readTarget(const std::string& ns, const TargetRef& target);
  Status scaleTarget(const std::string& ns, const TargetRef& target, int replicas);

  // Creates or updates the owned HPA (server-side apply); returns its current minReplicas.
  Status applyHpa(const kube::Object& service, const ServiceSpec& spec, int floor);
  // Deletes the owned HPA if it exists (hpa.enabled switched off).
  Status removeHpa(const std::string& ns, std::string_view serviceName);

  // Writes `bytes` as a quantity into the ConfigMap key when it differs; returns the bytes
  // the key now holds.
  Result<std::int64_t> applyCache(const std::string& ns, const CacheSpec& cache, std::int64_t bytes);

  // Warm-up (creation to Ready, seconds) of the newest kMaxWarmupPods Ready pods matching
  // `selector`, by creation time: the list is paged through, since the API returns pods in
  // name order, not by age.
  Result<std::vector<std::int64_t>> podWarmups(const std::string& ns, const std::string& selector);

  // Merge-patches the status subresource.
  Status writeStatus(const kube::Object& service, const nlohmann::json& status);

 private:
  kube::Client& client_;
};

// Events through the client's EventRecorder (repeats aggregate into a count).
class ApiEventSink : public EventSink {
 public:
  explicit ApiEventSink(kube::EventRecorder& recorder) : recorder_(recorder) {}
  void record(const kube::Object& regarding, std::string_view type, std::string_view reason,
              std::string_view message) override;

 private:
  kube::EventRecorder& recorder_;
};

}  // namespace tso::reconcile

#include "controller/runtime/manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/common/signals.h"
#include "controller/kube/client.h"
#include "controller/kube/event_recorder.h"
#include "controller/kube/resource.h"
#include "controller/leader/leader_election.h"
#include "controller/queue/rate_limiter.h"
#include "controller/queue/work_queue.h"
#include "controller/reconcile/reconciler.h"
#include "controller/runtime/dashboard.h"
#include "controller/runtime/http_server.h"
#include "controller/runtime/metrics.h"
#include "controller/runtime/services_json.h"
#include "controller/watch/informer.h"

namespace tso::runtime {

namespace {

// Events carrying a ThroughputService key straight into the queue.
void enqueueOn(watch::Informer& informer, queue::WorkQueue& q) {
  auto add = [&q](const watch::ObjectPtr& obj) { q.add(obj->key()); };
  informer.onApply(add);
  informer.onDelete(add);
}

// The index of the services' store: "namespace/Kind/name" of the workload a service targets.
std::vector<std::string> targetIndex(const kube::Object& svc) {
  const auto& spec = svc.body.value("spec", nlohmann::json::object());
  const auto& ref = spec.value("targetRef", nlohmann::json::object());
  if (!ref.is_object()) return {};
  const auto name = ref.value("name", nlohmann::json());
  const auto kind = ref.value("kind", nlohmann::json("Deployment"));
  if (!name.is_string() || !kind.is_string()) return {};
  return {svc.meta.ns + "/" + kind.get<std::string>() + "/" + name.get<std::string>()};
}

// Changes to a Deployment or StatefulSet map to the ThroughputServices that target it, so a
// manual scale or a rollout is seen at once rather than at the next step.
void enqueueTargeting(watch::Informer& informer, const watch::Store& services, std::string_view kind,
                      queue::WorkQueue& q) {
  auto add = [&services, &q, kind = std::string(kind)](const watch::ObjectPtr& obj) {
    for (const auto& key : services.keysByIndex(obj->meta.ns + "/" + kind + "/" + obj->meta.name)) q.add(key);
  };
  informer.onApply(add);
  informer.onDelete(add);
}

// Replicas and label selector of a cached Deployment/StatefulSet, as /scale reports them;
// empty when the selector uses matchExpressions (then /scale is asked).
std::optional<reconcile::Executor::TargetState> workloadState(const kube::Object& obj) {
  const auto& spec = obj.body.value("spec", nlohmann::json::object());
  const auto& selector = spec.value("selector", nlohmann::json::object());
  if (selector.contains("matchExpressions")) return std::nullopt;
  std::string labels;
  const auto matchLabels = selector.value("matchLabels", nlohmann::json::object());
  if (!matchLabels.is_object()) return std::nullopt;
  for (const auto& [k, v] : matchLabels.items()) {
    if (!v.is_string()) return std::nullopt;
    if (!labels.empty()) labels += ",";
    labels += k + "=" + v.get<std::string>();
  }
  const auto replicas = spec.value("replicas", nlohmann::json(1));
  if (!replicas.is_number_integer()) return std::nullopt;
  return reconcile::Executor::TargetState{replicas.get<int>(), labels};
}

// Changes to owned HPAs map to their owner's key.
void enqueueOwner(watch::Informer& informer, queue::WorkQueue& q) {
  auto add = [&q](const watch::ObjectPtr& obj) {
    const auto& refs = obj->body["metadata"].value("ownerReferences", nlohmann::json::array());
    for (const auto& r : refs) {
      if (r.value("kind", std::string()) == kube::kThroughputServices.kind) {
        q.add(obj->meta.ns + "/" + r.value("name", std::string()));
      }
    }
  };
  informer.onApply(add);
  informer.onDelete(add);
}

}  // namespace

int runManager(const ManagerOptions& options, std::atomic<bool>* externalStop) {
  std::mutex stopMu;
  std::condition_variable stopCv;
  bool stopping = false;
  // Constructed before any other thread so SIGTERM/SIGINT reach only the watcher.
  SignalWatcher signals([&](int sig) {
    spdlog::info("received signal {}: stopping intake, draining in-flight reconciles", sig);
    std::lock_guard lock(stopMu);
    stopping = true;
    stopCv.notify_all();
  });

  auto client = kube::Client::connect(options.kube);
  if (!client) {
    spdlog::error("cannot create the Kubernetes client: {}", client.error().toString());
    return 2;
  }

  std::vector<std::string> namespaces = options.namespaces;
  if (namespaces.empty()) namespaces.emplace_back();  // all namespaces
  std::vector<std::unique_ptr<watch::Informer>> serviceInformers;
  std::vector<std::unique_ptr<watch::Informer>> hpaInformers;
  std::vector<std::unique_ptr<watch::Informer>> workloadInformers;
  queue::WorkQueue workQueue(realClock(), queue::defaultControllerRateLimiter());

  // One informer (and cache) per watched namespace; each has its reconciler.
  for (const auto& ns : namespaces) {
    // The cache keeps what reconciling reads: the spec and the conditions (for their transition
    // times). The rest of the status is rebuilt every step, and dropping it (the 48-point
    // forecast above all) keeps 2,000 cached services within the memory budget.
    watch::WatcherConfig serviceConfig;
    serviceConfig.transform = [](kube::Object& obj) {
      kube::stripManagedFields(obj);
      if (!obj.body.is_object() || !obj.body.contains("status")) return;
      nlohmann::json& status = obj.body["status"];
      if (!status.is_object()) return;
      nlohmann::json kept = nlohmann::json::object();
      for (const char* key : {"conditions", "lastScaleTime"}) {
        auto it = status.find(key);
        if (it != status.end()) kept[key] = std::move(*it);
      }
      status = std::move(kept);
    };
    serviceInformers.push_back(
        std::make_unique<watch::Informer>(kube::Api(**client, kube::kThroughputServices, ns), serviceConfig));
    serviceInformers.back()->setIndex(targetIndex);
    enqueueOn(*serviceInformers.back(), workQueue);
    watch::WatcherConfig hpaConfig;
    hpaConfig.labelSelector = "app.kubernetes.io/managed-by=throughput-operator";
    hpaInformers.push_back(
        std::make_unique<watch::Informer>(kube::Api(**client, kube::kHorizontalPodAutoscalers, ns), hpaConfig));
    enqueueOwner(*hpaInformers.back(), workQueue);
    for (const auto* resource : {&kube::kDeployments, &kube::kStatefulSets}) {
      workloadInformers.push_back(std::make_unique<watch::Informer>(kube::Api(**client, *resource, ns)));
      enqueueTargeting(*workloadInformers.back(), serviceInformers.back()->store(), resource->kind, workQueue);
    }
  }

  kube::EventRecorder recorder(**client, "throughput-operator");
  reconcile::ApiEventSink events(recorder);
  std::unique_ptr<Metrics> metricsPtr;  // created below; queries report into it
  reconcile::ReconcilerOptions ropts;
  ropts.defaultPrometheusAddress = options.prometheusAddress;
  ropts.targetLookup = [&](const std::string& ns,
                           const reconcile::TargetRef& target) -> std::optional<reconcile::Executor::TargetState> {
    const std::size_t kindIndex = target.kind == "StatefulSet" ? 1 : 0;
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
      if (!namespaces[i].empty() && namespaces[i] != ns) continue;
      const auto& store = workloadInformers[i * 2 + kindIndex]->store();
      if (!store.ready()) return std::nullopt;
      const auto obj = store.get(ns + "/" + target.name);
      if (!obj) return std::nullopt;  // maybe not in the cache yet: /scale will tell
      return workloadState(*obj);
    }
    return std::nullopt;
  };
  ropts.onQuery = [&metricsPtr](double seconds, const std::string& problem) {
    if (metricsPtr) metricsPtr->observeQuery(seconds, problem);
  };
  std::vector<std::unique_ptr<reconcile::Reconciler>> reconcilers;
  reconcilers.reserve(serviceInformers.size());
  for (const auto& inf : serviceInformers) {
    reconcilers.push_back(std::make_unique<reconcile::Reconciler>(**client, inf->store(), events, ropts));
  }
  auto reconcilerFor = [&](const std::string& key) -> reconcile::Reconciler& {
    if (reconcilers.size() == 1) return *reconcilers.front();
    const auto ns = key.substr(0, key.find('/'));
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
      if (namespaces[i] == ns) return *reconcilers[i];
    }
    return *reconcilers.front();
  };
  auto snapshots = [&](const reconcile::SnapshotFilter& filter) {
    std::vector<reconcile::ServiceSnapshot> all;
    for (const auto& r : reconcilers) {
      auto part = r->snapshot(filter);
      all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
  };

  metricsPtr = std::make_unique<Metrics>([&] { return snapshots({}); });
  Metrics& metrics = *metricsPtr;
  auto cachesReady = [&] {
    for (const auto& i : serviceInformers)
      if (!i->store().ready()) return false;
    return true;
  };
  auto server = HttpServer::start(options.metricsBindAddress,
                                  HttpRoutes{[&] {
                                               metrics.setQueueDepth(workQueue.len());
                                               std::size_t bytes = 0;
                                               for (const auto& r : reconcilers) bytes += r->modelBytes();
                                               metrics.setModelBytes(bytes);
                                               return metrics.serialize();
                                             },
                                             cachesReady,
                                             [&](std::string_view query) -> std::expected<std::string, std::string> {
                                               auto q = parseServicesQuery(query);
                                               if (!q) return std::unexpected(q.error());
                                               return servicesJson(snapshots({q->history, q->services}), q->history);
                                             },
                                             [] { return std::string(dashboardPage()); }});
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 2;
  }
  spdlog::info("serving /metrics, /healthz, /readyz and the dashboard on {} (port {})", options.metricsBindAddress,
               (*server)->port());

  for (auto& i : serviceInformers) i->start();
  for (auto& i : hpaInformers) i->start();
  for (auto& i : workloadInformers) i->start();
  for (auto& i : serviceInformers) {
    if (!i->store().waitUntilReady(std::chrono::seconds(60))) {
      spdlog::warn("the ThroughputService cache is not synced after 60 s; is the CRD installed?");
    }
  }

  auto handler = [&](const std::string& key) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto outcome = reconcilerFor(key).reconcile(key);
    metrics.observeReconcile(std::chrono::steady_clock::now() - t0, outcome.failed);
    if (outcome.failed) {
      spdlog::warn("reconcile {} failed (retrying with backoff): {}", key, outcome.error);
      return queue::HandlerResult::retry();
    }
    if (outcome.requeueAfter) return queue::HandlerResult::requeueAfter(*outcome.requeueAfter);
    return queue::HandlerResult::done();
  };
  std::mutex workersMu;
  std::unique_ptr<queue::WorkerPool> workers;
  auto startWorkers = [&] {
    std::lock_guard lock(workersMu);
    if (workers) return;
    metrics.setLeader(true);
    workers = std::make_unique<queue::WorkerPool>(workQueue, std::max(1, options.workers), handler);
    spdlog::info("reconciling ThroughputServices with {} workers", options.workers);
  };
  auto stopWorkers = [&] {
    std::lock_guard lock(workersMu);
    if (workers) workers->stop();  // shuts the queue down and drains in-flight reconciles
    workers.reset();
    metrics.setLeader(false);
  };

  int exitCode = 0;
  std::unique_ptr<leader::KubeLeaseLock> lease;
  std::unique_ptr<leader::LeaderElector> elector;
  std::thread electorThread;
  if (options.leaderElect) {
    std::string identity = options.identity;
    if (identity.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      identity = std::string(host) + "_" + std::to_string(getpid());
    }
    lease =
        std::make_unique<leader::KubeLeaseLock>(**client, options.leaderElectionNamespace, options.leaderElectionId);
    leader::ElectorConfig ec;
    ec.identity = identity;
    ec.onStartedLeading = [&] {
      spdlog::info("became leader ({} in Lease {}/{})", identity, options.leaderElectionNamespace,
                   options.leaderElectionId);
      startWorkers();
    };
    ec.onStoppedLeading = [&] {
      // As controller-runtime does: a replica that lost the lease stops its workers at once
      // and exits, so it can never act on a stale belief that it leads.
      std::lock_guard lock(stopMu);
      if (!stopping) {
        spdlog::error("lost the leader Lease; stopping workers and exiting");
        exitCode = 1;
        stopping = true;
        stopCv.notify_all();
      }
    };
    ec.onNewLeader = [](const std::string& who) { spdlog::info("the leader is {}", who); };
    elector = std::make_unique<leader::LeaderElector>(*lease, ec);
    electorThread = std::thread([&] { elector->run(); });
    spdlog::info("waiting for the leader Lease {}/{} as {}", options.leaderElectionNamespace, options.leaderElectionId,
                 identity);
  } else {
    startWorkers();
  }

  {
    std::unique_lock lock(stopMu);
    while (!stopping && !(externalStop != nullptr && externalStop->load())) {
      stopCv.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  stopWorkers();
  if (elector) {
    elector->stop();  // releases the Lease if we hold it, so another replica takes over at once
    electorThread.join();
  }
  for (auto& i : serviceInformers) i->stop();
  for (auto& i : hpaInformers) i->stop();
  for (auto& i : workloadInformers) i->stop();
  if (exitCode != 0) return exitCode;
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tso::runtime

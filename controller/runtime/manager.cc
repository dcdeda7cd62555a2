#include "controller/runtime/manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
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

// Ready pods of a cached Deployment/StatefulSet; the API omits readyReplicas while it is 0.
int readyReplicasOf(const kube::Object& obj) {
  const auto status = obj.body.find("status");
  if (status == obj.body.end() || !status->is_object()) return 0;
  const auto ready = status->find("readyReplicas");
  return ready != status->end() && ready->is_number_integer() ? ready->get<int>() : 0;
}

// Replicas and label selector of a cached Deployment/StatefulSet, as /scale reports them, and
// its ready pods; empty when the selector uses matchExpressions (then /scale is asked).
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
  return reconcile::Executor::TargetState{replicas.get<int>(), labels, readyReplicasOf(obj)};
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

// How the manager is told to stop: a signal, a lost Lease, or the caller's flag.
class StopSignal {
 public:
  // True for the first trigger only.
  bool trigger(const char* why) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (why != nullptr) spdlog::error("{}", why);
    stopping_ = true;
    cv_.notify_all();
    return true;
  }
  void wait(const std::atomic<bool>* external) {
    std::unique_lock lock(mu_);
    while (!stopping_ && !(external != nullptr && external->load())) cv_.wait_for(lock, std::chrono::milliseconds(200));
    stopping_ = true;  // whoever asked, later triggers (the Lease released on the way out) are not news
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// The caches of every watched namespace: its services (each namespace has its reconciler), the
// owned HPAs and the workloads, all mapping their changes to ThroughputService keys.
struct Caches {
  std::vector<std::string> namespaces;  // "" = all
  std::vector<std::unique_ptr<watch::Informer>> services;
  std::vector<std::unique_ptr<watch::Informer>> hpas;
  std::vector<std::unique_ptr<watch::Informer>> workloads;  // Deployment, StatefulSet per namespace

  [[nodiscard]] bool servicesReady() const {
    return std::ranges::all_of(services, [](const auto& i) { return i->store().ready(); });
  }
  void start() {
    for (auto* group : {&services, &hpas, &workloads})
      for (auto& i : *group) i->start();
    for (auto& i : services) {
      if (!i->store().waitUntilReady(std::chrono::seconds(60)))
        spdlog::warn("the ThroughputService cache is not synced after 60 s; is the CRD installed?");
    }
  }
  void stop() {
    for (auto* group : {&services, &hpas, &workloads})
      for (auto& i : *group) i->stop();
  }
  // The target's replicas and selector from the workload cache; empty: ask /scale.
  [[nodiscard]] std::optional<reconcile::Executor::TargetState> target(const std::string& ns,
                                                                       const reconcile::TargetRef& ref) const {
    const std::size_t kindIndex = ref.kind == "StatefulSet" ? 1 : 0;
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
      if (!namespaces[i].empty() && namespaces[i] != ns) continue;
      const auto& store = workloads[i * 2 + kindIndex]->store();
      if (!store.ready()) return std::nullopt;
      const auto obj = store.get(ns + "/" + ref.name);
      if (!obj) return std::nullopt;  // maybe not in the cache yet: /scale will tell
      return workloadState(*obj);
    }
    return std::nullopt;
  }
};

// The cache keeps what reconciling reads: the spec, the conditions (for their transition
// times) and a Shadow service's promotion. The rest of the status is rebuilt every step, and dropping it (the 48-point
// forecast above all) keeps 2,000 cached services within the memory budget.
void keepSpecAndConditions(kube::Object& obj) {
  kube::stripManagedFields(obj);
  if (!obj.body.is_object() || !obj.body.contains("status")) return;
  nlohmann::json& status = obj.body["status"];
  if (!status.is_object()) return;
  nlohmann::json kept = nlohmann::json::object();
  for (const char* key : {"conditions", "lastScaleTime", "missBudget", "headroomByHour"}) {
    auto it = status.find(key);
    if (it != status.end()) kept[key] = std::move(*it);
  }
  // A promoted Shadow service stays promoted across a restart.
  if (auto shadow = status.find("shadow");
      shadow != status.end() && shadow->is_object() && shadow->contains("promotedAt")) {
    kept["shadow"] = {{"promotedAt", (*shadow)["promotedAt"]}};
  }
  status = std::move(kept);
}

Caches makeCaches(kube::Client& client, std::vector<std::string> namespaces, queue::WorkQueue& workQueue) {
  Caches c;
  c.namespaces = std::move(namespaces);
  if (c.namespaces.empty()) c.namespaces.emplace_back();  // all namespaces
  for (const auto& ns : c.namespaces) {
    watch::WatcherConfig serviceConfig;
    serviceConfig.transform = keepSpecAndConditions;
    c.services.push_back(
        std::make_unique<watch::Informer>(kube::Api(client, kube::kThroughputServices, ns), serviceConfig));
    c.services.back()->setIndex(targetIndex);
    enqueueOn(*c.services.back(), workQueue);
    watch::WatcherConfig hpaConfig;
    hpaConfig.labelSelector = "app.kubernetes.io/managed-by=throughput-operator";
    c.hpas.push_back(
        std::make_unique<watch::Informer>(kube::Api(client, kube::kHorizontalPodAutoscalers, ns), hpaConfig));
    enqueueOwner(*c.hpas.back(), workQueue);
    for (const auto* resource : {&kube::kDeployments, &kube::kStatefulSets}) {
      c.workloads.push_back(std::make_unique<watch::Informer>(kube::Api(client, *resource, ns)));
      enqueueTargeting(*c.workloads.back(), c.services.back()->store(), resource->kind, workQueue);
    }
  }
  return c;
}

// One reconciler per watched namespace, over that namespace's service cache.
class Reconcilers {
 public:
  Reconcilers(kube::Client& client, const Caches& caches, reconcile::EventSink& events,
              const reconcile::ReconcilerOptions& options)
      : namespaces_(caches.namespaces) {
    for (const auto& inf : caches.services)
      all_.push_back(std::make_unique<reconcile::Reconciler>(client, inf->store(), events, options));
  }
  reconcile::Reconciler& forKey(const std::string& key) {
    if (all_.size() == 1) return *all_.front();
    const auto ns = key.substr(0, key.find('/'));
    for (std::size_t i = 0; i < namespaces_.size(); ++i)
      if (namespaces_[i] == ns) return *all_[i];
    return *all_.front();
  }
  [[nodiscard]] std::vector<reconcile::ServiceSnapshot> snapshots(const reconcile::SnapshotFilter& filter) const {
    std::vector<reconcile::ServiceSnapshot> out;
    for (const auto& r : all_) {
      auto part = r->snapshot(filter);
      out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return out;
  }
  [[nodiscard]] std::size_t modelBytes() const {
    std::size_t bytes = 0;
    for (const auto& r : all_) bytes += r->modelBytes();
    return bytes;
  }

 private:
  std::vector<std::string> namespaces_;
  std::vector<std::unique_ptr<reconcile::Reconciler>> all_;
};

Result<std::unique_ptr<HttpServer>> serveHttp(const ManagerOptions& options, Metrics& metrics,
                                              queue::WorkQueue& workQueue, const Reconcilers& reconcilers,
                                              const Caches& caches) {
  HttpRoutes routes{[&] {
                      metrics.setQueueDepth(workQueue.len());
                      metrics.setModelBytes(reconcilers.modelBytes());
                      return metrics.serialize();
                    },
                    [&] { return caches.servicesReady(); },
                    [&](std::string_view query) -> Result<std::string> {
                      auto q = parseServicesQuery(query);
                      if (!q) return std::unexpected(q.error());
                      return servicesJson(reconcilers.snapshots({q->history, q->services}), q->history);
                    },
                    [] { return std::string(dashboardPage()); }};
  auto server = HttpServer::start(options.metricsBindAddress, std::move(routes));
  if (!server) return std::unexpected(server.error());
  spdlog::info("serving /metrics, /healthz, /readyz and the dashboard on {} (port {})", options.metricsBindAddress,
               (*server)->port());
  return std::move(*server);
}

// The reconcile workers, running only while this replica may act (it leads, or no election).
class Workers {
 public:
  Workers(queue::WorkQueue& q, int count, Metrics& metrics, Reconcilers& reconcilers)
      : queue_(q), count_(std::max(1, count)), metrics_(metrics), reconcilers_(reconcilers) {}
  void start() {
    std::lock_guard lock(mu_);
    if (pool_) return;
    metrics_.setLeader(true);
    pool_ = std::make_unique<queue::WorkerPool>(queue_, count_, [this](const std::string& key) { return handle(key); });
    spdlog::info("reconciling ThroughputServices with {} workers", count_);
  }
  void stop() {
    std::lock_guard lock(mu_);
    if (pool_) pool_->stop();  // shuts the queue down and drains in-flight reconciles
    pool_.reset();
    metrics_.setLeader(false);
  }

 private:
  queue::HandlerResult handle(const std::string& key) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto outcome = reconcilers_.forKey(key).reconcile(key);
    metrics_.observeReconcile(std::chrono::steady_clock::now() - t0, outcome.failed);
    if (outcome.failed) {
      spdlog::warn("reconcile {} failed (retrying with backoff): {}", key, outcome.error);
      return queue::HandlerResult::retry();
    }
    if (outcome.requeueAfter) return queue::HandlerResult::requeueAfter(*outcome.requeueAfter);
    return queue::HandlerResult::done();
  }

  queue::WorkQueue& queue_;
  int count_;
  Metrics& metrics_;
  Reconcilers& reconcilers_;
  std::mutex mu_;
  std::unique_ptr<queue::WorkerPool> pool_;
};

// Leader election over a Lease: workers run while this replica leads; losing the Lease stops them
// and the process (as controller-runtime does), so it never acts on a stale belief that it leads.
class Election {
 public:
  Election(kube::Client& client, const ManagerOptions& options, Workers& workers, StopSignal& stop, int& exitCode)
      : lease_(client, options.leaderElectionNamespace, options.leaderElectionId) {
    std::string identity = options.identity;
    if (identity.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      identity = std::string(host) + "_" + std::to_string(getpid());
    }
    leader::ElectorConfig ec;
    ec.identity = identity;
    ec.onStartedLeading = [&workers, &options, identity] {
      spdlog::info("became leader ({} in Lease {}/{})", identity, options.leaderElectionNamespace,
                   options.leaderElectionId);
      workers.start();
    };
    ec.onStoppedLeading = [&stop, &exitCode] {
      // Releasing the Lease on a requested stop is not a loss.
      if (stop.trigger("lost the leader Lease; stopping workers and exiting")) exitCode = 1;
    };
    ec.onNewLeader = [](const std::string& who) { spdlog::info("the leader is {}", who); };
    elector_ = std::make_unique<leader::LeaderElector>(lease_, ec);
    thread_ = std::thread([this] { elector_->run(); });
    spdlog::info("waiting for the leader Lease {}/{} as {}", options.leaderElectionNamespace, options.leaderElectionId,
                 identity);
  }
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;
  ~Election() {
    elector_->stop();  // releases the Lease if held, so another replica takes over at once
    thread_.join();
  }

 private:
  leader::KubeLeaseLock lease_;
  std::unique_ptr<leader::LeaderElector> elector_;
  std::thread thread_;
};

}  // namespace

int runManager(const ManagerOptions& options, std::atomic<bool>* externalStop) {
  StopSignal stop;
  // Constructed before any other thread so SIGTERM/SIGINT reach only the watcher.
  SignalWatcher signals([&](int sig) {
    spdlog::info("received signal {}: stopping intake, draining in-flight reconciles", sig);
    (void)stop.trigger(nullptr);
  });
  auto client = kube::Client::connect(options.kube);
  if (!client) {
    spdlog::error("cannot create the Kubernetes client: {}", client.error().toString());
    return 2;
  }
  queue::WorkQueue workQueue(realClock(), queue::defaultControllerRateLimiter());
  Caches caches = makeCaches(**client, options.namespaces, workQueue);

  kube::EventRecorder recorder(**client, "throughput-operator");
  reconcile::ApiEventSink events(recorder);
  std::unique_ptr<Metrics> metricsPtr;  // created below; queries report into it
  reconcile::ReconcilerOptions ropts;
  ropts.defaultPrometheusAddress = options.prometheusAddress;
  ropts.targetLookup = [&caches](const std::string& ns, const reconcile::TargetRef& ref) {
    return caches.target(ns, ref);
  };
  ropts.onQuery = [&metricsPtr](double seconds, const std::string& problem) {
    if (metricsPtr) metricsPtr->observeQuery(seconds, problem);
  };
  Reconcilers reconcilers(**client, caches, events, ropts);
  metricsPtr = std::make_unique<Metrics>([&] { return reconcilers.snapshots({}); });
  auto server = serveHttp(options, *metricsPtr, workQueue, reconcilers, caches);
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 2;
  }

  caches.start();
  Workers workers(workQueue, options.workers, *metricsPtr, reconcilers);
  int exitCode = 0;
  {
    std::optional<Election> election;
    if (options.leaderElect)
      election.emplace(**client, options, workers, stop, exitCode);
    else
      workers.start();
    stop.wait(externalStop);
    workers.stop();
  }  // the election ends here: the Lease is released after the workers stopped
  caches.stop();
  if (exitCode != 0) return exitCode;
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tso::runtime

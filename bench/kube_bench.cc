// Figures for the Kubernetes runtime (issue 4), one "what: figure" line each (bench/write_benchmarks.sh
// splits them at the last ": " into a table); prints, asserts nothing:
//  1. RSS of a store holding 2,000 ThroughputService-sized objects (in process);
//  2. watch events decoded and applied per second (framing + JSON + store + handler);
//  3. list of 2,000 objects end to end against $KUBECONFIG's cluster (skipped without one).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/api.h"
#include "controller/kube/config.h"
#include "controller/watch/informer.h"

namespace {

using Clock = std::chrono::steady_clock;

long rssKiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// A ThroughputService as the operator will see it: spec with target, capacity, policy,
// schedule, status with conditions and a recommendation.
nlohmann::json throughputService(int i) {
  std::string name = "svc-" + std::to_string(i);
  return nlohmann::json::parse(R"j({
    "apiVersion": "throughput.dev/v1alpha1", "kind": "ThroughputService",
    "metadata": {"name": ")j" + name +
                               R"j(", "namespace": "team-)j" + std::to_string(i % 20) + R"j(",
      "uid": "3f1b1c52-0d7e-4c55-9b0a-)j" +
                               std::to_string(100000000000 + i) + R"j(",
      "resourceVersion": ")j" + std::to_string(1000 + i) +
                               R"j(", "generation": 4,
      "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"app": ")j" +
                               name + R"j(", "tier": "web"},
      "annotations": {"throughput.dev/owner": "platform-team"},
      "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "throughput.dev/v1alpha1",
        "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {"f:targetRef": {}, "f:capacity": {}, "f:policy": {}, "f:metric": {}}}}]},
    "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": ")j" +
                               name + R"j("},
      "metric": {"query": "sum(rate(http_requests_total{service=\")j" +
                               name + R"j(\"}[1m]))", "step": "30s"},
      "capacity": {"perReplica": 120, "targetUtilization": 0.7},
      "replicas": {"min": 2, "max": 50},
      "policy": {"mode": "Predictive", "leadTime": "5m", "quantile": 0.9, "scaleDownStabilization": "10m"},
      "schedule": [{"name": "business-hours", "cron": "0 8 * * 1-5", "duration": "10h", "minReplicas": 6}]},
    "status": {"observedGeneration": 4, "replicas": 8, "desiredReplicas": 9, "predictedDemand": 950.5,
      "actualDemand": 870.25, "lastScaleTime": "2025-01-01T10:00:00Z",
      "recommendation": {"reactive": 8, "predicted": 9, "scheduled": 6, "final": 9, "winner": "predicted"},
      "conditions": [
        {"type": "Ready", "status": "True", "reason": "Reconciled", "message": "scaled to 9", "lastTransitionTime": "2025-01-01T10:00:00Z"},
        {"type": "ForecastHealthy", "status": "True", "reason": "EnoughHistory", "message": "7d of history", "lastTransitionTime": "2025-01-01T09:00:00Z"},
        {"type": "Fallback", "status": "False", "reason": "PrometheusReachable", "message": "", "lastTransitionTime": "2025-01-01T09:00:00Z"}]}})j");
}

void storeRss() {
  constexpr int kObjects = 2000;
  std::vector<std::string> wire;
  wire.reserve(kObjects);
  size_t bytes = 0;
  for (int i = 0; i < kObjects; ++i) {
    wire.push_back(throughputService(i).dump());
    bytes += wire.back().size();
  }
  long before = rssKiB();
  tso::watch::Store store;
  std::unordered_map<std::string, tso::watch::ObjectPtr> objects;
  for (const auto& text : wire) {
    auto obj = tso::kube::parseObject(text);
    if (!obj) continue;
    tso::kube::stripManagedFields(*obj);
    std::string key = obj->key();
    objects[key] = std::make_shared<const tso::kube::Object>(std::move(*obj));
  }
  store.replace(std::move(objects));
  long after = rssKiB();
  std::printf(
      "store: %zu ThroughputServices (%.0f bytes of JSON each): RSS +%.1f MiB (%.1f KiB/object), process RSS %.1f "
      "MiB\n",
      store.size(), static_cast<double>(bytes) / kObjects, (after - before) / 1024.0,
      static_cast<double>(after - before) / static_cast<double>(store.size()), after / 1024.0);
}

void watchThroughput() {
  constexpr int kEvents = 100000;
  std::string stream;
  for (int i = 0; i < kEvents; ++i) {
    auto obj = throughputService(i % 2000);
    obj["metadata"]["resourceVersion"] = std::to_string(10000 + i);
    stream += nlohmann::json{{"type", "MODIFIED"}, {"object", obj}}.dump();
    stream += '\n';
  }
  // The informer's reflector path without a network: framing, decoding, transform, store,
  // and one handler (what a controller does: enqueue the key).
  tso::kube::Config cfg;
  tso::kube::Client unused(nullptr, cfg);
  tso::watch::Informer informer(tso::kube::Api(unused, tso::kube::kThroughputServices, ""));
  size_t handled = 0;
  informer.onApply([&](const tso::watch::ObjectPtr&) { ++handled; });
  tso::kube::LineFramer framer;
  auto start = Clock::now();
  constexpr size_t kChunk = 16 * 1024;
  for (size_t off = 0; off < stream.size(); off += kChunk) {
    (void)framer.feed(std::string_view(stream).substr(off, kChunk), [&](std::string_view line) {
      auto ev = tso::kube::parseWatchEvent(line);
      if (!ev) return true;
      tso::kube::stripManagedFields(ev->object);
      informer.handle(tso::watch::Event{tso::watch::EventType::kApply,
                                        std::make_shared<const tso::kube::Object>(std::move(ev->object))});
      return true;
    });
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("watch: %zu events (%.0f bytes each) decoded and applied in %.2f s: %.0f events/s\n", handled,
              static_cast<double>(stream.size()) / kEvents, secs, static_cast<double>(handled) / secs);
}

void listEndToEnd() {
  auto cfg = tso::kube::loadConfig({});
  if (std::getenv("KUBECONFIG") == nullptr || !cfg) {
    std::printf("list: skipped: no KUBECONFIG\n");
    return;
  }
  cfg->qps = 0;
  auto client = tso::kube::Client::connect(*cfg);
  if (!client) {
    std::printf("list: skipped: %s\n", client.error().toString().c_str());
    return;
  }
  std::string ns = "tso-bench-" + std::to_string(::getpid());
  tso::kube::Api namespaces(**client, tso::kube::kNamespaces, "");
  if (!namespaces.create({{"metadata", {{"name", ns}}}})) {
    std::printf("list: skipped: cannot create namespace %s\n", ns.c_str());
    return;
  }
  // ConfigMaps carrying a ThroughputService-sized payload (the CRD may not be installed).
  constexpr int kObjects = 2000;
  auto createStart = Clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      tso::kube::Api api(**client, tso::kube::kConfigMaps, ns);
      for (int i = t; i < kObjects; i += 4) {
        (void)api.create(
            {{"metadata", {{"name", "tps-" + std::to_string(i)}}},
             {"data",
              {{"spec", throughputService(i)["spec"].dump()}, {"status", throughputService(i)["status"].dump()}}}});
      }
    });
  }
  for (auto& w : writers) w.join();
  double createSecs = std::chrono::duration<double>(Clock::now() - createStart).count();
  tso::kube::Api api(**client, tso::kube::kConfigMaps, ns);
  for (int pageSize : {500, 2000}) {
    auto start = Clock::now();
    auto all = api.listAll({}, pageSize);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::printf("list: %zu objects in pages of %d end to end (HTTPS, decode): %.0f ms\n", all ? all->items.size() : 0,
                pageSize, ms);
  }
  std::printf("list: %d ConfigMaps created by 4 writers: %.1f s (%.0f creates/s)\n", kObjects, createSecs,
              kObjects / createSecs);
  (void)namespaces.remove(ns);
}

}  // namespace

int main() {
  storeRss();
  watchThroughput();
  listEndToEnd();
  return 0;
}

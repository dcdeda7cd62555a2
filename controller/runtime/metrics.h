// The operator's Prometheus metrics: per-ThroughputService gauges written as exposition text
// from the reconciler's snapshot at scrape time (so a deleted service leaves no stale series),
// and controller counters/histograms (a prometheus-cpp registry) for reconciles, the work queue
// and Prometheus queries.
// Every name here is what the chart's alerts and the Grafana dashboard query.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/reconcile/reconciler.h"

namespace tso::runtime {

// Appends the per-ThroughputService gauges of `snaps` in the Prometheus text format (0.0.4).
void appendServiceSeries(std::string& out, const std::vector<reconcile::ServiceSnapshot>& snaps);

class Metrics {
 public:
  using SnapshotFn = std::function<std::vector<reconcile::ServiceSnapshot>()>;
  explicit Metrics(SnapshotFn snapshots);

  void observeReconcile(std::chrono::duration<double> took, bool failed);
  void setQueueDepth(std::size_t depth);
  void setModelBytes(std::size_t bytes);
  void setLeader(bool leader);
  // One Prometheus query: its duration, and the problem reason when it failed.
  void observeQuery(double seconds, const std::string& problem);

  // The text exposition of every metric: the registry's, then the per-service series.
  [[nodiscard]] std::string serialize() const;
  [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  SnapshotFn snapshots_;
  prometheus::Counter* reconcileOk_;
  prometheus::Counter* reconcileErr_;
  prometheus::Counter* reconcileErrors_;
  prometheus::Histogram* reconcileDuration_;
  prometheus::Gauge* queueDepth_;
  prometheus::Gauge* modelBytes_;
  prometheus::Gauge* leader_;
  prometheus::Histogram* queryDuration_;
  prometheus::Family<prometheus::Counter>* queryErrors_;
};

}  // namespace tso::runtime

// The reconciler: level-based glue for one ThroughputService key ("namespace/name"). It reads
// the object from the informer cache, fetches only the new demand samples from Prometheus,
// keeps the model up to date (O(1) per sample, refit on a schedule from Prometheus' history),
// asks the pure planner what to do, has the executor do it, and writes the status last.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/clock.h"
#include "controller/kube/client.h"
#include "controller/prom/client.h"
#include "controller/reconcile/executor.h"
#include "controller/watch/store.h"

namespace tso::reconcile {

struct ReconcilerOptions {
  std::string defaultPrometheusAddress;  // --prometheus-address
  std::int64_t refitSeconds = 0;         // full refit this often; 0: refitIntervalSeconds(spec)
  // Demand kept per service: the dashboards' window, the actuals that score forecasts, and the
  // new samples the model consumes between reconciles. A longer gap is bridged by a refit
  // from Prometheus, not by this buffer (each step kept costs 8 KB at 2,000 services).
  std::size_t recentSteps = 240;
  std::size_t dashboardSteps = 240;  // of recentSteps, what the dashboards show
  std::size_t accuracyWindow = 120;  // forecasts scored for status.accuracy
  // Reads the target's replicas and selector from a cache (the workload informers); empty
  // when the cache does not have it, and the reconciler asks the API's /scale instead.
  std::function<std::optional<Executor::TargetState>(const std::string& ns, const TargetRef& target)> targetLookup;
  // Called after each Prometheus query with its duration and the problem reason (empty on success).
  std::function<void(double seconds, const std::string& problem)> onQuery;
};

// The result contract of controller-runtime: done, requeue after a delay, or an error that the
// queue retries with backoff. Invalid specs are done (terminal) with the condition set.
struct Outcome {
  std::optional<std::chrono::milliseconds> requeueAfter;
  bool failed = false;
  std::string error;
};

// Recent past for charts, one entry per step from `start`: actual demand, what was forecast for
// that time (the chosen quantile, made a lead time ahead; NaN if none) and the desired replicas
// (-1 before this operator's first decision). Floats: this is kept for every service, and 2,000
// of them must fit the memory budget.
struct ServiceHistory {
  std::int64_t start = 0;
  std::vector<float> actual;
  std::vector<float> forecastForTime;
  std::vector<std::int32_t> desired;
};

// What metrics and the dashboard show of one service (copied out under a lock).
struct ServiceSnapshot {
  std::string ns;
  std::string name;
  std::string mode;
  bool valid = false;
  double demand = 0;
  bool hasDemand = false;
  std::array<double, 4> predictedPeak{};  // P50/P90/P95/P99 peak over the lead window
  bool hasForecast = false;
  double predictedDemand = 0;  // at the spec's quantile
  int reactive = 0;
  int predicted = 0;
  int scheduled = 0;
  int desired = 0;
  int current = 0;
  std::string winner;
  std::int64_t leadSeconds = 0;
  double wape = 0;
  double coverage = 0;
  std::size_t scored = 0;
  bool fallback = false;
  std::string model;
  std::int64_t step = 0;
  std::size_t modelBytes = 0;  // recent-demand buffer + forecaster state
  // Recent past for charts: only in a snapshot with history, built at that call from the service's
  // recent demand, scored forecasts and desired-replica changes (null before the first sample).
  // Keeping it built between requests cost ~3 KB a service.
  std::shared_ptr<const ServiceHistory> history;
};

// Which services a snapshot covers, and whether it builds their chart history.
struct SnapshotFilter {
  bool history = false;
  std::vector<std::string> keys;  // "namespace/name"; empty = every service
};

class Reconciler {
 public:
  Reconciler(kube::Client& client, const watch::Store& services, EventSink& events, ReconcilerOptions options,
             Clock& clock = realClock());
  ~Reconciler();

  Outcome reconcile(const std::string& key);

  // What metrics and dashboards show of the services the filter names (every one by default),
  // in key order; filter.history adds the charts' recent past. Unknown keys are left out.
  [[nodiscard]] std::vector<ServiceSnapshot> snapshot(const SnapshotFilter& filter = {}) const;
  [[nodiscard]] std::size_t modelBytes() const;

 private:
  struct State;
  State& stateFor(const std::string& key, const std::string& uid);
  [[nodiscard]] std::shared_ptr<const ServiceHistory> historyOf(const State& st, std::int64_t step) const;
  std::expected<std::shared_ptr<prom::Client>, prom::QueryError> promFor(const std::string& address,
                                                                         std::int64_t timeoutMs);

  const watch::Store& services_;
  EventSink& events_;
  Executor executor_;
  ReconcilerOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;  // guards states_ (the map); one worker per key guards each State
  std::map<std::string, std::unique_ptr<State>> states_;
  std::map<std::string, std::shared_ptr<prom::Client>> promClients_;  // by address and timeout
};

}  // namespace tso::reconcile

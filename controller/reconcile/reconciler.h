// The reconciler: level-based glue for one ThroughputService key ("namespace/name"), a pipeline
// of stages each in its own file: spec (spec.h) -> target and lead time (target.h) -> demand
// and model (demand.h) -> forecast -> decision (planner.h, pure) -> actions (actions.h) ->
// status (status_builder.h, pure) -> write, then the snapshot metrics read (snapshot.h).
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
#include "controller/reconcile/snapshot.h"
#include "controller/reconcile/status_builder.h"
#include "controller/reconcile/target.h"
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
  TargetLookup targetLookup;
  // Makes the client of a Prometheus address (prom::Client::connect when empty; tests script it).
  std::function<Result<std::unique_ptr<prom::Client>>(const std::string& address, std::chrono::milliseconds timeout)>
      connectPrometheus;
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
  struct Sensed;
  State& stateFor(const std::string& key, const std::string& uid);
  void forget(const std::string& key);
  Result<std::shared_ptr<prom::Client>> promFor(const std::string& address, std::int64_t timeoutMs);
  Outcome rejectSpec(const kube::Object& obj, State& st, const std::string& message, const StatusFrame& frame);
  Sensed sense(State& st, const ServiceSpec& spec, int current, std::int64_t now, std::int64_t lead);
  void score(State& st, const ServiceSpec& spec, const ForecastView& view, std::int64_t lead);
  // Scores the forecasts now due into the accuracy gate and moves it (with its Events).
  void judgeForecast(const kube::Object& obj, State& st, const ServiceSpec& spec, const StatusFrame& frame,
                     std::int64_t now);
  // Shadow mode's accounting and promotion; the mode in force.
  // Shadow mode's window before the first reconcile, from Prometheus history (shadow_history.h).
  void readShadowHistory(State& st, const ServiceSpec& spec, const std::string& ns, std::int64_t lead,
                         std::int64_t now);
  [[nodiscard]] std::string addressOf(const ServiceSpec& spec) const;
  Mode runShadow(const kube::Object& obj, State& st, const ServiceSpec& spec, const ShadowStep& step,
                 const std::string& nowText, std::optional<ShadowReport>& report);
  predictor::Planner& plannerFor(State& st, const ServiceSpec& spec, bool forecastDriven);
  void recordTransitions(const kube::Object& obj, State& st, const Decision& d, const std::string& modelInUse);
  // Writes the status; on success runs `recorded` and returns `outcome`.
  Outcome writeThen(const kube::Object& obj, const nlohmann::json& status, Outcome outcome,
                    const std::function<void()>& recorded = {});
  void publish(State& st, const SnapshotInput& in, std::int64_t now);

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

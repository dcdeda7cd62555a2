#include "controller/runtime/metrics.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace tso::runtime {

namespace {

// A sample value as the text format writes it: the shortest decimal that reads back exactly.
void appendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
  } else {
    std::array<char, 32> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), r.ptr);
  }
}

// A label value, escaped as the text format requires (backslash, double quote, newline).
void appendLabelValue(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendHeader(std::string& out, const char* name, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" gauge\n");
}

// name{namespace="..",name=".."[,extra]} value
void appendSample(std::string& out, const char* name, const reconcile::ServiceSnapshot& s,
                  std::initializer_list<std::pair<const char*, const std::string*>> extra, double value) {
  out.append(name).append("{namespace=\"");
  appendLabelValue(out, s.ns);
  out.append("\",name=\"");
  appendLabelValue(out, s.name);
  out += '"';
  for (const auto& [k, v] : extra) {
    out.append(",").append(k).append("=\"");
    appendLabelValue(out, *v);
    out += '"';
  }
  out += "} ";
  appendValue(out, value);
  out += '\n';
}

// A family of one sample per valid service that has a value in `field`.
void appendOptionalFamily(std::string& out, const char* name, const char* help,
                          const std::vector<reconcile::ServiceSnapshot>& snaps,
                          std::optional<double> reconcile::ServiceSnapshot::* field) {
  appendHeader(out, name, help);
  for (const auto& s : snaps) {
    const std::optional<double>& v = s.*field;
    if (s.valid && v.has_value()) appendSample(out, name, s, {}, *v);
  }
}

}  // namespace

// Per-service series, written straight from the reconcilers' snapshots at scrape time (so a
// deleted service leaves no stale series). Thousands of services make tens of thousands of
// series: as prometheus-cpp MetricFamily objects they would be copied three times over on their
// way to the text at every scrape; written as text they take the text's size.
void appendServiceSeries(std::string& out, const std::vector<reconcile::ServiceSnapshot>& snaps) {
  static const std::array<std::string, 4> kLevels = {"0.5", "0.9", "0.95", "0.99"};
  static const std::string kReactive = "reactive", kPredicted = "predicted", kScheduled = "scheduled", kFinal = "final",
                           kCurrent = "current", kTrue = "true", kFalse = "false";
  appendHeader(out, "tso_demand_actual", "Demand measured at the last reconcile, in the query's unit.");
  for (const auto& s : snaps) {
    if (s.valid && s.hasDemand) appendSample(out, "tso_demand_actual", s, {}, s.demand);
  }
  appendOptionalFamily(out, "tso_demand_backlog",
                       "demand.backlog's messages waiting at the last reconcile; draining them within drainWithin "
                       "is capacity on top of tso_demand_actual.",
                       snaps, &reconcile::ServiceSnapshot::backlog);
  appendHeader(out, "tso_demand_predicted",
               "Peak forecast demand over the lead window, by quantile (0.5, 0.9, 0.95, 0.99).");
  for (const auto& s : snaps) {
    if (!s.valid || !s.hasForecast) continue;
    for (std::size_t k = 0; k < kLevels.size(); ++k)
      appendSample(out, "tso_demand_predicted", s, {{"quantile", &kLevels[k]}}, s.predictedPeak[k]);
  }
  appendHeader(out, "tso_replicas", "Replicas by source: reactive, predicted, scheduled, final (desired) and current.");
  for (const auto& s : snaps) {
    if (!s.valid) continue;
    appendSample(out, "tso_replicas", s, {{"source", &kReactive}}, s.reactive);
    appendSample(out, "tso_replicas", s, {{"source", &kPredicted}}, s.predicted);
    appendSample(out, "tso_replicas", s, {{"source", &kScheduled}}, s.scheduled);
    appendSample(out, "tso_replicas", s, {{"source", &kFinal}}, s.desired);
    appendSample(out, "tso_replicas", s, {{"source", &kCurrent}}, s.current);
  }
  appendHeader(out, "tso_dependent_replicas",
               "spec.dependents' replicas: final (what the operator wants) and current, by dependent workload.");
  for (const auto& s : snaps) {
    if (!s.valid) continue;
    for (const auto& dep : s.dependents) {
      appendSample(out, "tso_dependent_replicas", s, {{"dependent", &dep.name}, {"source", &kFinal}}, dep.desired);
      if (dep.current)
        appendSample(out, "tso_dependent_replicas", s, {{"dependent", &dep.name}, {"source", &kCurrent}}, *dep.current);
    }
  }
  appendOptionalFamily(out, "tso_capacity_ready",
                       "Demand the target's ready pods serve at full utilization (ready replicas x perReplica, in "
                       "the query's unit); absent while the target is read through /scale, which has no ready count.",
                       snaps, &reconcile::ServiceSnapshot::readyCapacity);
  appendHeader(out, "tso_lead_time_seconds", "Lead time in use (measured pod warm-up when Auto).");
  for (const auto& s : snaps) {
    if (s.valid) appendSample(out, "tso_lead_time_seconds", s, {}, static_cast<double>(s.leadSeconds));
  }
  appendHeader(out, "tso_forecast_wape",
               "Weighted absolute percentage error of the lead-time forecast over the recent window.");
  for (const auto& s : snaps) {
    if (s.valid && s.scored > 0) appendSample(out, "tso_forecast_wape", s, {}, s.wape);
  }
  appendHeader(out, "tso_forecast_coverage", "Share of recent actuals at or under the chosen forecast quantile.");
  for (const auto& s : snaps) {
    if (s.valid && s.scored > 0) appendSample(out, "tso_forecast_coverage", s, {}, s.coverage);
  }
  appendOptionalFamily(out, "tso_forecast_coverage_p90",
                       "Share of actuals at or under the P90 forecast over the guard's window, once "
                       "forecast.guard.minScored forecasts were scored in it (what the accuracy gate judges).",
                       snaps, &reconcile::ServiceSnapshot::coverageP90);
  appendOptionalFamily(out, "tso_forecast_coverage_bound",
                       "forecast.guard.minCoverage: the P90's coverage under it degrades the forecast while the "
                       "guard is enabled.",
                       snaps, &reconcile::ServiceSnapshot::coverageBound);
  appendOptionalFamily(out, "tso_forecast_skill",
                       "The provisioned quantile's loss over the best simple baseline's, over the guard's window "
                       "(above forecast.guard.maxSkill: the forecast loses).",
                       snaps, &reconcile::ServiceSnapshot::skill);
  appendHeader(
      out, "tso_forecast_degraded",
      "1 while the accuracy gate has taken the forecast out of provisioning (replicas follow measured demand).");
  for (const auto& s : snaps) {
    if (s.valid) appendSample(out, "tso_forecast_degraded", s, {}, s.degraded ? 1 : 0);
  }
  appendOptionalFamily(out, "tso_demand_age_seconds",
                       "Age of the newest demand sample the operator has (past fallback.staleAfter it is blind).",
                       snaps, &reconcile::ServiceSnapshot::demandAgeSeconds);
  appendHeader(out, "tso_fallback_active",
               "1 while the service is in fallback (Prometheus unavailable or data stale).");
  for (const auto& s : snaps) {
    if (s.valid) appendSample(out, "tso_fallback_active", s, {}, s.fallback ? 1 : 0);
  }
  appendHeader(out, "tso_service_info", "1 per ThroughputService, labelled with its mode, model and winning source.");
  for (const auto& s : snaps) {
    appendSample(out, "tso_service_info", s,
                 {{"mode", &s.mode}, {"model", &s.model}, {"winner", &s.winner}, {"valid", s.valid ? &kTrue : &kFalse}},
                 1);
  }
}

Metrics::Metrics(SnapshotFn snapshots)
    : registry_(std::make_shared<prometheus::Registry>()), snapshots_(std::move(snapshots)) {
  auto& total = prometheus::BuildCounter()
                    .Name("tso_reconcile_total")
                    .Help("Reconciles of ThroughputServices, by result.")
                    .Register(*registry_);
  reconcileOk_ = &total.Add({{"result", "success"}});
  reconcileErr_ = &total.Add({{"result", "error"}});
  reconcileErrors_ = &prometheus::BuildCounter()
                          .Name("tso_reconcile_errors_total")
                          .Help("Reconciles that failed and were retried with backoff.")
                          .Register(*registry_)
                          .Add({{"controller", "throughputservice"}});
  reconcileDuration_ =
      &prometheus::BuildHistogram()
           .Name("tso_reconcile_duration_seconds")
           .Help("Time one reconcile took, Prometheus queries and API calls included.")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  queueDepth_ = &prometheus::BuildGauge()
                     .Name("tso_workqueue_depth")
                     .Help("Keys waiting in the work queue.")
                     .Register(*registry_)
                     .Add({{"name", "throughputservice"}});
  modelBytes_ = &prometheus::BuildGauge()
                     .Name("tso_model_state_bytes")
                     .Help("Memory held by per-service model state and recent demand.")
                     .Register(*registry_)
                     .Add({});
  queryDuration_ = &prometheus::BuildHistogram()
                        .Name("tso_prometheus_query_duration_seconds")
                        .Help("Duration of the operator's queries to Prometheus (range queries, chunked).")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                         0.5, 1, 2.5, 5});
  queryErrors_ =
      &prometheus::BuildCounter()
           .Name("tso_prometheus_query_errors_total")
           .Help("Prometheus queries that failed, by reason (PrometheusUnreachable, QueryFailed, MultipleSeries, ...).")
           .Register(*registry_);
  // Every reason starts at 0 so rate() has a series before the first error.
  for (const char* reason : {"PrometheusUnreachable", "PrometheusHTTPError", "QueryFailed", "NoData", "MultipleSeries",
                             "NotANumber", "BadResponse"}) {
    queryErrors_->Add({{"reason", reason}});
  }
  leader_ = &prometheus::BuildGauge()
                 .Name("tso_leader")
                 .Help("1 while this replica holds the leader lease and runs reconcile workers.")
                 .Register(*registry_)
                 .Add({});
}

void Metrics::observeReconcile(std::chrono::duration<double> took, bool failed) {
  reconcileDuration_->Observe(took.count());
  if (failed) {
    reconcileErr_->Increment();
    reconcileErrors_->Increment();
  } else {
    reconcileOk_->Increment();
  }
}

void Metrics::observeQuery(double seconds, const std::string& problem) {
  queryDuration_->Observe(seconds);
  if (!problem.empty()) queryErrors_->Add({{"reason", problem}}).Increment();
}

void Metrics::setQueueDepth(std::size_t depth) { queueDepth_->Set(static_cast<double>(depth)); }
void Metrics::setModelBytes(std::size_t bytes) { modelBytes_->Set(static_cast<double>(bytes)); }
void Metrics::setLeader(bool leader) { leader_->Set(leader ? 1 : 0); }

std::string Metrics::serialize() const {
  std::string out = prometheus::TextSerializer().Serialize(registry_->Collect());
  appendServiceSeries(out, snapshots_());
  return out;
}

}  // namespace tso::runtime

#include "controller/runtime/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cmath>

namespace tso::runtime {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric gaugeOf(double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

// Per-service series, generated from the reconciler at scrape time.
class ServiceCollector : public prometheus::Collectable {
 public:
  explicit ServiceCollector(Metrics::SnapshotFn fn) : fn_(std::move(fn)) {}

  std::vector<MetricFamily> Collect() const override {
    MetricFamily actual{
        "tso_demand_actual", "Demand measured at the last reconcile, in the query's unit.", MetricType::Gauge, {}};
    MetricFamily predicted{"tso_demand_predicted",
                           "Peak forecast demand over the lead window, by quantile (0.5, 0.9, 0.95, 0.99).",
                           MetricType::Gauge,
                           {}};
    MetricFamily replicas{"tso_replicas",
                          "Replicas by source: reactive, predicted, scheduled, final (desired) and current.",
                          MetricType::Gauge,
                          {}};
    MetricFamily lead{
        "tso_lead_time_seconds", "Lead time in use (measured pod warm-up when Auto).", MetricType::Gauge, {}};
    MetricFamily wape{"tso_forecast_wape",
                      "Weighted absolute percentage error of the lead-time forecast over the recent window.",
                      MetricType::Gauge,
                      {}};
    MetricFamily coverage{"tso_forecast_coverage",
                          "Share of recent actuals at or under the chosen forecast quantile.",
                          MetricType::Gauge,
                          {}};
    MetricFamily fallback{"tso_fallback_active",
                          "1 while the service is in fallback (Prometheus unavailable or data stale).",
                          MetricType::Gauge,
                          {}};
    MetricFamily info{"tso_service_info",
                      "1 per ThroughputService, labelled with its mode, model and winning source.",
                      MetricType::Gauge,
                      {}};
    for (const auto& s : fn_()) {
      const std::vector<ClientMetric::Label> base = {{"namespace", s.ns}, {"name", s.name}};
      auto with = [&](const std::string& k, const std::string& v) {
        auto l = base;
        l.push_back({k, v});
        return l;
      };
      info.metric.push_back(gaugeOf(1, {{"namespace", s.ns},
                                        {"name", s.name},
                                        {"mode", s.mode},
                                        {"model", s.model},
                                        {"winner", s.winner},
                                        {"valid", s.valid ? "true" : "false"}}));
      if (!s.valid) continue;
      if (s.hasDemand) actual.metric.push_back(gaugeOf(s.demand, base));
      if (s.hasForecast) {
        static constexpr const char* kLevels[] = {"0.5", "0.9", "0.95", "0.99"};
        for (std::size_t k = 0; k < 4; ++k)
          predicted.metric.push_back(gaugeOf(s.predictedPeak[k], with("quantile", kLevels[k])));
      }
      replicas.metric.push_back(gaugeOf(s.reactive, with("source", "reactive")));
      replicas.metric.push_back(gaugeOf(s.predicted, with("source", "predicted")));
      replicas.metric.push_back(gaugeOf(s.scheduled, with("source", "scheduled")));
      replicas.metric.push_back(gaugeOf(s.desired, with("source", "final")));
      replicas.metric.push_back(gaugeOf(s.current, with("source", "current")));
      lead.metric.push_back(gaugeOf(static_cast<double>(s.leadSeconds), base));
      if (s.scored > 0) {
        wape.metric.push_back(gaugeOf(s.wape, base));
        coverage.metric.push_back(gaugeOf(s.coverage, base));
      }
      fallback.metric.push_back(gaugeOf(s.fallback ? 1 : 0, base));
    }
    return {actual, predicted, replicas, lead, wape, coverage, fallback, info};
  }

 private:
  Metrics::SnapshotFn fn_;
};

}  // namespace

Metrics::Metrics(SnapshotFn snapshots)
    : registry_(std::make_shared<prometheus::Registry>()),
      services_(std::make_shared<ServiceCollector>(std::move(snapshots))) {
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
  auto families = registry_->Collect();
  auto more = services_->Collect();
  families.insert(families.end(), more.begin(), more.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace tso::runtime

// The demand stage of a reconcile: the steps Prometheus has that the service's recent series
// lacks, and the model's life cycle on them (fit from the full history on a schedule, O(1)
// updates in between). Prometheus is reached through a query function, so the stage is
// tested on scripted answers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/prom/response.h"
#include "controller/reconcile/daily_peaks.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/recent_series.h"
#include "controller/reconcile/service_model.h"
#include "controller/reconcile/spec.h"

namespace tso::reconcile {

// What a service keeps of its demand between reconciles. Reset whenever modelKey changes.
struct DemandState {
  std::string modelKey;
  std::unique_ptr<RecentSeries> recent;
  std::unique_ptr<DailyPeaks> daily;  // only with fallback.behavior SeasonalNaive
  std::unique_ptr<ServiceModel> model;
  std::int64_t modelTime = 0;  // grid time of the newest sample the model consumed
  std::int64_t lastFit = 0;
  std::size_t fitSamples = 0;       // history length of the last fit
  std::size_t samplesSinceFit = 0;  // new samples consumed since
  bool refitDue = false;            // samples were lost to a gap longer than `recent` holds
  std::string fitSummary;
  std::vector<std::string> lastAside;  // models the forecaster had set aside at the last reconcile
  std::optional<Breakout> breakout;    // set by advanceModel for the newest sample, when it broke out

  // Fewest samples a model must have seen before its forecast drives replicas: a model fitted
  // on a handful extrapolates wildly.
  static constexpr std::size_t kMinForecastSamples = 30;
  [[nodiscard]] bool forecastUsable() const { return model && fitSamples + samplesSinceFit >= kMinForecastSamples; }
};

// The parts of a spec that make a model and its demand buffer start over when they change.
std::string modelKeyOf(const ServiceSpec& spec, const std::string& address);

// Samples of the demand query over [from, to] (unix seconds, inclusive, on the spec's step).
using RangeQuery = std::function<Result<prom::RangeSeries>(std::int64_t from, std::int64_t to)>;

struct DemandRequest {
  std::int64_t now = 0;
  std::int64_t leadSeconds = 0;
  std::int64_t refitSeconds = 0;  // 0: refitIntervalSeconds(spec)
};

// Starts `state` over for `modelKey` (a changed query, step, history or model).
void resetDemand(DemandState& state, const std::string& modelKey, std::int64_t step, std::size_t recentSteps);

// Brings `state` up to date at `request.now`: refits from the history window when due, else
// reads the steps after the newest held. Returns the
// query's problem, if any (prom::isOutage tells an outage from an unusable answer). The buffers
// are written under `chartMu`, which the dashboards read them under.
std::optional<Error> readDemand(DemandState& state, const ServiceSpec& spec, const DemandRequest& request,
                                const RangeQuery& query, std::mutex& chartMu);

// demand.backlog's newest finite value over the last two steps before `now`, or why there is
// none (the query's problem, no samples, only NaN). `query` samples the backlog query.
Result<double> readBacklog(const ServiceSpec& spec, std::int64_t now, const RangeQuery& query);

// Feeds the model each grid step it has not consumed, O(1) a sample. With `breakoutLevel` > 0
// the newest sample is first checked against that quantile of its own forecast (Breakout,
// keeping `aheadSteps` steps of the forecast made before it).
void advanceModel(DemandState& state, double breakoutLevel = 0, std::size_t aheadSteps = 0);

}  // namespace tso::reconcile

#include "controller/reconcile/demand.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "controller/reconcile/planner.h"
#include "predictor/series.h"

namespace tso::reconcile {

namespace {

std::int64_t floorTo(std::int64_t t, std::int64_t step) { return t - ((t % step) + step) % step; }

void ingest(DemandState& state, const prom::RangeSeries& r, std::mutex& chartMu) {
  std::lock_guard chartLock(chartMu);
  for (const auto& s : r.samples) {
    state.recent->add(s.time, s.value);
    if (state.daily) state.daily->add(s.time, s.value);
  }
}

// Refit from the full history on a schedule (Prometheus is the long-term store). A young series
// refits each time its history doubles, so early models are not kept for a whole refit period.
bool fitDue(const DemandState& state, const ServiceSpec& spec, const DemandRequest& request) {
  const std::int64_t every = request.refitSeconds > 0 ? request.refitSeconds : refitIntervalSeconds(spec);
  return !state.model || request.now - state.lastFit >= every ||
         state.samplesSinceFit >= std::max<std::size_t>(10, state.fitSamples) ||
         leadSteps(request.leadSeconds, spec.stepSeconds) + 1 > state.model->horizon() || state.refitDue;
}

// The history on the grid from its first to its last finite sample, NaN where Prometheus had
// nothing; empty with fewer than two finite samples.
struct GridHistory {
  std::vector<double> values;
  std::int64_t lastTime = 0;
};
GridHistory onGrid(const prom::RangeSeries& r, std::int64_t first, std::int64_t step, std::size_t slots) {
  std::vector<double> values(slots, std::numeric_limits<double>::quiet_NaN());
  std::size_t known = 0;
  std::size_t lastKnown = 0;
  for (const auto& s : r.samples) {
    const auto i = std::llround((s.time - static_cast<double>(first)) / static_cast<double>(step));
    if (i < 0 || i >= static_cast<std::int64_t>(slots)) continue;
    values[static_cast<std::size_t>(i)] = s.value;
    if (std::isfinite(s.value)) {
      ++known;
      lastKnown = std::max(lastKnown, static_cast<std::size_t>(i));
    }
  }
  if (known < 2) return {};
  // Leading NaN before the series existed is not history.
  std::size_t firstKnown = 0;
  while (!std::isfinite(values[firstKnown])) ++firstKnown;
  GridHistory out;
  out.values.assign(values.begin() + static_cast<std::ptrdiff_t>(firstKnown),
                    values.begin() + static_cast<std::ptrdiff_t>(lastKnown) + 1);
  out.lastTime = first + static_cast<std::int64_t>(lastKnown) * step;
  return out;
}

void fitModel(DemandState& state, const ServiceSpec& spec, const DemandRequest& request, GridHistory history) {
  predictor::fillMissing(history.values);
  const std::int64_t step = spec.stepSeconds;
  state.model =
      std::make_unique<ServiceModel>(spec.model, step, std::clamp(leadSteps(request.leadSeconds, step) + 2, 48, 2000));
  const auto report = state.model->fit(history.values);
  state.modelTime = history.lastTime;
  state.lastFit = request.now;
  state.fitSamples = history.values.size();
  state.samplesSinceFit = 0;
  state.refitDue = false;
  state.lastAside.clear();  // a fit starts with every model in use
  state.fitSummary = "model " + report.selection + " fitted on " + std::to_string(history.values.size()) + " samples";
  for (const auto& note : report.notes) state.fitSummary += "; " + note;
}

std::optional<Error> refit(DemandState& state, const ServiceSpec& spec, const DemandRequest& request,
                           const RangeQuery& query, std::mutex& chartMu) {
  const std::int64_t end = floorTo(request.now, spec.stepSeconds);
  const std::int64_t first = end - spec.historySeconds;
  auto history = query(first, end);
  if (!history) return history.error();
  if (history->samples.empty())
    return Error{ErrorCode::kNoData, "the query returned no samples over the history window (is the metric scraped?)"};
  if (history->nonFinite == history->samples.size())
    return Error{ErrorCode::kNotFinite,
                 "the query returned only NaN/Inf over the history window (a division by zero?)"};
  ingest(state, *history, chartMu);
  auto grid =
      onGrid(*history, first, spec.stepSeconds, static_cast<std::size_t>(spec.historySeconds / spec.stepSeconds) + 1);
  if (!grid.values.empty()) fitModel(state, spec, request, std::move(grid));
  return std::nullopt;
}

std::optional<Error> readNewSteps(DemandState& state, const DemandRequest& request, const RangeQuery& query,
                                  std::mutex& chartMu) {
  const auto range = state.recent->pending(request.now);
  if (!range) return std::nullopt;
  auto fresh = query(range->start, range->end);
  if (!fresh) return fresh.error();
  ingest(state, *fresh, chartMu);
  if (!fresh->samples.empty() && fresh->nonFinite == fresh->samples.size())
    return Error{ErrorCode::kNotFinite, "the query returned only NaN/Inf over the newest samples"};
  return std::nullopt;
}

}  // namespace

std::string modelKeyOf(const ServiceSpec& s, const std::string& address) {
  return address + "\n" + s.query + "\n" + std::to_string(s.stepSeconds) + "\n" + std::to_string(s.historySeconds) +
         "\n" + s.model;
}

void resetDemand(DemandState& state, const std::string& modelKey, std::int64_t step, std::size_t recentSteps) {
  state = DemandState{};
  state.modelKey = modelKey;
  state.recent = std::make_unique<RecentSeries>(step, recentSteps);
}

std::optional<Error> readDemand(DemandState& state, const ServiceSpec& spec, const DemandRequest& request,
                                const RangeQuery& query, std::mutex& chartMu) {
  const bool seasonal = spec.fallback == FallbackBehavior::kSeasonalNaive;
  if (seasonal && !state.daily) state.daily = std::make_unique<DailyPeaks>(spec.stepSeconds);
  if (!seasonal) state.daily.reset();
  auto problem = fitDue(state, spec, request) ? refit(state, spec, request, query, chartMu)
                                              : readNewSteps(state, request, query, chartMu);
  return problem;
}

Result<double> readBacklog(const ServiceSpec& spec, std::int64_t now, const RangeQuery& query) {
  auto range = query(now - 2 * spec.stepSeconds, now);
  if (!range) return std::unexpected(range.error());
  for (auto it = range->samples.rbegin(); it != range->samples.rend(); ++it) {
    if (std::isfinite(it->value)) return it->value;
  }
  if (range->samples.empty())
    return fail(ErrorCode::kNoData, "the query returned no samples over the last two steps (is the metric scraped?)");
  return fail(ErrorCode::kNotFinite, "the query returned only NaN/Inf over the last two steps");
}

namespace {

// Whether `sample` broke out above `level` of the model's forecast for it (made before it).
std::optional<Breakout> breakoutOf(const ServiceModel& model, double sample, std::int64_t nextTime, double level,
                                   std::size_t aheadSteps) {
  if (!std::isfinite(sample)) return std::nullopt;
  predictor::Forecast before;
  model.forecast(before);
  if (before.quantiles.empty()) return std::nullopt;
  const auto& band = before.quantiles.front();
  if (!(sample > predictor::quantileAtZ(band, predictor::zOfLevel(level)))) return std::nullopt;
  Breakout b{sample - band[0], nextTime, {}};
  const std::size_t n = std::min(aheadSteps, before.quantiles.size() - 1);
  b.ahead.assign(before.quantiles.begin() + 1, before.quantiles.begin() + 1 + static_cast<std::ptrdiff_t>(n));
  return b;
}

}  // namespace

void advanceModel(DemandState& state, double breakoutLevel, std::size_t aheadSteps) {
  if (!state.model || state.recent->size() == 0) return;
  // Samples older than the buffer were lost (an outage longer than it): the model steps over
  // them on its own forecast now and is refitted from Prometheus' history next time.
  if (!state.recent->holdsAfter(state.modelTime)) state.refitDue = true;
  const std::int64_t step = state.recent->step();
  const std::int64_t newest = state.recent->newestTime();
  if (newest > state.modelTime) state.breakout.reset();
  for (std::int64_t t = state.modelTime + step; t <= newest; t += step) {
    if (t == newest && breakoutLevel > 0 && state.forecastUsable()) {
      state.breakout = breakoutOf(*state.model, state.recent->at(t), t + step, breakoutLevel, aheadSteps);
    }
    state.model->update(state.recent->at(t));
    state.modelTime = t;
    ++state.samplesSinceFit;
  }
}

}  // namespace tso::reconcile

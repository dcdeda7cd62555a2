#include "controller/reconcile/reconciler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "controller/prom/client.h"
#include "controller/reconcile/daily_peaks.h"
#include "controller/reconcile/lead_time.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/recent_series.h"
#include "controller/reconcile/service_model.h"
#include "controller/reconcile/spec.h"
#include "controller/reconcile/status.h"
#include "controller/reconcile/units.h"
#include "predictor/forecaster.h"

namespace tso::reconcile {

namespace {

using nlohmann::json;

std::string modeName(Mode m) {
  switch (m) {
    case Mode::kAuto:
      return "Auto";
    case Mode::kForecastOnly:
      return "ForecastOnly";
    case Mode::kPaused:
      return "Paused";
  }
  return "Auto";
}

// Material parts of the spec: when they change the model and the demand buffer start over.
std::string modelKey(const ServiceSpec& s, const std::string& address) {
  return address + "\n" + s.query + "\n" + std::to_string(s.stepSeconds) + "\n" + std::to_string(s.historySeconds) +
         "\n" + s.model;
}

std::int64_t floorTo(std::int64_t t, std::int64_t step) { return t - ((t % step) + step) % step; }

// Fewest samples a model must have seen before its forecast drives replicas.
constexpr std::size_t kMinForecastSamples = 30;

}  // namespace

struct Reconciler::State {
  std::string uid;
  std::string modelKey;
  std::string promAddress;
  std::shared_ptr<prom::Client> prom;
  std::unique_ptr<RecentSeries> recent;
  std::unique_ptr<DailyPeaks> daily;  // only with fallback.behavior SeasonalNaive
  std::unique_ptr<ServiceModel> forecaster;
  std::unique_ptr<predictor::Planner> planner;
  std::string plannerKey;
  std::int64_t modelTime = 0;  // grid time of the newest sample the model consumed
  std::int64_t lastFit = 0;
  std::size_t fitSamples = 0;       // history length of the last fit
  std::size_t samplesSinceFit = 0;  // new samples consumed since
  bool refitDue = false;            // samples were lost to a gap longer than `recent` holds
  std::string fitSummary;
  std::int64_t leadSeconds = kDefaultLeadSeconds;
  std::int64_t leadMeasuredAt = 0;
  bool hpaChecked = false;
  bool lastFallback = false;
  std::vector<std::string> lastAside;  // models the forecaster had set aside at the last reconcile
  std::string lastInvalid;
  std::string lastScaleTime;
  // Forecasts of the chosen quantile for future grid times, scored once the actual arrives.
  // recent, pending, scored and desiredHistory: written by the reconciling worker under
  // chartMu, read under it by the dashboard's history (the worker reads them without it).
  mutable std::mutex chartMu;
  // Vectors, not deques: a deque allocates ~600 bytes even when empty, at 2,000 services.
  std::vector<std::tuple<std::int64_t, float, float>> pending;  // time, point, upper
  // time (unix seconds, as 32 bits: 16 bytes an entry, ~2 KB a full window), actual, point, upper
  std::vector<std::tuple<std::uint32_t, float, float, float>> scored;
  // The desired replicas over the chart window as a step function: (time, value) when it
  // changed, plus the last change before the window (its value holds at the window's start).
  std::vector<std::pair<std::int64_t, int>> desiredHistory;
  mutable std::mutex snapMu;
  ServiceSnapshot snap;
};

Reconciler::Reconciler(kube::Client& client, const watch::Store& services, EventSink& events, ReconcilerOptions options,
                       Clock& clock)
    : services_(services), events_(events), executor_(client), options_(std::move(options)), clock_(clock) {}

Reconciler::~Reconciler() = default;

Reconciler::State& Reconciler::stateFor(const std::string& key, const std::string& uid) {
  std::lock_guard lock(mu_);
  auto& slot = states_[key];
  // A new object under an old name (deleted and re-created) starts from nothing.
  if (!slot || slot->uid != uid) {
    slot = std::make_unique<State>();
    slot->uid = uid;
  }
  return *slot;
}

std::expected<std::shared_ptr<prom::Client>, prom::QueryError> Reconciler::promFor(const std::string& address,
                                                                                   std::int64_t timeoutMs) {
  // One client (and connection pool) per Prometheus, shared by every service that queries it:
  // a client per service costs tens of kilobytes each at 2,000 services.
  std::lock_guard lock(mu_);
  auto& slot = promClients_[address + "#" + std::to_string(timeoutMs)];
  if (!slot) {
    auto c = prom::Client::connect(address, std::chrono::milliseconds(timeoutMs));
    if (!c) return std::unexpected(c.error());
    slot = std::shared_ptr<prom::Client>(std::move(*c));
  }
  return slot;
}

std::vector<ServiceSnapshot> Reconciler::snapshot(const SnapshotFilter& filter) const {
  std::lock_guard lock(mu_);
  std::vector<ServiceSnapshot> out;
  auto add = [&](const State& state) {
    {
      std::lock_guard snapLock(state.snapMu);
      out.push_back(state.snap);
    }
    if (filter.history && out.back().valid && out.back().step > 0)
      out.back().history = historyOf(state, out.back().step);
  };
  if (filter.keys.empty()) {
    out.reserve(states_.size());
    for (const auto& [key, state] : states_) add(*state);
    return out;
  }
  // A few named services (the dashboard's visible charts): looked up, not scanned for.
  std::vector<std::string> keys = filter.keys;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto& key : keys) {
    if (auto it = states_.find(key); it != states_.end()) add(*it->second);
  }
  return out;
}

std::shared_ptr<const ServiceHistory> Reconciler::historyOf(const State& st, std::int64_t step) const {
  std::lock_guard chartLock(st.chartMu);
  if (!st.recent || st.recent->size() == 0) return nullptr;
  auto values = st.recent->values();
  std::int64_t first = st.recent->firstTime();
  if (values.size() > options_.dashboardSteps) {
    const auto drop = values.size() - options_.dashboardSteps;
    values.erase(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(drop));
    first += static_cast<std::int64_t>(drop) * step;
  }
  auto h = std::make_shared<ServiceHistory>();
  h->start = first;
  h->actual.reserve(values.size());
  h->forecastForTime.reserve(values.size());
  h->desired.reserve(values.size());
  std::size_t scoredIdx = 0;
  std::vector<std::pair<std::int64_t, float>> forecastAt;
  forecastAt.reserve(st.scored.size() + st.pending.size());
  for (const auto& [t, actual, point, upper] : st.scored) forecastAt.emplace_back(t, upper);
  for (const auto& [t, point, upper] : st.pending) forecastAt.emplace_back(t, upper);
  std::size_t di = 0;
  int lastDesired = -1;  // unknown before this operator's first decision
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int64_t t = first + static_cast<std::int64_t>(i) * step;
    h->actual.push_back(static_cast<float>(values[i]));
    while (scoredIdx < forecastAt.size() && forecastAt[scoredIdx].first < t) ++scoredIdx;
    h->forecastForTime.push_back(scoredIdx < forecastAt.size() && forecastAt[scoredIdx].first == t
                                     ? forecastAt[scoredIdx].second
                                     : std::numeric_limits<float>::quiet_NaN());
    while (di < st.desiredHistory.size() && st.desiredHistory[di].first <= t)
      lastDesired = st.desiredHistory[di++].second;
    h->desired.push_back(lastDesired);
  }
  return h;
}

std::size_t Reconciler::modelBytes() const {
  std::lock_guard lock(mu_);
  std::size_t total = 0;
  for (const auto& [key, state] : states_) {
    // Read from the snapshot: the worker may be replacing the model while metrics are scraped.
    std::lock_guard snapLock(state->snapMu);
    total += sizeof(State) + state->snap.modelBytes;
  }
  return total;
}

Outcome Reconciler::reconcile(const std::string& key) {
  const auto service = services_.get(key);
  if (!service) {
    // Deleted: the owned HPA goes with it (ownerReference); the workload stays as it is.
    std::lock_guard lock(mu_);
    states_.erase(key);
    return {};
  }
  const kube::Object& obj = *service;
  const std::string& ns = obj.meta.ns;
  State& st = stateFor(key, obj.meta.uid);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  const std::string nowText = formatRfc3339(now);
  json status = obj.body.contains("status") && obj.body["status"].is_object() ? obj.body["status"] : json::object();
  json conditions = status.contains("conditions") ? status["conditions"] : json::array();
  const std::int64_t gen = obj.meta.generation;
  auto setCond = [&](const std::string& type, bool value, const std::string& reason, const std::string& message) {
    setCondition(conditions, {type, value, reason, message}, gen, nowText);
  };
  auto finish = [&](Outcome outcome) -> Outcome {
    status["observedGeneration"] = gen;
    status["conditions"] = conditions;
    if (auto written = executor_.writeStatus(obj, status); !written) {
      if (written.error().code == ErrorCode::kNotFound) return {};
      return Outcome{std::nullopt, true, "writing status: " + written.error().toString()};
    }
    return outcome;
  };

  // 1. The spec. What the schema could not reject is terminal until the spec changes.
  auto parsed = parseSpec(obj.body.contains("spec") ? obj.body["spec"] : json());
  if (!parsed) {
    const std::string& msg = parsed.error().message;
    setCond("InvalidSpec", true, "InvalidSpec", msg);
    setCond("Ready", false, "InvalidSpec", msg);
    if (st.lastInvalid != msg) events_.record(obj, "Warning", "InvalidSpec", msg);
    st.lastInvalid = msg;
    {
      std::lock_guard snapLock(st.snapMu);
      st.snap = ServiceSnapshot{};
      st.snap.ns = ns;
      st.snap.name = obj.meta.name;
    }
    return finish({});
  }
  st.lastInvalid.clear();
  const ServiceSpec& spec = *parsed;
  setCond("InvalidSpec", false, "Valid", "the spec is valid");
  const std::int64_t step = spec.stepSeconds;
  const auto requeue = std::chrono::milliseconds((floorTo(now, step) + step - now) * 1000 + 1500);

  if (spec.mode == Mode::kPaused) {
    setCond("Ready", true, "Paused", "spec.mode is Paused: the operator touches nothing");
    {
      // Not held across the status write below: /metrics reads the snapshot under this lock.
      std::lock_guard snapLock(st.snapMu);
      st.snap.ns = ns;
      st.snap.name = obj.meta.name;
      st.snap.mode = "Paused";
      st.snap.valid = true;
    }
    return finish({});
  }

  // 2. The target and its current replicas.
  // The cache first (level-based: a stale read only delays a correct write); /scale otherwise.
  std::optional<Executor::TargetState> cached;
  if (options_.targetLookup) cached = options_.targetLookup(ns, spec.target);
  auto target = cached ? Result<Executor::TargetState>(*cached) : executor_.readTarget(ns, spec.target);
  if (!target) {
    if (target.error().code == ErrorCode::kNotFound) {
      setCond("Ready", false, "TargetNotFound",
              spec.target.kind + " " + ns + "/" + spec.target.name + " does not exist");
      return finish(Outcome{requeue, false, ""});
    }
    return Outcome{std::nullopt, true, "reading the target's scale: " + target.error().toString()};
  }
  const int current = target->replicas;

  // 3. Lead time: the spec's, or measured from the target's pods once a minute.
  if (spec.leadTimeSeconds) {
    st.leadSeconds = *spec.leadTimeSeconds;
  } else if (now - st.leadMeasuredAt >= 60 && !target->selector.empty()) {
    if (auto warmups = executor_.podWarmups(ns, target->selector)) {
      st.leadSeconds = leadFromWarmups(std::move(*warmups));
      st.leadMeasuredAt = now;
    }
  }
  const std::int64_t lead = st.leadSeconds;

  // 4. Demand: only the steps after the newest one held.
  const std::string address =
      spec.prometheusAddress.empty() ? options_.defaultPrometheusAddress : spec.prometheusAddress;
  const std::string mkey = modelKey(spec, address);
  if (st.modelKey != mkey) {
    std::lock_guard chartLock(st.chartMu);
    st.modelKey = mkey;
    st.recent = std::make_unique<RecentSeries>(step, options_.recentSteps);
    st.daily.reset();
    st.forecaster.reset();
    st.pending.clear();
    st.scored.clear();
    st.prom.reset();
  }
  const std::string pkey = std::to_string(spec.minReplicas) + "/" + std::to_string(spec.maxReplicas) + "/" +
                           std::to_string(spec.perReplica) + "/" + std::to_string(spec.targetUtilization) + "/" +
                           (obj.body["spec"].contains("behavior") ? obj.body["spec"]["behavior"].dump() : "");
  Observed observed;
  observed.now = now;
  observed.currentReplicas = current;
  std::string queryProblem;
  std::string queryMessage;
  if (address.empty()) {
    observed.prometheusAvailable = false;
    observed.prometheusProblem = "NoPrometheusAddress";
    observed.prometheusMessage = "set spec.demand.prometheus.address or the operator's --prometheus-address";
  } else {
    if (!st.prom) {
      auto c = promFor(address, spec.queryTimeoutMs);
      if (c)
        st.prom = std::move(*c);
      else {
        observed.prometheusAvailable = false;
        observed.prometheusProblem = std::string(prom::problemReason(c.error().problem));
        observed.prometheusMessage = c.error().message;
      }
    }
    if (st.prom) {
      const auto timeout = std::chrono::milliseconds(spec.queryTimeoutMs);
      auto timed = [&](std::int64_t from, std::int64_t to) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = st.prom->queryRange(spec.query, from, to, step, timeout);
        if (options_.onQuery) {
          options_.onQuery(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           r ? std::string() : std::string(prom::problemReason(r.error().problem)));
        }
        return r;
      };
      if (spec.fallback == FallbackBehavior::kSeasonalNaive && !st.daily) st.daily = std::make_unique<DailyPeaks>(step);
      if (spec.fallback != FallbackBehavior::kSeasonalNaive) st.daily.reset();
      auto ingest = [&](const prom::RangeSeries& r) {
        std::lock_guard chartLock(st.chartMu);
        for (const auto& s : r.samples) {
          st.recent->add(s.time, s.value);
          if (st.daily) st.daily->add(s.time, s.value);
        }
      };
      // Refit from the full history on a schedule (Prometheus is the long-term store).
      // A young series refits each time its history doubles, so early models are not kept
      // for a whole refit period.
      const std::int64_t refitEvery = options_.refitSeconds > 0 ? options_.refitSeconds : refitIntervalSeconds(spec);
      const bool needFit = !st.forecaster || now - st.lastFit >= refitEvery ||
                           st.samplesSinceFit >= std::max<std::size_t>(10, st.fitSamples) ||
                           leadSteps(lead, step) + 1 > st.forecaster->horizon() || st.refitDue;
      std::optional<prom::QueryError> failure;
      if (needFit) {
        const std::int64_t end = floorTo(now, step);
        auto history = timed(end - spec.historySeconds, end);
        if (!history) {
          failure = history.error();
        } else if (history->samples.empty()) {
          failure = prom::QueryError{prom::Problem::kNoData,
                                     "the query returned no samples over the history window (is the metric scraped?)"};
        } else if (history->nonFinite == history->samples.size()) {
          failure = prom::QueryError{prom::Problem::kNotFinite,
                                     "the query returned only NaN/Inf over the history window (a division by zero?)"};
        } else {
          ingest(*history);
          // On the grid, NaN where Prometheus had nothing: the predictor repairs gaps.
          const std::int64_t first = end - spec.historySeconds;
          std::vector<double> values(static_cast<std::size_t>(spec.historySeconds / step) + 1,
                                     std::numeric_limits<double>::quiet_NaN());
          std::size_t known = 0;
          std::size_t lastKnown = 0;
          for (const auto& s : history->samples) {
            auto i = static_cast<std::int64_t>(
                std::llround((s.time - static_cast<double>(first)) / static_cast<double>(step)));
            if (i < 0 || i >= static_cast<std::int64_t>(values.size())) continue;
            values[static_cast<std::size_t>(i)] = s.value;
            if (std::isfinite(s.value)) {
              ++known;
              lastKnown = std::max(lastKnown, static_cast<std::size_t>(i));
            }
          }
          // Leading NaN before the series existed is not history.
          std::size_t firstKnown = 0;
          while (firstKnown < values.size() && !std::isfinite(values[firstKnown])) ++firstKnown;
          if (known >= 2) {
            std::vector<double> hist(values.begin() + static_cast<std::ptrdiff_t>(firstKnown),
                                     values.begin() + static_cast<std::ptrdiff_t>(lastKnown) + 1);
            predictor::fillMissing(hist);
            st.forecaster =
                std::make_unique<ServiceModel>(spec.model, step, std::clamp(leadSteps(lead, step) + 2, 48, 2000));
            const auto report = st.forecaster->fit(hist);
            st.modelTime = first + static_cast<std::int64_t>(lastKnown) * step;
            st.lastFit = now;
            st.fitSamples = hist.size();
            st.samplesSinceFit = 0;
            st.refitDue = false;
            st.fitSummary = "model " + report.selection + " fitted on " + std::to_string(hist.size()) + " samples";
            st.lastAside.clear();  // a fit starts with every model in use
            for (const auto& note : report.notes) st.fitSummary += "; " + note;
          }
        }
      } else if (auto range = st.recent->pending(now)) {
        auto fresh = timed(range->start, range->end);
        if (!fresh)
          failure = fresh.error();
        else {
          ingest(*fresh);
          if (!fresh->samples.empty() && fresh->nonFinite == fresh->samples.size()) {
            failure =
                prom::QueryError{prom::Problem::kNotFinite, "the query returned only NaN/Inf over the newest samples"};
          }
        }
      }
      if (failure) {
        queryProblem = std::string(prom::problemReason(failure->problem));
        queryMessage = failure->message;
        if (failure->problem == prom::Problem::kUnreachable || failure->problem == prom::Problem::kHttpError) {
          observed.prometheusAvailable = false;
          observed.prometheusProblem = queryProblem;
          observed.prometheusMessage = queryMessage;
        }
      }
    }
  }
  // The model consumes each new grid step once, O(1) per sample. The forecast is made afresh at
  // every reconcile, so it lives only as long as this one (3 KB a service less to keep).
  predictor::Forecast forecast;
  if (st.forecaster) {
    // Samples older than the buffer were lost (an outage longer than it): the model steps over
    // them on its own forecast now and is refitted from Prometheus' history next time.
    if (!st.recent->holdsAfter(st.modelTime)) st.refitDue = true;
    for (std::int64_t t = st.modelTime + step; t <= st.recent->newestTime() && st.recent->size() > 0; t += step) {
      st.forecaster->update(st.recent->at(t));
      st.modelTime = t;
      ++st.samplesSinceFit;
    }
    st.forecaster->forecast(forecast);
  }
  if (auto latest = st.recent->latestFinite();
      latest && queryProblem != "MultipleSeries" && queryProblem != "QueryFailed") {
    observed.demand = latest->second;
    observed.demandTime = latest->first;
  }
  if (spec.fallback == FallbackBehavior::kSeasonalNaive && st.daily) {
    // Yesterday's peak in the 5 minutes of the day the lead time reaches.
    observed.seasonalDemand = st.daily->dayBefore(now + lead);
  }
  ForecastView view{&forecast, st.modelTime + step, step,
                    st.forecaster ? st.forecaster->selectedModel() : std::string()};
  // A model fitted on a handful of samples extrapolates wildly; until it has seen enough
  // history the operator scales on what it measures (and events) only.
  const bool forecastUsable = st.forecaster && st.fitSamples + st.samplesSinceFit >= kMinForecastSamples;
  const auto calendar = calendarOf(spec);
  // A query problem (two series, NaN, a PromQL error) leaves the operator as blind as an outage.
  if (!queryProblem.empty() && observed.prometheusAvailable) {
    observed.demand.reset();
  }
  // The planner's window depends on whether the forecast drives, so it is made once that is known.
  const std::string plannerKey = pkey + (forecastUsable ? "/forecast" : "/reactive");
  if (!st.planner || st.plannerKey != plannerKey) {
    st.planner = std::make_unique<predictor::Planner>(plannerConfigOf(spec, forecastUsable));
    st.plannerKey = plannerKey;
  }
  const Decision d = decide(spec, observed, forecastUsable ? &view : nullptr, calendar, lead, *st.planner);

  // 5. Score the forecasts whose time has come; remember this one for its time.
  std::unique_lock scoringLock(st.chartMu);
  std::size_t due = 0;
  for (; due < st.pending.size() && std::get<0>(st.pending[due]) <= st.recent->newestTime(); ++due) {
    const auto [t, point, upper] = st.pending[due];
    const double actual = st.recent->at(t);
    if (!std::isfinite(actual) || options_.accuracyWindow == 0) continue;
    // Full: the oldest leaves first, so the vector never grows past the window.
    if (st.scored.size() >= options_.accuracyWindow) st.scored.erase(st.scored.begin());
    if (st.scored.capacity() < options_.accuracyWindow) st.scored.reserve(options_.accuracyWindow);
    st.scored.emplace_back(static_cast<std::uint32_t>(t), static_cast<float>(actual), point, upper);
  }
  st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<std::ptrdiff_t>(due));
  if (st.forecaster && !forecast.quantiles.empty()) {
    const int h = std::min<int>(leadSteps(lead, step), static_cast<int>(forecast.quantiles.size()));
    const std::int64_t t = view.firstTime + static_cast<std::int64_t>(h - 1) * step;
    if (st.pending.empty() || std::get<0>(st.pending.back()) < t) {
      st.pending.emplace_back(t, static_cast<float>(forecast.point[static_cast<std::size_t>(h - 1)]),
                              static_cast<float>(quantileAt(forecast, h, spec.quantile)));
    }
  }
  scoringLock.unlock();
  double absErr = 0;
  double absActual = 0;
  std::size_t covered = 0;
  for (const auto& [t, actual, point, upper] : st.scored) {
    absErr += std::abs(actual - point);
    absActual += std::abs(actual);
    if (actual <= upper) ++covered;
  }

  // 6. Act (Auto only), then Events.
  std::string actionError;
  std::optional<std::int64_t> appliedCache;
  if (spec.mode == Mode::kAuto) {
    if (spec.hpaEnabled) {
      if (auto s = executor_.applyHpa(obj, spec, d.desired); !s)
        actionError = "applying the HPA: " + s.error().toString();
      st.hpaChecked = false;
    } else {
      if (!st.hpaChecked) {
        if (auto s = executor_.removeHpa(ns, obj.meta.name); s) st.hpaChecked = true;
      }
      if (d.desired != current) {
        if (auto s = executor_.scaleTarget(ns, spec.target, d.desired); !s) {
          actionError = "scaling " + spec.target.name + ": " + s.error().toString();
        }
      }
    }
    if (actionError.empty() && d.desired != current) {
      st.lastScaleTime = nowText;
      if (d.desired > current && (d.winner == "predicted" || d.winner == "scheduled")) {
        events_.record(obj, "Normal", "ScaledAhead",
                       "scaled " + spec.target.name + " from " + std::to_string(current) + " to " +
                           std::to_string(d.desired) + " ahead of demand: " + d.explanation);
      }
    }
    if (spec.cache && d.cacheBytes) {
      auto applied = executor_.applyCache(ns, *spec.cache, *d.cacheBytes);
      if (applied)
        appliedCache = *applied;
      else if (actionError.empty())
        actionError =
            "writing the cache size to ConfigMap " + spec.cache->configMapName + ": " + applied.error().toString();
    }
  }
  if (d.fallback && !st.lastFallback) events_.record(obj, "Warning", "FallbackActivated", d.fallbackMessage);
  st.lastFallback = d.fallback;
  // The forecaster sets a kept model aside when its recent one-step error grows past twice
  // what validation measured (and past the newest sample's), e.g. a season whose shape changed,
  // and takes it back once it is within 1.5x; a refit starts afresh. Each change is an Event.
  const std::vector<std::string> aside = st.forecaster ? st.forecaster->modelsSetAside() : std::vector<std::string>{};
  const std::string& usedNow = view.model;  // the choice at the first step, stand-ins named
  for (const auto& m : aside) {
    if (std::ranges::find(st.lastAside, m) != st.lastAside.end()) continue;
    std::string msg = m;
    msg.append(" set aside: its recent one-step error grew past twice what validation measured; forecasting with ")
        .append(usedNow)
        .append(" until it recovers or the next refit");
    events_.record(obj, "Warning", "ModelSetAside", msg);
  }
  for (const auto& m : st.lastAside) {
    if (std::ranges::find(aside, m) != aside.end()) continue;
    std::string msg = m;
    msg.append(" taken back: its one-step error is back within 1.5x of what validation measured; forecasting with ")
        .append(usedNow);
    events_.record(obj, "Normal", "ModelRecovered", msg);
  }
  st.lastAside = aside;

  // 7. Status, written last.
  status["currentReplicas"] = current;
  status["desiredReplicas"] = d.desired;
  status["leadTimeSeconds"] = lead;
  if (observed.demand) status["currentDemand"] = *observed.demand;
  if (d.predictedDemand) status["predictedDemand"] = *d.predictedDemand;
  status["recommendation"] = {{"reactive", d.reactive},
                              {"predicted", d.predicted},
                              {"scheduled", d.scheduled},
                              {"final", d.desired},
                              {"winner", d.winner}};
  json points = json::array();
  for (const auto& p : d.points) {
    points.push_back({{"time", formatRfc3339(p.time)}, {"value", p.value}, {"upper", p.upper}});
  }
  status["forecast"] = points;
  if (!st.scored.empty() && absActual > 0) {
    status["accuracy"] = {{"wape", absErr / absActual},
                          {"coverage", static_cast<double>(covered) / static_cast<double>(st.scored.size())},
                          {"windowSeconds", static_cast<double>(st.scored.size()) * static_cast<double>(step)}};
  }
  if (spec.cache && d.cacheBytes) {
    status["cache"] = {{"desiredBytes", *d.cacheBytes}};
    if (appliedCache) status["cache"]["appliedBytes"] = *appliedCache;
  } else if (status.contains("cache")) {
    status["cache"] = nullptr;  // a merge patch deletes a field only when it is null
  }
  if (!st.lastScaleTime.empty()) status["lastScaleTime"] = st.lastScaleTime;

  if (!observed.prometheusAvailable) {
    setCond("PrometheusAvailable", false, observed.prometheusProblem, observed.prometheusMessage);
  } else {
    setCond("PrometheusAvailable", true, "QueryOK", "Prometheus at " + address + " answers");
  }
  if (!queryProblem.empty()) {
    setCond("ForecastReady", false, queryProblem, queryMessage);
  } else if (st.forecaster && !forecastUsable) {
    setCond("ForecastReady", false, "WarmingUp",
            st.fitSummary + "; the forecast is used once " + std::to_string(kMinForecastSamples) +
                " samples were seen, until then replicas follow measured demand");
  } else if (st.forecaster && !aside.empty()) {
    setCond("ForecastReady", true, "ModelSetAside", st.fitSummary + "; forecasting now with " + usedNow);
  } else if (st.forecaster) {
    setCond("ForecastReady", true, "ModelFitted", st.fitSummary);
  } else {
    setCond("ForecastReady", false, "NoHistory", "waiting for demand history to fit a model");
  }
  setCond("Fallback", d.fallback, d.fallback ? d.fallbackReason : "DataFresh",
          d.fallback ? d.fallbackMessage : "demand data is fresh");
  setCond("ScalingLimited", d.scalingLimited, d.scalingLimited ? d.limitedReason : "DesiredWithinRange",
          d.scalingLimited ? d.limitedMessage : "the desired replicas are within bounds and behavior");
  if (!actionError.empty()) {
    setCond("Ready", false, "ActionFailed", actionError);
  } else if (d.fallback) {
    setCond("Ready", false, d.fallbackReason, d.fallbackMessage);
  } else {
    setCond("Ready", true, spec.mode == Mode::kAuto ? "Reconciled" : "ForecastOnly", d.explanation);
  }

  // 8. What metrics and dashboards read.
  {
    std::lock_guard snapLock(st.snapMu);
    auto& s = st.snap;
    s = ServiceSnapshot{};
    s.ns = ns;
    s.name = obj.meta.name;
    s.mode = modeName(spec.mode);
    s.valid = true;
    s.hasDemand = observed.demand.has_value();
    s.demand = observed.demand.value_or(0);
    s.hasForecast = st.forecaster != nullptr && !forecast.quantiles.empty();
    if (s.hasForecast) {
      const int from = 1;
      const int to = std::min<int>(leadSteps(lead, step), static_cast<int>(forecast.quantiles.size()));
      for (std::size_t k = 0; k < predictor::kQuantileLevels.size(); ++k) {
        s.predictedPeak[k] = predictor::peakQuantile(forecast, from, to, k);
      }
    }
    s.predictedDemand = d.predictedDemand.value_or(0);
    s.reactive = d.reactive;
    s.predicted = d.predicted;
    s.scheduled = d.scheduled;
    s.desired = d.desired;
    s.current = current;
    s.winner = d.winner;
    s.leadSeconds = lead;
    s.scored = st.scored.size();
    s.wape = absActual > 0 ? absErr / absActual : 0;
    s.coverage = st.scored.empty() ? 0 : static_cast<double>(covered) / static_cast<double>(st.scored.size());
    s.fallback = d.fallback;
    s.model = view.model;
    s.step = step;
    s.modelBytes = st.recent->memoryBytes() + (st.forecaster ? st.forecaster->stateBytes() : 0) +
                   (st.daily ? st.daily->memoryBytes() : 0);
    std::lock_guard chartLock(st.chartMu);
    if (st.desiredHistory.empty() || st.desiredHistory.back().second != d.desired)
      st.desiredHistory.emplace_back(now, d.desired);
    const std::int64_t windowStart = now - static_cast<std::int64_t>(options_.dashboardSteps) * step;
    std::size_t stale = 0;
    while (stale + 1 < st.desiredHistory.size() && st.desiredHistory[stale + 1].first <= windowStart) ++stale;
    stale = std::max(stale, st.desiredHistory.size() > options_.dashboardSteps
                                ? st.desiredHistory.size() - options_.dashboardSteps
                                : std::size_t{0});  // a value flapping at every reconcile
    st.desiredHistory.erase(st.desiredHistory.begin(), st.desiredHistory.begin() + static_cast<std::ptrdiff_t>(stale));
  }

  if (!actionError.empty()) {
    auto out = finish(Outcome{std::nullopt, true, actionError});
    return out;
  }
  return finish(Outcome{requeue, false, ""});
}

}  // namespace tso::reconcile

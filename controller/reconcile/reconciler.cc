#include "controller/reconcile/reconciler.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "controller/prom/client.h"
#include "controller/reconcile/accuracy_gate.h"
#include "controller/reconcile/actions.h"
#include "controller/reconcile/demand.h"
#include "controller/reconcile/forecast_score.h"
#include "controller/reconcile/miss_budget.h"
#include "controller/reconcile/planner.h"
#include "controller/reconcile/shadow_history.h"
#include "controller/reconcile/status.h"
#include "controller/reconcile/units.h"
#include "predictor/calibration.h"
#include "predictor/forecaster.h"

namespace tso::reconcile {

namespace {

using nlohmann::json;

std::int64_t floorTo(std::int64_t t, std::int64_t step) { return t - ((t % step) + step) % step; }

// Just after the next grid step, when Prometheus has the sample for it.
std::chrono::milliseconds requeueAfter(std::int64_t now, std::int64_t step) {
  return std::chrono::milliseconds((floorTo(now, step) + step - now) * 1000 + 1500);
}

const json& fieldOf(const kube::Object& obj, const char* field) {
  static const json kNull;
  return obj.body.contains(field) ? obj.body[field] : kNull;
}

StatusFrame frameOf(const kube::Object& obj, std::int64_t now) {
  const json& previous = fieldOf(obj, "status");
  return {previous.is_object() ? previous : json::object(), obj.meta.generation, formatRfc3339(now)};
}

ServiceSnapshot namedSnapshot(const kube::Object& obj) {
  ServiceSnapshot s;
  s.ns = obj.meta.ns;
  s.name = obj.meta.name;
  return s;
}

// Where the tuned headroom starts: where it was before a restart (the status keeps it), else the
// spec's quantile and no time-of-day offsets.
HeadroomStart headroomStart(const StatusFrame& frame, const ServiceSpec& spec) {
  HeadroomStart start{predictor::zOfLevel(spec.quantile), {}};
  const json* b = frame.previous.contains("missBudget") ? &frame.previous["missBudget"] : nullptr;
  if (b != nullptr && b->is_object() && b->value("budget", -1.0) == spec.missBudget.value_or(0) && b->contains("z") &&
      (*b)["z"].is_number())
    start.z = (*b)["z"].get<double>();
  const json* h = frame.previous.contains("headroomByHour") ? &frame.previous["headroomByHour"] : nullptr;
  if (h != nullptr && h->is_array()) {
    for (const auto& v : *h) start.byHour.push_back(v.is_number() ? v.get<double>() : 0.0);
  }
  return start;
}

// 2 -> "2x", 1.5 -> "1.5x".
std::string ratioText(double ratio) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%gx", ratio);
  return buf;
}

// Whether the status says the accuracy gate had degraded the forecast (before a restart).
// A restarted operator keeps a promoted Shadow service running as Auto.
std::string promotedAtOf(const StatusFrame& frame) {
  const auto shadow = frame.previous.find("shadow");
  if (shadow == frame.previous.end() || !shadow->is_object()) return {};
  const auto at = shadow->find("promotedAt");
  return at != shadow->end() && at->is_string() ? at->get<std::string>() : std::string();
}

bool wasDegraded(const StatusFrame& frame) {
  const auto it = frame.previous.find("conditions");
  if (it == frame.previous.end()) return false;
  const json* c = findCondition(*it, "ForecastReady");
  if (c == nullptr) return false;
  const auto reason = c->find("reason");
  return reason != c->end() && *reason == "Degraded";
}

Outcome failedOutcome(const std::string& what, const Error& e) {
  return Outcome{std::nullopt, true, what + e.toString()};
}

}  // namespace

struct Reconciler::State {
  std::string uid;
  DemandState demand;
  ForecastScore score;
  std::unique_ptr<predictor::Planner> planner;
  LeadState lead;
  ActionState actions;
  BudgetState budget;
  AccuracyGate gate;
  bool gateRestored = false;  // from the status, once after this state was made
  ShadowLedger shadow;
  // Whether the Shadow window before the first reconcile was read from history; what it gave.
  bool shadowHistoryRead = false;
  std::int64_t shadowHistorySeconds = 0;
  std::string shadowHistoryNote;
  std::string promotedAt;  // status.shadow.promotedAt: a Shadow service promoted runs as Auto
  bool lastFallback = false;
  std::string lastInvalid;
  // demand.recent, score and desiredHistory: written by the reconciling worker under chartMu,
  // read under it by the dashboard's history (the worker reads them without it).
  mutable std::mutex chartMu;
  // The desired replicas over the chart window as a step function: (time, value) when it
  // changed, plus the last change before the window (its value holds at the window's start).
  std::vector<std::pair<std::int64_t, int>> desiredHistory;
  mutable std::mutex snapMu;
  ServiceSnapshot snap;
};

// What the demand stage saw: the observed state the decision reads, and the query's problem.
struct Reconciler::Sensed {
  Observed observed;
  std::optional<Error> queryProblem;
  std::string address;
};

Reconciler::Reconciler(kube::Client& client, const watch::Store& services, EventSink& events, ReconcilerOptions options,
                       Clock& clock)
    : services_(services), events_(events), executor_(client), options_(std::move(options)), clock_(clock) {
  if (!options_.connectPrometheus) {
    options_.connectPrometheus = [](const std::string& address, std::chrono::milliseconds timeout) {
      return prom::Client::connect(address, timeout);
    };
  }
}

Reconciler::~Reconciler() = default;

Outcome Reconciler::reconcile(const std::string& key) {
  const auto service = services_.get(key);
  if (!service) {
    forget(key);  // the owned HPA goes with the object (ownerReference); the workload stays
    return {};
  }
  const kube::Object& obj = *service;
  const std::string& ns = obj.meta.ns;
  State& st = stateFor(key, obj.meta.uid);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  const StatusFrame frame = frameOf(obj, now);

  auto parsed = parseSpec(fieldOf(obj, "spec"));
  if (!parsed) return rejectSpec(obj, st, parsed.error().message, frame);
  st.lastInvalid.clear();
  const ServiceSpec& spec = *parsed;
  if (spec.mode == Mode::kPaused) {
    return writeThen(obj, pausedStatus(frame), {}, [&] {
      std::lock_guard snapLock(st.snapMu);
      st.snap = namedSnapshot(obj);
      st.snap.mode = "Paused";
      st.snap.valid = true;
    });
  }

  auto target = observeTarget(options_.targetLookup, executor_, ns, spec.target);
  if (!target && target.error().code == ErrorCode::kNotFound)
    return writeThen(obj, targetMissingStatus(frame, spec, ns),
                     Outcome{requeueAfter(now, spec.stepSeconds), false, ""});
  if (!target) return failedOutcome("reading the target's scale: ", target.error());
  const int current = target->replicas;
  const std::int64_t lead = updateLead(st.lead, spec, target->selector, now,
                                       [&](const std::string& selector) { return executor_.podWarmups(ns, selector); });

  const Sensed sensed = sense(st, spec, current, now, lead);
  accountMisses(st.budget, spec, *st.demand.recent, st.desiredHistory, lead, headroomStart(frame, spec));
  judgeForecast(obj, st, spec, frame, now);
  predictor::Forecast forecast;  // made afresh each reconcile, not kept: less memory per service
  if (st.demand.model) st.demand.model->forecast(forecast);
  const ForecastView view{&forecast,
                          st.demand.modelTime + spec.stepSeconds,
                          spec.stepSeconds,
                          st.demand.model ? st.demand.model->selectedModel() : std::string(),
                          headroomZ(st.budget),
                          st.budget.timeOfDay ? &*st.budget.timeOfDay : nullptr,
                          st.demand.breakout ? &*st.demand.breakout : nullptr,
                          st.gate.degraded()};
  const bool usable = st.demand.forecastUsable();
  const Decision d =
      decide(spec, sensed.observed, usable ? &view : nullptr, calendarOf(spec), lead, plannerFor(st, spec, usable));

  score(st, spec, view, lead);
  std::optional<ShadowReport> shadow;
  const Mode inForce = runShadow(obj, st, spec,
                                 {now, d.fallback ? -1.0 : sensed.observed.demand.value_or(-1.0), d.desired,
                                  target->readyReplicas.value_or(current), current, spec.perReplica, lead,
                                  std::max<std::int64_t>(3 * spec.stepSeconds, 15)},
                                 frame.nowText, shadow);

  const ActionResult acted =
      act(executor_, events_, obj, spec, d, current, inForce == Mode::kAuto, st.actions, frame.nowText);
  const auto dependents =
      actOnDependents(executor_, events_, options_.targetLookup, obj, spec, d, inForce == Mode::kAuto);
  recordTransitions(obj, st, d, view.model);

  const auto accuracy = st.score.summary(spec.stepSeconds);
  const std::optional<std::int64_t> demandAge =
      sensed.observed.demand ? std::optional(now - sensed.observed.demandTime) : std::nullopt;
  const GateReport gate = st.gate.report(now, spec.guard);
  const StatusInput in{
      .spec = &spec,
      .decision = &d,
      .currentReplicas = current,
      .leadSeconds = lead,
      .demand = sensed.observed.demand,
      .demandAgeSeconds = demandAge,
      .accuracy = accuracy,
      .appliedCacheBytes = acted.appliedCacheBytes,
      .lastScaleTime = st.actions.lastScaleTime,
      .missBudget = budgetReport(st.budget),
      .headroomByHour = headroomByHour(st.budget),
      .prometheus = {sensed.observed.prometheusAvailable, sensed.observed.prometheusProblem,
                     sensed.observed.prometheusMessage, sensed.address},
      .forecast = {sensed.queryProblem, st.demand.model != nullptr, usable, DemandState::kMinForecastSamples,
                   st.demand.fitSummary, st.demand.lastAside, view.model},
      .gate = gate,
      .actionError = acted.error,
      .inForce = inForce,
      .shadow = shadow,
      .promotedAt = st.promotedAt,
      .dependents = &dependents};
  const Outcome outcome = acted.error ? Outcome{std::nullopt, true, acted.error->message}
                                      : Outcome{requeueAfter(now, spec.stepSeconds), false, ""};
  // Metrics and dashboards show a decision only once the API has recorded it.
  return writeThen(obj, buildStatus(frame, in), outcome, [&] {
    publish(st,
            {ns, obj.meta.name, &spec, &d, &forecast, sensed.observed.demand, demandAge, current, target->readyReplicas,
             lead, accuracy, gate, view.model,
             st.demand.recent->memoryBytes() + (st.demand.model ? st.demand.model->stateBytes() : 0) +
                 (st.demand.daily ? st.demand.daily->memoryBytes() : 0),
             &dependents},
            now);
  });
}

Reconciler::Sensed Reconciler::sense(State& st, const ServiceSpec& spec, int current, std::int64_t now,
                                     std::int64_t lead) {
  Sensed out;
  out.address = addressOf(spec);
  Observed& o = out.observed;
  o.now = now;
  o.currentReplicas = current;
  if (const std::string key = modelKeyOf(spec, out.address); st.demand.modelKey != key) {
    std::lock_guard chartLock(st.chartMu);
    resetDemand(st.demand, key, spec.stepSeconds, options_.recentSteps);
    st.score = ForecastScore(options_.accuracyWindow);
    st.gate = AccuracyGate{};  // judged afresh on the new demand
  }
  auto unavailable = [&o](std::string reason, std::string message) {
    o.prometheusAvailable = false;
    o.prometheusProblem = std::move(reason);
    o.prometheusMessage = std::move(message);
  };
  if (out.address.empty()) {
    unavailable("NoPrometheusAddress", "set spec.demand.prometheus.address or the operator's --prometheus-address");
  } else if (auto client = promFor(out.address, spec.queryTimeoutMs); !client) {
    unavailable(std::string(prom::problemReason(client.error().code)), client.error().message);
  } else {
    auto rangeOf = [&, c = *client](const std::string& expr) -> RangeQuery {
      return [&, c, expr](std::int64_t from, std::int64_t to) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c->queryRange(expr, from, to, spec.stepSeconds, std::chrono::milliseconds(spec.queryTimeoutMs));
        if (options_.onQuery) {
          options_.onQuery(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           r ? std::string() : std::string(prom::problemReason(r.error().code)));
        }
        return r;
      };
    };
    out.queryProblem = readDemand(st.demand, spec, {now, lead, options_.refitSeconds}, rangeOf(spec.query), st.chartMu);
    if (out.queryProblem && prom::isOutage(out.queryProblem->code))
      unavailable(std::string(prom::problemReason(out.queryProblem->code)), out.queryProblem->message);
    if (spec.backlog && o.prometheusAvailable) {
      auto backlog = readBacklog(spec, now, rangeOf(spec.backlog->query));
      if (backlog) {
        o.backlog = *backlog;
      } else if (prom::isOutage(backlog.error().code)) {
        unavailable(std::string(prom::problemReason(backlog.error().code)), backlog.error().message);
      } else {
        o.backlogProblem = backlog.error().message;
      }
    }
  }
  advanceModel(st.demand, spec.breakoutQuantile, static_cast<std::size_t>(leadSteps(lead, spec.stepSeconds)));
  // A query problem other than an outage (two series, NaN, a PromQL error) leaves the operator
  // as blind as an outage; through an outage the last demand seen stands, aging.
  if (auto latest = st.demand.recent->latestFinite(); latest && (!out.queryProblem || !o.prometheusAvailable)) {
    o.demand = latest->second;
    o.demandTime = latest->first;
  }
  if (spec.fallback == FallbackBehavior::kSeasonalNaive && st.demand.daily) {
    o.seasonalDemand = st.demand.daily->dayBefore(now + lead);  // yesterday's peak where the lead reaches
  }
  return out;
}

Mode Reconciler::runShadow(const kube::Object& obj, State& st, const ServiceSpec& spec, const ShadowStep& step,
                           const std::string& nowText, std::optional<ShadowReport>& report) {
  if (spec.mode != Mode::kShadow) st.promotedAt.clear();
  const Mode inForce = modeInForce(spec.mode, !st.promotedAt.empty(), st.gate.degraded(), spec.guard.onDegradedShadow);
  if (spec.mode != Mode::kShadow) return inForce;
  // Only fresh demand is accounted; a blind stretch leaves a gap the window does not count.
  if (step.demand >= 0) {
    if (!st.shadowHistoryRead) readShadowHistory(st, spec, obj.meta.ns, step.leadSeconds, step.now);
    st.shadow.record(step, spec.shadow.windowSeconds);
  }
  report = st.shadow.report(step.now, spec.shadow.windowSeconds);
  report->historySeconds = st.shadowHistorySeconds;
  report->historyNote = st.shadowHistoryNote;
  if (inForce != Mode::kShadow || !spec.shadow.autoPromote || !report->qualifies) return inForce;
  st.promotedAt = nowText;
  events_.record(obj, "Normal", "Promoted", promotionMessage(*report));
  return Mode::kAuto;
}

std::string Reconciler::addressOf(const ServiceSpec& spec) const {
  return spec.prometheusAddress.empty() ? options_.defaultPrometheusAddress : spec.prometheusAddress;
}

void Reconciler::readShadowHistory(State& st, const ServiceSpec& spec, const std::string& ns, std::int64_t lead,
                                   std::int64_t now) {
  auto client = promFor(addressOf(spec), spec.queryTimeoutMs);
  if (!client) return;  // read at a later reconcile
  const HistoryRanges r = historyRanges(spec, now);
  const auto timeout = std::chrono::milliseconds(spec.queryTimeoutMs);
  // The replicas first: without them (no kube-state-metrics) the long demand range is not read.
  const std::string replicasQuery = readyReplicasQuery(spec, ns);
  const auto replicas = (*client)->queryRange(replicasQuery, r.replicasFrom, r.to, spec.stepSeconds, timeout);
  if (!replicas && prom::isOutage(replicas.error().code)) return;  // read at a later reconcile
  if (!replicas || replicas->samples.empty()) {
    st.shadowHistoryRead = true;
    st.shadowHistoryNote = !replicas ? "the replicas that ran (" + replicasQuery + "): " + replicas.error().message
                                     : replicasQuery + " has no samples in the window: it is accounted from now on";
    return;
  }
  const auto demand = (*client)->queryRange(spec.query, r.demandFrom, r.to, spec.stepSeconds, timeout);
  if (!demand && prom::isOutage(demand.error().code)) return;
  st.shadowHistoryRead = true;
  if (!demand) {
    st.shadowHistoryNote = "the demand history: " + demand.error().message;
    return;
  }
  const ShadowSeed seed = shadowSeedOf(spec, *demand, *replicas, lead, now);
  for (const ShadowStep& step : seed.steps) st.shadow.record(step, spec.shadow.windowSeconds);
  st.shadowHistorySeconds = seed.seconds;
  st.shadowHistoryNote = seed.note;
}

void Reconciler::judgeForecast(const kube::Object& obj, State& st, const ServiceSpec& spec, const StatusFrame& frame,
                               std::int64_t now) {
  if (!st.gateRestored) {
    st.gate.restore(wasDegraded(frame));
    st.promotedAt = promotedAtOf(frame);
    st.gateRestored = true;
  }
  {
    std::lock_guard chartLock(st.chartMu);
    st.score.scoreDue(*st.demand.recent, [&](const ScoredForecast& s) { st.gate.add(s, spec.guard.windowSeconds); });
  }
  const GateChange change = st.gate.evaluate(now, spec.guard);
  if (change == GateChange::kNone) return;
  const std::string message = gateMessage(st.gate.report(now, spec.guard), spec.guard);
  if (change == GateChange::kDegraded) events_.record(obj, "Warning", "ForecastDegraded", message);
  if (change == GateChange::kRecovered) events_.record(obj, "Normal", "ForecastRecovered", message);
}

void Reconciler::score(State& st, const ServiceSpec& spec, const ForecastView& view, std::int64_t lead) {
  const predictor::Forecast& f = *view.forecast;
  if (f.quantiles.empty()) return;
  // The forecast for the time a lead ahead is what provisioning relied on: that one is scored,
  // with the baselines it must beat: the newest demand now, yesterday's peak around its time.
  const int h = std::min<int>(leadSteps(lead, spec.stepSeconds), static_cast<int>(f.quantiles.size()));
  const std::int64_t t = view.firstTime + static_cast<std::int64_t>(h - 1) * spec.stepSeconds;
  const double z = headroomZAt(spec, &view, t);
  ForecastMade made{f.point[static_cast<std::size_t>(h - 1)],
                    quantileAtZ(f, h, z),
                    predictor::levelOfZ(z),
                    quantileAt(f, h, 0.9),
                    std::nullopt,
                    std::nullopt};
  if (auto latest = st.demand.recent->latestFinite()) made.naive = latest->second;
  if (st.demand.daily) made.seasonal = st.demand.daily->dayBefore(t);
  std::lock_guard chartLock(st.chartMu);
  st.score.remember(t, made);
}

predictor::Planner& Reconciler::plannerFor(State& st, const ServiceSpec& spec, bool forecastDriven) {
  // The planner holds the stabilization history; it starts over only when its config changes.
  auto config = plannerConfigOf(spec, forecastDriven);
  if (!st.planner || !(st.planner->config() == config))
    st.planner = std::make_unique<predictor::Planner>(std::move(config));
  return *st.planner;
}

void Reconciler::recordTransitions(const kube::Object& obj, State& st, const Decision& d,
                                   const std::string& modelInUse) {
  if (d.fallback && !st.lastFallback) events_.record(obj, "Warning", "FallbackActivated", d.fallbackMessage);
  st.lastFallback = d.fallback;
  // The forecaster sets a kept model aside and takes it back at the calibration module's
  // thresholds; a refit starts afresh.
  const std::string asideAt = ratioText(predictor::calibration::kAsideRatio);
  const std::string backAt = ratioText(predictor::calibration::kBackRatio);
  const auto aside = st.demand.model ? st.demand.model->modelsSetAside() : std::vector<std::string>{};
  for (const auto& m : aside) {
    if (std::ranges::find(st.demand.lastAside, m) != st.demand.lastAside.end()) continue;
    std::string msg = m;
    msg.append(" set aside: its recent one-step error grew past ")
        .append(asideAt)
        .append(" what validation measured; forecasting with ")
        .append(modelInUse)
        .append(" until it recovers or the next refit");
    events_.record(obj, "Warning", "ModelSetAside", msg);
  }
  for (const auto& m : st.demand.lastAside) {
    if (std::ranges::find(aside, m) != aside.end()) continue;
    std::string msg = m;
    msg.append(" taken back: its one-step error is back within ")
        .append(backAt)
        .append(" what validation measured; forecasting with ")
        .append(modelInUse);
    events_.record(obj, "Normal", "ModelRecovered", msg);
  }
  st.demand.lastAside = aside;
}

Outcome Reconciler::rejectSpec(const kube::Object& obj, State& st, const std::string& message,
                               const StatusFrame& frame) {
  // What the schema could not reject is terminal until the spec changes.
  if (st.lastInvalid != message) events_.record(obj, "Warning", "InvalidSpec", message);
  st.lastInvalid = message;
  return writeThen(obj, invalidSpecStatus(frame, message), {}, [&] {
    std::lock_guard snapLock(st.snapMu);
    st.snap = namedSnapshot(obj);
  });
}

Outcome Reconciler::writeThen(const kube::Object& obj, const json& status, Outcome outcome,
                              const std::function<void()>& recorded) {
  if (auto written = executor_.writeStatus(obj, status); !written) {
    if (written.error().code == ErrorCode::kNotFound) return {};  // deleted meanwhile
    return failedOutcome("writing status: ", written.error());
  }
  if (recorded) recorded();
  return outcome;
}

void Reconciler::publish(State& st, const SnapshotInput& in, std::int64_t now) {
  ServiceSnapshot snap = buildSnapshot(in);
  {
    std::lock_guard chartLock(st.chartMu);
    recordDesired(st.desiredHistory, now, in.decision->desired, in.spec->stepSeconds, options_.dashboardSteps);
  }
  std::lock_guard snapLock(st.snapMu);
  st.snap = std::move(snap);
}

Reconciler::State& Reconciler::stateFor(const std::string& key, const std::string& uid) {
  std::lock_guard lock(mu_);
  auto& slot = states_[key];
  // A new object under an old name (deleted and re-created) starts from nothing.
  if (!slot || slot->uid != uid) {
    slot = std::make_unique<State>();
    slot->uid = uid;
    slot->score = ForecastScore(options_.accuracyWindow);
  }
  return *slot;
}

void Reconciler::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  states_.erase(key);
}

Result<std::shared_ptr<prom::Client>> Reconciler::promFor(const std::string& address, std::int64_t timeoutMs) {
  // One client (and connection pool) per Prometheus, shared by every service that queries it:
  // a client per service costs tens of kilobytes each at 2,000 services.
  std::lock_guard lock(mu_);
  auto& slot = promClients_[address + "#" + std::to_string(timeoutMs)];
  if (!slot) {
    auto c = options_.connectPrometheus(address, std::chrono::milliseconds(timeoutMs));
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
    if (filter.history && out.back().valid && out.back().step > 0) {
      std::lock_guard chartLock(state.chartMu);
      if (state.demand.recent)
        out.back().history =
            buildHistory(*state.demand.recent, state.score, state.desiredHistory, options_.dashboardSteps);
    }
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

}  // namespace tso::reconcile

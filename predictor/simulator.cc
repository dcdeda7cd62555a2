#include "predictor/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "predictor/planner.h"

namespace tso::predictor {
namespace {

constexpr float kNone = std::numeric_limits<float>::quiet_NaN();

// Pods by launch time; scale-down removes the newest first (warming pods go before serving ones).
class PodPool {
 public:
  void setReady(int n, std::int64_t now, std::int64_t warmup) {
    cohorts_.clear();
    if (n > 0) cohorts_.push_back({now - warmup, n});
    total_ = std::max(0, n);
  }
  void scaleTo(int n, std::int64_t now) {
    n = std::max(0, n);
    if (n > total_) cohorts_.push_back({now, n - total_});
    int remove = total_ - n;
    while (remove > 0 && !cohorts_.empty()) {
      auto& c = cohorts_.back();
      const int take = std::min(remove, c.count);
      c.count -= take;
      remove -= take;
      if (c.count == 0) cohorts_.pop_back();
    }
    total_ = n;
  }
  [[nodiscard]] int total() const { return total_; }
  [[nodiscard]] int ready(std::int64_t now, std::int64_t warmup) const {
    int r = 0;
    for (const auto& c : cohorts_) {
      if (c.launched + warmup <= now) r += c.count;
    }
    return r;
  }

 private:
  struct Cohort {
    std::int64_t launched;
    int count;
  };
  std::deque<Cohort> cohorts_;
  int total_ = 0;
};

struct Meter {
  PolicyResult r;
  int lastTotal = -1;
  std::size_t actions = 0;

  void tick(double demandRate, int needed, int ready, int total, double perReplica, double dt) {
    const double cap = ready * perReplica;
    r.requests += demandRate * dt;
    r.missedRequests += std::max(0.0, demandRate - cap) * dt;
    if (demandRate > cap * (1 + 1e-9)) r.underprovisionedTimeShare += dt;
    r.podSeconds += total * dt;
    const double d = std::max(1, needed);
    r.thetaU += std::max(0, needed - ready) / d * dt;
    r.thetaO += std::max(0, total - needed) / d * dt;
    if (lastTotal >= 0 && total != lastTotal) ++actions;
    lastTotal = total;
  }
  void finish(double seconds, double oraclePodSeconds) {
    r.underprovisionedFraction = r.requests > 0 ? r.missedRequests / r.requests : 0.0;
    r.underprovisionedTimeShare = seconds > 0 ? r.underprovisionedTimeShare / seconds : 0.0;
    r.actionsPerHour = seconds > 0 ? static_cast<double>(actions) / (seconds / 3600.0) : 0.0;
    r.thetaU = seconds > 0 ? 100.0 * r.thetaU / seconds : 0.0;
    r.thetaO = seconds > 0 ? 100.0 * r.thetaO / seconds : 0.0;
    r.podSecondsRatio = oraclePodSeconds > 0 ? r.podSeconds / oraclePodSeconds : 0.0;
  }
};

// What every policy faces: the demand at each moment, the evaluated ticks, the replicas needed.
struct World {
  const Series* series = nullptr;
  const SimulationConfig* cfg = nullptr;
  double cap = 1;  // requests per second one replica serves
  std::int64_t t0 = 0;
  std::int64_t tEnd = 0;
  std::int64_t dt = 15;

  [[nodiscard]] std::size_t ticks() const { return static_cast<std::size_t>((tEnd - t0) / dt); }
  [[nodiscard]] std::int64_t timeOf(std::size_t tick) const { return t0 + static_cast<std::int64_t>(tick) * dt; }
  [[nodiscard]] std::int64_t indexAt(std::int64_t t) const { return (t - series->start) / series->step; }
  [[nodiscard]] double rateAt(std::int64_t t) const {
    const auto& y = series->values;
    const auto step = static_cast<double>(series->step);
    if (t < series->start) return y.front() / step;
    const auto i = static_cast<std::size_t>(indexAt(t));
    return i < y.size() ? y[i] / step : 0.0;
  }
  [[nodiscard]] int need(std::int64_t t) const { return replicasFor(rateAt(t), cap, 1.0, 0, 1 << 30); }
  // The oracle: the largest need until pods launched at the next tick are ready, within the
  // service's bounds when it has them.
  [[nodiscard]] int oracleWant(std::int64_t now) const {
    int w = 0;
    for (std::int64_t t = now; t < now + cfg->warmupSeconds + dt; t += dt) w = std::max(w, need(t));
    if (cfg->servicePlanner) return std::clamp(w, cfg->servicePlanner->minReplicas, cfg->servicePlanner->maxReplicas);
    return std::max(1, w);
  }
};

Result<World> makeWorld(const Series& series, const SimulationConfig& cfg, std::vector<std::string>& notes) {
  const auto& y = series.values;
  const std::int64_t step = series.step;
  if (step <= 0 || cfg.tickSeconds <= 0 || cfg.peakReplicas <= 0 || cfg.warmupSeconds < 0 || cfg.metricLagSeconds < 0) {
    return fail(ErrorCode::kInvalidArgument, "step, tick and peak replicas must be positive; warm-up and lag >= 0");
  }
  if (const auto& p = cfg.servicePlanner;
      p && !(p->perReplica > 0 && p->minReplicas >= 0 && p->maxReplicas >= std::max(1, p->minReplicas))) {
    return fail(ErrorCode::kInvalidArgument, "the service's per-replica capacity must be positive and max >= min >= 0");
  }
  if (cfg.provisioning.missBudget && !(*cfg.provisioning.missBudget > 0 && *cfg.provisioning.missBudget < 1)) {
    return fail(ErrorCode::kInvalidArgument, "the miss budget must be in (0, 1)");
  }
  if (!(cfg.provisioning.quantile > 0 && cfg.provisioning.quantile < 1) ||
      !(cfg.provisioning.breakoutLevel >= 0 && cfg.provisioning.breakoutLevel < 1)) {
    return fail(ErrorCode::kInvalidArgument, "the quantile must be in (0, 1) and the breakout level in [0, 1)");
  }
  if (cfg.predictiveScaleDownSeconds < 0 ||
      std::any_of(cfg.scaleDownWindows.begin(), cfg.scaleDownWindows.end(), [](auto s) { return s < 0; })) {
    return fail(ErrorCode::kInvalidArgument, "a scale-down window must be >= 0");
  }
  auto badHpa = [](const HpaSetting& h) { return !(h.target > 0 && h.target <= 1) || h.scaleDownSeconds < 0; };
  if ((cfg.hpa && badHpa(*cfg.hpa)) || std::any_of(cfg.hpaSweep.begin(), cfg.hpaSweep.end(), badHpa)) {
    return fail(ErrorCode::kInvalidArgument, "an HPA target must be in (0, 1] and its scale-down window >= 0");
  }
  for (double v : y) {
    if (std::isnan(v)) return fail(ErrorCode::kInvalidArgument, "series has missing samples; repair it first");
  }
  const auto trainSamples = static_cast<std::size_t>(std::max<std::int64_t>(0, cfg.trainSeconds / step));
  if (trainSamples + 2 > y.size()) {
    return fail(ErrorCode::kTooShort, "need more than " + std::to_string(trainSamples + 2) +
                                          " samples (training + evaluation), have " + std::to_string(y.size()));
  }
  World w;
  w.series = &series;
  w.cfg = &cfg;
  w.dt = cfg.tickSeconds;
  const double peak = *std::max_element(y.begin(), y.end()) / static_cast<double>(step);
  if (cfg.servicePlanner) {
    w.cap = cfg.servicePlanner->perReplica;
  } else {
    w.cap = peak > 0 ? peak / cfg.peakReplicas : 1.0;
    if (!(peak > 0)) notes.emplace_back("the trace is all zero: per-replica capacity set to 1");
  }
  w.t0 = series.start + ((static_cast<std::int64_t>(trainSamples) * step + w.dt - 1) / w.dt) * w.dt;
  w.tEnd = series.start + static_cast<std::int64_t>(y.size()) * step;
  return w;
}

// The forecaster (or fleet of one) fed the samples the metric pipeline has delivered at each
// tick and refitted on schedule; what it forecast for the lead window, per tick.
class LeadForecaster {
 public:
  LeadForecaster(const World& w, const SimulationConfig& cfg)
      : w_(w), cfg_(cfg), forecaster_(config()), fleet_(fleetConfigLike(config())) {}

  Result<LeadForecast> at(std::int64_t now) {
    const std::int64_t available = w_.indexAt(now - cfg_.metricLagSeconds) - 1;
    if (auto st = feed(now, available); !st) return std::unexpected(st.error());
    const double step = static_cast<double>(w_.series->step);
    LeadForecast lf;
    for (std::size_t k = 0; k < kQuantileLevels.size(); ++k) {
      lf.seen[k] = static_cast<float>(forecast_.quantiles.front()[k] / step);
    }
    const auto s0 = w_.indexAt(now);
    const auto s1 = w_.indexAt(now + cfg_.warmupSeconds + w_.dt - 1);
    const int from = static_cast<int>(std::max<std::int64_t>(2, s0 - consumed_));
    const int to = static_cast<int>(s1 - consumed_);
    for (std::size_t k = 0; k < kQuantileLevels.size(); ++k) {
      lf.ahead[k] = to >= from ? static_cast<float>(peakQuantile(forecast_, from, to, k) / step) : kNone;
    }
    return lf;
  }
  [[nodiscard]] const std::vector<std::string>& notes() const {
    return cfg_.fleet ? fleet_.lastFit().notes : forecaster_.lastFit().notes;
  }

 private:
  [[nodiscard]] ForecasterConfig config() const {
    ForecasterConfig f;
    f.step = w_.series->step;
    f.horizon = static_cast<int>((cfg_.metricLagSeconds + cfg_.warmupSeconds + w_.dt) / f.step + 3);
    f.focusHorizons.clear();
    for (int h = 1; h <= f.horizon; ++h) f.focusHorizons.push_back(h);
    f.jumpThreshold = cfg_.jumpThreshold;
    f.fastSearch = cfg_.fastSearch;
    f.onlyModels = cfg_.onlyModels;
    return f;
  }
  // Refits when due, then feeds the samples delivered since the last tick.
  Result<void> feed(std::int64_t now, std::int64_t available) {
    const auto& y = w_.series->values;
    auto into = [this](std::size_t, const FleetForecast& f) { f.copyTo(forecast_); };
    if (!fitted_ || now - lastFit_ >= cfg_.refitSeconds) {
      const auto history = std::span<const double>(y).first(static_cast<std::size_t>(available + 1));
      if (cfg_.fleet) {
        if (auto fr = fleet_.fit(std::span<const std::span<const double>>(&history, 1)); !fr)
          return std::unexpected(fr.error());
        fleet_.forecastNow(into);
      } else {
        forecaster_.fit(history);
        forecaster_.forecast(forecast_);
      }
      consumed_ = available;
      lastFit_ = now;
      fitted_ = true;
    }
    if (consumed_ >= available) return {};
    while (consumed_ < available) {
      const double sample = y[static_cast<std::size_t>(++consumed_)];
      if (cfg_.fleet) {
        if (auto st = fleet_.tick(std::span<const double>(&sample, 1), into); !st) return std::unexpected(st.error());
      } else {
        forecaster_.update(sample);
      }
    }
    if (!cfg_.fleet) forecaster_.forecast(forecast_);
    return {};
  }

  const World& w_;
  const SimulationConfig& cfg_;
  Forecaster forecaster_;
  Fleet fleet_;
  Forecast forecast_;
  std::int64_t consumed_ = -1;  // index of the newest sample the forecaster has
  std::int64_t lastFit_ = 0;
  bool fitted_ = false;
};

PlannerConfig plannerFor(const World& w, double target) {
  PlannerConfig c;
  c.perReplica = w.cap;
  c.targetUtilization = target;
  c.minReplicas = 1;
  c.maxReplicas = 1 << 20;
  if (const auto& s = w.cfg->servicePlanner) {
    c.minReplicas = s->minReplicas;
    c.maxReplicas = s->maxReplicas;
  }
  return c;
}

// HPA v2: the metric seen `metricLag` late, scaled to the target utilization.
class HpaPolicy {
 public:
  HpaPolicy(const World& w, const HpaSetting& s) : w_(w), planner_(hpaPlanner(w, s)) {}
  int decide(std::size_t /*tick*/, std::int64_t now, int current) {
    return planner_.plan({now, current, w_.rateAt(now - w_.cfg->metricLagSeconds), std::nullopt, std::nullopt}).desired;
  }
  void delivered(double /*demand*/, double /*missed*/) {}

 private:
  static PlannerConfig hpaPlanner(const World& w, const HpaSetting& s) {
    auto c = plannerFor(w, s.target);
    c.behavior.scaleDown.stabilizationSeconds = s.scaleDownSeconds;
    return c;
  }
  const World& w_;
  Planner planner_;
};

class OraclePolicy {
 public:
  explicit OraclePolicy(const World& w) : w_(w) {}
  int decide(std::size_t /*tick*/, std::int64_t now, int /*current*/) { return w_.oracleWant(now); }
  void delivered(double /*demand*/, double /*missed*/) {}

 private:
  const World& w_;
};

// The forecast's peak over the lead window at the headroom asked for, the observed rate standing
// for the step it falls in; planned with the reactive signal at utilization 1.0 beside it.
class PredictivePolicy {
 public:
  PredictivePolicy(const World& w, std::span<const LeadForecast> lead, const Provisioning& p,
                   std::int64_t scaleDownSeconds)
      : w_(w),
        lead_(lead),
        events_(&p.events),
        fixedZ_(zOfLevel(p.quantile)),
        planner_(predictivePlanner(w, scaleDownSeconds)) {
    if (p.breakoutLevel > 0) breakoutZ_ = zOfLevel(p.breakoutLevel);
    if (p.timeOfDay) timeOfDay_.emplace(p.timeOfDayConfig);
    if (p.missBudget) {
      auto c = p.budget;
      c.budget = *p.missBudget;
      budget_.emplace(c, fixedZ_);
    }
    const std::int64_t lagTicks = (w.cfg->metricLagSeconds + w.dt - 1) / w.dt;
    pendingKept_ = static_cast<std::size_t>(std::max<std::int64_t>(1, lagTicks) - 1);
  }
  int decide(std::size_t tick, std::int64_t now, int current) {
    // Misses reach the budget as the metric reveals them, a lag late.
    while (pending_.size() > pendingKept_) {
      const auto& d = pending_.front();
      if (budget_) budget_->observe(d.demand, d.missed, static_cast<double>(w_.dt));
      if (timeOfDay_) timeOfDay_->observe(d.at, d.missed > 0, static_cast<double>(w_.dt));
      pending_.pop_front();
    }
    now_ = now;
    const std::int64_t seenAt = now - w_.cfg->metricLagSeconds;
    const double observed = w_.rateAt(seenAt);
    const LeadForecast& f = lead_[tick];
    const double z =
        (budget_ ? budget_->z() : fixedZ_) + (timeOfDay_ ? timeOfDay_->offset(now + w_.cfg->warmupSeconds) : 0.0);
    std::optional<double> predicted;
    if (!std::isnan(f.ahead[0])) {
      // Breakout: demand already above its step's band, so the forecast is behind by the gap.
      const Quantiles seen = toQuantiles(f.seen);
      const bool breakout = breakoutZ_ && observed > quantileAtZ(seen, *breakoutZ_);
      predicted = quantileAtZ(toQuantiles(f.ahead), z) + (breakout ? observed - seen[kP50] : 0.0);
    }
    if (w_.indexAt(now) <= w_.indexAt(seenAt)) predicted = std::max(predicted.value_or(0.0), observed);
    if (predicted && !events_->empty()) *predicted *= eventMultiplier(now);
    return planner_.plan({now, current, observed, predicted, std::nullopt}).desired;
  }
  void delivered(double demand, double missed) { pending_.push_back({now_, demand, missed}); }

 private:
  // The largest event multiplier over the lead window, at tick resolution.
  [[nodiscard]] double eventMultiplier(std::int64_t now) const {
    double m = 1;
    for (std::int64_t t = now; t < now + w_.cfg->warmupSeconds + w_.dt; t += w_.dt) {
      m = std::max(m, events_->multiplierAt(t));
    }
    return m;
  }

  static Quantiles toQuantiles(const std::array<float, kQuantileLevels.size()>& a) {
    Quantiles q{};
    for (std::size_t k = 0; k < q.size(); ++k) q[k] = a[k];
    return q;
  }
  static PlannerConfig predictivePlanner(const World& w, std::int64_t scaleDownSeconds) {
    auto c = w.cfg->servicePlanner ? *w.cfg->servicePlanner : plannerFor(w, 1.0);
    c.behavior.scaleDown.stabilizationSeconds = scaleDownSeconds;
    return c;
  }
  const World& w_;
  std::span<const LeadForecast> lead_;
  const EventCalendar* events_;
  double fixedZ_;
  std::optional<double> breakoutZ_;
  Planner planner_;
  std::optional<MissBudget> budget_;
  std::optional<TimeOfDayHeadroom> timeOfDay_;
  struct Delivered {
    std::int64_t at;
    double demand;
    double missed;
  };
  std::deque<Delivered> pending_;  // not yet revealed by the metric
  std::int64_t now_ = 0;
  std::size_t pendingKept_ = 0;
};

struct Timeline {
  std::vector<float>* ready = nullptr;
  std::vector<float>* alive = nullptr;
  std::vector<float>* needed = nullptr;
};

template <typename Policy>
Meter replay(const World& w, Policy& policy, std::string name, double knob, Timeline timeline = {}) {
  const auto warmup = w.cfg->warmupSeconds;
  PodPool pool;
  pool.setReady(w.oracleWant(w.t0), w.t0, warmup);
  Meter meter;
  meter.r.name = std::move(name);
  meter.r.knob = knob;
  const std::size_t n = w.ticks();
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t now = w.timeOf(i);
    pool.scaleTo(policy.decide(i, now, pool.total()), now);
    const double rate = w.rateAt(now);
    const int ready = pool.ready(now, warmup);
    meter.tick(rate, w.need(now), ready, pool.total(), w.cap, static_cast<double>(w.dt));
    policy.delivered(rate, std::max(0.0, rate - ready * w.cap));
    if (timeline.ready != nullptr) timeline.ready->push_back(static_cast<float>(ready));
    if (timeline.alive != nullptr) timeline.alive->push_back(static_cast<float>(pool.total()));
    if (timeline.needed != nullptr) timeline.needed->push_back(static_cast<float>(rate / w.cap));
  }
  return meter;
}

Meter runHpa(const World& w, const HpaSetting& setting, Timeline timeline = {}) {
  HpaPolicy p(w, setting);
  auto m = replay(w, p, "hpa", setting.target, timeline);
  m.r.scaleDownSeconds = setting.scaleDownSeconds;
  return m;
}

Meter runPredictive(const World& w, std::span<const LeadForecast> lead, const Provisioning& prov,
                    std::int64_t scaleDownSeconds, Timeline timeline = {}) {
  PredictivePolicy p(w, lead, prov, scaleDownSeconds);
  auto m = replay(w, p, "predictive", prov.missBudget.value_or(prov.quantile), timeline);
  m.r.scaleDownSeconds = scaleDownSeconds;
  return m;
}

std::vector<FrontierPoint> pointsOf(const std::vector<PolicyResult>& runs) {
  std::vector<FrontierPoint> out;
  out.reserve(runs.size());
  for (const auto& r : runs) out.push_back(r.point());
  return out;
}

// The swept HPA setting whose cost is nearest `cost` among those on the lower envelope.
HpaSetting nearestOnEnvelope(const std::vector<PolicyResult>& sweep, double cost) {
  auto points = pointsOf(sweep);
  for (std::size_t i = 0; i < points.size(); ++i) points[i].knob = static_cast<double>(i);  // the run it came from
  const auto env = lowerEnvelope(points);
  const auto best = std::min_element(env.begin(), env.end(), [cost](const auto& a, const auto& b) {
    return std::abs(a.cost - cost) < std::abs(b.cost - cost);
  });
  const auto& r = sweep[static_cast<std::size_t>(best->knob)];
  return {r.knob, r.scaleDownSeconds};
}

}  // namespace

std::vector<HpaSetting> defaultHpaSweep() {
  std::vector<HpaSetting> out;
  for (std::int64_t window : {0, 60, 150, 300, 600}) {
    for (int i = 0; i <= 28; ++i) out.push_back({0.30 + 0.025 * i, window});
  }
  return out;
}

std::vector<double> defaultMissBudgets() { return {0.001, 0.002, 0.005, 0.01, 0.02, 0.05}; }

Result<LeadForecasts> forecastLeadTimes(const Series& series, const SimulationConfig& cfg) {
  LeadForecasts out;
  auto world = makeWorld(series, cfg, out.notes);
  if (!world) return std::unexpected(world.error());
  const World& w = *world;
  LeadForecaster lf(w, cfg);
  out.start = w.t0;
  out.tickSeconds = w.dt;
  out.ticks.reserve(w.ticks());
  for (std::size_t i = 0; i < w.ticks(); ++i) {
    auto f = lf.at(w.timeOf(i));
    if (!f) return std::unexpected(f.error());
    out.ticks.push_back(*f);
    if (cfg.progress && i % 20'000 == 0) cfg.progress(0.9 * static_cast<double>(i) / static_cast<double>(w.ticks()));
  }
  out.notes.insert(out.notes.end(), lf.notes().begin(), lf.notes().end());
  return out;
}

Result<SimulationReport> simulate(const Series& series, const SimulationConfig& cfg) {
  auto lead = forecastLeadTimes(series, cfg);
  if (!lead) return std::unexpected(lead.error());
  return simulate(series, cfg, *lead);
}

Result<SimulationReport> simulate(const Series& series, const SimulationConfig& cfg, const LeadForecasts& lead) {
  SimulationReport report;
  auto world = makeWorld(series, cfg, report.notes);
  if (!world) return std::unexpected(world.error());
  const World& w = *world;
  if (lead.ticks.size() != w.ticks() || lead.start != w.t0 || lead.tickSeconds != w.dt) {
    return fail(ErrorCode::kInvalidArgument, "the lead forecasts were made for another trace or timing (" +
                                                 std::to_string(lead.ticks.size()) + " ticks, this run has " +
                                                 std::to_string(w.ticks()) + ")");
  }
  report.notes = lead.notes;
  report.tickSeconds = cfg.tickSeconds;
  report.perReplica = w.cap;
  report.start = w.t0;

  OraclePolicy oracle(w);
  Timeline oracleLine;
  if (cfg.recordTimeline) {
    report.ready.assign(3, {});
    report.alive.assign(3, {});
    oracleLine = {&report.ready[2], &report.alive[2], &report.needed};
  }
  auto oracleRun = replay(w, oracle, "oracle", 0, oracleLine);
  const double oraclePod = oracleRun.r.podSeconds;
  const double seconds = static_cast<double>(w.ticks()) * static_cast<double>(w.dt);
  auto finish = [&](Meter m) {
    m.finish(seconds, oraclePod);
    return m.r;
  };
  const auto window = cfg.predictiveScaleDownSeconds;
  auto predictive =
      finish(runPredictive(w, lead.ticks, cfg.provisioning, window,
                           cfg.recordTimeline ? Timeline{&report.ready[0], &report.alive[0]} : Timeline{}));
  for (const auto& setting : cfg.hpaSweep) report.hpaSweep.push_back(finish(runHpa(w, setting)));
  for (double b : cfg.missBudgets) {
    auto prov = cfg.provisioning;
    prov.missBudget = b;
    report.predictiveSweep.push_back(finish(runPredictive(w, lead.ticks, prov, window)));
  }
  for (std::int64_t other : cfg.scaleDownWindows) {
    report.windowSweep.push_back(finish(runPredictive(w, lead.ticks, cfg.provisioning, other)));
  }
  HpaSetting shown = cfg.hpa.value_or(HpaSetting{});
  if (!report.hpaSweep.empty()) {
    const auto env = lowerEnvelope(pointsOf(report.hpaSweep));
    report.equalCost = compareAtEqualCost(env, predictive.point());
    if (!cfg.hpa) shown = nearestOnEnvelope(report.hpaSweep, predictive.podSecondsRatio);
  }
  auto hpa = finish(runHpa(w, shown, cfg.recordTimeline ? Timeline{&report.ready[1], &report.alive[1]} : Timeline{}));
  report.policies = {predictive, hpa, finish(oracleRun)};
  if (cfg.progress) cfg.progress(1.0);
  return report;
}

}  // namespace tso::predictor

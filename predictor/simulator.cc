#include "predictor/simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>

#include "predictor/planner.h"

namespace tso::predictor {
namespace {

// Pods by launch time; scale-down removes the newest first (warming pods go before serving ones).
class PodPool {
 public:
  void setReady(int n, std::int64_t now, std::int64_t warmup) {
    cohorts_.clear();
    total_ = 0;
    if (n > 0) cohorts_.push_back({now - warmup, n});
    total_ = std::max(0, n);
  }
  void scaleTo(int n, std::int64_t now) {
    n = std::max(0, n);
    if (n > total_) {
      cohorts_.push_back({now, n - total_});
    }
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
    const double miss = std::max(0.0, demandRate - cap) * dt;
    r.missedRequests += miss;
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

}  // namespace

Result<SimulationReport> simulate(const Series& series, const SimulationConfig& cfg) {
  const auto& y = series.values;
  const std::size_t n = y.size();
  const std::int64_t step = series.step;
  if (step <= 0 || cfg.tickSeconds <= 0 || cfg.peakReplicas <= 0 || cfg.warmupSeconds < 0 || cfg.metricLagSeconds < 0) {
    return fail(ErrorCode::kInvalidArgument, "step, tick and peak replicas must be positive; warm-up and lag >= 0");
  }
  for (double v : y) {
    if (std::isnan(v)) return fail(ErrorCode::kInvalidArgument, "series has missing samples; repair it first");
  }
  const auto trainSamples = static_cast<std::size_t>(std::max<std::int64_t>(0, cfg.trainSeconds / step));
  if (trainSamples + 2 > n) {
    return fail(ErrorCode::kTooShort, "need more than " + std::to_string(trainSamples + 2) +
                                          " samples (training + evaluation), have " + std::to_string(n));
  }
  const double peak = *std::max_element(y.begin(), y.end()) / static_cast<double>(step);
  SimulationReport report;
  report.tickSeconds = cfg.tickSeconds;
  report.perReplica = peak > 0 ? peak / cfg.peakReplicas : 1.0;
  if (!(peak > 0)) report.notes.emplace_back("the trace is all zero: per-replica capacity set to 1");
  const double cap = report.perReplica;
  const std::int64_t dt = cfg.tickSeconds;

  auto rateAt = [&](std::int64_t t) {
    if (t < series.start) return y.front() / static_cast<double>(step);
    const auto i = static_cast<std::size_t>((t - series.start) / step);
    return i < n ? y[i] / static_cast<double>(step) : 0.0;
  };
  auto need = [&](std::int64_t t) { return replicasFor(rateAt(t), cap, 1.0, 0, 1 << 30); };
  auto indexAt = [&](std::int64_t t) { return (t - series.start) / step; };

  const std::int64_t t0 = series.start + ((static_cast<std::int64_t>(trainSamples) * step + dt - 1) / dt) * dt;
  const std::int64_t tEnd = series.start + static_cast<std::int64_t>(n) * step;
  report.start = t0;

  // Oracle: the largest need until pods launched at the next tick are ready, released at once.
  auto oracleWant = [&](std::int64_t now) {
    int w = 0;
    for (std::int64_t t = now; t < now + cfg.warmupSeconds + dt; t += dt) w = std::max(w, need(t));
    return w;
  };

  PlannerConfig hpaCfg;
  hpaCfg.perReplica = cap;
  hpaCfg.targetUtilization = cfg.hpaTargetUtilization;
  hpaCfg.minReplicas = 1;
  hpaCfg.maxReplicas = 1 << 20;
  Planner hpa(hpaCfg);
  PlannerConfig predCfg = hpaCfg;
  predCfg.targetUtilization = 1.0;
  predCfg.behavior.scaleDown.stabilizationSeconds = cfg.predictiveScaleDownSeconds;
  Planner predictive(predCfg);

  ForecasterConfig fcfg;
  fcfg.step = step;
  fcfg.horizon = static_cast<int>((cfg.metricLagSeconds + cfg.warmupSeconds + dt) / step + 3);
  fcfg.focusHorizons.clear();
  for (int h = 1; h <= fcfg.horizon; ++h) fcfg.focusHorizons.push_back(h);
  fcfg.jumpThreshold = cfg.jumpThreshold;
  fcfg.fastSearch = cfg.fastSearch;
  Forecaster forecaster(fcfg);
  FleetConfig flc;  // with cfg.fleet: the same horizons, as a fleet of one
  flc.step = step;
  flc.horizon = fcfg.horizon;
  flc.focusHorizons = fcfg.focusHorizons;
  Fleet fleet(flc);
  Forecast forecast;
  auto intoForecast = [&forecast](std::size_t, const FleetForecast& f) { f.copyTo(forecast); };
  std::int64_t consumed = -1;  // index of the newest sample the forecaster has
  std::int64_t lastFit = 0;
  bool fitted = false;

  enum { kPredictive = 0, kHpa, kOracle, kPolicies };
  std::array<PodPool, kPolicies> pools;
  std::array<Meter, kPolicies> meters;
  meters[kPredictive].r.name = "predictive";
  meters[kHpa].r.name = "hpa";
  meters[kOracle].r.name = "oracle";
  const int initial = std::max(1, oracleWant(t0));
  for (auto& p : pools) p.setReady(initial, t0, cfg.warmupSeconds);
  if (cfg.recordTimeline) report.ready.assign(kPolicies, {});

  const std::int64_t ticks = (tEnd - t0) / dt;
  const auto totalTicks = static_cast<double>(ticks);
  std::size_t tickNo = 0;
  for (std::int64_t now = t0; now < tEnd; now += dt, ++tickNo) {
    const double observed = rateAt(now - cfg.metricLagSeconds);

    // Predictive: feed the samples the metric pipeline has delivered, refit on schedule.
    const std::int64_t available = indexAt(now - cfg.metricLagSeconds) - 1;
    if (!fitted || now - lastFit >= cfg.refitSeconds) {
      const std::span<const double> history = std::span<const double>(y).first(static_cast<std::size_t>(available + 1));
      if (cfg.fleet) {
        auto fr = fleet.fit(std::span<const std::span<const double>>(&history, 1));
        if (!fr) return std::unexpected(fr.error());
        fleet.forecastNow(intoForecast);
      } else {
        forecaster.fit(history);
        forecaster.forecast(forecast);
      }
      consumed = available;
      lastFit = now;
      fitted = true;
    }
    if (consumed < available) {
      while (consumed < available) {
        const double sample = y[static_cast<std::size_t>(++consumed)];
        if (cfg.fleet) {
          if (auto st = fleet.tick(std::span<const double>(&sample, 1), intoForecast); !st)
            return std::unexpected(st.error());
        } else {
          forecaster.update(sample);
        }
      }
      if (!cfg.fleet) forecaster.forecast(forecast);
    }
    const std::int64_t s0 = indexAt(now);
    const std::int64_t s1 = indexAt(now + cfg.warmupSeconds + dt - 1);
    const double fcRate = peakQuantile(forecast, static_cast<int>(s0 - consumed), static_cast<int>(s1 - consumed),
                                       cfg.predictiveQuantile) /
                          static_cast<double>(step);
    const Plan pp = predictive.plan({now, pools[kPredictive].total(), observed, fcRate, std::nullopt});
    pools[kPredictive].scaleTo(pp.desired, now);
    const Plan hp = hpa.plan({now, pools[kHpa].total(), observed, std::nullopt, std::nullopt});
    pools[kHpa].scaleTo(hp.desired, now);
    pools[kOracle].scaleTo(std::max(1, oracleWant(now)), now);

    const double r = rateAt(now);
    const int needed = need(now);
    for (std::size_t p = 0; p < kPolicies; ++p) {
      const int ready = pools[p].ready(now, cfg.warmupSeconds);
      meters[p].tick(r, needed, ready, pools[p].total(), cap, static_cast<double>(dt));
      if (cfg.recordTimeline) report.ready[p].push_back(static_cast<float>(ready));
    }
    if (cfg.recordTimeline) report.needed.push_back(static_cast<float>(r / cap));
    if (cfg.progress && tickNo % 20'000 == 0) cfg.progress(static_cast<double>(tickNo) / totalTicks);
  }
  if (cfg.progress) cfg.progress(1.0);
  const double seconds = static_cast<double>(tickNo) * static_cast<double>(dt);
  const double oraclePod = meters[kOracle].r.podSeconds;
  for (auto& m : meters) {
    m.finish(seconds, oraclePod);
    report.policies.push_back(m.r);
  }
  const auto& notes = cfg.fleet ? fleet.lastFit().notes : forecaster.lastFit().notes;
  for (const auto& note : notes) report.notes.push_back(note);
  return report;
}

}  // namespace tso::predictor

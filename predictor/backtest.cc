#include "predictor/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "predictor/simple_models.h"

namespace tso::predictor {
namespace {

constexpr std::size_t kNq = kQuantileLevels.size();

enum Baseline : std::size_t { kNaive = 0, kSnaiveDay, kSnaiveWeek, kEwma, kNumBaselines };
constexpr const char* kBaselineNames[kNumBaselines] = {"naive", "seasonal_naive_day", "seasonal_naive_week", "ewma"};

// Sums for one (model, horizon), including the baselines' errors on exactly its points so
// the relative scores compare like with like.
struct Acc {
  std::size_t n = 0;
  double absErr = 0;
  double absY = 0;
  std::size_t covered = 0;
  double pinball = 0;
  std::array<double, kNumBaselines> baseErr{};
  std::array<std::size_t, kNumBaselines> baseN{};

  void add(double y, const Forecast& f, std::size_t h, std::span<const std::optional<double>> base) {
    const double e = y - f.point[h];
    ++n;
    absErr += std::abs(e);
    absY += std::abs(y);
    covered += y <= f.quantiles[h][kP90] ? 1 : 0;
    double pl = 0;
    for (std::size_t k = 0; k < kNq; ++k) {
      const double d = y - f.quantiles[h][k];
      pl += d >= 0 ? kQuantileLevels[k] * d : (kQuantileLevels[k] - 1) * d;
    }
    pinball += pl / kNq;
    for (std::size_t b = 0; b < kNumBaselines; ++b) {
      if (const auto& baseline = base[b]) {
        baseErr[b] += std::abs(y - *baseline);
        ++baseN[b];
      }
    }
  }

  HorizonMetrics finish(std::int64_t seconds, int steps) const {
    HorizonMetrics m;
    m.seconds = seconds;
    m.steps = steps;
    m.points = n;
    if (n == 0) return m;
    const double dn = static_cast<double>(n);
    m.mae = absErr / dn;
    m.wape = absY > 0 ? absErr / absY : 0.0;
    m.coverageP90 = static_cast<double>(covered) / dn;
    m.pinball = pinball / dn;
    // A baseline counts only where it had a value at every point (history allows).
    if (baseN[kSnaiveDay] == n && baseErr[kSnaiveDay] > 0) m.mase = absErr / baseErr[kSnaiveDay];
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t b = 0; b < kNumBaselines; ++b) {
      if (baseN[b] == n && baseErr[b] < best) {
        best = baseErr[b];
        m.bestBaseline = kBaselineNames[b];
      }
    }
    if (std::isfinite(best) && best > 0) m.skill = absErr / best;
    return m;
  }
};

// Per series: its baselines, its sums and its report.
struct Track {
  std::vector<EwmaModel> ewma;  // EWMA baseline, alpha fitted per horizon on the training part only
  std::vector<Acc> selected;
  std::map<std::string, std::vector<Acc>> perModel;
  std::vector<std::string> modelOrder;
  std::vector<std::vector<Acc>> baseAcc;
  std::map<std::string, std::string> notes;  // first word (the model) -> first note about it
  BacktestReport report;
  Forecast f;
};

// What the config and the series make of a run: the horizons in steps, the first origin
// (after the training part) and the refit interval in samples.
struct BacktestPlan {
  std::vector<int> steps;
  int maxH = 0;
  std::size_t first = 0;
  std::size_t refitEvery = 1;
};

Result<BacktestPlan> planBacktest(std::span<const Series> fleetSeries, const BacktestConfig& config) {
  if (fleetSeries.empty()) return fail(ErrorCode::kInvalidArgument, "no series");
  if (fleetSeries.size() > 1 && !config.fleet)
    return fail(ErrorCode::kInvalidArgument, "several series are evaluated together only as a fleet");
  const Series& series = fleetSeries.front();
  const std::size_t n = series.values.size();
  if (series.step <= 0) return fail(ErrorCode::kInvalidArgument, "step must be positive");
  if (config.horizonSeconds.empty()) return fail(ErrorCode::kInvalidArgument, "no horizons");
  for (std::size_t i = 0; i < fleetSeries.size(); ++i) {
    const Series& si = fleetSeries[i];
    if (si.step != series.step || si.values.size() != n) {
      return fail(ErrorCode::kInvalidArgument,
                  "series " + std::to_string(i) + ": a fleet's series share the step and the length (aligned samples)");
    }
    for (double v : si.values) {
      if (std::isnan(v)) return fail(ErrorCode::kInvalidArgument, "series has missing samples; repair it first");
    }
  }
  BacktestPlan plan;
  for (auto s : config.horizonSeconds) {
    if (s <= 0) return fail(ErrorCode::kInvalidArgument, "horizons must be positive");
    plan.steps.push_back(static_cast<int>(std::max<std::int64_t>(1, (s + series.step - 1) / series.step)));
  }
  plan.maxH = *std::max_element(plan.steps.begin(), plan.steps.end());
  plan.first = static_cast<std::size_t>(std::max<std::int64_t>(1, config.trainSeconds / series.step));
  if (plan.first + static_cast<std::size_t>(plan.maxH) > n) {
    return fail(ErrorCode::kTooShort, "need more than " +
                                          std::to_string(plan.first + static_cast<std::size_t>(plan.maxH)) +
                                          " samples (training + horizon), have " + std::to_string(n));
  }
  plan.refitEvery = static_cast<std::size_t>(std::max<std::int64_t>(1, config.refitSeconds / series.step));
  return plan;
}

// One rolling-origin run: at each origin it refits when due, forecasts, and scores the
// forecast, every candidate and the baselines against what came.
class BacktestRun {
 public:
  BacktestRun(std::span<const Series> fleetSeries, const BacktestConfig& config, BacktestPlan plan);
  Result<void> run();
  std::vector<BacktestReport> reports();

 private:
  Result<void> refit(std::size_t o);
  Result<void> forecast(std::size_t o, bool refitted);
  void score(Track& tr, std::span<const double> y, std::size_t o);
  void scoreBaselines(Track& tr, std::size_t hi, std::size_t h, double actual);

  std::span<const Series> fleetSeries_;
  const BacktestConfig& config_;
  BacktestPlan plan_;
  std::size_t n_;
  Seasonality season_;
  Forecaster forecaster_;
  Fleet fleet_;
  std::vector<Track> tracks_;
  Forecast cf_;  // a candidate's or a baseline's forecast, scored in turn
  std::vector<std::optional<double>> base_;
  std::vector<std::span<const double>> histories_;
  std::vector<double> samples_;
};

ForecasterConfig forecasterFor(const Series& series, const BacktestConfig& config, const BacktestPlan& plan) {
  ForecasterConfig fc;
  fc.step = series.step;
  fc.horizon = plan.maxH;
  fc.focusHorizons = plan.steps;
  fc.jumpThreshold = config.jumpThreshold;
  fc.keepAllCandidates = true;
  fc.onlyModels = config.onlyModels;
  fc.fastSearch = config.fastSearch;
  return fc;
}

FleetConfig fleetFor(const Series& series, const BacktestPlan& plan) {
  FleetConfig flc;
  flc.step = series.step;
  flc.horizon = plan.maxH;
  flc.focusHorizons = plan.steps;
  return flc;
}

BacktestRun::BacktestRun(std::span<const Series> fleetSeries, const BacktestConfig& config, BacktestPlan plan)
    : fleetSeries_(fleetSeries),
      config_(config),
      plan_(std::move(plan)),
      n_(fleetSeries.front().values.size()),
      season_(seasonalityFor(fleetSeries.front().step)),
      forecaster_(forecasterFor(fleetSeries.front(), config, plan_)),
      fleet_(fleetFor(fleetSeries.front(), plan_)),
      tracks_(fleetSeries.size()),
      base_(kNumBaselines),
      histories_(fleetSeries.size()),
      samples_(fleetSeries.size()) {
  const std::size_t nh = plan_.steps.size();
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& tr = tracks_[i];
    const auto& y = fleetSeries_[i].values;
    for (int h : plan_.steps) {
      EwmaModel m;
      FitOptions fo;
      fo.horizons = {h};
      fo.scoreWindow = plan_.first;
      fo.stride = 1;
      m.fit(std::span<const double>(y).first(plan_.first), fo);
      tr.ewma.push_back(m);
    }
    tr.selected.resize(nh);
    tr.baseAcc.assign(kNumBaselines, std::vector<Acc>(nh));
    tr.report.step = fleetSeries_.front().step;
    tr.report.samples = n_;
    tr.report.firstOrigin = plan_.first;
  }
}

Result<void> BacktestRun::refit(std::size_t o) {
  if (config_.fleet) {
    for (std::size_t i = 0; i < fleetSeries_.size(); ++i)
      histories_[i] = std::span<const double>(fleetSeries_[i].values).first(o);
    auto fr = fleet_.fit(histories_);
    if (!fr) return std::unexpected(fr.error());
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      for (const auto& note : fr->notes) tracks_[i].notes.try_emplace(note.substr(0, note.find(' ')), note);
      bool naive = fleet_.lastFit().fitted;
      for (std::size_t a = 0; naive && a < fr->anchors.size(); ++a) naive = fleet_.shrinkage(i, a) == 0.0F;
      tracks_[i].report.selection = naive ? "fleet_regression (shrunk to naive)" : "fleet_regression";
    }
  } else {
    const FitReport fr = forecaster_.fit(std::span<const double>(fleetSeries_.front().values).first(o));
    for (const auto& note : fr.notes) tracks_[0].notes.try_emplace(note.substr(0, note.find(' ')), note);
    tracks_[0].report.selection = fr.selection;
  }
  for (auto& tr : tracks_) ++tr.report.refits;
  if (config_.progress) config_.progress(static_cast<double>(o - plan_.first) / static_cast<double>(n_ - plan_.first));
  return {};
}

// Each track's forecast from origin o: a fleet forecasts its state right after a refit and
// otherwise ticks on the newest samples.
Result<void> BacktestRun::forecast(std::size_t o, bool refitted) {
  auto intoTracks = [this](std::size_t i, const FleetForecast& ff) { ff.copyTo(tracks_[i].f); };
  if (!config_.fleet) {
    forecaster_.forecast(tracks_[0].f);
  } else if (refitted) {
    fleet_.forecastNow(intoTracks);
  } else {
    for (std::size_t i = 0; i < fleetSeries_.size(); ++i) samples_[i] = fleetSeries_[i].values[o - 1];
    if (auto st = fleet_.tick(samples_, intoTracks); !st) return std::unexpected(st.error());
  }
  return {};
}

// Baselines as models of their own (no quantiles: their point stands in).
void BacktestRun::scoreBaselines(Track& tr, std::size_t hi, std::size_t h, double actual) {
  for (std::size_t b = 0; b < kNumBaselines; ++b) {
    if (const std::optional<double> v = base_[b]) {
      cf_.point.assign(h, *v);
      cf_.quantiles.assign(h, Quantiles{*v, *v, *v, *v});
      tr.baseAcc[b][hi].add(actual, cf_, h - 1, base_);
    }
  }
}

void BacktestRun::score(Track& tr, std::span<const double> y, std::size_t o) {
  const Forecast& f = tr.f;
  for (std::size_t hi = 0; hi < plan_.steps.size(); ++hi) {
    const auto h = static_cast<std::size_t>(plan_.steps[hi]);
    const std::size_t target = o + h - 1;
    if (target >= n_) continue;
    const double actual = y[target];
    base_[kNaive] = y[o - 1];
    const auto d = static_cast<std::size_t>(season_.day);
    const auto w = static_cast<std::size_t>(season_.week);
    base_[kSnaiveDay] = d > 0 && target >= d ? std::optional(y[target - d]) : std::nullopt;
    base_[kSnaiveWeek] = w > 0 && target >= w ? std::optional(y[target - w]) : std::nullopt;
    double lv = 0;
    tr.ewma[hi].forecast(std::span<double>(&lv, 1));
    base_[kEwma] = lv;
    tr.selected[hi].add(actual, f, h - 1, base_);
    if (config_.recordTrace && hi == 0) {
      tr.report.trace.push_back({target, actual, f.point[h - 1], f.quantiles[h - 1][kP90]});
    }
    for (std::size_t c = 0; !config_.fleet && c < forecaster_.candidateCount(); ++c) {
      const std::string name = forecaster_.candidateName(c);
      auto [it, inserted] = tr.perModel.try_emplace(name, plan_.steps.size());
      if (inserted) tr.modelOrder.push_back(name);
      forecaster_.forecastCandidate(c, cf_);
      it->second[hi].add(actual, cf_, h - 1, base_);
    }
    scoreBaselines(tr, hi, h, actual);
  }
  for (auto& e : tr.ewma) e.update(y[o]);
}

Result<void> BacktestRun::run() {
  std::size_t lastFit = 0;
  bool fitted = false;
  for (std::size_t o = plan_.first; o < n_; ++o) {
    const bool due = !fitted || o - lastFit >= plan_.refitEvery;
    if (due) {
      if (auto st = refit(o); !st) return st;
      lastFit = o;
      fitted = true;
    }
    if (auto st = forecast(o, due); !st) return st;
    for (std::size_t i = 0; i < tracks_.size(); ++i) score(tracks_[i], fleetSeries_[i].values, o);
    if (!config_.fleet) forecaster_.update(fleetSeries_.front().values[o]);
  }
  if (config_.progress) config_.progress(1.0);
  return {};
}

std::vector<BacktestReport> BacktestRun::reports() {
  std::vector<BacktestReport> out;
  for (auto& tr : tracks_) {
    auto finish = [&](const std::string& name, const std::vector<Acc>& acc) {
      ModelMetrics m{name, {}};
      for (std::size_t hi = 0; hi < plan_.steps.size(); ++hi)
        m.horizons.push_back(acc[hi].finish(config_.horizonSeconds[hi], plan_.steps[hi]));
      return m;
    };
    BacktestReport& report = tr.report;
    report.selected = finish(config_.fleet ? "fleet_regression" : "auto", tr.selected);
    for (const auto& name : tr.modelOrder) report.models.push_back(finish(name, tr.perModel[name]));
    for (std::size_t b = 0; b < kNumBaselines; ++b) {
      if (tr.baseAcc[b][0].n > 0) report.baselines.push_back(finish(kBaselineNames[b], tr.baseAcc[b]));
    }
    for (const auto& [key, note] : tr.notes) report.notes.push_back(note);
    out.push_back(std::move(report));
  }
  return out;
}

}  // namespace

Result<BacktestReport> runBacktest(const Series& series, const BacktestConfig& config) {
  auto reports = runFleetBacktest(std::span<const Series>(&series, 1), config);
  if (!reports) return std::unexpected(reports.error());
  return std::move(reports->front());
}

Result<std::vector<BacktestReport>> runFleetBacktest(std::span<const Series> fleetSeries,
                                                     const BacktestConfig& config) {
  auto plan = planBacktest(fleetSeries, config);
  if (!plan) return std::unexpected(plan.error());
  BacktestRun run(fleetSeries, config, std::move(*plan));
  if (auto st = run.run(); !st) return std::unexpected(st.error());
  return run.reports();
}

}  // namespace tso::predictor

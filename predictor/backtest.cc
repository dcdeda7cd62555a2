#include "predictor/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

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

}  // namespace

Result<BacktestReport> runBacktest(const Series& series, const BacktestConfig& config) {
  auto reports = runFleetBacktest(std::span<const Series>(&series, 1), config);
  if (!reports) return std::unexpected(reports.error());
  return std::move(reports->front());
}

Result<std::vector<BacktestReport>> runFleetBacktest(std::span<const Series> fleetSeries,
                                                     const BacktestConfig& config) {
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
  std::vector<int> steps;
  for (auto s : config.horizonSeconds) {
    if (s <= 0) return fail(ErrorCode::kInvalidArgument, "horizons must be positive");
    steps.push_back(static_cast<int>(std::max<std::int64_t>(1, (s + series.step - 1) / series.step)));
  }
  const int maxH = *std::max_element(steps.begin(), steps.end());
  const auto first = static_cast<std::size_t>(std::max<std::int64_t>(1, config.trainSeconds / series.step));
  if (first + static_cast<std::size_t>(maxH) > n) {
    return fail(ErrorCode::kTooShort, "need more than " + std::to_string(first + static_cast<std::size_t>(maxH)) +
                                          " samples (training + horizon), have " + std::to_string(n));
  }
  const auto refitEvery = static_cast<std::size_t>(std::max<std::int64_t>(1, config.refitSeconds / series.step));
  const Seasonality season = seasonalityFor(series.step);

  ForecasterConfig fc;
  fc.step = series.step;
  fc.horizon = maxH;
  fc.focusHorizons = steps;
  fc.jumpThreshold = config.jumpThreshold;
  fc.keepAllCandidates = true;
  fc.onlyModels = config.onlyModels;
  fc.fastSearch = config.fastSearch;
  Forecaster forecaster(fc);
  FleetConfig flc;
  flc.step = series.step;
  flc.horizon = maxH;
  flc.focusHorizons = steps;
  Fleet fleet(flc);

  // Per series: its baselines, its sums and its report.
  const std::size_t nh = steps.size();
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
  std::vector<Track> tracks(fleetSeries.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    Track& tr = tracks[i];
    const auto& y = fleetSeries[i].values;
    for (int h : steps) {
      EwmaModel m;
      FitOptions fo;
      fo.horizons = {h};
      fo.scoreWindow = first;
      fo.stride = 1;
      m.fit(std::span<const double>(y).first(first), fo);
      tr.ewma.push_back(m);
    }
    tr.selected.resize(nh);
    tr.baseAcc.assign(kNumBaselines, std::vector<Acc>(nh));
    tr.report.step = series.step;
    tr.report.samples = n;
    tr.report.firstOrigin = first;
  }

  Forecast cf;
  std::size_t lastFit = 0;
  bool fitted = false;
  std::vector<std::optional<double>> base(kNumBaselines);
  std::vector<std::span<const double>> histories(fleetSeries.size());
  std::vector<double> samples(fleetSeries.size());
  auto intoTracks = [&tracks](std::size_t i, const FleetForecast& ff) { ff.copyTo(tracks[i].f); };
  for (std::size_t o = first; o < n; ++o) {
    const bool refit = !fitted || o - lastFit >= refitEvery;
    if (refit && config.fleet) {
      for (std::size_t i = 0; i < fleetSeries.size(); ++i)
        histories[i] = std::span<const double>(fleetSeries[i].values).first(o);
      auto fr = fleet.fit(histories);
      if (!fr) return std::unexpected(fr.error());
      for (std::size_t i = 0; i < tracks.size(); ++i) {
        for (const auto& note : fr->notes) tracks[i].notes.try_emplace(note.substr(0, note.find(' ')), note);
        bool naive = fleet.lastFit().fitted;
        for (std::size_t a = 0; naive && a < fr->anchors.size(); ++a) naive = fleet.shrinkage(i, a) == 0.0F;
        tracks[i].report.selection = naive ? "fleet_regression (shrunk to naive)" : "fleet_regression";
      }
    } else if (refit) {
      const FitReport fr = forecaster.fit(std::span<const double>(series.values).first(o));
      for (const auto& note : fr.notes) tracks[0].notes.try_emplace(note.substr(0, note.find(' ')), note);
      tracks[0].report.selection = fr.selection;
    }
    if (refit) {
      lastFit = o;
      fitted = true;
      for (auto& tr : tracks) ++tr.report.refits;
      if (config.progress) config.progress(static_cast<double>(o - first) / static_cast<double>(n - first));
    }
    if (!config.fleet) {
      forecaster.forecast(tracks[0].f);
    } else if (refit) {
      fleet.forecastNow(intoTracks);
    } else {
      for (std::size_t i = 0; i < fleetSeries.size(); ++i) samples[i] = fleetSeries[i].values[o - 1];
      if (auto st = fleet.tick(samples, intoTracks); !st) return std::unexpected(st.error());
    }
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      Track& tr = tracks[i];
      const auto& y = fleetSeries[i].values;
      const Forecast& f = tr.f;
      for (std::size_t hi = 0; hi < nh; ++hi) {
        const auto h = static_cast<std::size_t>(steps[hi]);
        const std::size_t target = o + h - 1;
        if (target >= n) continue;
        const double actual = y[target];
        base[kNaive] = y[o - 1];
        const auto d = static_cast<std::size_t>(season.day);
        const auto w = static_cast<std::size_t>(season.week);
        base[kSnaiveDay] = d > 0 && target >= d ? std::optional(y[target - d]) : std::nullopt;
        base[kSnaiveWeek] = w > 0 && target >= w ? std::optional(y[target - w]) : std::nullopt;
        double lv = 0;
        tr.ewma[hi].forecast(std::span<double>(&lv, 1));
        base[kEwma] = lv;
        tr.selected[hi].add(actual, f, h - 1, base);
        if (config.recordTrace && hi == 0) {
          tr.report.trace.push_back({target, actual, f.point[h - 1], f.quantiles[h - 1][kP90]});
        }
        for (std::size_t c = 0; !config.fleet && c < forecaster.candidateCount(); ++c) {
          const std::string name = forecaster.candidateName(c);
          auto [it, inserted] = tr.perModel.try_emplace(name, nh);
          if (inserted) tr.modelOrder.push_back(name);
          forecaster.forecastCandidate(c, cf);
          it->second[hi].add(actual, cf, h - 1, base);
        }
        // Baselines as models of their own (no quantiles: their point stands in).
        for (std::size_t b = 0; b < kNumBaselines; ++b) {
          if (!base[b]) continue;
          cf.point.assign(h, *base[b]);
          cf.quantiles.assign(h, Quantiles{*base[b], *base[b], *base[b], *base[b]});
          tr.baseAcc[b][hi].add(actual, cf, h - 1, base);
        }
      }
      for (auto& e : tr.ewma) e.update(y[o]);
    }
    if (!config.fleet) forecaster.update(series.values[o]);
  }
  if (config.progress) config.progress(1.0);

  std::vector<BacktestReport> reports;
  for (auto& tr : tracks) {
    auto finish = [&](const std::string& name, const std::vector<Acc>& acc) {
      ModelMetrics m{name, {}};
      for (std::size_t hi = 0; hi < nh; ++hi)
        m.horizons.push_back(acc[hi].finish(config.horizonSeconds[hi], steps[hi]));
      return m;
    };
    BacktestReport& report = tr.report;
    report.selected = finish(config.fleet ? "fleet_regression" : "auto", tr.selected);
    for (const auto& name : tr.modelOrder) report.models.push_back(finish(name, tr.perModel[name]));
    for (std::size_t b = 0; b < kNumBaselines; ++b) {
      if (tr.baseAcc[b][0].n > 0) report.baselines.push_back(finish(kBaselineNames[b], tr.baseAcc[b]));
    }
    for (const auto& [key, note] : tr.notes) report.notes.push_back(note);
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace tso::predictor

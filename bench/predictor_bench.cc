// Speed of the predictor at operator scale (issue 3 targets, one core):
//   tick:  incremental update + 30-step forecast with quantiles for 10,000 series <= 1 ms
//   refit: 10,000 one-week minute series (10,080 points) with parameter search <= 3 s
// The refit of 10,000 series takes minutes, so it is measured on a sample of series and the
// counter `projected_10k_s` scales the mean to 10,000. Figures are printed, never asserted.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/predictor_fleet.h"
#include "predictor/fleet.h"
#include "predictor/forecaster.h"

namespace tso::predictor {
namespace {

constexpr int kSeries = 10'000;
using bench::kDistinct;
using bench::operatorConfig;
using bench::week;

// state.range(0) = number of series: 10,000 is the target; 16 (all in cache) separates the
// compute from the memory stalls. state.range(1) = 1: through tickFleet() (prefetches the
// series ahead), 0: a plain loop of update() + forecast().
void BM_TickUpdateAndForecast(benchmark::State& state) {
  const auto series = static_cast<int>(state.range(0));
  const bool batched = state.range(1) != 0;
  std::vector<Series> data;
  const std::vector<Forecaster> fitted = bench::fittedFleet(data);
  std::vector<Forecaster> fleet;
  fleet.reserve(static_cast<std::size_t>(series));
  std::size_t bytes = 0;
  for (int i = 0; i < series; ++i) {
    fleet.push_back(fitted[static_cast<std::size_t>(i % kDistinct)]);
    bytes += fleet.back().stateBytes();
  }
  Forecast out;
  std::vector<double> samples(static_cast<std::size_t>(series));
  std::size_t t = 7 * 1440;
  for (auto _ : state) {
    for (int i = 0; i < series; ++i) {
      const auto& y = data[static_cast<std::size_t>(i % kDistinct)].values;
      samples[static_cast<std::size_t>(i)] = y[t % y.size()];
    }
    if (batched) {
      tickFleet(fleet, samples, out,
                [](std::size_t, const Forecast& f) { benchmark::DoNotOptimize(f.quantiles.data()); });
    } else {
      for (int i = 0; i < series; ++i) {
        fleet[static_cast<std::size_t>(i)].update(samples[static_cast<std::size_t>(i)]);
        fleet[static_cast<std::size_t>(i)].forecast(out);
        benchmark::DoNotOptimize(out.quantiles.data());
      }
    }
    ++t;
  }
  state.counters["series"] = series;
  state.counters["state_bytes_per_series"] = static_cast<double>(bytes) / series;
  state.counters["time_per_series"] = benchmark::Counter(static_cast<double>(state.iterations()) * series,
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TickUpdateAndForecast)
    ->Args({kSeries, 1})
    ->Args({kSeries, 0})
    ->Args({kDistinct, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// state.range(0) = 0: every candidate (the default, `model: Auto`); 1: the same with
// ForecasterConfig::fastSearch; 2: log_regression alone (`model: LogRegression`); 3: the
// Holt-Winters pair alone (`model: HoltWinters`): what the model set costs.
void BM_RefitOneWeekSeries(benchmark::State& state) {
  std::vector<Series> data;
  for (int i = 0; i < 32; ++i) data.push_back(week(static_cast<std::uint64_t>(i) + 100));
  std::size_t i = 0;
  ForecasterConfig config = operatorConfig();
  config.fastSearch = state.range(0) == 1;
  if (state.range(0) == 2) config.onlyModels = {"log_regression"};
  if (state.range(0) == 3) config.onlyModels = {"holt_winters", "holt_winters_mult"};
  for (auto _ : state) {
    Forecaster f(config);
    benchmark::DoNotOptimize(f.fit(data[i++ % data.size()].values));
  }
  state.counters["projected_10k_s"] = benchmark::Counter(static_cast<double>(state.iterations()) / kSeries,
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RefitOneWeekSeries)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->Iterations(64);

// The fleet regression (predictor/fleet.h): the same targets with one regression fitted across
// the fleet. Every series is its own lane; kDistinct (tick) or 32 (refit) distinct synthetic
// series repeat to 10,000, as above.
FleetConfig fleetConfig() { return fleetConfigLike(operatorConfig()); }

// state.range(0) = number of series.
void BM_FleetTick(benchmark::State& state) {
  const auto series = static_cast<std::size_t>(state.range(0));
  std::vector<Series> data;
  for (int i = 0; i < kDistinct; ++i) data.push_back(week(static_cast<std::uint64_t>(i) + 1, 8));
  std::vector<std::span<const double>> histories;
  for (std::size_t i = 0; i < series; ++i)
    histories.push_back(std::span<const double>(data[i % kDistinct].values).first(7 * 1440));
  Fleet fleet(fleetConfig());
  if (!fleet.fit(histories)) {
    state.SkipWithError("fleet fit failed");
    return;
  }
  std::vector<double> samples(series);
  std::size_t t = 7 * 1440;
  for (auto _ : state) {
    for (std::size_t i = 0; i < series; ++i) {
      const auto& y = data[i % kDistinct].values;
      samples[i] = y[t % y.size()];
    }
    auto st = fleet.tick(samples, [](std::size_t, const FleetForecast& f) { benchmark::DoNotOptimize(&f); });
    benchmark::DoNotOptimize(st);
    ++t;
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["state_bytes_per_series"] = static_cast<double>(fleet.stateBytes()) / static_cast<double>(series);
  state.counters["time_per_series"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(series),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FleetTick)->Arg(kSeries)->Arg(kDistinct)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The refit of state.range(0) one-week minute series, all of them (no projection): the shared
// fit, every series' replay, shrinkage and quantiles.
void BM_FleetRefit(benchmark::State& state) {
  const auto series = static_cast<std::size_t>(state.range(0));
  std::vector<Series> data;
  for (int i = 0; i < 32; ++i) data.push_back(week(static_cast<std::uint64_t>(i) + 100));
  std::vector<std::span<const double>> histories;
  for (std::size_t i = 0; i < series; ++i) histories.push_back(data[i % data.size()].values);
  std::size_t rows = 0;
  for (auto _ : state) {
    Fleet fleet(fleetConfig());
    auto report = fleet.fit(histories);
    if (!report) {
      state.SkipWithError("fleet fit failed");
      return;
    }
    rows = report->rows;
    benchmark::DoNotOptimize(report);
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["time_per_series"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(series),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FleetRefit)->Arg(kSeries)->Unit(benchmark::kMillisecond)->Iterations(3);
// One series alone (the operator's forecast.model FleetRegression): the shared fit is its own.
BENCHMARK(BM_FleetRefit)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(64);

}  // namespace
}  // namespace tso::predictor

BENCHMARK_MAIN();

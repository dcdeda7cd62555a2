// The predictor's tick as a fixed amount of work, for counting instructions instead of timing
// them (this VM's neighbours move timings by up to 1.5x; instruction counts do not move):
// the 16 fitted forecasters of predictor_bench's tick, each ticked 500 times through update()
// + forecast(). Natively it prints the wall time per series tick; under callgrind, count only
// the ticks (one command line):
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*tickAll*'
//            build-perf/bench/predictor_tick_count
// and divide the instructions ("Collected") by 8,000 series ticks (callgrind_annotate shows
// where they go). Prints a checksum of the forecasts, so two builds that should forecast the
// same can be compared. The same 16 series as one fleet (predictor/fleet.h), 500 ticks:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*fleetTickAll*'
//            build-perf/bench/predictor_tick_count
// (the instructions over 8,000 series ticks again).
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/predictor_fleet.h"
#include "predictor/fleet.h"
#include "predictor/forecaster.h"

namespace tso::predictor {
namespace {

using bench::kDistinct;
constexpr int kTicks = 500;

// Not inlined, so callgrind's --toggle-collect can name it.
__attribute__((noinline)) double tickAll(std::vector<Forecaster>& fleet, const std::vector<Series>& data) {
  Forecast out;
  double checksum = 0;
  for (int t = 0; t < kTicks; ++t) {
    for (std::size_t i = 0; i < fleet.size(); ++i) {
      const auto& y = data[i].values;
      fleet[i].update(y[(7 * 1440 + static_cast<std::size_t>(t)) % y.size()]);
      fleet[i].forecast(out);
      checksum += out.quantiles.back()[kP95];
    }
  }
  return checksum;
}

__attribute__((noinline)) double fleetTickAll(Fleet& fleet, const std::vector<Series>& data) {
  double checksum = 0;
  std::vector<double> samples(data.size());
  for (int t = 0; t < kTicks; ++t) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto& y = data[i].values;
      samples[i] = y[(7 * 1440 + static_cast<std::size_t>(t)) % y.size()];
    }
    auto st =
        fleet.tick(samples, [&](std::size_t, const FleetForecast& f) { checksum += f.quantile(f.horizon(), kP95); });
    if (!st) return -1;
  }
  return checksum;
}

}  // namespace
}  // namespace tso::predictor

int main() {
  using namespace tso::predictor;
  std::vector<Series> data;
  std::vector<Forecaster> fleet = tso::predictor::bench::fittedFleet(data);  // predictor_bench's tick's
  const auto start = std::chrono::steady_clock::now();
  const double checksum = tickAll(fleet, data);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d series ticks: %.0f ns each (wall), checksum %.6f\n", kDistinct * kTicks,
              1e9 * seconds / (kDistinct * kTicks), checksum);

  // The fleet: the same series fitted together on their first 7 days.
  FleetConfig fc;
  const ForecasterConfig oc = tso::predictor::bench::operatorConfig();
  fc.step = oc.step;
  fc.horizon = oc.horizon;
  fc.focusHorizons = oc.focusHorizons;
  Fleet together(fc);
  std::vector<std::span<const double>> histories;
  for (const auto& s : data) histories.push_back(std::span<const double>(s.values).first(7 * 1440));
  if (!together.fit(histories)) return 1;
  const auto fleetStart = std::chrono::steady_clock::now();
  const double fleetChecksum = fleetTickAll(together, data);
  const double fleetSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fleetStart).count();
  std::printf("%d fleet series ticks: %.0f ns each (wall), checksum %.6f\n", kDistinct * kTicks,
              1e9 * fleetSeconds / (kDistinct * kTicks), fleetChecksum);
  return 0;
}

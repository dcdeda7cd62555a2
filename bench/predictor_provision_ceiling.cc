// How much of the gap to the HPA tuned to the same cost a perfect forecast of the mean would
// close: the predictive policy replayed with lead forecasts made from the trace's own future
// (the mean of each sample's +-K neighbours, with Poisson quantiles around it), against the
// same HPA envelope as `simulate`. Where even this stays far from a target, the target asks for
// more than forecasting the mean can give (counting noise, unannounced bursts).
// Usage: predictor_provision_ceiling [TRACES_DIR [K]]   (default ../shared/traces and 5; a markdown table)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "predictor/csv.h"
#include "predictor/simulator.h"

using namespace tso::predictor;

namespace {

constexpr double kZ[] = {0.0, 1.2815516, 1.6448536, 2.3263479};

// Centred mean of +-k samples, leave-one-in (the sample itself counts: the mean it was drawn around).
std::vector<double> centredMean(const std::vector<double>& y, int k) {
  std::vector<double> m(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t lo = i >= static_cast<std::size_t>(k) ? i - static_cast<std::size_t>(k) : 0;
    const std::size_t hi = std::min(y.size() - 1, i + static_cast<std::size_t>(k));
    double sum = 0;
    for (std::size_t j = lo; j <= hi; ++j) sum += y[j];
    m[i] = sum / static_cast<double>(hi - lo + 1);
  }
  return m;
}

// The same ticks as forecastLeadTimes, each forecast from the future's mean.
LeadForecasts clairvoyant(const Series& s, const SimulationConfig& cfg, const LeadForecasts& shape, int k) {
  const auto mean = centredMean(s.values, k);
  const auto last = static_cast<std::int64_t>(s.size()) - 1;
  auto at = [&](std::int64_t t) { return std::clamp<std::int64_t>((t - s.start) / s.step, 0, last); };
  auto quantile = [&](std::int64_t i, std::size_t q) {
    const double m = mean[static_cast<std::size_t>(i)];
    return static_cast<float>((m + kZ[q] * std::sqrt(m)) / static_cast<double>(s.step));
  };
  LeadForecasts out = shape;
  for (std::size_t i = 0; i < out.ticks.size(); ++i) {
    const std::int64_t now = shape.start + static_cast<std::int64_t>(i) * shape.tickSeconds;
    const std::int64_t seen = at(now - cfg.metricLagSeconds);
    const std::int64_t from = std::max(seen + 1, at(now));
    const std::int64_t to = at(now + cfg.warmupSeconds + shape.tickSeconds - 1);
    for (std::size_t q = 0; q < 4; ++q) {
      out.ticks[i].seen[q] = quantile(seen, q);
      float peak = NAN;
      for (std::int64_t j = from; j <= to; ++j)
        peak = std::isnan(peak) ? quantile(j, q) : std::max(peak, quantile(j, q));
      out.ticks[i].ahead[q] = peak;
    }
  }
  return out;
}

std::string ratio(const std::optional<double>& v) {
  char buf[32];
  if (!v) return "-";
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "../shared/traces";
  const int k = argc > 2 ? std::atoi(argv[2]) : 5;
  if (k < 1) {
    std::fprintf(stderr, "predictor_provision_ceiling: K must be a whole number >= 1\n");
    return 2;
  }
  std::printf(
      "| trace | quantile | forecast: equal-cost miss ratio | mean known +-%d samples: equal-cost miss ratio |\n", k);
  std::printf("|---|---|---|---|\n");
  for (const char* name : {"nab_nyc_taxi_30min", "nab_twitter_amzn_5min", "nasa_jul95_1min", "worldcup98_1min"}) {
    std::ifstream in(dir + "/" + name + ".csv");
    if (!in) {
      std::printf("predictor_provision_ceiling: skipped %s: not in %s\n", name, dir.c_str());
      continue;
    }
    auto trace = readCsv(in);
    if (!trace) return 1;
    SimulationConfig cfg;
    auto lead = forecastLeadTimes(trace->series, cfg);
    if (!lead) return 1;
    const auto known = clairvoyant(trace->series, cfg, *lead, k);
    for (double q : {0.9, 0.95, 0.99}) {
      cfg.provisioning.quantile = q;
      cfg.hpaSweep = defaultHpaSweep();
      auto real = simulate(trace->series, cfg, *lead);
      auto ideal = simulate(trace->series, cfg, known);
      if (!real || !ideal) return 1;
      std::printf("| %s | P%g | %s | %s |\n", name, 100 * q, ratio(real->equalCost.missRatio).c_str(),
                  ratio(ideal->equalCost.missRatio).c_str());
    }
  }
  return 0;
}

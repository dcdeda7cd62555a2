// The fleet regression (predictor/fleet.h) on the real minute traces fitted together: NASA
// (a web server, ~40 requests a minute) and WorldCup98 (~4,000 a minute, flash crowds), one
// shared fit for both, against each fitted alone. Each trace is cut to start at its first
// Monday 00:00 UTC and both to the shorter length (25 days), so sample i of each is the same
// time of the week, as a fleet sampled on one clock would see them. Backtest as `backtest`
// does (7 training days, daily refits); prints skill and P90 coverage at 5, 15 and 30 minutes.
// Figures only, nothing asserted.
// Usage: predictor_fleet_traces [TRACES_DIR]   (default ../shared/traces)
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/skill_row.h"
#include "predictor/backtest.h"
#include "predictor/csv.h"

namespace tso::predictor {
namespace {

// The trace from its first Monday 00:00 UTC on (1970-01-01 was a Thursday).
Result<Series> fromMonday(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kInvalidArgument, path + ": cannot open");
  auto trace = readCsv(in);
  if (!trace) return std::unexpected(trace.error());
  Series s = trace->series;
  constexpr std::int64_t kWeek = 7 * kSecondsPerDay;
  constexpr std::int64_t kMonday = 4 * kSecondsPerDay;  // 1970-01-05 00:00 UTC
  const std::int64_t into = ((s.start - kMonday) % kWeek + kWeek) % kWeek;
  const std::int64_t skip = into == 0 ? 0 : (kWeek - into) / s.step;
  if (static_cast<std::size_t>(skip) >= s.values.size()) return fail(ErrorCode::kTooShort, path + ": no Monday");
  s.values.erase(s.values.begin(), s.values.begin() + skip);
  s.start += skip * s.step;
  return s;
}

}  // namespace
}  // namespace tso::predictor

int main(int argc, char** argv) {
  using namespace tso::predictor;
  const std::string dir = argc > 1 ? argv[1] : "../shared/traces";
  const std::vector<std::string> names = {"nasa_jul95_1min", "worldcup98_1min"};
  std::vector<Series> fleet;
  if (!std::ifstream(dir + "/" + names[0] + ".csv")) {
    std::printf("predictor_fleet_traces: skipped: no %s/%s.csv (the real traces live in ../shared/traces)\n",
                dir.c_str(), names[0].c_str());
    return 0;
  }
  for (const auto& name : names) {
    auto s = fromMonday(dir + "/" + name + ".csv");
    if (!s) {
      std::fprintf(stderr, "predictor_fleet_traces: %s\n", s.error().toString().c_str());
      return 2;
    }
    fleet.push_back(std::move(*s));
  }
  std::size_t n = fleet[0].values.size();
  for (const auto& s : fleet) n = std::min(n, s.values.size());
  for (auto& s : fleet) s.values.resize(n);
  std::printf("%zu samples each (%.1f days) from a Monday 00:00 UTC\n\n", n, static_cast<double>(n) / 1440.0);
  std::printf("| trace | fit | 5m skill / P90 coverage | 15m | 30m |\n|---|---|---|---|---|\n");
  BacktestConfig c;
  c.fleet = true;
  auto together = runFleetBacktest(fleet, c);
  if (!together) {
    std::fprintf(stderr, "predictor_fleet_traces: %s\n", together.error().toString().c_str());
    return 1;
  }
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    auto alone = runBacktest(fleet[i], c);
    if (!alone) {
      std::fprintf(stderr, "predictor_fleet_traces: %s\n", alone.error().toString().c_str());
      return 1;
    }
    bench::printSkillRow(names[i].c_str(), "alone", *alone);
    bench::printSkillRow(names[i].c_str(), "together (one shared fit)", (*together)[i]);
    BacktestConfig a;
    auto autoSel = runBacktest(fleet[i], a);
    if (autoSel) bench::printSkillRow(names[i].c_str(), "auto selection (per-series Forecaster)", *autoSel);
  }
  return 0;
}

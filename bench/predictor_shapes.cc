// How the auto-selecting forecaster copes with shapes the shared traces do not show: a lasting
// shift of level up or down, an outage, steady growth, sparse counts. Seeded synthetic minute
// series (predictor/synthetic.h), 12 days, evaluated from day 7 as `backtest` does (daily
// refits); prints skill and P90 coverage at 5, 15 and 30 minutes, for the auto selection, for
// log_regression alone, for the fleet regression (predictor/fleet.h) fitted on the shape alone
// and for the fleet regression fitted on all six shapes together (one shared fit: the sparse
// series beside the busy ones, the shifted beside the steady). Figures only, nothing asserted
// (tests/predictor holds the checks).
// Usage: predictor_shapes
#include <cstdio>
#include <string>
#include <vector>

#include "bench/skill_row.h"
#include "predictor/backtest.h"
#include "predictor/synthetic.h"

namespace tso::predictor {
namespace {

struct Shape {
  const char* name;
  SyntheticSpec spec;
};

std::vector<Shape> shapes() {
  SyntheticSpec base;
  base.days = 12;
  base.base = 200;
  base.weekendFactor = 1.0;  // no weekly cycle: the daily profile is all there is to learn
  std::vector<Shape> out;
  out.push_back({"steady, 2 flash crowds", base});
  out.back().spec.flashCrowds = 2;
  out.push_back({"x5 for good from day 9", base});
  out.back().spec.shiftDay = 9;
  out.back().spec.shiftFactor = 5.0;
  out.push_back({"x0.2 for good from day 9", base});
  out.back().spec.shiftDay = 9;
  out.back().spec.shiftFactor = 0.2;
  out.push_back({"outage on day 8", base});
  out.back().spec.shiftDay = 8;
  out.back().spec.shiftDays = 1;
  out.back().spec.shiftFactor = 0.0;
  out.push_back({"growth 10 %/day", base});
  out.back().spec.growthPerDay = 0.10;
  out.push_back({"sparse (0.5 a minute)", base});
  out.back().spec.base = 0.5;
  return out;
}

}  // namespace
}  // namespace tso::predictor

int main() {
  using namespace tso::predictor;
  std::printf("| shape | models | 5m skill / P90 coverage | 15m | 30m |\n|---|---|---|---|---|\n");
  std::vector<Series> all;
  for (const auto& s : shapes()) {
    const Series series = synthesize(s.spec);
    all.push_back(series);
    for (const char* models : {"auto", "log_regression", "fleet_regression alone"}) {
      BacktestConfig c;
      if (std::string(models) == "log_regression") c.onlyModels = {"log_regression"};
      c.fleet = std::string(models) == "fleet_regression alone";
      auto r = runBacktest(series, c);
      if (!r) {
        std::printf("| %s | %s | error: %s | | |\n", s.name, models, r.error().toString().c_str());
        continue;
      }
      bench::printSkillRow(s.name, models, *r);
    }
  }
  BacktestConfig c;
  c.fleet = true;
  auto together = runFleetBacktest(all, c);
  if (!together) {
    std::printf("fleet of all shapes: error: %s\n", together.error().toString().c_str());
    return 1;
  }
  const auto list = shapes();
  for (std::size_t i = 0; i < list.size(); ++i)
    bench::printSkillRow(list[i].name, "fleet_regression, the six together", (*together)[i]);
  return 0;
}

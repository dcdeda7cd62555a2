// Small dependency-free SVG line charts for `backtest --plot` and `simulate --plot`: enough to
// see a forecast against the actuals or replicas against demand, not a plotting library.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "predictor/backtest.h"
#include "predictor/series.h"
#include "predictor/simulator.h"

namespace tso::cli {

struct PlotLine {
  std::string name;
  std::string color;
  std::vector<double> values;  // one per x position, NaN = gap
};

struct Plot {
  std::string title;
  std::string yLabel;
  std::int64_t start = 0;  // unix seconds of x = 0
  std::int64_t step = 60;  // seconds per x position
  std::vector<PlotLine> lines;
};

// Renders at most ~1600 columns: longer lines are reduced to each column's maximum (peaks are
// what capacity is about). Axes with tick labels (UTC times when start > 0) and titles, a legend
// above the plot; each line is a polyline.series with data-name.
std::string renderSvg(const Plot& plot);
Status writeSvg(const std::string& path, const Plot& plot);

// The plots the commands write, built apart from the file so tests can render them.
Plot backtestPlot(const predictor::Series& series, const predictor::BacktestReport& report,
                  const std::string& horizonLabel);
Plot simulatePlot(const predictor::SimulationReport& report, const std::string& command = "simulate");

Status writeBacktestPlot(const std::string& path, const predictor::Series& series,
                         const predictor::BacktestReport& report, const std::string& horizonLabel);
Status writeSimulatePlot(const std::string& path, const predictor::SimulationReport& report,
                         const std::string& command = "simulate");

// Cost/miss frontiers: x = pod-seconds over the oracle's, y = missed requests (log scale). Each
// series is a set of points; `line` joins them in cost order.
struct FrontierSeries {
  std::string name;
  std::string color;
  std::vector<predictor::FrontierPoint> points;
  bool line = true;
  std::vector<std::string> labels;  // per point, may be empty
};
struct FrontierPlot {
  std::string title;
  std::vector<FrontierSeries> series;
};
std::string renderFrontierSvg(const FrontierPlot& plot);
// The HPA's swept settings, its lower envelope, the predictive policy's budgets and the run shown.
FrontierPlot frontierPlot(const predictor::SimulationReport& report);
Status writeFrontierPlot(const std::string& path, const predictor::SimulationReport& report);

}  // namespace tso::cli

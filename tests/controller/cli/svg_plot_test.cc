// The SVG plots of `backtest --plot` and `simulate --plot`: axes with ticks and titles (units),
// a legend naming every series, one polyline per series, UTC dates on the time axis, and no
// NaN or infinity leaking into coordinates.
#include "controller/cli/svg_plot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace tso::cli {
namespace {

using ::testing::Not;

// Like gmock's HasSubstr, but a failure prints only the substring, not a 100 kB SVG.
MATCHER_P(HasSubstr, part, std::string("contains ") + ::testing::PrintToString(part)) {
  *result_listener << "(SVG of " << arg.size() << " bytes)";
  return arg.find(part) != std::string::npos;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// 2026-01-05T00:00:00Z: a Monday, so day ticks are predictable.
constexpr std::int64_t kStart = 1767571200;

Plot threeDays() {
  Plot plot;
  plot.title = "demand & forecast <test>";
  plot.yLabel = "demand (requests/s)";
  plot.start = kStart;
  plot.step = 60;
  PlotLine a{"actual", "#222222", {}}, f{"forecast", "#1f77b4", {}};
  for (int i = 0; i < 3 * 1440; ++i) {
    a.values.push_back(100 + 50 * std::sin(i / 200.0));
    f.values.push_back(i % 500 == 0 ? std::numeric_limits<double>::quiet_NaN() : 95 + 50 * std::sin(i / 200.0));
  }
  plot.lines = {a, f};
  return plot;
}

TEST(SvgPlot, HasAxisTitlesWithUnitsAndTicks) {
  const auto svg = renderSvg(threeDays());
  EXPECT_THAT(svg, HasSubstr("class=\"axis-title\""));
  EXPECT_THAT(svg, HasSubstr(">demand (requests/s)</text>"));
  EXPECT_THAT(svg, HasSubstr(">time (UTC), 3.0 days</text>"));
  // y ticks on round values from 0 past the maximum (150).
  EXPECT_THAT(svg, HasSubstr("text-anchor=\"end\">0</text>"));
  EXPECT_THAT(svg, HasSubstr("text-anchor=\"end\">150</text>"));
  EXPECT_GE(count(svg, "class=\"ytick\""), 4);
  // Time ticks are UTC dates or clock times.
  EXPECT_GE(count(svg, "class=\"xtick\""), 3);
  EXPECT_THAT(svg, HasSubstr(">Jan 06</text>"));
  EXPECT_THAT(svg, HasSubstr(">12:00</text>"));
}

TEST(SvgPlot, LegendNamesEverySeriesAndEachIsAPolyline) {
  const auto svg = renderSvg(threeDays());
  EXPECT_EQ(count(svg, "<polyline class=\"series\""), 2);
  EXPECT_THAT(svg, HasSubstr("data-name=\"actual\""));
  EXPECT_THAT(svg, HasSubstr("data-name=\"forecast\""));
  EXPECT_EQ(count(svg, "<g class=\"legend\">"), 2);
  EXPECT_THAT(svg, HasSubstr(">actual</text></g>"));
  EXPECT_THAT(svg, HasSubstr(">forecast</text></g>"));
  // Every series has points, and the gap (NaN) is skipped, not drawn.
  // A plain scan: libstdc++'s std::regex recurses per character and overflows the stack on a
  // long points attribute (seen under AddressSanitizer).
  int lines = 0;
  const std::string attr = "points=\"";
  for (auto at = svg.find(attr); at != std::string::npos; at = svg.find(attr, at + 1)) {
    const auto start = at + attr.size();
    const auto end = svg.find('"', start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_GT(count(svg.substr(start, end - start), ","), 100);
    ++lines;
  }
  EXPECT_EQ(lines, 2);
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
}

TEST(SvgPlot, EscapesTextAndSaysHowColumnsAreReduced) {
  const auto svg = renderSvg(threeDays());
  EXPECT_THAT(svg, HasSubstr("demand &amp; forecast &lt;test&gt;"));
  EXPECT_THAT(svg, HasSubstr("each plotted point is the maximum of 3 samples"));
  EXPECT_THAT(svg, HasSubstr("sample step 1 min"));
}

TEST(SvgPlot, WithoutAStartTimeTheAxisIsElapsedTime) {
  auto plot = threeDays();
  plot.start = 0;
  const auto svg = renderSvg(plot);
  EXPECT_THAT(svg, HasSubstr(">time since the start, 3.0 days</text>"));
  EXPECT_THAT(svg, HasSubstr(">+12h</text>"));
  EXPECT_THAT(svg, HasSubstr(">+66h</text>"));
  plot.lines[0].values.resize(20 * 1440);  // 20 days: day ticks
  EXPECT_THAT(renderSvg(plot), HasSubstr(">day 2</text>"));
}

TEST(SvgPlot, BacktestPlotIsPlacedAtTheTraceTimes) {
  predictor::Series series;
  series.start = kStart;
  series.step = 60;
  series.values.assign(2000, 10);
  predictor::BacktestReport report;
  for (std::size_t i = 500; i < 2000; ++i) report.trace.push_back({i, 10, 9, 12});
  const auto plot = backtestPlot(series, report, "5m");
  EXPECT_EQ(plot.start, kStart + 500 * 60);
  ASSERT_EQ(plot.lines.size(), 3u);
  EXPECT_EQ(plot.lines[1].values.size(), 1500u);
  const auto svg = renderSvg(plot);
  EXPECT_THAT(svg, HasSubstr("5m earlier"));
  EXPECT_THAT(svg, HasSubstr(">forecast P90</text></g>"));
  EXPECT_THAT(svg, HasSubstr(">actual</text></g>"));
  EXPECT_THAT(svg, HasSubstr(">forecast (point)</text></g>"));
  EXPECT_THAT(svg, HasSubstr(">demand (trace units per sample)</text>"));
}

TEST(SvgPlot, SimulatePlotShowsNeededAndEachPolicy) {
  predictor::SimulationReport report;
  report.start = kStart;
  report.tickSeconds = 15;
  report.policies.resize(3);
  report.policies[0].name = "predictive";
  report.policies[1].name = "hpa";
  report.policies[2].name = "oracle";
  report.needed.assign(400, 5);
  report.ready.assign(3, std::vector<float>(400, 6));
  const auto svg = renderSvg(simulatePlot(report));
  for (const char* name : {"needed", "predictive (ready)", "hpa (ready)", "oracle (ready)"}) {
    EXPECT_THAT(svg, HasSubstr(std::string("data-name=\"") + name + "\"")) << name;
    EXPECT_THAT(svg, HasSubstr(std::string(">") + name + "</text></g>")) << name;
  }
  EXPECT_THAT(svg, HasSubstr(">replicas</text>"));
  EXPECT_THAT(svg, HasSubstr("sample step 15 s"));
}

TEST(SvgPlot, FrontierPlotPutsBothFrontiersOnCostAgainstLogMisses) {
  predictor::SimulationReport report;
  for (double t : {0.5, 0.7, 1.0}) {
    predictor::PolicyResult h;
    h.knob = t;
    h.podSecondsRatio = 1 / t;
    h.underprovisionedFraction = 0.01 * t * t;
    report.hpaSweep.push_back(h);
  }
  predictor::PolicyResult dominated;  // costlier and worse than the 0.7 setting
  dominated.podSecondsRatio = 1.6;
  dominated.underprovisionedFraction = 0.008;
  report.hpaSweep.push_back(dominated);
  predictor::PolicyResult b;
  b.knob = 0.005;
  b.podSecondsRatio = 1.2;
  b.underprovisionedFraction = 0.001;
  report.predictiveSweep.push_back(b);
  report.policies.push_back(b);
  const auto plot = frontierPlot(report);
  ASSERT_EQ(plot.series.size(), 4u);
  EXPECT_EQ(plot.series[0].points.size(), 4u);  // every swept setting
  EXPECT_EQ(plot.series[1].points.size(), 3u);  // the envelope drops the dominated one
  const auto svg = renderFrontierSvg(plot);
  EXPECT_THAT(svg, HasSubstr("data-name=\"HPA at its best (lower envelope)\""));
  EXPECT_THAT(svg, HasSubstr(">0.5 %</text>"));  // the budget's label
  EXPECT_THAT(svg, HasSubstr(">missed requests (log scale)</text>"));
  EXPECT_THAT(svg, HasSubstr(">pod-seconds over the oracle's (cost)</text>"));
  // Decades on the y axis from 0.1 % (the budget's point) up to 1 % (the HPA at 1.0).
  EXPECT_THAT(svg, HasSubstr(">0.1 %</text>"));
  EXPECT_THAT(svg, HasSubstr(">1 %</text>"));
  EXPECT_THAT(svg, Not(HasSubstr(">0.01 %</text>")));
}

}  // namespace
}  // namespace tso::cli

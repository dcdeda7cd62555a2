#include "controller/cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

namespace tso::cli {
namespace {

constexpr double kWidth = 1200, kHeight = 420, kLeft = 60, kRight = 160, kTop = 30, kBottom = 40;
constexpr std::size_t kMaxColumns = 1600;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string renderSvg(const Plot& plot) {
  std::size_t len = 0;
  for (const auto& l : plot.lines) len = std::max(len, l.values.size());
  const std::size_t per = std::max<std::size_t>(1, (len + kMaxColumns - 1) / kMaxColumns);
  const std::size_t cols = (len + per - 1) / per;
  double ymax = 0;
  for (const auto& l : plot.lines) {
    for (double v : l.values) {
      if (std::isfinite(v)) ymax = std::max(ymax, v);
    }
  }
  if (!(ymax > 0)) ymax = 1;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](std::size_t c) { return kLeft + (cols > 1 ? pw * static_cast<double>(c) / static_cast<double>(cols - 1) : 0); };
  auto py = [&](double v) { return kTop + ph * (1 - v / ymax); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kLeft) + "\" y=\"18\" font-size=\"14\">" + escape(plot.title) + "</text>\n";
  svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + ph) + "\" x2=\"" + num(kLeft + pw) + "\" y2=\"" +
         num(kTop + ph) + "\" stroke=\"#888\"/>\n";
  for (int k = 0; k <= 4; ++k) {
    const double v = ymax * k / 4;
    svg += "<text x=\"4\" y=\"" + num(py(v) + 4) + "\">" + num(v) + "</text>\n";
  }
  const double days = static_cast<double>(len) * static_cast<double>(plot.step) / 86400.0;
  svg += "<text x=\"" + num(kLeft) + "\" y=\"" + num(kHeight - 10) + "\">" + escape(plot.yLabel) + " over " +
         num(days) + " days (each column is the max of " + std::to_string(per) + " samples)</text>\n";
  double legendY = kTop + 10;
  for (const auto& l : plot.lines) {
    std::string pts;
    for (std::size_t c = 0; c < cols; ++c) {
      double m = -std::numeric_limits<double>::infinity();
      for (std::size_t i = c * per; i < std::min(len, (c + 1) * per) && i < l.values.size(); ++i) {
        if (std::isfinite(l.values[i])) m = std::max(m, l.values[i]);
      }
      if (!std::isfinite(m)) continue;
      pts += num(px(c)) + "," + num(py(m)) + " ";
    }
    svg += "<polyline fill=\"none\" stroke=\"" + l.color + "\" stroke-width=\"1\" points=\"" + pts + "\"/>\n";
    svg += "<text x=\"" + num(kLeft + pw + 10) + "\" y=\"" + num(legendY) + "\" fill=\"" + l.color + "\">" +
           escape(l.name) + "</text>\n";
    legendY += 16;
  }
  svg += "</svg>\n";
  return svg;
}

std::expected<void, std::string> writeSvg(const std::string& path, const Plot& plot) {
  std::ofstream out(path);
  if (!out) return std::unexpected(path + ": cannot write");
  out << renderSvg(plot);
  if (!out) return std::unexpected(path + ": write failed");
  return {};
}

std::expected<void, std::string> writeBacktestPlot(const std::string& path, const predictor::Series& series,
                                                   const predictor::BacktestReport& report,
                                                   const std::string& horizonLabel) {
  Plot plot;
  plot.title = "backtest: actual vs forecast " + horizonLabel + " ahead (auto), with P90";
  plot.yLabel = "demand per step";
  plot.step = series.step;
  PlotLine actual{"actual", "#222222", {}}, point{"forecast", "#1f77b4", {}}, p90{"P90", "#ff7f0e", {}};
  for (const auto& t : report.trace) {
    actual.values.push_back(t.actual);
    point.values.push_back(t.point);
    p90.values.push_back(t.p90);
  }
  plot.lines = {p90, actual, point};
  return writeSvg(path, plot);
}

std::expected<void, std::string> writeSimulatePlot(const std::string& path, const predictor::SimulationReport& report) {
  Plot plot;
  plot.title = "simulate: replicas demand needs vs ready replicas per policy";
  plot.yLabel = "replicas";
  plot.start = report.start;
  plot.step = report.tickSeconds;
  plot.lines.push_back({"needed", "#222222", {report.needed.begin(), report.needed.end()}});
  static const char* kColors[] = {"#2ca02c", "#d62728", "#9467bd"};
  for (std::size_t p = 0; p < report.ready.size() && p < report.policies.size(); ++p) {
    plot.lines.push_back({report.policies[p].name, kColors[p % 3], {report.ready[p].begin(), report.ready[p].end()}});
  }
  return writeSvg(path, plot);
}

}  // namespace tso::cli

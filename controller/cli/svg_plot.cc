#include "controller/cli/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <fstream>
#include <limits>

namespace tso::cli {
namespace {

constexpr double kWidth = 1200, kHeight = 470, kLeft = 84, kRight = 24, kTop = 74, kBottom = 62;
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
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// 1, 2 or 5 times a power of ten, so that about `ticks` steps cover `span`.
double niceStep(double span, int ticks) {
  const double raw = span / ticks, p = std::pow(10.0, std::floor(std::log10(raw))), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

std::string tickValue(double v, double step) {
  char buf[32];
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A tick every 1m ... 28d, the finest that gives at most 12 labels over the span.
std::int64_t timeTick(double spanSeconds) {
  // 1m 5m 15m 30m 1h 3h 6h 12h 1d 2d 7d 28d
  static constexpr std::array<std::int64_t, 12> kSteps = {60,    300,   900,   1800,   3600,   10800,
                                                          21600, 43200, 86400, 172800, 604800, 2419200};
  for (auto s : kSteps) {
    if (spanSeconds / static_cast<double>(s) <= 12) return s;
  }
  return kSteps.back();
}

std::string timeLabel(std::int64_t t, std::int64_t tick, bool absolute) {
  char buf[32];
  if (!absolute) {  // seconds since the start of the trace
    const auto ll = [](std::int64_t v) { return static_cast<long long>(v); };
    if (tick >= 86400)
      std::snprintf(buf, sizeof buf, "day %lld", ll(t / 86400));
    else if (tick >= 3600)
      std::snprintf(buf, sizeof buf, "+%lldh", ll(t / 3600));
    else
      std::snprintf(buf, sizeof buf, "+%lldm", ll(t / 60));
    return buf;
  }
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, tick >= 86400 ? "%b %d" : (t % 86400 == 0 ? "%b %d" : "%H:%M"), &tm);
  return buf;
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
  const double ystep = niceStep(ymax, 5);
  ymax = std::ceil(ymax / ystep) * ystep;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  // Column c covers samples [c*per, (c+1)*per); x is the time of its first sample.
  const double span = static_cast<double>(len > 1 ? len - 1 : 1) * static_cast<double>(plot.step);
  auto pxTime = [&](double secondsFromStart) { return kLeft + pw * secondsFromStart / span; };
  auto px = [&](std::size_t c) { return pxTime(static_cast<double>(c * per) * static_cast<double>(plot.step)); };
  auto py = [&](double v) { return kTop + ph * (1 - v / ymax); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
                    "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" "
                    "height=\"100%\" fill=\"white\"/>\n";
  svg += "<text class=\"title\" x=\"" + num(kLeft) + "\" y=\"20\" font-size=\"15\">" + escape(plot.title) + "</text>\n";
  const double stepMin = static_cast<double>(plot.step) / 60.0;
  std::string note =
      "sample step " + (plot.step % 60 == 0 ? tickValue(stepMin, 1) + " min" : std::to_string(plot.step) + " s");
  if (per > 1) note += "; each plotted point is the maximum of " + std::to_string(per) + " samples (peaks kept)";
  svg += "<text class=\"note\" x=\"" + num(kLeft) + "\" y=\"38\" fill=\"#555\">" + escape(note) + "</text>\n";

  // Horizontal grid and y ticks.
  for (double v = 0; v <= ymax + ystep / 2; v += ystep) {
    svg += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + pw) + "\" y1=\"" + num(py(v)) + "\" y2=\"" +
           num(py(v)) + "\" stroke=\"#e6e6e6\"/>\n<text class=\"ytick\" x=\"" + num(kLeft - 8) + "\" y=\"" +
           num(py(v) + 4) + "\" text-anchor=\"end\">" + tickValue(v, ystep) + "</text>\n";
  }
  // Time ticks: on round UTC times when the start is a real time, else elapsed from the start.
  const bool absolute = plot.start > 0;
  const std::int64_t tick = timeTick(span);
  const std::int64_t end = plot.start + static_cast<std::int64_t>(span);
  std::int64_t t = absolute ? (plot.start + tick - 1) / tick * tick : 0;
  for (; t <= (absolute ? end : static_cast<std::int64_t>(span)); t += tick) {
    const double x = pxTime(static_cast<double>(absolute ? t - plot.start : t));
    svg += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop) + "\" y2=\"" + num(kTop + ph + 5) +
           "\" stroke=\"#f0f0f0\"/>\n<text class=\"xtick\" x=\"" + num(x) + "\" y=\"" + num(kTop + ph + 19) +
           "\" text-anchor=\"middle\">" + escape(timeLabel(t, tick, absolute)) + "</text>\n";
  }
  // Axes and their titles.
  svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(kLeft) + "\" y2=\"" + num(kTop + ph) +
         "\" stroke=\"#555\"/>\n<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + ph) + "\" x2=\"" + num(kLeft + pw) +
         "\" y2=\"" + num(kTop + ph) + "\" stroke=\"#555\"/>\n";
  const double midY = kTop + ph / 2;
  svg += "<text class=\"axis-title\" x=\"18\" y=\"" + num(midY) + "\" transform=\"rotate(-90 18 " + num(midY) +
         ")\" text-anchor=\"middle\">" + escape(plot.yLabel) + "</text>\n";
  const double days = span / 86400.0;
  char spanText[48];
  std::snprintf(spanText, sizeof spanText, "%.1f days", days);
  svg += "<text class=\"axis-title\" x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(kHeight - 12) +
         "\" text-anchor=\"middle\">" +
         (absolute ? std::string("time (UTC), ") : std::string("time since the start, ")) + spanText + "</text>\n";

  // Series, then the legend above the plot: a swatch and the name of each.
  double legendX = kLeft;
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
    svg += "<polyline class=\"series\" data-name=\"" + escape(l.name) + "\" fill=\"none\" stroke=\"" + l.color +
           "\" stroke-width=\"1.2\" points=\"" + pts + "\"/>\n";
    svg += "<g class=\"legend\"><line x1=\"" + num(legendX) + "\" x2=\"" + num(legendX + 24) +
           "\" y1=\"56\" y2=\"56\" stroke=\"" + l.color + "\" stroke-width=\"3\"/><text x=\"" + num(legendX + 30) +
           "\" y=\"60\">" + escape(l.name) + "</text></g>\n";
    legendX += 50 + 7.0 * static_cast<double>(l.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

Status writeSvg(const std::string& path, const Plot& plot) {
  std::ofstream out(path);
  if (!out) return fail(ErrorCode::kConfig, path + ": cannot write");
  out << renderSvg(plot);
  if (!out) return fail(ErrorCode::kConfig, path + ": write failed");
  return {};
}

Plot backtestPlot(const predictor::Series& series, const predictor::BacktestReport& report,
                  const std::string& horizonLabel) {
  Plot plot;
  plot.title = "backtest: actual demand vs the forecast made " + horizonLabel + " earlier (point and P90)";
  plot.yLabel = "demand (trace units per sample)";
  plot.step = series.step;
  PlotLine actual{"actual", "#222222", {}}, point{"forecast (point)", "#1f77b4", {}},
      p90{"forecast P90", "#ff7f0e", {}};
  if (!report.trace.empty()) {
    const std::size_t first = report.trace.front().index;
    plot.start = series.timeAt(first);
    const std::size_t n = report.trace.back().index - first + 1;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (auto* l : {&actual, &point, &p90}) l->values.assign(n, nan);
    for (const auto& t : report.trace) {
      actual.values[t.index - first] = t.actual;
      point.values[t.index - first] = t.point;
      p90.values[t.index - first] = t.p90;
    }
  }
  plot.lines = {p90, actual, point};
  return plot;
}

Plot simulatePlot(const predictor::SimulationReport& report, const std::string& command) {
  Plot plot;
  plot.title = command + ": replicas the demand needs vs replicas ready, per scaling policy";
  plot.yLabel = "replicas";
  plot.start = report.start;
  plot.step = report.tickSeconds;
  static const char* kColors[] = {"#2ca02c", "#d62728", "#9467bd"};
  for (std::size_t p = 0; p < report.ready.size() && p < report.policies.size(); ++p) {
    plot.lines.push_back(
        {report.policies[p].name + " (ready)", kColors[p % 3], {report.ready[p].begin(), report.ready[p].end()}});
  }
  // Drawn last so the target every policy chases stays visible.
  plot.lines.push_back({"needed", "#222222", {report.needed.begin(), report.needed.end()}});
  return plot;
}

Status writeBacktestPlot(const std::string& path, const predictor::Series& series,
                         const predictor::BacktestReport& report, const std::string& horizonLabel) {
  return writeSvg(path, backtestPlot(series, report, horizonLabel));
}

Status writeSimulatePlot(const std::string& path, const predictor::SimulationReport& report,
                         const std::string& command) {
  return writeSvg(path, simulatePlot(report, command));
}

namespace {

struct FrontierAxes {
  double xmin = 1, xmax = 1, logMin = -5, logMax = -1;  // y in log10 of the missed share
  double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  [[nodiscard]] double px(double x) const { return kLeft + pw * (x - xmin) / (xmax - xmin); }
  [[nodiscard]] double py(double misses) const {
    const double l = std::clamp(std::log10(std::max(misses, 1e-12)), logMin, logMax);
    return kTop + ph * (1 - (l - logMin) / (logMax - logMin));
  }
};

FrontierAxes frontierAxes(const FrontierPlot& plot) {
  FrontierAxes a;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, lmin = xmin, lmax = -xmin;
  for (const auto& s : plot.series) {
    for (const auto& p : s.points) {
      xmin = std::min(xmin, p.cost);
      xmax = std::max(xmax, p.cost);
      if (p.misses > 0) {
        lmin = std::min(lmin, std::log10(p.misses));
        lmax = std::max(lmax, std::log10(p.misses));
      }
    }
  }
  if (std::isfinite(xmin) && xmax > xmin) {
    const double xs = niceStep(xmax - xmin, 8);
    a.xmin = std::floor(xmin / xs) * xs;
    a.xmax = std::ceil(xmax / xs) * xs;
  } else {
    a.xmin = 0.5;
    a.xmax = 1.5;
  }
  if (std::isfinite(lmin)) {
    a.logMin = std::floor(lmin);
    a.logMax = std::max(a.logMin + 1, std::ceil(lmax));
  }
  return a;
}

std::string frontierGrid(const FrontierAxes& a) {
  std::string svg;
  for (double l = a.logMin; l <= a.logMax + 1e-9; l += 1) {
    char label[32];
    std::snprintf(label, sizeof label, "%g %%", 100 * std::pow(10.0, l));
    svg += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + a.pw) + "\" y1=\"" + num(a.py(std::pow(10.0, l))) +
           "\" y2=\"" + num(a.py(std::pow(10.0, l))) + "\" stroke=\"#e6e6e6\"/>\n<text class=\"ytick\" x=\"" +
           num(kLeft - 8) + "\" y=\"" + num(a.py(std::pow(10.0, l)) + 4) + "\" text-anchor=\"end\">" + label +
           "</text>\n";
  }
  const double xs = niceStep(a.xmax - a.xmin, 8);
  for (double x = a.xmin; x <= a.xmax + xs / 2; x += xs) {
    svg += "<line x1=\"" + num(a.px(x)) + "\" x2=\"" + num(a.px(x)) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
           num(kTop + a.ph + 5) + "\" stroke=\"#f0f0f0\"/>\n<text class=\"xtick\" x=\"" + num(a.px(x)) + "\" y=\"" +
           num(kTop + a.ph + 19) + "\" text-anchor=\"middle\">" + tickValue(x, xs) + "x</text>\n";
  }
  const double midY = kTop + a.ph / 2;
  svg += "<text class=\"axis-title\" x=\"18\" y=\"" + num(midY) + "\" transform=\"rotate(-90 18 " + num(midY) +
         ")\" text-anchor=\"middle\">missed requests (log scale)</text>\n<text class=\"axis-title\" x=\"" +
         num(kLeft + a.pw / 2) + "\" y=\"" + num(kHeight - 12) +
         "\" text-anchor=\"middle\">pod-seconds over the oracle's (cost)</text>\n";
  return svg;
}

std::string frontierSeries(const FrontierAxes& a, const FrontierSeries& s, double legendX) {
  std::string svg;
  auto pts = s.points;
  std::sort(pts.begin(), pts.end(), [](const auto& x, const auto& y) { return x.cost < y.cost; });
  if (s.line && pts.size() > 1) {
    std::string poly;
    for (const auto& p : pts) poly += num(a.px(p.cost)) + "," + num(a.py(p.misses)) + " ";
    svg += "<polyline class=\"series\" data-name=\"" + escape(s.name) + "\" fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"1.5\" points=\"" + poly + "\"/>\n";
  }
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const auto& p = s.points[i];
    svg += "<circle class=\"point\" data-name=\"" + escape(s.name) + "\" cx=\"" + num(a.px(p.cost)) + "\" cy=\"" +
           num(a.py(p.misses)) + "\" r=\"" +
           (s.line                 ? "3"
            : s.points.size() == 1 ? "6"
                                   : "2") +
           "\" fill=\"" + s.color + "\"/>\n";
    if (i < s.labels.size() && !s.labels[i].empty()) {
      svg += "<text class=\"label\" x=\"" + num(a.px(p.cost) + 5) + "\" y=\"" + num(a.py(p.misses) - 5) +
             "\" font-size=\"10\" fill=\"" + s.color + "\">" + escape(s.labels[i]) + "</text>\n";
    }
  }
  svg += "<g class=\"legend\"><circle cx=\"" + num(legendX + 10) + "\" cy=\"56\" r=\"4\" fill=\"" + s.color +
         "\"/><text x=\"" + num(legendX + 20) + "\" y=\"60\">" + escape(s.name) + "</text></g>\n";
  return svg;
}

}  // namespace

std::string renderFrontierSvg(const FrontierPlot& plot) {
  const auto a = frontierAxes(plot);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
                    "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
                    "fill=\"white\"/>\n";
  svg += "<text class=\"title\" x=\"" + num(kLeft) + "\" y=\"20\" font-size=\"15\">" + escape(plot.title) + "</text>\n";
  svg += frontierGrid(a);
  svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(kLeft) + "\" y2=\"" + num(kTop + a.ph) +
         "\" stroke=\"#555\"/>\n<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + a.ph) + "\" x2=\"" +
         num(kLeft + a.pw) + "\" y2=\"" + num(kTop + a.ph) + "\" stroke=\"#555\"/>\n";
  double legendX = kLeft;
  for (const auto& s : plot.series) {
    svg += frontierSeries(a, s, legendX);
    legendX += 40 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

FrontierPlot frontierPlot(const predictor::SimulationReport& report) {
  FrontierPlot plot;
  plot.title = "simulate: missed requests against cost, the HPA swept and the predictive policy's budgets";
  FrontierSeries swept{"HPA settings swept", "#c8c8c8", {}, false, {}};
  for (const auto& h : report.hpaSweep) swept.points.push_back(h.point());
  FrontierSeries envelope{
      "HPA at its best (lower envelope)", "#d62728", predictor::lowerEnvelope(swept.points), true, {}};
  FrontierSeries budgets{"predictive, miss budget swept", "#2ca02c", {}, true, {}};
  for (const auto& p : report.predictiveSweep) {
    budgets.points.push_back(p.point());
    char label[32];
    std::snprintf(label, sizeof label, "%g %%", 100 * p.knob);
    budgets.labels.emplace_back(label);
  }
  plot.series = {swept, envelope, budgets};
  if (!report.policies.empty()) {
    plot.series.push_back({"predictive (this run)", "#1f77b4", {report.policies.front().point()}, false, {}});
  }
  return plot;
}

Status writeFrontierPlot(const std::string& path, const predictor::SimulationReport& report) {
  std::ofstream out(path);
  if (!out) return fail(ErrorCode::kConfig, path + ": cannot write");
  out << renderFrontierSvg(frontierPlot(report));
  if (!out) return fail(ErrorCode::kConfig, path + ": write failed");
  return {};
}

}  // namespace tso::cli

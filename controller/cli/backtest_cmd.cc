// `throughput-operator backtest`: rolling-origin evaluation of every model and of the
// auto-selected forecaster on a CSV trace; a table (or JSON) of MAE, WAPE, P90 coverage,
// pinball loss, MASE and skill per horizon.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/cli/commands_impl.h"
#include "controller/cli/flags.h"
#include "controller/cli/svg_plot.h"
#include "controller/cli/trace_input.h"
#include "predictor/backtest.h"
#include "predictor/csv.h"

namespace tso::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"input", true, "CSV trace `timestamp,value` (required; - = stdin)"},
    {"step", true, "sample interval, e.g. 60s (default: from the timestamps)"},
    {"horizons", true, "comma-separated horizons (default 5m,15m,30m)"},
    {"train", true, "history before the first evaluated origin (default 7d)"},
    {"refit", true, "refit interval (default 1d)"},
    {"models", true, "comma-separated candidate models to consider (default: all)"},
    {"jump-threshold", true, "flash-crowd jump threshold in noise units, 0 = off (default 6)"},
    {"fast-search", false, "operator refit mode: shorter parameter trials with early stopping"},
    {"fleet", false,
     "evaluate the fleet regression (one shared fit for many series, predictor/fleet.h) instead of the auto selection"},
    {"json", false, "print JSON instead of the table"},
    {"plot", true, "write an SVG of actuals vs the first horizon's forecast and P90"},
};

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const auto comma = s.find(',', pos);
    const auto end = comma == std::string::npos ? s.size() : comma;
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

nlohmann::json optionalNumber(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json horizonsJson(const predictor::ModelMetrics& m, const std::vector<std::string>& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < m.horizons.size(); ++i) {
    const auto& h = m.horizons[i];
    out[labels[i]] = {{"skill", optionalNumber(h.skill)},
                      {"mase", optionalNumber(h.mase)},
                      {"wape", h.wape},
                      {"coverage_p90", h.coverageP90},
                      {"mae", h.mae},
                      {"pinball", h.pinball},
                      {"points", h.points},
                      {"steps", h.steps},
                      {"best_baseline", h.bestBaseline}};
  }
  return out;
}

std::string fmt(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

void printTable(const predictor::BacktestReport& r, const std::vector<std::string>& labels) {
  std::printf("samples %zu, step %llds, first origin %zu, refits %zu\n", r.samples, static_cast<long long>(r.step),
              r.firstOrigin, r.refits);
  std::printf("selection at the last refit: %s\n\n", r.selection.c_str());
  std::printf("%-28s %-5s %10s %7s %7s %10s %7s %7s  %s\n", "model", "h", "mae", "wape", "covP90", "pinball", "mase",
              "skill", "best baseline");
  auto rows = [&](const predictor::ModelMetrics& m) {
    for (std::size_t i = 0; i < m.horizons.size(); ++i) {
      const auto& h = m.horizons[i];
      std::printf("%-28s %-5s %10.3f %7.3f %7.3f %10.3f %7s %7s  %s\n", m.model.c_str(), labels[i].c_str(), h.mae,
                  h.wape, h.coverageP90, h.pinball, fmt(h.mase).c_str(), fmt(h.skill).c_str(), h.bestBaseline.c_str());
    }
  };
  rows(r.selected);
  for (const auto& m : r.models) rows(m);
  for (const auto& m : r.baselines) rows(m);
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
}

}  // namespace

int runBacktest(std::span<const char* const> args) {
  auto flags = parseOrExit("backtest", "backtest --input FILE.csv [flags]", args, kFlags);
  if (!flags) return flags.error();
  const auto input = flags->value("input");
  if (!input || input->empty()) {
    std::fprintf(stderr, "throughput-operator backtest: --input is required\n");
    return 2;
  }
  std::optional<std::int64_t> step;
  if (auto s = flags->value("step")) {
    step = predictor::parseDuration(*s);
    if (!step || *step <= 0) {
      std::fprintf(stderr, "throughput-operator backtest: --step: bad duration '%s'\n", s->c_str());
      return 2;
    }
  }
  predictor::BacktestConfig config;
  std::vector<std::string> labels = {"5m", "15m", "30m"};
  if (auto h = flags->value("horizons")) {
    labels = splitList(*h);
    config.horizonSeconds.clear();
    for (const auto& l : labels) {
      const auto d = predictor::parseDuration(l);
      if (!d || *d <= 0) {
        std::fprintf(stderr, "throughput-operator backtest: --horizons: bad duration '%s'\n", l.c_str());
        return 2;
      }
      config.horizonSeconds.push_back(*d);
    }
    if (labels.empty()) {
      std::fprintf(stderr, "throughput-operator backtest: --horizons: empty list\n");
      return 2;
    }
  }
  for (auto [flag, target] : {std::pair{"train", &config.trainSeconds}, std::pair{"refit", &config.refitSeconds}}) {
    if (auto v = flags->value(flag)) {
      const auto d = predictor::parseDuration(*v);
      if (!d || *d <= 0) {
        std::fprintf(stderr, "throughput-operator backtest: --%s: bad duration '%s'\n", flag, v->c_str());
        return 2;
      }
      *target = *d;
    }
  }
  if (auto m = flags->value("models")) config.onlyModels = splitList(*m);
  if (auto j = flags->value("jump-threshold")) {
    char* end = nullptr;
    config.jumpThreshold = std::strtod(j->c_str(), &end);
    if (end == j->c_str() || *end != '\0' || !(config.jumpThreshold >= 0)) {
      std::fprintf(stderr, "throughput-operator backtest: --jump-threshold: bad number '%s'\n", j->c_str());
      return 2;
    }
  }
  config.fastSearch = flags->has("fast-search");
  config.fleet = flags->has("fleet");
  if (config.fleet && (config.fastSearch || !config.onlyModels.empty())) {
    std::fprintf(
        stderr, "throughput-operator backtest: --fleet: --models and --fast-search apply to the auto selection only\n");
    return 2;
  }
  const auto plot = flags->value("plot");
  config.recordTrace = plot.has_value();

  auto trace = readTraceFile(*input, step);
  if (!trace) {
    std::fprintf(stderr, "throughput-operator backtest: %s\n", trace.error().message.c_str());
    return 2;
  }
  config.progress = [](double f) { showProgress("backtest", f); };
  auto report = predictor::runBacktest(trace->series, config);
  if (!report) {
    std::fprintf(stderr, "throughput-operator backtest: %s: %s\n", input->c_str(), report.error().toString().c_str());
    return 2;
  }

  if (flags->has("json")) {
    nlohmann::json out;
    out["input"] = *input;
    out["step_seconds"] = report->step;
    out["samples"] = report->samples;
    out["first_origin"] = report->firstOrigin;
    out["refits"] = report->refits;
    out["selected"] = {{"model", report->selected.model},
                       {"selection", report->selection},
                       {"horizons", horizonsJson(report->selected, labels)}};
    out["models"] = nlohmann::json::array();
    for (const auto& m : report->models) {
      out["models"].push_back({{"model", m.model}, {"horizons", horizonsJson(m, labels)}});
    }
    out["baselines"] = nlohmann::json::array();
    for (const auto& m : report->baselines) {
      out["baselines"].push_back({{"model", m.model}, {"horizons", horizonsJson(m, labels)}});
    }
    out["notes"] = report->notes;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    printTable(*report, labels);
  }
  if (plot) {
    if (auto st = writeBacktestPlot(*plot, trace->series, *report, labels.front()); !st) {
      std::fprintf(stderr, "throughput-operator backtest: --plot: %s\n", st.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace tso::cli

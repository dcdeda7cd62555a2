// `throughput-operator simulate`: replays a trace as demand against the predictive policy, a
// real-semantics HPA and an oracle, and compares the predictive policy with the HPA tuned to the
// same cost (both frontiers swept): missed requests, pod-seconds and elasticity.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/cli/commands_impl.h"
#include "controller/cli/flags.h"
#include "controller/cli/service_policy.h"
#include "controller/cli/simulate_report.h"
#include "controller/cli/svg_plot.h"
#include "controller/cli/trace_input.h"
#include "controller/reconcile/policy_simulation.h"
#include "predictor/csv.h"
#include "predictor/simulator.h"

namespace tso::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"input", true, "CSV trace `timestamp,value` (required; - = stdin)"},
    {"step", true, "sample interval, e.g. 60s (default: from the timestamps)"},
    {"warmup", true, "pod warm-up before it serves (default 90s)"},
    {"peak-replicas", true, "replicas the trace's peak needs at utilization 1.0 (default 50)"},
    {"train", true, "history before the evaluated part (default 7d)"},
    {"miss-budget", true,
     "share of requests the predictive policy may miss, e.g. 0.5% or 0.005; its headroom is tuned online to "
     "spend it (default: none, a fixed --quantile)"},
    {"quantile", true,
     "forecast quantile provisioned without a budget: p50|p90|p95|p99 or a level in (0, 1) "
     "(default p95)"},
    {"breakout", true,
     "band (p50..p99 or a level) above which observed demand raises the steps ahead at once, or "
     "off (default p90)"},
    {"time-of-day-headroom", true,
     "on: the predictive policy also places headroom by hour of day, where it has fallen short more often "
     "than the day on average (default off)"},
    {"events", true,
     "CSV of known events `start,duration,multiplier` (start ISO-8601, unix seconds or cron:M H DOM MON DOW): "
     "the predictive policy scales its forecast by them over the lead window"},
    {"scale-down-window", true,
     "predictive scale-down stabilization (default 0s, as the operator while its forecast drives: the lead "
     "window looks ahead)"},
    {"hpa-target", true,
     "show the HPA at this target utilization in (0, 1] (default: the swept HPA nearest the "
     "predictive policy's cost)"},
    {"hpa-scale-down-window", true, "with --hpa-target: its scale-down stabilization (default 300s)"},
    {"no-sweep", false, "skip the frontiers (no equal-cost comparison; faster)"},
    {"fast-search", false, "operator refit mode: shorter parameter trials with early stopping"},
    {"fleet", false,
     "the predictive policy forecasts with the fleet regression (predictor/fleet.h) instead of the auto selection"},
    {"json", false, "print JSON instead of the table"},
    {"plot", true, "write an SVG of needed vs ready replicas per policy"},
    {"frontier-plot", true, "write an SVG of both cost/miss frontiers (HPA swept, predictive budgets swept)"},
    {"service", true,
     "a ThroughputService manifest: its own policy (capacity, bounds, behavior, quantile, lead time, events, "
     "model) replaces the policy flags, as `replay` runs it on Prometheus history"},
    {"name", true, "with --service: which ThroughputService of the file"},
};

// What --service decides; these flags would contradict it.
constexpr std::string_view kPolicyFlags[] = {
    "peak-replicas",        "train",  "miss-budget",       "quantile",   "breakout",
    "time-of-day-headroom", "events", "scale-down-window", "hpa-target", "hpa-scale-down-window",
    "fast-search",          "fleet"};

constexpr const char* kCommand = "throughput-operator simulate";
constexpr std::int64_t kHpaScaleDownSeconds = 300;

void badValue(const char* flag, const std::string& value, const char* why) {
  std::fprintf(stderr, "%s: --%s: bad value '%s' (%s)\n", kCommand, flag, value.c_str(), why);
}

// `p95`, `0.95`; nullopt when it is neither or not in (0, 1).
std::optional<double> parseLevel(const std::string& v) {
  std::string text = v;
  double scale = 1;
  if (!text.empty() && (text[0] == 'p' || text[0] == 'P')) {
    text = text.substr(1);
    scale = 0.01;
  }
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end) * scale;
  if (text.empty() || end == text.c_str() || *end != '\0' || !(x > 0 && x < 1)) return std::nullopt;
  return x;
}

// `0.5%` or `0.005`; nullopt unless in (0, 1).
std::optional<double> parseShare(const std::string& v) {
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (end == v.c_str()) return std::nullopt;
  if (*end == '%') {
    x /= 100;
    ++end;
  }
  if (*end != '\0' || !(x > 0 && x < 1)) return std::nullopt;
  return x;
}

// Fills cfg from the flags; an exit code on a bad value (already reported).
std::optional<int> configure(const Flags& flags, predictor::SimulationConfig& cfg, std::optional<std::int64_t>& step) {
  struct DurationFlag {
    const char* name;
    std::int64_t* target;
    bool allowZero;
  };
  std::int64_t stepValue = 0;
  std::int64_t hpaWindow = 300;
  for (const DurationFlag& d :
       {DurationFlag{"step", &stepValue, false}, DurationFlag{"warmup", &cfg.warmupSeconds, true},
        DurationFlag{"train", &cfg.trainSeconds, true},
        DurationFlag{"scale-down-window", &cfg.predictiveScaleDownSeconds, true},
        DurationFlag{"hpa-scale-down-window", &hpaWindow, true}}) {
    if (auto v = flags.value(d.name)) {
      const auto parsed = predictor::parseDuration(*v);
      if (!parsed || (!d.allowZero && *parsed == 0)) {
        badValue(d.name, *v, "a duration such as 90s, 5m or 7d");
        return 2;
      }
      *d.target = *parsed;
    }
  }
  if (stepValue > 0) step = stepValue;
  if (auto v = flags.value("peak-replicas")) {
    char* end = nullptr;
    const long p = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || p <= 0 || p > 1'000'000) {
      badValue("peak-replicas", *v, "a whole number from 1 to 1000000");
      return 2;
    }
    cfg.peakReplicas = static_cast<int>(p);
  }
  if (auto v = flags.value("hpa-target")) {
    char* end = nullptr;
    const double t = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0' || !(t > 0 && t <= 1)) {
      badValue("hpa-target", *v, "a utilization in (0, 1]");
      return 2;
    }
    cfg.hpa = predictor::HpaSetting{t, hpaWindow};
  } else if (flags.has("hpa-scale-down-window")) {
    std::fprintf(stderr, "%s: --hpa-scale-down-window goes with --hpa-target\n", kCommand);
    return 2;
  }
  if (auto v = flags.value("quantile")) {
    const auto q = parseLevel(*v);
    if (!q) {
      badValue("quantile", *v, "p50, p90, p95, p99 or a level in (0, 1)");
      return 2;
    }
    cfg.provisioning.quantile = *q;
  }
  if (auto v = flags.value("miss-budget")) {
    const auto b = parseShare(*v);
    if (!b) {
      badValue("miss-budget", *v, "a share in (0, 1) such as 0.5% or 0.005");
      return 2;
    }
    cfg.provisioning.missBudget = b;
  }
  if (auto v = flags.value("breakout")) {
    const auto b = *v == "off" ? std::optional<double>(0.0) : parseLevel(*v);
    if (!b) {
      badValue("breakout", *v, "off, or p50..p99 or a level in (0, 1)");
      return 2;
    }
    cfg.provisioning.breakoutLevel = *b;
  }
  if (auto v = flags.value("time-of-day-headroom")) {
    if (*v != "on" && *v != "off") {
      badValue("time-of-day-headroom", *v, "on or off");
      return 2;
    }
    cfg.provisioning.timeOfDay = *v == "on";
  }
  if (auto v = flags.value("events")) {
    std::ifstream in(*v);
    if (!in) {
      std::fprintf(stderr, "%s: --events: cannot read %s\n", kCommand, v->c_str());
      return 2;
    }
    auto cal = predictor::readEventsCsv(in);
    if (!cal) {
      std::fprintf(stderr, "%s: --events: %s: %s\n", kCommand, v->c_str(), cal.error().toString().c_str());
      return 2;
    }
    cfg.provisioning.events = std::move(*cal);
  }
  cfg.fastSearch = flags.has("fast-search");
  cfg.fleet = flags.has("fleet");
  if (cfg.fleet && cfg.fastSearch) {
    std::fprintf(stderr, "%s: --fleet: --fast-search applies to the auto selection only\n", kCommand);
    return 2;
  }
  if (!flags.has("no-sweep")) {
    cfg.hpaSweep = predictor::defaultHpaSweep();
    cfg.missBudgets = predictor::defaultMissBudgets();
    // HPA's default scale-down stabilization, to show what holding pods costs against this run.
    if (cfg.predictiveScaleDownSeconds != kHpaScaleDownSeconds) cfg.scaleDownWindows = {kHpaScaleDownSeconds};
  } else if (flags.has("frontier-plot")) {
    std::fprintf(stderr, "%s: --frontier-plot needs the sweep (drop --no-sweep)\n", kCommand);
    return 2;
  }
  return std::nullopt;
}

// --service: the resource's policy; an exit code on a bad value (already reported).
std::optional<int> configureService(const Flags& flags, const std::string& file, predictor::SimulationConfig& cfg,
                                    std::optional<std::int64_t>& step, std::optional<ServicePolicy>& service) {
  for (auto f : kPolicyFlags) {
    if (flags.has(f)) {
      std::fprintf(stderr, "%s: --%s: --service takes it from the resource\n", kCommand, std::string(f).c_str());
      return 2;
    }
  }
  if (flags.has("frontier-plot")) {
    std::fprintf(stderr, "%s: --frontier-plot: not with --service\n", kCommand);
    return 2;
  }
  auto policy = readServiceFile(file, flags.value("name"));
  if (!policy) {
    std::fprintf(stderr, "%s: --service: %s\n", kCommand, policy.error().message.c_str());
    return 2;
  }
  std::int64_t warmup = 90;
  if (auto v = flags.value("warmup")) {
    const auto parsed = predictor::parseDuration(*v);
    if (!parsed) {
      badValue("warmup", *v, "a duration such as 90s, 5m or 7d");
      return 2;
    }
    warmup = *parsed;
  }
  if (auto v = flags.value("step")) {
    const auto parsed = predictor::parseDuration(*v);
    if (!parsed || *parsed == 0) {
      badValue("step", *v, "a duration such as 90s, 5m or 7d");
      return 2;
    }
    step = parsed;
  }
  cfg = reconcile::simulationConfigOf(policy->spec, warmup, !flags.has("no-sweep"));
  service = std::move(*policy);
  return std::nullopt;
}

}  // namespace

int runSimulate(std::span<const char* const> args) {
  auto flags = parseOrExit("simulate", "simulate --input FILE.csv [flags]", args, kFlags);
  if (!flags) return flags.error();
  const auto input = flags->value("input");
  if (!input || input->empty()) {
    std::fprintf(stderr, "%s: --input is required\n", kCommand);
    return 2;
  }
  predictor::SimulationConfig cfg;
  std::optional<std::int64_t> step;
  std::optional<ServicePolicy> service;
  if (auto file = flags->value("service")) {
    auto code = configureService(*flags, *file, cfg, step, service);
    if (code) return *code;
  } else if (auto code = configure(*flags, cfg, step)) {
    return *code;
  }
  const auto plot = flags->value("plot");
  cfg.recordTimeline = plot.has_value();

  auto trace = readTraceFile(*input, step);
  if (!trace) {
    std::fprintf(stderr, "%s: %s\n", kCommand, trace.error().message.c_str());
    return 2;
  }
  if (service) {
    auto resampled = atStep(trace->series, service->spec.stepSeconds);
    if (!resampled) {
      std::fprintf(stderr, "%s: --service: %s\n", kCommand, resampled.error().message.c_str());
      return 2;
    }
    trace->series = std::move(*resampled);
  }
  cfg.progress = [](double f) { showProgress("simulate", f); };
  auto report = predictor::simulate(trace->series, cfg);
  if (!report) {
    std::fprintf(stderr, "%s: %s: %s\n", kCommand, input->c_str(), report.error().toString().c_str());
    return 2;
  }
  if (flags->has("json")) {
    std::printf("%s\n", reportJson(*input, cfg, *report).dump(2).c_str());
  } else {
    printReportTable(cfg, *report);
  }
  if (plot) {
    if (auto st = writeSimulatePlot(*plot, *report); !st) {
      std::fprintf(stderr, "%s: --plot: %s\n", kCommand, st.error().message.c_str());
      return 1;
    }
  }
  if (auto fp = flags->value("frontier-plot")) {
    if (auto st = writeFrontierPlot(*fp, *report); !st) {
      std::fprintf(stderr, "%s: --frontier-plot: %s\n", kCommand, st.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace tso::cli

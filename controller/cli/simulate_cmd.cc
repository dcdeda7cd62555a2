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
#include "controller/cli/svg_plot.h"
#include "controller/cli/trace_input.h"
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
};

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

nlohmann::json optional(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json policyJson(const predictor::PolicyResult& p) {
  return {{"knob", p.knob},
          {"scale_down_seconds", p.scaleDownSeconds},
          {"underprovisioned_fraction", p.underprovisionedFraction},
          {"underprovisioned_time_share", p.underprovisionedTimeShare},
          {"pod_seconds", p.podSeconds},
          {"pod_seconds_ratio", p.podSecondsRatio},
          {"actions_per_hour", p.actionsPerHour},
          {"theta_u", p.thetaU},
          {"theta_o", p.thetaO},
          {"requests", p.requests},
          {"missed_requests", p.missedRequests}};
}

std::vector<predictor::FrontierPoint> hpaEnvelope(const predictor::SimulationReport& r) {
  std::vector<predictor::FrontierPoint> points;
  points.reserve(r.hpaSweep.size());
  for (const auto& h : r.hpaSweep) points.push_back(h.point());
  return predictor::lowerEnvelope(points);
}

// Each run with its equal-cost ratios against the HPA's envelope.
nlohmann::json comparedRuns(const std::vector<predictor::FrontierPoint>& env,
                            const std::vector<predictor::PolicyResult>& runs) {
  auto out = nlohmann::json::array();
  for (const auto& p : runs) {
    const auto ec = predictor::compareAtEqualCost(env, p.point());
    auto j = policyJson(p);
    j["equal_cost_miss_ratio"] = optional(ec.missRatio);
    j["equal_cost_cost_ratio"] = optional(ec.costRatio);
    out.push_back(j);
  }
  return out;
}

void printJson(const std::string& input, const predictor::SimulationConfig& cfg, const predictor::SimulationReport& r) {
  nlohmann::json out;
  out["input"] = input;
  out["warmup_seconds"] = cfg.warmupSeconds;
  out["peak_replicas"] = cfg.peakReplicas;
  out["per_replica_rps"] = r.perReplica;
  out["provisioning"] = {{"quantile", cfg.provisioning.quantile},
                         {"miss_budget", optional(cfg.provisioning.missBudget)},
                         {"breakout_level", cfg.provisioning.breakoutLevel},
                         {"scale_down_seconds", cfg.predictiveScaleDownSeconds}};
  out["policies"] = nlohmann::json::object();
  for (const auto& p : r.policies) out["policies"][p.name] = policyJson(p);
  out["equal_cost"] = {{"miss_ratio", optional(r.equalCost.missRatio)},
                       {"cost_ratio", optional(r.equalCost.costRatio)}};
  const auto env = hpaEnvelope(r);
  out["hpa_sweep"] = nlohmann::json::array();
  for (const auto& h : r.hpaSweep) out["hpa_sweep"].push_back(policyJson(h));
  out["hpa_envelope"] = nlohmann::json::array();
  for (const auto& p : env)
    out["hpa_envelope"].push_back({{"pod_seconds_ratio", p.cost}, {"underprovisioned_fraction", p.misses}});
  out["predictive_windows"] = comparedRuns(env, r.windowSweep);
  out["predictive_sweep"] = comparedRuns(env, r.predictiveSweep);
  out["notes"] = r.notes;
  std::printf("%s\n", out.dump(2).c_str());
}

std::string ratio(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

void printTable(const predictor::SimulationConfig& cfg, const predictor::SimulationReport& r) {
  std::printf("per-replica capacity %.3f req/s (peak needs %d replicas), warm-up %llds\n", r.perReplica,
              cfg.peakReplicas, static_cast<long long>(cfg.warmupSeconds));
  std::printf("%-11s %9s %7s %12s %10s %14s %9s %9s %9s %9s\n", "policy", "knob", "down_s", "under_frac", "under_time",
              "pod_seconds", "vs_oracle", "acts/h", "theta_U%", "theta_O%");
  for (const auto& p : r.policies) {
    std::printf("%-11s %9.4f %7lld %12.6f %10.4f %14.0f %9.3f %9.2f %9.3f %9.2f\n", p.name.c_str(), p.knob,
                static_cast<long long>(p.scaleDownSeconds), p.underprovisionedFraction, p.underprovisionedTimeShare,
                p.podSeconds, p.podSecondsRatio, p.actionsPerHour, p.thetaU, p.thetaO);
  }
  if (!r.hpaSweep.empty()) {
    std::printf(
        "against the HPA tuned to the same cost (%zu settings swept, lower envelope): misses x%s, "
        "pod-seconds for the same misses x%s\n",
        r.hpaSweep.size(), ratio(r.equalCost.missRatio).c_str(), ratio(r.equalCost.costRatio).c_str());
  }
  for (const auto& p : r.windowSweep) {
    const auto ec = predictor::compareAtEqualCost(hpaEnvelope(r), p.point());
    std::printf(
        "the same with a %llds scale-down window: under_frac %.6f at %.3fx the oracle, %.2f acts/h: "
        "misses x%s, pod-seconds for the same misses x%s\n",
        static_cast<long long>(p.scaleDownSeconds), p.underprovisionedFraction, p.podSecondsRatio, p.actionsPerHour,
        ratio(ec.missRatio).c_str(), ratio(ec.costRatio).c_str());
  }
  if (!r.predictiveSweep.empty()) {
    const auto env = hpaEnvelope(r);
    std::printf("%-12s %12s %9s %9s %16s %16s\n", "miss_budget", "under_frac", "vs_oracle", "acts/h", "equal_cost_miss",
                "equal_miss_cost");
    for (const auto& p : r.predictiveSweep) {
      const auto ec = predictor::compareAtEqualCost(env, p.point());
      std::printf("%11.2f%% %12.6f %9.3f %9.2f %16s %16s\n", 100 * p.knob, p.underprovisionedFraction,
                  p.podSecondsRatio, p.actionsPerHour, ratio(ec.missRatio).c_str(), ratio(ec.costRatio).c_str());
    }
  }
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
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
  if (auto code = configure(*flags, cfg, step)) return *code;
  const auto plot = flags->value("plot");
  cfg.recordTimeline = plot.has_value();

  auto trace = readTraceFile(*input, step);
  if (!trace) {
    std::fprintf(stderr, "%s: %s\n", kCommand, trace.error().message.c_str());
    return 2;
  }
  cfg.progress = [](double f) { showProgress("simulate", f); };
  auto report = predictor::simulate(trace->series, cfg);
  if (!report) {
    std::fprintf(stderr, "%s: %s: %s\n", kCommand, input->c_str(), report.error().toString().c_str());
    return 2;
  }
  if (flags->has("json")) {
    printJson(*input, cfg, *report);
  } else {
    printTable(cfg, *report);
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

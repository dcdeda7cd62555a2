// `throughput-operator simulate`: replays a trace as demand against the predictive policy, a
// real-semantics HPA and an oracle, and reports missed requests, pod-seconds and elasticity.
#include <cstdio>
#include <cstdlib>
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
    {"quantile", true, "forecast quantile the predictive policy provisions: p50|p90|p95|p99 (default p95)"},
    {"scale-down-window", true, "predictive scale-down stabilization (default 300s)"},
    {"hpa-target", true, "HPA target utilization in (0, 1] (default 1.0)"},
    {"fast-search", false, "operator refit mode: shorter parameter trials with early stopping"},
    {"fleet", false,
     "the predictive policy forecasts with the fleet regression (predictor/fleet.h) instead of the auto selection"},
    {"json", false, "print JSON instead of the table"},
    {"plot", true, "write an SVG of needed vs ready replicas per policy"},
};

void fail2(const char* flag, const std::string& value) {
  std::fprintf(stderr, "throughput-operator simulate: --%s: bad value '%s'\n", flag, value.c_str());
}

}  // namespace

int runSimulate(std::span<const char* const> args) {
  auto flags = parseOrExit("simulate", "simulate --input FILE.csv [flags]", args, kFlags);
  if (!flags) return flags.error();
  const auto input = flags->value("input");
  if (!input || input->empty()) {
    std::fprintf(stderr, "throughput-operator simulate: --input is required\n");
    return 2;
  }
  predictor::SimulationConfig cfg;
  std::optional<std::int64_t> step;
  struct DurationFlag {
    const char* name;
    std::int64_t* target;
    bool allowZero;
  };
  std::int64_t stepValue = 0;
  for (const DurationFlag& d :
       {DurationFlag{"step", &stepValue, false}, DurationFlag{"warmup", &cfg.warmupSeconds, true},
        DurationFlag{"train", &cfg.trainSeconds, true},
        DurationFlag{"scale-down-window", &cfg.predictiveScaleDownSeconds, true}}) {
    if (auto v = flags->value(d.name)) {
      const auto parsed = predictor::parseDuration(*v);
      if (!parsed || (!d.allowZero && *parsed == 0)) {
        fail2(d.name, *v);
        return 2;
      }
      *d.target = *parsed;
    }
  }
  if (stepValue > 0) step = stepValue;
  if (auto v = flags->value("peak-replicas")) {
    char* end = nullptr;
    const long p = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || p <= 0 || p > 1'000'000) {
      fail2("peak-replicas", *v);
      return 2;
    }
    cfg.peakReplicas = static_cast<int>(p);
  }
  if (auto v = flags->value("hpa-target")) {
    char* end = nullptr;
    cfg.hpaTargetUtilization = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0' || !(cfg.hpaTargetUtilization > 0 && cfg.hpaTargetUtilization <= 1)) {
      fail2("hpa-target", *v);
      return 2;
    }
  }
  if (auto v = flags->value("quantile")) {
    if (*v == "p50")
      cfg.predictiveQuantile = predictor::kP50;
    else if (*v == "p90")
      cfg.predictiveQuantile = predictor::kP90;
    else if (*v == "p95")
      cfg.predictiveQuantile = predictor::kP95;
    else if (*v == "p99")
      cfg.predictiveQuantile = predictor::kP99;
    else {
      fail2("quantile", *v);
      return 2;
    }
  }
  const auto plot = flags->value("plot");
  cfg.recordTimeline = plot.has_value();
  cfg.fastSearch = flags->has("fast-search");
  cfg.fleet = flags->has("fleet");
  if (cfg.fleet && cfg.fastSearch) {
    std::fprintf(stderr, "throughput-operator simulate: --fleet: --fast-search applies to the auto selection only\n");
    return 2;
  }

  auto trace = readTraceFile(*input, step);
  if (!trace) {
    std::fprintf(stderr, "throughput-operator simulate: %s\n", trace.error().c_str());
    return 2;
  }
  cfg.progress = [](double f) { showProgress("simulate", f); };
  auto report = predictor::simulate(trace->series, cfg);
  if (!report) {
    std::fprintf(stderr, "throughput-operator simulate: %s: %s\n", input->c_str(), report.error().toString().c_str());
    return 2;
  }
  if (flags->has("json")) {
    nlohmann::json out;
    out["input"] = *input;
    out["warmup_seconds"] = cfg.warmupSeconds;
    out["peak_replicas"] = cfg.peakReplicas;
    out["per_replica_rps"] = report->perReplica;
    out["policies"] = nlohmann::json::object();
    for (const auto& p : report->policies) {
      out["policies"][p.name] = {{"underprovisioned_fraction", p.underprovisionedFraction},
                                 {"underprovisioned_time_share", p.underprovisionedTimeShare},
                                 {"pod_seconds", p.podSeconds},
                                 {"pod_seconds_ratio", p.podSecondsRatio},
                                 {"actions_per_hour", p.actionsPerHour},
                                 {"theta_u", p.thetaU},
                                 {"theta_o", p.thetaO},
                                 {"requests", p.requests},
                                 {"missed_requests", p.missedRequests}};
    }
    out["notes"] = report->notes;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("per-replica capacity %.3f req/s (peak needs %d replicas), warm-up %llds\n", report->perReplica,
                cfg.peakReplicas, static_cast<long long>(cfg.warmupSeconds));
    std::printf("%-11s %12s %10s %14s %9s %9s %9s %9s\n", "policy", "under_frac", "under_time", "pod_seconds",
                "vs_oracle", "acts/h", "theta_U%", "theta_O%");
    for (const auto& p : report->policies) {
      std::printf("%-11s %12.6f %10.4f %14.0f %9.3f %9.2f %9.3f %9.2f\n", p.name.c_str(), p.underprovisionedFraction,
                  p.underprovisionedTimeShare, p.podSeconds, p.podSecondsRatio, p.actionsPerHour, p.thetaU, p.thetaO);
    }
    for (const auto& note : report->notes) std::printf("note: %s\n", note.c_str());
  }
  if (plot) {
    if (auto st = writeSimulatePlot(*plot, *report); !st) {
      std::fprintf(stderr, "throughput-operator simulate: --plot: %s\n", st.error().c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace tso::cli

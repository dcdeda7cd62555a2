// `throughput-operator replay`: what-if of one ThroughputService on its own Prometheus history.
// The resource's policy (service_policy.h) runs over the demand its query returned, beside the
// HPA tuned to the same cost and the oracle: the same simulation as `simulate --service` on a
// CSV of that history.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "controller/cli/commands_impl.h"
#include "controller/cli/flags.h"
#include "controller/cli/service_policy.h"
#include "controller/cli/simulate_report.h"
#include "controller/cli/svg_plot.h"
#include "controller/cli/trace_input.h"
#include "controller/kube/api.h"
#include "controller/kube/config.h"
#include "controller/prom/client.h"
#include "controller/reconcile/policy_simulation.h"
#include "predictor/csv.h"
#include "predictor/series.h"

namespace tso::cli {
namespace {

constexpr const char* kCommand = "throughput-operator replay";

constexpr FlagSpec kFlags[] = {
    {"filename", true, "the ThroughputService manifest (-f; - = stdin)"},
    {"name", true, "the resource's name: picks one from --filename, or reads it from the cluster"},
    {"namespace", true, "with --name and no --filename: read the resource from this namespace of the cluster"},
    {"kubeconfig", true, "for the cluster: a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)"},
    {"context", true, "for the cluster: the kubeconfig context (default: current-context)"},
    {"prometheus-address", true, "Prometheus to read the history from (default: the resource's demand.prometheus)"},
    {"since", true, "how much history to replay, e.g. 7d (default 7d); the fit reads spec.demand.history before it"},
    {"end", true, "end of the replay: ISO-8601 or unix seconds (default: now)"},
    {"warmup", true, "the lead time when the resource's leadTime is Auto (default 90s)"},
    {"no-sweep", false, "skip the HPA sweep: the HPA at the resource's target utilization instead (faster)"},
    {"json", false, "print JSON instead of the table"},
    {"plot", true, "write an SVG of demand and each policy's ready replicas"},
};

constexpr const char* kExitCodes =
    "Exit codes: 0 replayed; 1 Prometheus or the cluster could not be read, or --plot not written;\n"
    "2 bad flags, manifest or resource; 3 Prometheus holds too little history for the fit and a replay.\n";

constexpr int kExitUnreadable = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTooShort = 3;

int usageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kCommand, message.c_str());
  return kExitUsage;
}

// `-f FILE` as kubectl spells it, for the flag parser that knows only `--name`.
std::vector<const char*> withLongFlags(std::span<const char* const> args) {
  std::vector<const char*> out;
  for (const char* a : args) out.push_back(std::string_view(a) == "-f" ? "--filename" : a);
  return out;
}

struct Window {
  std::int64_t start = 0;  // unix seconds, on the step grid
  std::int64_t end = 0;
};

struct Options {
  std::string address;
  Window window;
  std::int64_t autoLeadSeconds = 90;
  bool sweep = true;
};

Result<ServicePolicy> policyFromCluster(const Flags& flags, const std::string& name) {
  kube::ConfigOptions copts;
  copts.kubeconfigPath = flags.value("kubeconfig").value_or("");
  copts.context = flags.value("context").value_or("");
  auto config = kube::loadConfig(copts);
  if (!config) return std::unexpected(config.error());
  auto client = kube::Client::connect(*config);
  if (!client) return std::unexpected(client.error());
  const std::string ns = flags.value("namespace").value_or(config->ns);
  kube::Api api(**client, kube::kThroughputServices, ns);
  auto obj = api.get(name);
  if (!obj) return fail(obj.error().code, "ThroughputService " + ns + "/" + name + ": " + obj.error().message);
  auto policy = servicePolicyOf(obj->body);
  if (!policy) return fail(ErrorCode::kInvalid, ns + "/" + name + ": " + policy.error().message);
  return policy;
}

// The resource, from the manifest or the cluster; an exit code once reported.
std::expected<ServicePolicy, int> loadPolicy(const Flags& flags) {
  Result<ServicePolicy> policy;
  if (auto file = flags.value("filename")) {
    policy = readServiceFile(*file, flags.value("name"));
    if (!policy) return std::unexpected(usageError(policy.error().message));
    return *policy;
  }
  const auto name = flags.value("name");
  if (!name)
    return std::unexpected(usageError("give -f FILE, or --name (and --namespace) of a resource in the cluster"));
  policy = policyFromCluster(flags, *name);
  if (!policy) {
    std::fprintf(stderr, "%s: %s\n", kCommand, policy.error().message.c_str());
    const bool bad = policy.error().code == ErrorCode::kInvalid || policy.error().code == ErrorCode::kConfig;
    return std::unexpected(bad ? kExitUsage : kExitUnreadable);
  }
  return *policy;
}

std::expected<Options, int> readOptions(const Flags& flags, const reconcile::ServiceSpec& spec) {
  Options o;
  o.address = flags.value("prometheus-address").value_or(spec.prometheusAddress);
  if (o.address.empty()) {
    return std::unexpected(usageError("--prometheus-address is required (the resource names no demand.prometheus)"));
  }
  std::int64_t since = 7 * predictor::kSecondsPerDay;
  if (auto v = flags.value("since")) {
    const auto d = predictor::parseDuration(*v);
    if (!d || *d <= 0) return std::unexpected(usageError("--since: bad value '" + *v + "' (a duration such as 7d)"));
    since = *d;
  }
  if (auto v = flags.value("warmup")) {
    const auto d = predictor::parseDuration(*v);
    if (!d) return std::unexpected(usageError("--warmup: bad value '" + *v + "' (a duration such as 90s)"));
    o.autoLeadSeconds = *d;
  }
  std::int64_t end = std::time(nullptr);
  if (auto v = flags.value("end")) {
    const auto t = predictor::parseTimestamp(*v);
    if (!t) return std::unexpected(usageError("--end: bad value '" + *v + "' (ISO-8601 or unix seconds)"));
    end = *t;
  }
  const std::int64_t step = spec.stepSeconds;
  o.window.end = end / step * step;
  o.window.start = o.window.end - since - spec.historySeconds;
  o.sweep = !flags.has("no-sweep");
  return o;
}

// Above this share of samples equal to the one before, the step is finer than the data.
constexpr double kRepeatedNote = 0.4;

double repeatedShare(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  std::size_t same = 0;
  for (std::size_t i = 1; i < v.size(); ++i) same += v[i] == v[i - 1] && v[i] > 0 ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(v.size() - 1);
}

std::string isoTime(std::int64_t t) {
  const std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string durationText(std::int64_t seconds) {
  char buf[32];
  const auto day = predictor::kSecondsPerDay;
  if (seconds % day == 0) {
    std::snprintf(buf, sizeof buf, "%lldd", static_cast<long long>(seconds / day));
  } else if (seconds >= day) {
    std::snprintf(buf, sizeof buf, "%.1fd", static_cast<double>(seconds) / static_cast<double>(day));
  } else {
    std::snprintf(buf, sizeof buf, "%.1fh", static_cast<double>(seconds) / 3600);
  }
  return buf;
}

// The demand history of the service; an exit code once reported.
std::expected<predictor::Series, int> readHistory(const ServicePolicy& policy, const Options& o,
                                                  std::vector<std::string>& notes) {
  const auto& spec = policy.spec;
  const auto timeout = std::chrono::milliseconds(spec.queryTimeoutMs);
  auto client = prom::Client::connect(o.address, timeout);
  if (!client) {
    std::fprintf(stderr, "%s: Prometheus %s: %s\n", kCommand, o.address.c_str(), client.error().message.c_str());
    return std::unexpected(kExitUnreadable);
  }
  auto range = (*client)->queryRange(spec.query, o.window.start, o.window.end, spec.stepSeconds, timeout);
  if (!range) {
    std::fprintf(stderr, "%s: Prometheus %s: %s: %s\n", kCommand, o.address.c_str(),
                 std::string(prom::problemReason(range.error().code)).c_str(), range.error().message.c_str());
    return std::unexpected(kExitUnreadable);
  }
  std::size_t repaired = 0;
  auto series = reconcile::simulationSeriesOf(*range, spec.stepSeconds, repaired);
  if (!series) {
    std::fprintf(stderr, "%s: %s from %s to %s: %s\n", kCommand, spec.query.c_str(), isoTime(o.window.start).c_str(),
                 isoTime(o.window.end).c_str(), series.error().message.c_str());
    return std::unexpected(kExitTooShort);
  }
  if (repaired > 0) {
    notes.push_back(std::to_string(repaired) + " of " + std::to_string(series->size()) +
                    " samples were missing in Prometheus and interpolated");
  }
  if (repeatedShare(series->values) > kRepeatedNote) {
    notes.push_back("most samples repeat the one before: the query's data changes more slowly than spec.demand.step (" +
                    std::to_string(spec.stepSeconds) +
                    "s); a step at the data's own resolution gives the forecaster real changes to learn from");
  }
  return *series;
}

void printHeader(const ServicePolicy& policy, const Options& o, const predictor::Series& series,
                 const predictor::SimulationReport& r) {
  const std::int64_t evalEnd = series.start + static_cast<std::int64_t>(series.size()) * series.step;
  std::printf("replay of %s%s%s on %s: demand %s\n", policy.ns.c_str(), policy.ns.empty() ? "" : "/",
              policy.name.c_str(), o.address.c_str(), policy.spec.query.c_str());
  std::printf("fit on %s of history from %s; replayed %s from %s to %s (%zu samples at %llds)\n",
              durationText(r.start - series.start).c_str(), isoTime(series.start).c_str(),
              durationText(evalEnd - r.start).c_str(), isoTime(r.start).c_str(), isoTime(evalEnd).c_str(),
              series.size(), static_cast<long long>(series.step));
}

int replayHelp() {
  std::printf(
      "usage: %s (-f tps.yaml | --namespace NS --name NAME) [--prometheus-address URL] [--since 7d] [flags]\n\n"
      "Runs the ThroughputService's own policy (capacity, bounds, behavior, quantile or miss budget,\n"
      "lead time, events, model) over its demand query's Prometheus history, beside the HPA tuned\n"
      "to the same cost and the oracle: misses, pod-seconds and scaling actions of each.\n\n%s\n%s",
      kCommand, flagHelp(kFlags).c_str(), kExitCodes);
  return 0;
}

}  // namespace

int runReplay(std::span<const char* const> args) {
  for (const char* a : args) {
    if (std::string_view(a) == "--help" || std::string_view(a) == "-h") return replayHelp();
  }
  const auto translated = withLongFlags(args);
  auto flags = Flags::parse(translated, kFlags);
  if (!flags) return usageError(flags.error().message + " (see --help)");
  auto policy = loadPolicy(*flags);
  if (!policy) return policy.error();
  auto options = readOptions(*flags, policy->spec);
  if (!options) return options.error();

  std::vector<std::string> notes;
  auto series = readHistory(*policy, *options, notes);
  if (!series) return series.error();
  auto cfg = reconcile::simulationConfigOf(policy->spec, options->autoLeadSeconds, options->sweep);
  const auto plot = flags->value("plot");
  cfg.recordTimeline = plot.has_value();
  cfg.progress = [](double f) { showProgress("replay", f); };
  auto report = predictor::simulate(*series, cfg);
  if (!report) {
    std::fprintf(stderr, "%s: %s: %s\n", kCommand, policy->spec.query.c_str(), report.error().toString().c_str());
    if (report.error().code == predictor::ErrorCode::kTooShort) {
      std::fprintf(stderr,
                   "%s: Prometheus holds %s from %s; the fit needs spec.demand.history (%s) before the replay\n",
                   kCommand, durationText(static_cast<std::int64_t>(series->size()) * series->step).c_str(),
                   isoTime(series->start).c_str(), durationText(policy->spec.historySeconds).c_str());
      return kExitTooShort;
    }
    return kExitUsage;
  }
  report->notes.insert(report->notes.begin(), notes.begin(), notes.end());
  if (flags->has("json")) {
    auto j = reportJson(options->address, cfg, *report);
    j["service"]["namespace"] = policy->ns;
    j["service"]["name"] = policy->name;
    j["service"]["query"] = policy->spec.query;
    j["series"] = {{"start", series->start},
                   {"step", series->step},
                   {"samples", series->size()},
                   {"evaluated_from", report->start}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    printHeader(*policy, *options, *series, *report);
    printReportTable(cfg, *report);
  }
  if (plot) {
    if (auto st = writeSimulatePlot(*plot, *report, "replay of " + policy->name); !st) {
      std::fprintf(stderr, "%s: --plot: %s\n", kCommand, st.error().message.c_str());
      return kExitUnreadable;
    }
  }
  return 0;
}

}  // namespace tso::cli

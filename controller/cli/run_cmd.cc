// `throughput-operator run`: flags, logging and kubeconfig, then the manager.
#include <malloc.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "controller/cli/commands_impl.h"
#include "controller/cli/flags.h"
#include "controller/kube/config.h"
#include "controller/runtime/manager.h"

namespace tso::cli {

namespace {

constexpr FlagSpec kRunFlags[] = {
    {"kubeconfig", true, "path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)"},
    {"context", true, "kubeconfig context to use (default: current-context)"},
    {"namespace", true, "namespace to watch; repeat or comma-separate for several (default: all)"},
    {"prometheus-address", true, "Prometheus URL for services that name none (e.g. http://prometheus:9090)"},
    {"metrics-bind-address", true,
     "host:port or :port for /metrics, /healthz, /readyz and the dashboard (default :8080)"},
    {"leader-elect", false, "run reconcile workers only while holding the leader Lease"},
    {"leader-election-namespace", true,
     "namespace of the leader Lease (default: $POD_NAMESPACE, else the kubeconfig's namespace)"},
    {"leader-election-id", true, "name of the leader Lease (default throughput-operator)"},
    {"workers", true, "concurrent reconciles (default 4)"},
    {"qps", true, "client-side API request rate limit (default 50; 0 disables)"},
    {"burst", true, "client-side API burst (default 100)"},
    {"log-format", true, "text or json (default text)"},
    {"log-level", true, "trace, debug, info, warn, error (default info)"},
};

// JSON-escapes the message so `--log-format json` lines stay valid JSON whatever is logged.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

int usage(const std::string& message) {
  std::fprintf(stderr, "throughput-operator run: %s (see --help)\n", message.c_str());
  return 2;
}

bool parsePositive(const std::optional<std::string>& text, double& out) {
  if (!text) return true;
  char* end = nullptr;
  out = std::strtod(text->c_str(), &end);
  return end != text->c_str() && *end == '\0' && out >= 0;
}

}  // namespace

int runRun(std::span<const char* const> rawArgs) {
  // glibc gives each thread its own arena by default; with worker threads parsing large
  // Prometheus answers that multiplies the freed-but-kept memory. Two arenas are plenty here.
  mallopt(M_ARENA_MAX, 2);
  // A refit's buffers (validation forecasts, regression rows, the parsed Prometheus answer) are
  // megabytes, freed when the fit ends. glibc's default serves them from the heap once a few
  // have been freed (its mmap threshold adapts upwards), where they fragment and stay resident;
  // mapped and unmapped on their own, they go back to the system. A fixed threshold stops the
  // adaptation.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  // --namespace repeats; pull every occurrence out before the single-valued parser.
  std::vector<std::string> namespaces;
  std::vector<const char*> args;
  for (std::size_t i = 0; i < rawArgs.size(); ++i) {
    std::string_view a = rawArgs[i];
    std::string value;
    if (a == "--namespace" && i + 1 < rawArgs.size()) {
      value = rawArgs[++i];
    } else if (a.starts_with("--namespace=")) {
      value = std::string(a.substr(12));
    } else {
      args.push_back(rawArgs[i]);
      continue;
    }
    std::size_t start = 0;
    while (start <= value.size()) {
      auto comma = value.find(',', start);
      auto part = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (part.empty()) return usage("--namespace needs a namespace name");
      namespaces.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  auto flags = parseOrExit(
      "run", "run [flags]\n\nWatches ThroughputServices and scales their workloads ahead of forecast demand.\n", args,
      kRunFlags);
  if (!flags) return flags.error();

  const std::string format = flags->value("log-format").value_or("text");
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc,
                                                                 std::string(spdlog::details::os::default_eol));
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  } else if (format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  } else {
    return usage("--log-format must be text or json, not \"" + format + "\"");
  }
  const std::string level = flags->value("log-level").value_or("info");
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    return usage("--log-level \"" + level + "\" is not trace, debug, info, warn or error");
  spdlog::set_level(lvl);

  runtime::ManagerOptions options;
  options.namespaces = namespaces;
  options.prometheusAddress = flags->value("prometheus-address").value_or("");
  if (!options.prometheusAddress.empty() && !options.prometheusAddress.starts_with("http://") &&
      !options.prometheusAddress.starts_with("https://")) {
    return usage("--prometheus-address must be an http(s) URL, not \"" + options.prometheusAddress + "\"");
  }
  options.metricsBindAddress = flags->value("metrics-bind-address").value_or(":8080");
  options.leaderElect = flags->has("leader-elect");

  double workers = 4;
  if (!parsePositive(flags->value("workers"), workers) || workers < 1 || workers > 256) {
    return usage("--workers must be a whole number from 1 to 256");
  }
  options.workers = static_cast<int>(workers);
  double qps = 50;
  double burst = 100;
  if (!parsePositive(flags->value("qps"), qps)) return usage("--qps must be a number >= 0");
  if (!parsePositive(flags->value("burst"), burst) || burst < 1) return usage("--burst must be a number >= 1");

  kube::ConfigOptions copts;
  copts.kubeconfigPath = flags->value("kubeconfig").value_or("");
  copts.context = flags->value("context").value_or("");
  auto config = kube::loadConfig(copts);
  if (!config) {
    std::fprintf(stderr, "throughput-operator run: %s\n", config.error().message.c_str());
    return 2;
  }
  config->qps = qps;
  config->burst = static_cast<int>(burst);
  options.kube = *config;
  const char* podNamespace = std::getenv("POD_NAMESPACE");
  options.leaderElectionNamespace =
      flags->value("leader-election-namespace")
          .value_or(podNamespace != nullptr && *podNamespace != '\0' ? podNamespace : config->ns);
  options.leaderElectionId = flags->value("leader-election-id").value_or("throughput-operator");
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') options.identity = pod;
  spdlog::info("throughput-operator starting: API server {}, namespaces {}, Prometheus {}", config->server,
               namespaces.empty() ? std::string("(all)") : fmt::format("{}", fmt::join(namespaces, ",")),
               options.prometheusAddress.empty() ? std::string("(per service)") : options.prometheusAddress);
  return runtime::runManager(options);
}

}  // namespace tso::cli

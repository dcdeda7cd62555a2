// `throughput-operator loadgen`: a demand source for the demo and the end-to-end scenarios.
// It serves Prometheus metrics for a synthetic service whose demand follows a compressed daily
// cycle with a recurring spike: tso_demo_requests_total (a counter of requests, for
// rate()) and tso_demo_demand (the demand per second right now, a gauge).
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "controller/cli/commands_impl.h"
#include "controller/cli/flags.h"
#include "controller/reconcile/units.h"

namespace tso::cli {

namespace {

constexpr FlagSpec kLoadgenFlags[] = {
    {"listen", true, "host:port to serve /metrics on (default 127.0.0.1:9101)"},
    {"base", true, "demand (requests/s) at the bottom of the cycle (default 100)"},
    {"peak", true, "demand at the top of the cycle (default 400)"},
    {"period", true, "length of one compressed 'day' (default 10m)"},
    {"spike-every", true, "a spike starts every this long, aligned to the wall clock (default 5m; 0 disables)"},
    {"spike-offset", true, "where in each spike period the spike starts (default 3m)"},
    {"spike-duration", true, "how long a spike lasts (default 60s)"},
    {"spike-multiplier", true, "demand during a spike is multiplied by this (default 3)"},
    {"duration", true, "exit after this long (default: run until SIGINT/SIGTERM)"},
};

std::atomic<bool> gStop{false};
void onSignal(int) { gStop = true; }

// Flag readers record the first bad flag by name, so the error says which one.
double seconds(const Flags& flags, const char* name, double def, std::string& bad) {
  auto text = flags.value(name);
  if (!text) return def;
  auto ms = reconcile::parseDurationMs(*text);
  if (!ms) {
    if (bad.empty()) bad = std::string("--") + name + " \"" + *text + "\" is not a duration (e.g. 90s, 10m)";
    return def;
  }
  return static_cast<double>(*ms) / 1000.0;
}

double number(const Flags& flags, const char* name, double def, std::string& bad) {
  auto text = flags.value(name);
  if (!text) return def;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if ((end == text->c_str() || *end != '\0' || v < 0) && bad.empty()) {
    bad = std::string("--") + name + " \"" + *text + "\" is not a number >= 0";
  }
  return v;
}

}  // namespace

// Demand at unix time t: a cosine day between base and peak, times the spike multiplier while
// a spike is on. Pure, so scenarios can compute when the next spike starts.
double loadgenDemand(double t, double base, double peak, double period, double spikeEvery, double spikeOffset,
                     double spikeDuration, double spikeMultiplier) {
  const double phase = std::fmod(t, period) / period;
  double d = base + (peak - base) * (0.5 - 0.5 * std::cos(2 * M_PI * phase));
  if (spikeEvery > 0) {
    const double inPeriod = std::fmod(t, spikeEvery);
    if (inPeriod >= spikeOffset && inPeriod < spikeOffset + spikeDuration) d *= spikeMultiplier;
  }
  return d;
}

int runLoadgen(std::span<const char* const> args) {
  auto flags =
      parseOrExit("loadgen", "loadgen [flags]\n\nServes synthetic demand metrics for the demo and scenarios.\n", args,
                  kLoadgenFlags);
  if (!flags) return flags.error();
  std::string bad;
  const std::string listen = flags->value("listen").value_or("127.0.0.1:9101");
  const double base = number(*flags, "base", 100, bad);
  const double peak = number(*flags, "peak", 400, bad);
  const double period = seconds(*flags, "period", 600, bad);
  const double spikeEvery = seconds(*flags, "spike-every", 300, bad);
  const double spikeOffset = seconds(*flags, "spike-offset", 180, bad);
  const double spikeDuration = seconds(*flags, "spike-duration", 60, bad);
  const double multiplier = number(*flags, "spike-multiplier", 3, bad);
  const double duration = seconds(*flags, "duration", 0, bad);
  if (bad.empty() && period <= 0) bad = "--period must be longer than 0";
  if (bad.empty() && peak < base) bad = "--peak must be at least --base";
  if (!bad.empty()) {
    std::fprintf(stderr, "throughput-operator loadgen: %s\n", bad.c_str());
    return 2;
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "throughput-operator loadgen: cannot listen on --listen %s: %s\n", listen.c_str(), e.what());
    return 2;
  }
  auto registry = std::make_shared<prometheus::Registry>();
  auto& requests = prometheus::BuildCounter()
                       .Name("tso_demo_requests_total")
                       .Help("Requests served by the demo service.")
                       .Register(*registry)
                       .Add({{"service", "demo"}});
  auto& demand = prometheus::BuildGauge()
                     .Name("tso_demo_demand")
                     .Help("Demand of the demo service right now, requests per second.")
                     .Register(*registry)
                     .Add({{"service", "demo"}});
  exposer->RegisterCollectable(registry);
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::fprintf(
      stderr,
      "loadgen: serving http://%s/metrics (base %.0f, peak %.0f req/s, period %.0fs, spike x%.1f every %.0fs)\n",
      listen.c_str(), base, peak, period, multiplier, spikeEvery);
  const auto started = std::chrono::steady_clock::now();
  auto last = std::chrono::system_clock::now();
  while (!gStop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = std::chrono::system_clock::now();
    const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
    const double d = loadgenDemand(t, base, peak, period, spikeEvery, spikeOffset, spikeDuration, multiplier);
    demand.Set(d);
    requests.Increment(d * std::chrono::duration<double>(now - last).count());
    last = now;
    if (duration > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >= duration)
      break;
  }
  return 0;
}

}  // namespace tso::cli

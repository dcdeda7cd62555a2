#include "controller/reconcile/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "controller/reconcile/units.h"
#include "predictor/provision.h"

namespace tso::reconcile {

namespace {

// Four significant digits, but whole numbers from 10,000 up (a backlog of 12000, not 1.2e+04).
std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 1e4 && std::fabs(v) < 1e15 ? "%.0f" : "%.4g", v);
  return buf;
}

std::string percentile(double q) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "P%g", q * 100);
  return buf;
}

// Replicas `demand` needs within [lo, hi], rounding noise aside.
int replicasOf(const ServiceSpec& spec, double demand, int lo, int hi) {
  return predictor::replicasFor(demand, spec.perReplica, spec.targetUtilization, lo, hi, kRoundingNoiseReplicas);
}

// Replicas a demand needs with no bounds, to tell whether a bound held the count.
int unbounded(const ServiceSpec& spec, double demand) {
  return replicasOf(spec, demand, 0, std::numeric_limits<int>::max() / 2);
}

}  // namespace

double quantileAt(const predictor::Forecast& f, int h, double q) { return quantileAtZ(f, h, predictor::zOfLevel(q)); }

double quantileAtZ(const predictor::Forecast& f, int h, double z) {
  return predictor::quantileAtZ(f.quantiles.at(static_cast<std::size_t>(h - 1)), z);
}

double headroomZOf(const ServiceSpec& spec, const ForecastView* forecast) {
  if (forecast != nullptr && forecast->headroomZ) return *forecast->headroomZ;
  return predictor::zOfLevel(spec.quantile);
}

double headroomZAt(const ServiceSpec& spec, const ForecastView* forecast, std::int64_t t) {
  const double z = headroomZOf(spec, forecast);
  return forecast != nullptr && forecast->timeOfDay != nullptr ? z + forecast->timeOfDay->offset(t) : z;
}

int leadSteps(std::int64_t leadSeconds, std::int64_t stepSeconds) {
  if (stepSeconds <= 0) return 1;
  return static_cast<int>((std::max<std::int64_t>(0, leadSeconds) + stepSeconds - 1) / stepSeconds) + 2;
}

predictor::PlannerConfig plannerConfigOf(const ServiceSpec& spec, bool forecastDriven) {
  predictor::PlannerConfig c;
  c.perReplica = spec.perReplica;
  c.targetUtilization = spec.targetUtilization;
  c.minReplicas = spec.minReplicas;
  c.maxReplicas = spec.maxReplicas;
  c.toleranceUp = spec.scaleUpTolerance.value_or(kDefaultTolerance);
  c.toleranceDown = spec.scaleDownTolerance.value_or(kDefaultTolerance);
  c.roundingSlack = kRoundingNoiseReplicas;
  c.behavior = spec.behavior;
  if (!spec.scaleDownWindowSet) {
    c.behavior.scaleDown.stabilizationSeconds = forecastDriven ? 0 : kReactiveScaleDownSeconds;
  }
  return c;
}

namespace {

// End of the window provisioned for: the lead time plus two steps (see leadSteps).
std::int64_t leadWindowEnd(std::int64_t now, std::int64_t leadSeconds, std::int64_t stepSeconds) {
  return now + std::max<std::int64_t>(0, leadSeconds) + 2 * stepSeconds;
}

// Why the operator is blind, for the Fallback condition and its message.
void explainBlindness(const ServiceSpec& spec, const Observed& obs, Decision& d) {
  if (!obs.prometheusAvailable) {
    d.fallbackReason = "PrometheusUnavailable";
    d.fallbackMessage = "Prometheus is unavailable (" + obs.prometheusProblem + ": " + obs.prometheusMessage + ")";
  } else if (spec.backlog && !obs.backlog) {
    d.fallbackReason = "NoBacklogData";
    d.fallbackMessage = "the backlog is unknown (spec.demand.backlog.query: " + obs.backlogProblem + ")";
  } else if (!obs.demand) {
    d.fallbackReason = "NoDemandData";
    d.fallbackMessage = "no demand sample has been seen yet";
  } else {
    d.fallbackReason = "StaleData";
    d.fallbackMessage = "the newest demand sample is " + std::to_string(obs.now - obs.demandTime) +
                        "s old (staleAfter " + std::to_string(spec.staleAfterSeconds) + "s)";
  }
}

// The headroom's quantile of forecast step `h` (at `t`); after a breakout, at least what was
// forecast before the newest sample plus how far that sample ran above it.
double upperAt(const ServiceSpec& spec, const ForecastView& fv, int h, std::int64_t t, std::int64_t step) {
  const double z = headroomZAt(spec, &fv, t);
  double upper = quantileAtZ(*fv.forecast, h, z);
  if (const Breakout* b = fv.breakout; b != nullptr && t >= b->firstTime) {
    const auto i = static_cast<std::size_t>((t - b->firstTime) / step);
    if (i < b->ahead.size()) upper = std::max(upper, predictor::quantileAtZ(b->ahead[i], z) + b->gap);
  }
  return upper;
}

// The last forecast's peak over the lead window and when its horizon ends, if it still covers
// the whole window (made before the data stopped, not degraded): what a blind service
// provisions before its fallback policy.
struct LastForecast {
  double peak = 0;
  std::int64_t until = 0;
};
std::optional<LastForecast> lastForecastOver(const ServiceSpec& spec, const Observed& obs, const ForecastView* fv,
                                             const predictor::EventCalendar& events, std::int64_t windowEnd) {
  if (fv == nullptr || fv->forecast == nullptr || fv->forecast->quantiles.empty() || fv->degraded) return std::nullopt;
  const std::int64_t fstep = fv->step > 0 ? fv->step : spec.stepSeconds;
  const int horizon = static_cast<int>(fv->forecast->quantiles.size());
  LastForecast last{0, fv->firstTime + static_cast<std::int64_t>(horizon - 1) * fstep};
  // Counted from the newest real sample: a model stepping over missing samples on its own
  // forecast moves firstTime on, but sees nothing new.
  if (obs.demand) last.until = std::min(last.until, obs.demandTime + static_cast<std::int64_t>(horizon) * fstep);
  if (last.until < windowEnd) return std::nullopt;
  for (int h = 1; h <= horizon; ++h) {
    const std::int64_t t = fv->firstTime + static_cast<std::int64_t>(h - 1) * fstep;
    if (t < obs.now - fstep || t > windowEnd) continue;
    last.peak = std::max(last.peak, upperAt(spec, *fv, h, t, fstep) * events.multiplierAt(t));
  }
  return last;
}

// Blind (Prometheus down, no or stale data): never below the current replicas on a guess, the
// fallback policy's count, and known events still provisioned on the last demand known (or,
// without one, on what the current replicas serve): a scheduled sale during an outage is not
// a surprise.
Decision blindDecision(const ServiceSpec& spec, const Observed& obs, const ForecastView* fv,
                       const predictor::EventCalendar& events, std::int64_t leadSeconds) {
  Decision d;
  const int lo = spec.minReplicas;
  const int hi = std::max(spec.minReplicas, spec.maxReplicas);
  d.fallback = true;
  explainBlindness(spec, obs, d);
  int target = obs.currentReplicas;
  const std::int64_t windowEnd = leadWindowEnd(obs.now, leadSeconds, spec.stepSeconds);
  switch (spec.fallback) {
    case FallbackBehavior::kHoldCurrent:
      break;
    case FallbackBehavior::kSeasonalNaive:
      if (obs.seasonalDemand) {
        target = std::max(target, replicasOf(spec, *obs.seasonalDemand, lo, hi));
      }
      break;
    case FallbackBehavior::kStatic:
      target = std::max(target, spec.fallbackReplicas);
      break;
  }
  d.winner = "fallback";
  d.fallbackMessage += "; holding at least the current " + std::to_string(obs.currentReplicas) + " replicas";
  if (const auto last = lastForecastOver(spec, obs, fv, events, windowEnd)) {
    // The last forecast comes first while its horizon covers the lead window, the policy's
    // count under it as a floor; after that the policy alone.
    d.predictedDemand = last->peak;
    d.predicted = replicasOf(spec, last->peak, lo, hi);
    d.lastForecastUntil = last->until;
    if (d.predicted > target) {
      target = d.predicted;
      d.winner = "predicted";
    }
    d.fallbackMessage += "; the last forecast asks for " + std::to_string(d.predicted) +
                         " and is provisioned while its horizon covers the lead window, until " +
                         formatRfc3339(last->until);
  }
  double m = 1;
  for (std::int64_t t = obs.now; t <= windowEnd; t += std::max<std::int64_t>(1, spec.stepSeconds)) {
    m = std::max(m, events.multiplierAt(t));
  }
  if (m > 1) {
    const double base = obs.demand || obs.seasonalDemand
                            ? std::max(obs.demand.value_or(0.0), obs.seasonalDemand.value_or(0.0))
                            : obs.currentReplicas * spec.perReplica * spec.targetUtilization;
    d.scheduledDemand = base * m;
    d.scheduled = replicasOf(spec, *d.scheduledDemand, lo, hi);
    if (d.scheduled > target) {
      target = d.scheduled;
      d.winner = "scheduled";
    }
    d.fallbackMessage += "; a scheduled event (x" + fmt(m) + ") is provisioned on demand " + fmt(base) + ": " +
                         std::to_string(d.scheduled) + " replicas";
  }
  d.desired = std::clamp(target, lo, hi);
  if (d.predictedDemand || d.scheduledDemand)
    d.provisionedDemand = std::max(d.predictedDemand.value_or(0.0), d.scheduledDemand.value_or(0.0));
  d.explanation = d.fallbackMessage;
  return d;
}

// The forecast's peak over the lead window (its headroom quantile) and, where events apply, the
// scheduled peak; the status points on the way. Without a trusted forecast, events scale the
// demand seen now.
struct Peaks {
  std::optional<double> predicted;
  std::optional<double> scheduled;
};
Peaks peaksOver(const ServiceSpec& spec, const Observed& obs, const ForecastView* fv,
                const predictor::EventCalendar& events, std::int64_t windowEnd, std::vector<ForecastPoint>& points) {
  Peaks p;
  const std::int64_t step = spec.stepSeconds;
  const bool hasForecast = fv != nullptr && fv->forecast != nullptr && !fv->forecast->quantiles.empty();
  if (hasForecast) {
    const auto& f = *fv->forecast;
    const int horizon = static_cast<int>(f.quantiles.size());
    const std::int64_t fstep = fv->step > 0 ? fv->step : step;
    for (int h = 1; h <= horizon; ++h) {
      const std::int64_t t = fv->firstTime + static_cast<std::int64_t>(h - 1) * fstep;
      const double m = events.multiplierAt(t);
      const double upper = upperAt(spec, *fv, h, t, fstep);
      if (points.size() < kMaxStatusPoints)
        points.push_back({t, f.point.at(static_cast<std::size_t>(h - 1)) * m, upper * m});
      if (t < obs.now - fstep || t > windowEnd || fv->degraded) continue;
      p.predicted = std::max(p.predicted.value_or(0.0), upper);
      if (m != 1.0) p.scheduled = std::max(p.scheduled.value_or(0.0), upper * m);
    }
  }
  if ((!hasForecast || fv->degraded) && !events.empty()) {
    for (std::int64_t t = obs.now; t <= windowEnd; t += step) {
      const double m = events.multiplierAt(t);
      if (m != 1.0) p.scheduled = std::max(p.scheduled.value_or(0.0), *obs.demand * m);
    }
  }
  return p;
}

std::int64_t cacheBytesOf(const CacheSpec& cache, double demand) {
  const double bytes = std::ceil(demand * cache.bytesPerDemandUnit);
  auto b = bytes > 9.0e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(bytes);
  b = std::max(b, cache.minBytes);
  if (cache.maxBytes) b = std::min(b, *cache.maxBytes);
  return b;
}

struct Window {
  double demand = 0;  // measured now
  double z = 0;       // the headroom level
  std::int64_t end = 0;
  std::int64_t leadSeconds = 0;
};

// One sentence for events and logs: what was measured, forecast and scheduled, and the outcome.
std::string explanationOf(const ServiceSpec& spec, const Observed& obs, const ForecastView* fv, const Decision& d,
                          const Window& w) {
  std::string e = "demand " + fmt(w.demand);
  if (d.backlog && spec.backlog) {
    e += " + a backlog of " + fmt(*d.backlog) + " drained within " + formatDuration(spec.backlog->drainSeconds) + " (" +
         fmt(d.backlogRate) + "/s)";
  }
  if (d.predictedDemand) {
    e += ", forecast " + percentile(predictor::levelOfZ(w.z)) + " peak " + fmt(*d.predictedDemand) + " over the next " +
         std::to_string(w.end - obs.now) + "s (lead time " + std::to_string(w.leadSeconds) + "s)";
  }
  if (d.breakoutGap) e += " raised by a breakout of " + fmt(*d.breakoutGap) + " above the forecast";
  if (fv != nullptr && fv->degraded) e += ", forecast degraded (it lost to a simple baseline)";
  if (d.scheduledDemand) e += ", scheduled event peak " + fmt(*d.scheduledDemand);
  e += ": " + std::to_string(d.desired) + " replicas (" + d.winner + "), " + std::to_string(obs.currentReplicas) +
       " now";
  return e;
}

}  // namespace

Decision decide(const ServiceSpec& spec, const Observed& obs, const ForecastView* fv,
                const predictor::EventCalendar& events, std::int64_t leadSeconds, predictor::Planner& planner) {
  Decision d;
  const int lo = spec.minReplicas;
  const int hi = std::max(spec.minReplicas, spec.maxReplicas);
  const bool stale = !obs.demand || obs.now - obs.demandTime > spec.staleAfterSeconds;
  const bool backlogUnknown = spec.backlog && !obs.backlog;
  if (!obs.prometheusAvailable || stale || backlogUnknown) return blindDecision(spec, obs, fv, events, leadSeconds);
  // Draining the backlog within drainWithin is capacity on top of the arrivals, whichever
  // source (measured, forecast, scheduled) sizes them.
  if (spec.backlog) {
    d.backlog = obs.backlog;
    d.backlogRate =
        predictor::queueDemand(0, std::max(0.0, *obs.backlog), static_cast<double>(spec.backlog->drainSeconds));
  }
  const double drain = d.backlogRate;

  const double z = headroomZOf(spec, fv);  // the level; by time of day it moves per step
  const std::int64_t step = spec.stepSeconds;
  const std::int64_t windowEnd = leadWindowEnd(obs.now, leadSeconds, step);
  const auto [predicted, scheduled] = peaksOver(spec, obs, fv, events, windowEnd, d.points);
  d.predictedDemand = predicted;
  d.scheduledDemand = scheduled;
  if (fv != nullptr && fv->breakout != nullptr && predicted) d.breakoutGap = fv->breakout->gap;

  auto plusDrain = [drain](std::optional<double> v) { return v ? std::optional(*v + drain) : std::nullopt; };
  predictor::PlanInput in;
  in.now = obs.now;
  in.currentReplicas = obs.currentReplicas;
  in.observedDemand = *obs.demand + drain;
  in.forecastDemand = plusDrain(predicted);
  in.scheduledDemand = plusDrain(scheduled);
  const auto plan = planner.plan(in);
  d.reactive = plan.reactive;
  d.predicted = plan.predicted;
  d.scheduled = plan.scheduled;
  d.desired = plan.desired;

  int rawMax = unbounded(spec, *obs.demand + drain);
  if (predicted) rawMax = std::max(rawMax, unbounded(spec, *predicted + drain));
  if (scheduled) rawMax = std::max(rawMax, unbounded(spec, *scheduled + drain));
  if (plan.desired != plan.recommendation) {
    d.winner = "behavior";
    d.scalingLimited = true;
    d.limitedReason = "BehaviorLimited";
    d.limitedMessage = "the behavior policies hold the replicas at " + std::to_string(plan.desired) + " instead of " +
                       std::to_string(plan.recommendation) + " (" + plan.reason + ")";
  } else if (rawMax > hi) {
    d.winner = "max";
    d.scalingLimited = true;
    d.limitedReason = "TooManyReplicas";
    d.limitedMessage = "demand needs " + std::to_string(rawMax) + " replicas; replicas.max is " + std::to_string(hi);
  } else if (rawMax < lo && plan.recommendation == lo) {
    d.winner = "min";
    d.scalingLimited = true;
    d.limitedReason = "TooFewReplicas";
    d.limitedMessage = "demand needs " + std::to_string(rawMax) + " replicas; replicas.min is " + std::to_string(lo);
  } else if (scheduled && plan.scheduled == plan.recommendation && plan.scheduled > plan.predicted &&
             plan.scheduled > plan.reactive) {
    d.winner = "scheduled";
  } else if (predicted && plan.predicted == plan.recommendation && plan.predicted > plan.reactive) {
    d.winner = "predicted";
  } else {
    d.winner = "reactive";
  }

  d.provisionedDemand = std::max({*obs.demand, predicted.value_or(0.0), scheduled.value_or(0.0)}) + drain;
  if (spec.cache)
    d.cacheBytes = cacheBytesOf(*spec.cache, std::max({*obs.demand, predicted.value_or(0.0), scheduled.value_or(0.0)}));

  d.explanation = explanationOf(spec, obs, fv, d, {*obs.demand, z, windowEnd, leadSeconds});
  return d;
}

}  // namespace tso::reconcile

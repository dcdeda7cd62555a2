#include "controller/reconcile/accuracy_gate.h"

#include <algorithm>
#include <cstdio>

#include "controller/reconcile/units.h"

namespace tso::reconcile {

namespace {

std::int64_t sliceSeconds(std::int64_t windowSeconds) {
  return std::max<std::int64_t>(1, windowSeconds / static_cast<std::int64_t>(AccuracyGate::kBuckets));
}

void addTo(GateSums& s, const ScoredForecast& f) {
  ++s.scored;
  if (f.actual <= f.p90) ++s.coveredP90;
  s.loss += pinballLoss(f.level, f.actual, f.upper);
  if (f.naive) {
    s.naiveLoss += pinballLoss(f.level, f.actual, *f.naive);
    ++s.naiveScored;
  }
  if (f.seasonal) {
    s.seasonalLoss += pinballLoss(f.level, f.actual, *f.seasonal);
    ++s.seasonalScored;
  }
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string percent(double share) { return fixed(100 * share, 0) + "%"; }

// The coverage a degraded forecast must reach to recover; minCoverage 0 does not judge coverage.
double recoverCoverage(const GuardSpec& spec) {
  return spec.minCoverage > 0 ? std::min(1.0, spec.minCoverage + kRecoverCoverageMargin) : 0.0;
}

}  // namespace

std::string gateMessage(const GateReport& r, const GuardSpec& spec) {
  std::string m = "over the last " + formatDuration(spec.windowSeconds) + " (" + std::to_string(r.scored) +
                  " forecasts scored a lead time later) the provisioned quantile's loss was ";
  m += r.skill ? fixed(*r.skill, 2) + "x the " + r.baseline + " baseline's" : "not comparable with a baseline's";
  m += " (degraded above " + fixed(spec.maxSkill, 2) + "x) and the P90 covered " + percent(r.coverageP90) +
       " of actuals (degraded below " + percent(spec.minCoverage) + ")";
  if (r.degraded) {
    m += "; replicas follow measured demand and scheduled events until the forecast wins again (at or under " +
         fixed(spec.maxSkill * kRecoverSkillFactor, 2) + "x, " + percent(recoverCoverage(spec)) + " covered)";
  }
  return m;
}

double pinballLoss(double level, double actual, double forecast) {
  const double d = actual - forecast;
  return d >= 0 ? level * d : (level - 1) * d;
}

void AccuracyGate::add(const ScoredForecast& s, std::int64_t windowSeconds) {
  const std::int64_t width = sliceSeconds(windowSeconds);
  const std::int64_t slice = s.time >= 0 ? s.time / width : (s.time - width + 1) / width;
  Bucket& b = buckets_[static_cast<std::size_t>(slice % static_cast<std::int64_t>(kBuckets))];
  if (b.start != slice * width) b = Bucket{slice * width, {}};
  addTo(b.sums, s);
}

GateSums AccuracyGate::sums(std::int64_t now, std::int64_t windowSeconds) const {
  GateSums total;
  for (const Bucket& b : buckets_) {
    if (b.start <= now - windowSeconds || b.start > now) continue;
    total.scored += b.sums.scored;
    total.coveredP90 += b.sums.coveredP90;
    total.loss += b.sums.loss;
    total.naiveLoss += b.sums.naiveLoss;
    total.naiveScored += b.sums.naiveScored;
    total.seasonalLoss += b.sums.seasonalLoss;
    total.seasonalScored += b.sums.seasonalScored;
  }
  return total;
}

GateReport AccuracyGate::report(std::int64_t now, const GuardSpec& spec) const {
  const GateSums s = sums(now, spec.windowSeconds);
  GateReport r;
  r.scored = s.scored;
  r.degraded = degraded_;
  r.judged = spec.enabled && s.scored >= spec.minScored && s.scored > 0;
  if (s.scored == 0) return r;
  r.coverageP90 = static_cast<double>(s.coveredP90) / static_cast<double>(s.scored);
  // A baseline counts only where it had a value at every scored point, as in the backtest.
  std::optional<double> best;
  if (s.naiveScored == s.scored) {
    best = s.naiveLoss;
    r.baseline = "naive";
  }
  if (s.seasonalScored == s.scored && (!best || s.seasonalLoss < *best)) {
    best = s.seasonalLoss;
    r.baseline = "seasonal_naive_peak";
  }
  if (best && *best > 0) r.skill = s.loss / *best;
  return r;
}

GateChange AccuracyGate::evaluate(std::int64_t now, const GuardSpec& spec) {
  if (!spec.enabled) {
    const bool was = degraded_;
    degraded_ = false;
    return was ? GateChange::kRecovered : GateChange::kNone;
  }
  const GateReport r = report(now, spec);
  if (!r.judged) return GateChange::kNone;
  const bool loses = (r.skill && *r.skill > spec.maxSkill) || r.coverageP90 < spec.minCoverage;
  const bool winsClearly =
      (!r.skill || *r.skill <= spec.maxSkill * kRecoverSkillFactor) && r.coverageP90 >= recoverCoverage(spec);
  if (!degraded_ && loses) {
    degraded_ = true;
    return GateChange::kDegraded;
  }
  if (degraded_ && winsClearly) {
    degraded_ = false;
    return GateChange::kRecovered;
  }
  return GateChange::kNone;
}

}  // namespace tso::reconcile

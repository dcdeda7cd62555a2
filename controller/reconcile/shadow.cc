#include "controller/reconcile/shadow.h"

#include <algorithm>
#include <cstdio>

#include "controller/reconcile/spec.h"

namespace tso::reconcile {

namespace {

// Rounded up, so the slices span the whole window.
std::int64_t sliceSeconds(std::int64_t windowSeconds) {
  const auto n = static_cast<std::int64_t>(ShadowLedger::kBuckets);
  return std::max<std::int64_t>(1, (windowSeconds + n - 1) / n);
}

void addAccount(PolicyAccount& to, const PolicyAccount& from) {
  to.missedRequests += from.missedRequests;
  to.podSeconds += from.podSeconds;
}

std::string count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

int ShadowLedger::predictiveReady(std::int64_t t, std::int64_t leadSeconds) const {
  int ready = std::numeric_limits<int>::max();
  bool any = false;
  // The newest ask at or before t - lead is in force then; every later one up to t counts too.
  for (auto it = asked_.rbegin(); it != asked_.rend(); ++it) {
    if (it->first > t) continue;
    ready = std::min(ready, it->second);
    any = true;
    if (it->first <= t - leadSeconds) break;
  }
  return any ? ready : 0;
}

void ShadowLedger::record(const ShadowStep& s, std::int64_t windowSeconds) {
  // The policy starts from what ran: pods it asks for beyond them warm up like any others.
  if (asked_.empty()) asked_.emplace_back(s.now - s.leadSeconds, s.ranReady);
  asked_.emplace_back(s.now, s.predictive);
  // Keep the newest ask older than the lead time: it is what was in force at now - lead.
  while (asked_.size() > 1 && asked_[1].first <= s.now - s.leadSeconds) asked_.pop_front();
  const std::optional<std::int64_t> previous = last_;
  last_ = s.now;
  if (!previous || s.now <= *previous || s.now - *previous > s.maxStepSeconds) return;
  const auto dt = static_cast<double>(s.now - *previous);
  const std::int64_t width = sliceSeconds(windowSeconds);
  const std::int64_t slice = s.now / width;
  Bucket& b = buckets_[static_cast<std::size_t>(slice % static_cast<std::int64_t>(kBuckets))];
  if (b.start != slice * width) b = Bucket{slice * width, {}};
  const double ready = predictiveReady(s.now, s.leadSeconds) * s.perReplica;
  b.sums.requests += s.demand * dt;
  b.sums.coveredSeconds += dt;
  b.sums.predictive.missedRequests += std::max(0.0, s.demand - ready) * dt;
  b.sums.predictive.podSeconds += s.predictive * dt;
  b.sums.actual.missedRequests += std::max(0.0, s.demand - s.ranReady * s.perReplica) * dt;
  b.sums.actual.podSeconds += s.ranTotal * dt;
}

ShadowReport ShadowLedger::report(std::int64_t now, std::int64_t windowSeconds) const {
  ShadowReport r;
  r.windowSeconds = windowSeconds;
  for (const Bucket& b : buckets_) {
    if (b.start <= now - windowSeconds || b.start > now) continue;
    r.sums.requests += b.sums.requests;
    r.sums.coveredSeconds += b.sums.coveredSeconds;
    addAccount(r.sums.predictive, b.sums.predictive);
    addAccount(r.sums.actual, b.sums.actual);
  }
  const ShadowSums& s = r.sums;
  const double negligible = kNegligibleMissShare * s.requests;
  // The window ends inside its newest slice, so the slices in it span at least a slice less.
  const auto span = static_cast<double>(windowSeconds - sliceSeconds(windowSeconds));
  const bool whole = s.coveredSeconds >= kPromoteCoverage * span;
  const bool missesLess =
      s.predictive.missedRequests <= std::max(kPromoteMissShare * s.actual.missedRequests, negligible);
  const bool costsLittle = s.predictive.podSeconds <= kPromoteCostRatio * s.actual.podSeconds;
  r.qualifies = whole && s.requests > 0 && missesLess && costsLittle;
  return r;
}

Mode modeInForce(Mode spec, bool promoted, bool degraded, bool degradedToShadow) {
  if (spec == Mode::kShadow && promoted) spec = Mode::kAuto;
  if (spec == Mode::kAuto && degraded && degradedToShadow) return Mode::kShadow;
  return spec;
}

std::string promotionMessage(const ShadowReport& r) {
  const ShadowSums& s = r.sums;
  return "the predictive policy missed " + count(s.predictive.missedRequests) + " of " + count(s.requests) +
         " requests over the window, what ran missed " + count(s.actual.missedRequests) + ", at " +
         count(s.predictive.podSeconds) + " pod-seconds against " + count(s.actual.podSeconds) +
         " (promotion: at most a fifth of the misses at no more than 1.25x the pod-seconds): running as Auto";
}

}  // namespace tso::reconcile

#include "controller/watch/backoff.h"

#include <algorithm>
#include <cmath>

namespace tso::watch {

Backoff::Backoff() : Backoff(Options{}) {}

Backoff::Backoff(Options options, uint64_t seed) : options_(options), rng_(seed) {}

Clock::Duration Backoff::next() {
  double base = static_cast<double>(options_.initial.count()) * std::pow(options_.factor, attempt_);
  double cap = static_cast<double>(options_.max.count());
  base = std::min(base, cap);
  if (base < cap) ++attempt_;  // stop counting once saturated so pow() never overflows
  std::uniform_real_distribution<double> dist(1.0 - options_.jitter, 1.0 + options_.jitter);
  double d = std::min(base * dist(rng_), cap);
  return Clock::Duration{static_cast<Clock::Duration::rep>(d)};
}

}  // namespace tso::watch

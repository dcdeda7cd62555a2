// Jittered exponential backoff for reconnecting watches (kube-rs default: 800 ms doubling to
// 30 s). Jitter spreads reconnects of many watchers after an API server restart.
#pragma once

#include <cstdint>
#include <random>

#include "controller/common/clock.h"

namespace tso::watch {

class Backoff {
 public:
  struct Options {
    Clock::Duration initial = std::chrono::milliseconds(800);
    Clock::Duration max = std::chrono::seconds(30);
    double factor = 2.0;
    double jitter = 0.5;  // each delay is drawn from [d * (1 - jitter), d * (1 + jitter)]
  };

  Backoff();
  explicit Backoff(Options options, uint64_t seed = std::random_device{}());
  // The next delay; grows until max.
  Clock::Duration next();
  // After a success the next failure starts from `initial` again.
  void reset() { attempt_ = 0; }
  [[nodiscard]] int attempts() const { return attempt_; }

 private:
  Options options_;
  std::mt19937_64 rng_;
  int attempt_ = 0;
};

}  // namespace tso::watch

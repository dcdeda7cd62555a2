// A token bucket (qps refill, burst capacity) on an injected Clock. The API client uses it to
// cap its request rate and the work queue uses it as the overall requeue limit.
#pragma once

#include <mutex>

#include "controller/common/clock.h"

namespace tso {

class TokenBucket {
 public:
  // qps <= 0 means unlimited.
  TokenBucket(double qps, int burst, Clock& clock);

  // Takes one token now, possibly going into debt, and returns how long the caller must wait
  // before acting (zero when a token was available). Like golang.org/x/time/rate Reserve():
  // callers that wait the returned delay together never exceed qps on average.
  Clock::Duration reserve();

  // Reserves a token and blocks (on the clock) until it may be used.
  void acquire();

 private:
  double qps_;
  double burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  Clock::TimePoint last_;
};

}  // namespace tso

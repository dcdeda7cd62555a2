#include "controller/common/token_bucket.h"

#include <algorithm>
#include <condition_variable>

namespace tso {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(clock), tokens_(burst_), last_(clock.now()) {}

Clock::Duration TokenBucket::reserve() {
  if (qps_ <= 0) return Clock::Duration::zero();
  std::lock_guard lock(mu_);
  auto now = clock_.now();
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1.0;
  if (tokens_ >= 0) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

void TokenBucket::acquire() {
  auto delay = reserve();
  if (delay <= Clock::Duration::zero()) return;
  auto deadline = clock_.now() + delay;
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock lock(m);
  while (clock_.now() < deadline) clock_.waitUntil(lock, cv, deadline);
}

}  // namespace tso

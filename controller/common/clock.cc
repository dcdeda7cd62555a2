#include "controller/common/clock.h"

namespace tso {

Clock& realClock() {
  static RealClock clock;
  return clock;
}

// Starts far from the epoch so that "now - something" never underflows in tests.
ManualClock::ManualClock()
    : base_(TimePoint{} + std::chrono::hours(24 * 365)),
      wallBase_(std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}) {}

Clock::TimePoint ManualClock::now() const { return base_ + Duration{offset_.load()}; }

Clock::WallTime ManualClock::wallNow() const {
  return wallBase_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(Duration{offset_.load()});
}

void ManualClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) {
  if (now() >= deadline) return;
  cv.wait_for(lock, std::chrono::milliseconds(1));
}

void ManualClock::advance(Duration d) { offset_.fetch_add(d.count()); }

}  // namespace tso

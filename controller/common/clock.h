// Time as an injected dependency. Queue delays, backoff, rate limits and leader election ask a
// Clock for "now" and wait through it, so tests drive a ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tso {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time: every timeout and expiry decision uses this.
  [[nodiscard]] virtual TimePoint now() const = 0;
  // Wall time, only for timestamps written to the API server (Lease renewTime, Events).
  [[nodiscard]] virtual WallTime wallNow() const = 0;
  // Blocks on `cv` (with `lock` held by the caller) until notified or `deadline` passes on this
  // clock. May return early (spurious wake-up): callers re-check their condition and the time.
  virtual void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) = 0;
};

class RealClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) override {
    cv.wait_until(lock, deadline);
  }
};

// The process-wide real clock (stateless, so one shared instance is enough).
Clock& realClock();

// A clock that moves only when told to. Waiters poll in short real-time slices so that advance()
// needs no registry of condition variables; the time they observe is always the manual one.
class ManualClock final : public Clock {
 public:
  ManualClock();
  [[nodiscard]] TimePoint now() const override;
  [[nodiscard]] WallTime wallNow() const override;
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) override;
  void advance(Duration d);

 private:
  std::atomic<Duration::rep> offset_{0};
  TimePoint base_;
  WallTime wallBase_;
};

}  // namespace tso

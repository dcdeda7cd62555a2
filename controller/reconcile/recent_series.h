// The recent demand of one ThroughputService kept between reconciles: a fixed-capacity ring
// of samples on the step grid (t % step == 0), so each reconcile asks Prometheus only for the
// steps after the newest one held. Long history is not kept here: Prometheus stores it and a
// refit reads it, which keeps 2,000 services within the operator's memory budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tso::reconcile {

class RecentSeries {
 public:
  RecentSeries(std::int64_t stepSeconds, std::size_t capacity);

  struct Range {
    std::int64_t start = 0;  // inclusive, on the grid
    std::int64_t end = 0;    // inclusive, on the grid
  };
  // The steps to fetch at `now`: after the newest held sample up to the last grid point at or
  // before `now`; the whole capacity when empty. Empty when already up to date.
  [[nodiscard]] std::optional<Range> pending(std::int64_t now) const;

  // Records a sample; the time is snapped to the nearest grid point. Samples older than the
  // window are dropped; a jump forward leaves NaN (missing) in the steps between.
  void add(double time, double value);

  [[nodiscard]] std::size_t size() const { return count_; }
  [[nodiscard]] std::int64_t step() const { return step_; }
  // Grid time of the oldest / newest slot held (meaningful when size() > 0).
  [[nodiscard]] std::int64_t firstTime() const { return newest_ - static_cast<std::int64_t>(count_ - 1) * step_; }
  [[nodiscard]] std::int64_t newestTime() const { return newest_; }
  // Newest finite sample and its time.
  [[nodiscard]] std::optional<std::pair<std::int64_t, double>> latestFinite() const;
  // Whether every grid step after `time` up to the newest is still in the window: false once
  // a gap longer than the window has pushed some of them out (a consumer at `time` lost them).
  [[nodiscard]] bool holdsAfter(std::int64_t time) const { return count_ == 0 || time + step_ >= firstTime(); }
  // Value at a grid time, NaN when missing or outside the window.
  [[nodiscard]] double at(std::int64_t gridTime) const;
  // Oldest to newest, NaN for missing.
  [[nodiscard]] std::vector<double> values() const;
  [[nodiscard]] std::size_t memoryBytes() const { return ring_.capacity() * sizeof(float); }

 private:
  std::int64_t step_;
  std::vector<float> ring_;  // float: demand needs ~7 significant digits, half the memory
  std::size_t head_ = 0;     // slot of newest_
  std::size_t count_ = 0;
  std::int64_t newest_ = 0;
};

}  // namespace tso::reconcile

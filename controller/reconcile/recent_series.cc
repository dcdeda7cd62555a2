#include "controller/reconcile/recent_series.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tso::reconcile {

namespace {
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
}  // namespace

RecentSeries::RecentSeries(std::int64_t stepSeconds, std::size_t capacity)
    : step_(std::max<std::int64_t>(1, stepSeconds)), ring_(std::max<std::size_t>(1, capacity), kMissing) {}

std::optional<RecentSeries::Range> RecentSeries::pending(std::int64_t now) const {
  const std::int64_t last = floorDiv(now, step_) * step_;
  if (count_ == 0) {
    return Range{last - static_cast<std::int64_t>(ring_.size() - 1) * step_, last};
  }
  if (newest_ >= last) return std::nullopt;
  const std::int64_t oldestUseful = last - static_cast<std::int64_t>(ring_.size() - 1) * step_;
  return Range{std::max(newest_ + step_, oldestUseful), last};
}

void RecentSeries::add(double time, double value) {
  if (!std::isfinite(time)) return;
  const auto t = static_cast<std::int64_t>(std::llround(time / static_cast<double>(step_))) * step_;
  const float v = std::isfinite(value) ? static_cast<float>(value) : kMissing;
  const auto cap = static_cast<std::int64_t>(ring_.size());
  if (count_ == 0) {
    head_ = 0;
    ring_[0] = v;
    newest_ = t;
    count_ = 1;
    return;
  }
  if (t > newest_) {
    const std::int64_t advance = (t - newest_) / step_;
    if (advance >= cap) {
      std::fill(ring_.begin(), ring_.end(), kMissing);
      head_ = 0;
      count_ = 1;
    } else {
      for (std::int64_t i = 0; i < advance; ++i) {
        head_ = (head_ + 1) % ring_.size();
        ring_[head_] = kMissing;
      }
      count_ = std::min<std::size_t>(ring_.size(), count_ + static_cast<std::size_t>(advance));
    }
    newest_ = t;
    ring_[head_] = v;
    return;
  }
  const std::int64_t back = (newest_ - t) / step_;
  if (back >= static_cast<std::int64_t>(count_)) {
    // Older than what is held: extend backwards while there is room.
    if (back >= cap) return;
    count_ = static_cast<std::size_t>(back) + 1;
  }
  ring_[(head_ + ring_.size() - static_cast<std::size_t>(back)) % ring_.size()] = v;
}

double RecentSeries::at(std::int64_t gridTime) const {
  if (count_ == 0 || gridTime > newest_ || gridTime % step_ != 0) return std::nan("");
  const std::int64_t back = (newest_ - gridTime) / step_;
  if (back >= static_cast<std::int64_t>(count_)) return std::nan("");
  return ring_[(head_ + ring_.size() - static_cast<std::size_t>(back)) % ring_.size()];
}

std::optional<std::pair<std::int64_t, double>> RecentSeries::latestFinite() const {
  for (std::size_t back = 0; back < count_; ++back) {
    float v = ring_[(head_ + ring_.size() - back) % ring_.size()];
    if (std::isfinite(v)) return std::make_pair(newest_ - static_cast<std::int64_t>(back) * step_, double{v});
  }
  return std::nullopt;
}

std::vector<double> RecentSeries::values() const {
  std::vector<double> out;
  out.reserve(count_);
  for (std::size_t i = count_; i-- > 0;) out.push_back(ring_[(head_ + ring_.size() - i) % ring_.size()]);
  return out;
}

}  // namespace tso::reconcile

#include "controller/reconcile/daily_peaks.h"

#include <algorithm>
#include <cmath>

namespace tso::reconcile {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

DailyPeaks::DailyPeaks(std::int64_t stepSeconds)
    : slotSeconds_(std::clamp<std::int64_t>(stepSeconds, kSlotSeconds, kDay)),
      slots_(static_cast<std::size_t>((kDay + slotSeconds_ - 1) / slotSeconds_)) {}

void DailyPeaks::add(double time, double value) {
  if (!std::isfinite(time) || !std::isfinite(value)) return;
  const auto t = static_cast<std::int64_t>(std::floor(time));
  const auto day = static_cast<std::int32_t>(floorDiv(t, kDay));
  const auto slot = static_cast<std::size_t>((t - static_cast<std::int64_t>(day) * kDay) / slotSeconds_);
  auto& v = slots_[slot].visits;  // v[0] the newer day
  const auto peak = static_cast<float>(value);
  for (auto& visit : v) {
    if (visit.day == day) {
      visit.peak = std::max(visit.peak, peak);
      return;
    }
  }
  if (day > v[0].day) {
    v[1] = v[0];
    v[0] = {day, peak};
  } else if (day > v[1].day) {
    v[1] = {day, peak};
  }
}

std::optional<double> DailyPeaks::dayBefore(std::int64_t time) const {
  const std::int64_t day = floorDiv(time, kDay);
  const auto slot = static_cast<std::size_t>((time - day * kDay) / slotSeconds_);
  for (const auto& visit : slots_[slot].visits) {
    if (visit.day == day - 1) return visit.peak;
  }
  return std::nullopt;
}

}  // namespace tso::reconcile

#include "predictor/provision.h"

#include <algorithm>
#include <cmath>

namespace tso::predictor {
namespace {

// Standard-normal quantiles of kQuantileLevels.
constexpr std::array<double, kQuantileLevels.size()> kZ = {0.0, 1.2815516, 1.6448536, 2.3263479};
// The first day's steps are as large as a day's: one burst in a young service must not
// set its headroom for weeks.
constexpr double kMinAdaptSeconds = 86'400.0;

}  // namespace

double quantileAtZ(const Quantiles& q, double z) {
  std::size_t k = 1;
  while (k + 1 < kZ.size() && z > kZ[k]) ++k;
  const double slope = (q[k] - q[k - 1]) / (kZ[k] - kZ[k - 1]);
  return std::max(0.0, q[k - 1] + slope * (z - kZ[k - 1]));
}

double zOfLevel(double level) {
  const auto& l = kQuantileLevels;
  std::size_t k = 1;
  while (k + 1 < l.size() && level > l[k]) ++k;
  return kZ[k - 1] + (kZ[k] - kZ[k - 1]) * (level - l[k - 1]) / (l[k] - l[k - 1]);
}

double levelOfZ(double z) {
  const auto& l = kQuantileLevels;
  std::size_t k = 1;
  while (k + 1 < l.size() && z > kZ[k]) ++k;
  const double level = l[k - 1] + (l[k] - l[k - 1]) * (z - kZ[k - 1]) / (kZ[k] - kZ[k - 1]);
  return std::clamp(level, 1e-6, 1 - 1e-6);
}

MissBudget::MissBudget(MissBudgetConfig config, double startZ)
    : config_(config), z_(std::clamp(startZ, config.zMin, config.zMax)) {}

void MissBudget::observe(double demand, double missed, double seconds) {
  if (!(demand >= 0) || !(missed >= 0) || !(seconds > 0)) return;
  // A running mean until the window is full, then exponentially weighted.
  seconds_ = std::min(seconds_ + seconds, config_.meanDemandSeconds);
  meanDemand_ += (demand - meanDemand_) * std::min(1.0, seconds / seconds_);
  if (!(meanDemand_ > 0) || !(config_.budget > 0) || !(config_.adaptSeconds > 0)) return;
  // Robbins-Monro: steps shrink as evidence accumulates (1 / elapsed time), down to the floor
  // set by adaptSeconds, so z settles on the level that spends the budget and still drifts.
  elapsed_ += seconds;
  const double tau = std::clamp(elapsed_, kMinAdaptSeconds, std::max(kMinAdaptSeconds, config_.adaptSeconds));
  z_ += seconds / tau * (missed / config_.budget - demand) / meanDemand_;
  z_ = std::clamp(z_, config_.zMin, config_.zMax);
}

TimeOfDayHeadroom::TimeOfDayHeadroom(TimeOfDayConfig config)
    : config_(config), offsets_(static_cast<std::size_t>(std::max(1, config.buckets)), 0.0) {}

TimeOfDayHeadroom::TimeOfDayHeadroom(TimeOfDayConfig config, const std::vector<double>& offsets)
    : TimeOfDayHeadroom(config) {
  if (offsets.size() != offsets_.size()) return;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    offsets_[i] = std::isfinite(offsets[i]) ? std::clamp(offsets[i], -config.maxOffset, config.maxOffset) : 0.0;
  }
}

std::size_t TimeOfDayHeadroom::bucketOf(std::int64_t t) const {
  const std::int64_t day = 86'400;
  const std::int64_t s = ((t % day) + day) % day;
  return static_cast<std::size_t>(s * static_cast<std::int64_t>(offsets_.size()) / day);
}

double TimeOfDayHeadroom::offset(std::int64_t t) const { return offsets_[bucketOf(t)]; }

void TimeOfDayHeadroom::observe(std::int64_t t, bool short_, double seconds) {
  if (!(seconds > 0)) return;
  seconds_ = std::min(seconds_ + seconds, config_.rateSeconds);
  const double hit = short_ ? 1.0 : 0.0;
  rate_ += (hit - rate_) * std::min(1.0, seconds / seconds_);
  auto& o = offsets_[bucketOf(t)];
  const double before = o;
  o = std::clamp(o + config_.step * (hit - rate_), -config_.maxOffset, config_.maxOffset);
  // Keep the mean at zero: what one hour gains the others give up.
  const double shift = (o - before) / static_cast<double>(offsets_.size());
  for (auto& v : offsets_) v = std::clamp(v - shift, -config_.maxOffset, config_.maxOffset);
}

}  // namespace tso::predictor

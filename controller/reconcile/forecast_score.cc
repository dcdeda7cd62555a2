#include "controller/reconcile/forecast_score.h"

#include <cmath>
#include <limits>

namespace tso::reconcile {

namespace {

constexpr float kNone = std::numeric_limits<float>::quiet_NaN();

float orNone(const std::optional<double>& v) { return v ? static_cast<float>(*v) : kNone; }
std::optional<double> fromNone(float v) { return std::isnan(v) ? std::nullopt : std::optional<double>(v); }

}  // namespace

void ForecastScore::scoreDue(const RecentSeries& recent, const std::function<void(const ScoredForecast&)>& onScored) {
  std::size_t due = 0;
  for (; due < pending_.size() && pending_[due].time <= recent.newestTime(); ++due) {
    const Pending& p = pending_[due];
    const double actual = recent.at(p.time);
    if (!std::isfinite(actual)) continue;
    if (onScored) onScored({p.time, actual, p.level, p.upper, p.p90, fromNone(p.naive), fromNone(p.seasonal)});
    if (window_ == 0) continue;
    // Full: the oldest leaves first, so the vector never grows past the window.
    if (scored_.size() >= window_) scored_.erase(scored_.begin());
    if (scored_.capacity() < window_) scored_.reserve(window_);
    scored_.emplace_back(static_cast<std::uint32_t>(p.time), static_cast<float>(actual), p.point, p.upper);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(due));
}

void ForecastScore::remember(std::int64_t t, const ForecastMade& made) {
  if (!pending_.empty() && pending_.back().time >= t) return;
  pending_.push_back({t, static_cast<float>(made.point), static_cast<float>(made.upper), static_cast<float>(made.level),
                      static_cast<float>(made.p90), orNone(made.naive), orNone(made.seasonal)});
}

void ForecastScore::clear() {
  pending_.clear();
  scored_.clear();
}

std::optional<Accuracy> ForecastScore::summary(std::int64_t stepSeconds) const {
  double absErr = 0;
  double absActual = 0;
  std::size_t covered = 0;
  for (const auto& [t, actual, point, upper] : scored_) {
    absErr += std::abs(actual - point);
    absActual += std::abs(actual);
    if (actual <= upper) ++covered;
  }
  if (scored_.empty() || absActual <= 0) return std::nullopt;
  const auto n = static_cast<double>(scored_.size());
  return Accuracy{absErr / absActual, static_cast<double>(covered) / n, scored_.size(),
                  n * static_cast<double>(stepSeconds)};
}

std::vector<std::pair<std::int64_t, float>> ForecastScore::forecastsByTime() const {
  std::vector<std::pair<std::int64_t, float>> out;
  out.reserve(scored_.size() + pending_.size());
  for (const auto& [t, actual, point, upper] : scored_) out.emplace_back(t, upper);
  for (const Pending& p : pending_) out.emplace_back(p.time, p.upper);
  return out;
}

}  // namespace tso::reconcile

#include "controller/reconcile/forecast_score.h"

#include <cmath>

namespace tso::reconcile {

void ForecastScore::scoreDue(const RecentSeries& recent) {
  std::size_t due = 0;
  for (; due < pending_.size() && std::get<0>(pending_[due]) <= recent.newestTime(); ++due) {
    const auto [t, point, upper] = pending_[due];
    const double actual = recent.at(t);
    if (!std::isfinite(actual) || window_ == 0) continue;
    // Full: the oldest leaves first, so the vector never grows past the window.
    if (scored_.size() >= window_) scored_.erase(scored_.begin());
    if (scored_.capacity() < window_) scored_.reserve(window_);
    scored_.emplace_back(static_cast<std::uint32_t>(t), static_cast<float>(actual), point, upper);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(due));
}

void ForecastScore::remember(std::int64_t t, double point, double upper) {
  if (!pending_.empty() && std::get<0>(pending_.back()) >= t) return;
  pending_.emplace_back(t, static_cast<float>(point), static_cast<float>(upper));
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
  for (const auto& [t, point, upper] : pending_) out.emplace_back(t, upper);
  return out;
}

}  // namespace tso::reconcile

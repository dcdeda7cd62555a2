#include "predictor/simple_models.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace tso::predictor {

void NaiveModel::fit(std::span<const double> history, const FitOptions&) {
  reset(history);
  if (!history.empty()) last_ = history.back();
}

void NaiveModel::reset(std::span<const double> history) { last_ = history.empty() ? 0.0 : history.front(); }

void NaiveModel::forecast(std::span<double> out) const { std::fill(out.begin(), out.end(), last_); }

SeasonalNaiveModel::SeasonalNaiveModel(int period, std::string label, std::size_t maxRing)
    : period_(static_cast<std::size_t>(std::max(1, period))),
      width_(maxRing > 0 ? (period_ + maxRing - 1) / maxRing : 1),
      label_(std::move(label)),
      ring_((period_ + width_ - 1) / width_, 0.0F) {}

void SeasonalNaiveModel::fit(std::span<const double> history, const FitOptions&) {
  reset(history);
  for (double y : history) update(y);
}

void SeasonalNaiveModel::reset(std::span<const double> history) {
  // Before a full period has been seen, a phase falls back to the first sample.
  std::fill(ring_.begin(), ring_.end(), history.empty() ? 0.0F : static_cast<float>(history.front()));
  t_ = 0;
  sum_ = 0;
  count_ = 0;
}

void SeasonalNaiveModel::update(double y) {
  const std::size_t phase = t_ % period_;
  sum_ += y;
  ++count_;
  // A slot is written when its last sample arrives, so until then it still holds the mean of
  // one period ago, which is what the forecast of its other phases needs.
  if ((phase + 1) % width_ == 0 || phase + 1 == period_) {
    ring_[phase / width_] = static_cast<float>(sum_ / static_cast<double>(count_));
    sum_ = 0;
    count_ = 0;
  }
  ++t_;
}

void SeasonalNaiveModel::forecast(std::span<double> out) const {
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = ring_[slot(t_ + k)];
}

void EwmaModel::fit(std::span<const double> history, const FitOptions& options) {
  static constexpr double kAlphas[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0};
  constexpr std::size_t K = std::size(kAlphas);
  // Every alpha in one replay (the same arithmetic and order as scoreModel() per alpha, so the
  // same choice): nine passes over the history cost more than the rest of the EWMA's refit.
  const auto span = searchSpan(history, options, minHistory());
  const std::size_t n = span.size();
  const ScoredOrigins origins = scoredOrigins(n, options);
  std::array<double, K> level{};
  std::array<double, K> sum{};
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (origins.scores(i)) {
      for (int h : options.horizons) {
        const std::size_t target = i + static_cast<std::size_t>(h) - 1;
        if (h < 1 || target >= n) continue;
        for (std::size_t l = 0; l < K; ++l) sum[l] += std::abs(span[target] - level[l]);
        ++count;
      }
    }
    if (i == 0) {
      level.fill(span[0]);
    } else {
      for (std::size_t l = 0; l < K; ++l) level[l] += kAlphas[l] * (span[i] - level[l]);
    }
  }
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t l = 0; l < K && count > 0; ++l) {
    const double mae = sum[l] / static_cast<double>(count);
    if (std::isfinite(mae) && mae < best) {
      best = mae;
      alpha_ = kAlphas[l];
    }
  }
  reset(history);
  for (double y : history) update(y);
}

void EwmaModel::reset(std::span<const double>) {
  level_ = 0;
  started_ = false;
}

void EwmaModel::update(double y) {
  if (!started_) {
    level_ = y;
    started_ = true;
    return;
  }
  level_ += alpha_ * (y - level_);
}

void EwmaModel::forecast(std::span<double> out) const { std::fill(out.begin(), out.end(), level_); }

LinearTrendModel::LinearTrendModel(int window, double damping)
    : window_(std::clamp(window, 3, kMaxWindow)), damping_(damping), ring_(static_cast<std::size_t>(window_), 0.0F) {}

void LinearTrendModel::fit(std::span<const double> history, const FitOptions& options) {
  static constexpr int kWindows[] = {10, 30, 60, 120};
  static constexpr double kDampings[] = {0.8, 0.95};
  constexpr std::size_t nw = std::size(kWindows), nd = std::size(kDampings);
  // The damping only shapes the forecast, not the state, and the windows are independent: one
  // replay steps a model per window and scores every damping from it (the same scores, in
  // the same order, as one scoreModel() per pair).
  const auto span = searchSpan(history, options, kMaxWindow);
  const std::size_t n = span.size();
  const ScoredOrigins origins = scoredOrigins(n, options);
  std::vector<LinearTrendModel> trial;
  for (int w : kWindows) {
    trial.emplace_back(w, 1.0);
    trial.back().reset(span);
  }
  std::array<double, nw * nd> sum{};
  std::vector<double> out(static_cast<std::size_t>(origins.maxHorizon));
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (origins.scores(i)) {
      for (std::size_t w = 0; w < nw; ++w) {
        for (std::size_t d = 0; d < nd; ++d) {
          trial[w].damping_ = kDampings[d];
          trial[w].forecast(out);
          for (int h : options.horizons) {
            const std::size_t target = i + static_cast<std::size_t>(h) - 1;
            if (h < 1 || target >= n) continue;
            sum[w * nd + d] += std::abs(span[target] - out[static_cast<std::size_t>(h) - 1]);
          }
        }
      }
      for (int h : options.horizons) count += h >= 1 && i + static_cast<std::size_t>(h) - 1 < n ? 1 : 0;
    }
    for (auto& m : trial) m.update(span[i]);
  }
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t w = 0; w < nw && count > 0; ++w) {
    for (std::size_t d = 0; d < nd; ++d) {
      const double mae = sum[w * nd + d] / static_cast<double>(count);
      if (std::isfinite(mae) && mae < best) {
        best = mae;
        window_ = kWindows[w];
        damping_ = kDampings[d];
      }
    }
  }
  ring_.assign(static_cast<std::size_t>(window_), 0.0F);
  reset(history);
  for (double y : history) update(y);
}

void LinearTrendModel::reset(std::span<const double>) {
  std::fill(ring_.begin(), ring_.end(), 0.0F);
  count_ = 0;
  intercept_ = 0;
  slope_ = 0;
  sy_ = 0;
  sxy_ = 0;
}

void LinearTrendModel::update(double y) {
  const std::size_t w = ring_.size();
  const auto yf = static_cast<double>(static_cast<float>(y));  // what the ring keeps
  if (count_ >= w) {
    // Drop the oldest (x = 0), shift every x down by one, append at x = w - 1.
    sy_ -= ring_[count_ % w];
    sxy_ -= sy_;
    sxy_ += static_cast<double>(w - 1) * yf;
  } else {
    sxy_ += static_cast<double>(count_) * yf;
  }
  sy_ += yf;
  ring_[count_ % w] = static_cast<float>(y);
  ++count_;
  if (count_ % kResum == 0) resum();
  recompute();
}

void LinearTrendModel::resum() {
  const std::size_t w = ring_.size();
  const std::size_t n = std::min(count_, w);
  sy_ = 0;
  sxy_ = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const double y = ring_[(count_ - n + j) % w];
    sy_ += y;
    sxy_ += static_cast<double>(j) * y;
  }
}

// Least squares from the running sums; sum x and sum x^2 over 0..n-1 are closed forms.
void LinearTrendModel::recompute() {
  const std::size_t n = std::min(count_, ring_.size());
  if (n == 0) return;
  const double dn = static_cast<double>(n);
  const double sx = dn * (dn - 1) / 2;
  const double sxx = (dn - 1) * dn * (2 * dn - 1) / 6;
  const double den = dn * sxx - sx * sx;
  slope_ = den > 0 ? (dn * sxy_ - sx * sy_) / den : 0.0;
  intercept_ = sy_ / dn + slope_ * (dn - 1 - sx / dn);
}

void LinearTrendModel::absorbJump(double y) {
  // Forget the window: the old samples describe the regime before the jump.
  const std::size_t w = ring_.size();
  for (std::size_t j = 0; j < w; ++j) ring_[j] = static_cast<float>(y);
  resum();
  slope_ = 0;
  intercept_ = y;
}

void LinearTrendModel::forecast(std::span<double> out) const {
  double trend = 0;
  double phi = 1;
  for (double& o : out) {
    phi *= damping_;
    trend += phi * slope_;
    o = std::max(0.0, intercept_ + trend);
  }
}

}  // namespace tso::predictor

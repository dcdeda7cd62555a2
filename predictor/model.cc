#include "predictor/model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tso::predictor {

std::span<const double> searchSpan(std::span<const double> history, const FitOptions& options, std::size_t minHistory) {
  if (options.warmup == 0) return history;
  const std::size_t span = std::max(options.scoreWindow + options.warmup, minHistory);
  return history.last(std::min(span, history.size()));
}

ScoredOrigins scoredOrigins(std::size_t n, const FitOptions& options) {
  ScoredOrigins o;
  o.first = n - std::min(options.scoreWindow, n);
  o.stride = std::max<std::size_t>(1, options.stride);
  for (int h : options.horizons) o.maxHorizon = std::max(o.maxHorizon, h);
  return o;
}

double scoreModel(Model& model, std::span<const double> history, const FitOptions& options) {
  model.reset(history);
  return scoreReplay(model, history, options);
}

double scoreReplay(Model& model, std::span<const double> history, const FitOptions& options) {
  const std::size_t n = history.size();
  const ScoredOrigins origins = scoredOrigins(n, options);
  const auto hmax = static_cast<std::size_t>(origins.maxHorizon);

  std::vector<double> out(hmax);
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (origins.scores(i)) {
      model.forecast(out);
      for (int h : options.horizons) {
        const std::size_t target = i + static_cast<std::size_t>(h) - 1;
        if (h < 1 || target >= n) continue;
        sum += std::abs(history[target] - out[static_cast<std::size_t>(h) - 1]);
        ++count;
      }
    }
    model.update(history[i]);
  }
  if (count == 0) return std::numeric_limits<double>::infinity();
  const double mae = sum / static_cast<double>(count);
  return std::isfinite(mae) ? mae : std::numeric_limits<double>::infinity();
}

}  // namespace tso::predictor

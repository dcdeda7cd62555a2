// The forecasting model interface shared by every model the Forecaster can select, and the
// scoring helper their parameter searches use. A model consumes one sample per step in O(1)
// (update) and forecasts any number of steps ahead; fit() searches its parameters on the past.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tso::predictor {

struct FitOptions {
  // Horizons (in steps) whose mean absolute error the parameter search minimises.
  std::vector<int> horizons{1};
  // Only origins in the last `scoreWindow` samples are scored; the samples before them warm
  // the state. Bounds the search cost on long histories.
  std::size_t scoreWindow = std::size_t{4} * 1440;
  // Score every `stride`-th origin (forecasting every origin costs more than it tells).
  std::size_t stride = 3;
  // Samples replayed before the score window to warm the state; 0 = the whole history. A
  // search then costs O(scoreWindow + warmup) per trial instead of O(history): the refit
  // budget (10,000 one-week series in 3 s) allows only a few full passes per series.
  std::size_t warmup = 0;
  // Walk each parameter's grid from its current value while the score improves, instead of
  // trying every value (fewer trials; the error is close to unimodal per parameter).
  bool earlyStop = false;
};

// The origins a parameter trial scores on a replay of n samples: every `stride`-th from the
// start of the score window (never the first sample), forecasting up to `maxHorizon` ahead.
struct ScoredOrigins {
  std::size_t first = 0;
  std::size_t stride = 1;
  int maxHorizon = 1;
  [[nodiscard]] bool scores(std::size_t i) const { return i >= first && i > 0 && (i - first) % stride == 0; }
};
ScoredOrigins scoredOrigins(std::size_t n, const FitOptions& options);

// The part of `history` a parameter trial replays: the score window, its warm-up, and at
// least `minHistory` samples (what the model needs to initialise itself).
std::span<const double> searchSpan(std::span<const double> history, const FitOptions& options, std::size_t minHistory);

// Hints every cache line of [p, p + bytes) to the cache (a prefetch never faults).
inline void prefetchBytes(const void* p, std::size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
  if (bytes > 0) __builtin_prefetch(c + bytes - 1);
}

class Model {
 public:
  virtual ~Model() = default;

  [[nodiscard]] virtual std::string name() const = 0;
  // Samples needed before fit() can do better than a fallback.
  [[nodiscard]] virtual std::size_t minHistory() const = 0;
  // Searches parameters on `history` (the past only) and leaves the state after its last sample.
  virtual void fit(std::span<const double> history, const FitOptions& options) = 0;
  // Cold start with the current parameters from the first samples of `history`, consuming none.
  virtual void reset(std::span<const double> history) = 0;
  // Consumes the next sample in O(1).
  virtual void update(double y) = 0;
  // out[k] = forecast of the sample k + 1 steps after the last one consumed.
  virtual void forecast(std::span<double> out) const = 0;
  // out[0] of forecast() alone: the tick's jump test needs only the next step.
  [[nodiscard]] virtual double next() const {
    double v = 0;
    forecast(std::span<double>(&v, 1));
    return v;
  }
  // An unforecast jump just happened at value y (the next update will be y): move the level so
  // the forecast follows it at once instead of catching up at the smoothing rate.
  virtual void absorbJump(double y) { (void)y; }
  // True when the parameters are all the model adapts (no state that learns from updates the
  // way a smoothing level does): the Forecaster then refits it on the whole history once
  // validation has scored the fit on the older part.
  [[nodiscard]] virtual bool refitAfterValidation() const { return false; }
  // Hints the cache lines the next update() and forecast() read beyond the object itself (a
  // profile's current buckets, coefficient rows): a tick over many series calls it a few
  // series ahead so those loads overlap with the current series' work.
  virtual void prefetch() const {}
  [[nodiscard]] virtual std::unique_ptr<Model> clone() const = 0;
  // Heap + object bytes this model keeps between updates (for the memory budget).
  [[nodiscard]] virtual std::size_t stateBytes() const = 0;
};

// Resets `model`, replays `history` through it and returns the mean absolute error over
// the scored origins and horizons (infinity when nothing could be scored).
double scoreModel(Model& model, std::span<const double> history, const FitOptions& options);
// The same without the reset: the caller has put the model in its initial state (a search
// that restores a saved initial state instead of recomputing it for every trial).
double scoreReplay(Model& model, std::span<const double> history, const FitOptions& options);

}  // namespace tso::predictor

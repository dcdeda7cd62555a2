// The auto-selecting forecaster: fits every candidate model on the past, picks per horizon the
// model (or the mean of the best two or three) with the lowest error on a rolling-origin
// validation over recent history, and turns its recent normalised errors into P50/P90/P95/P99.
// Between refits each new sample costs O(1) per kept model; a large unforecast jump is
// absorbed at once (flash crowds).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "predictor/model.h"
#include "predictor/series.h"

namespace tso::predictor {

inline constexpr std::array<double, 4> kQuantileLevels = {0.5, 0.9, 0.95, 0.99};
enum QuantileIndex : std::size_t { kP50 = 0, kP90 = 1, kP95 = 2, kP99 = 3 };
using Quantiles = std::array<double, kQuantileLevels.size()>;

// The noise unit, the scale of the error quantiles: an EW mean of |y(t) - y(t-1)| at this
// rate (~20 samples: it follows the daily swing of the noise), each step clipped at
// kNoiseScaleClip units.
inline constexpr double kNoiseScaleAlpha = 0.05;
inline constexpr double kNoiseScaleClip = 6.0;

inline constexpr std::string_view kPeriodicFamily = "periodic";

struct ForecasterConfig {
  std::int64_t step = 60;  // seconds per sample; decides the daily / weekly periods
  int horizon = 30;        // steps forecast: 1..horizon
  // Horizons (steps) the parameter search scores; empty = {1, horizon / 2, horizon}.
  std::vector<int> focusHorizons;
  // Validation window at the end of the history; 0 = max(2 days, 480 samples), at most a third.
  std::size_t validationSamples = 0;
  // Only the newest samples are used by fit(); 0 = 3 weeks (at least 3000 samples).
  std::size_t maxHistory = 0;
  // |one-step error| / scale beyond which a jump is absorbed; 0 disables it.
  double jumpThreshold = 6.0;
  // Report the P50 as the point forecast (the MAE-optimal point) instead of the models' mean.
  bool medianPoint = true;
  // Keep every candidate after fit() (backtest per-model reports); otherwise only the
  // selected ones are kept, which is what bounds the operator's memory.
  bool keepAllCandidates = false;
  // When not empty, only candidates with these names are considered; kPeriodicFamily stands
  // for the model on the detected period, whatever its length (periodic_<samples>).
  std::vector<std::string> onlyModels;
  // Operator refit mode: a parameter trial replays the score window after one day of warm-up
  // instead of the whole training history, and grids are walked with early stopping: faster
  // on long histories, slightly less accurate (docs/benchmarks.md has both modes' tables).
  bool fastSearch = false;
  // Seasonal naive is offered only when its raw ring fits this many samples (memory budget).
  std::size_t maxRingSamples = 2016;
};

struct Forecast {
  std::vector<double> point;         // point[h - 1]
  std::vector<Quantiles> quantiles;  // quantiles[h - 1][k] at kQuantileLevels[k]
  std::vector<double> scratch;       // working space, reused between calls
};

struct FitReport {
  std::vector<std::string> candidates;  // models that were fitted and validated
  std::vector<std::string> notes;       // fallbacks and skipped models, with the reason
  std::string selection;                // per-horizon choice, e.g. "h1-4: ewma; h5-30: mean(a,b)"
  std::size_t historyUsed = 0;
};

// Which candidates a horizon averages, and the normalised error quantiles of that combination:
// everything the tick reads for one horizon, side by side in one array.
struct HorizonChoice {
  std::array<std::uint8_t, 3> idx{};
  std::uint8_t count = 0;
  std::array<float, kQuantileLevels.size()> q{};
};

// Every candidate's forecasts from the validation origins (forecaster.cc).
struct ValidationMatrix;

class Forecaster {
 public:
  explicit Forecaster(ForecasterConfig config);
  Forecaster(const Forecaster& other);
  Forecaster& operator=(const Forecaster& other);
  Forecaster(Forecaster&&) noexcept;
  Forecaster& operator=(Forecaster&&) noexcept;
  ~Forecaster();

  // Refit on `history` (repaired: no NaN), which ends with the newest sample. Never fails:
  // with too little history it falls back to simpler models and says so in the report.
  FitReport fit(std::span<const double> history);
  // Consumes the next sample (NaN or Inf = missing: the models advance on their own forecast).
  void update(double y);
  void forecast(Forecast& out) const;

  [[nodiscard]] const ForecasterConfig& config() const { return config_; }
  [[nodiscard]] int horizon() const { return config_.horizon; }
  [[nodiscard]] std::string selectedModel(int h) const;  // name of the choice at horizon h
  [[nodiscard]] const FitReport& lastFit() const { return report_; }
  // Kept models set aside since the last fit because their recent one-step error, over the
  // naive forecast's, grew to twice what validation measured (see guard_): the forecast does
  // without them until they recover or the next fit.
  [[nodiscard]] std::vector<std::string> modelsSetAside() const;

  // Per-candidate access (all candidates with keepAllCandidates, else the kept ones).
  [[nodiscard]] std::size_t candidateCount() const { return models_.size(); }
  [[nodiscard]] std::string candidateName(std::size_t i) const;
  void forecastCandidate(std::size_t i, Forecast& out) const;

  [[nodiscard]] std::size_t stateBytes() const;
  // Cache hints for a tick over many series (tickFleet), each stage issued once the previous
  // one's lines have arrived, so no stage waits on memory: prefetchObject() the forecaster's
  // own hot lines (no load), prefetchHead() the per-horizon choices and the models' objects
  // (reads the pointers), prefetchModels() what each model's update() and forecast() read
  // beyond its object (reads the model's fields: profile cursor, coefficient rows).
  void prefetchObject() const;
  void prefetchHead() const;
  void prefetchModels() const;

 private:
  using Choice = HorizonChoice;
  // The phases of fit(), in order.
  void resetFit();
  void fitCandidates(std::span<const double> history, std::size_t train, const FitOptions& fo);
  ValidationMatrix validate(std::span<const double> history, std::size_t train, std::size_t day, const FitOptions& fo);
  void refitChosenOnAll(std::span<const double> history, const FitOptions& fo);
  std::vector<double> keepChosenOnly(const std::vector<double>& ratio);
  void indexChoices();
  [[nodiscard]] std::string describeSelection() const;
  void armGuard(const std::vector<double>& keptRatio, double scale, std::span<const double> history);
  void buildCandidates(std::size_t historySize, std::span<const double> history);
  // The periodic_<samples> candidate on the period autocorrelation finds in the training part,
  // or a note saying none was found when only periodic models are wanted.
  void addPeriodic(std::size_t train, std::span<const double> history, std::vector<std::unique_ptr<Model>>& all);
  void refreshHot();
  [[nodiscard]] Model* model(std::size_t c) const { return c < kHot ? hot_[c] : models_[c].get(); }
  // out.quantiles from out.point and `tableRows` rows of kNq normalised errors, `stride` bytes
  // apart from `rows` on; steps past them get the point as every quantile.
  void finishQuantiles(Forecast& out, const unsigned char* rows, std::size_t stride, std::size_t tableRows) const;
  // forecast()'s stages: the models' forecasts into out.scratch, then the point per step.
  void forecastUsedModels(Forecast& out, int in) const;
  void combineByRun(Forecast& out) const;
  void combineByStep(Forecast& out, int in) const;
  [[nodiscard]] double scaleNow() const;
  // What stands in for a choice whose every model is set aside: of the models in use and not
  // set aside, and the naive forecast (the newest sample, -1), the one with the smallest
  // recent one-step error.
  [[nodiscard]] int standIn() const;
  [[nodiscard]] bool isAside(std::size_t c) const { return c < 64 && ((aside_ >> c) & 1U); }

  // Hot state first: every update() and forecast() of every service reads these, so they
  // share the object's first cache lines; the configuration and the report follow.
  // The first kHot models' addresses, inside the object: the tick reaches a model without
  // first loading the models_ array (a cache miss per series at 10,000 series).
  static constexpr std::size_t kHot = 4;
  std::array<Model*, kHot> hot_{};
  std::vector<std::unique_ptr<Model>> models_;  // candidates (kept ones after fit), owning
  std::vector<Choice> choice_;                  // per horizon, with its quantile row
  double scale_ = 0;                            // EW mean |y_t - y_{t-1}|: the unit of the error quantiles
  double last_ = 0;                             // previous sample
  double lastPoint1_ = 0;                       // combined one-step forecast made before the newest sample
  bool hasLast_ = false;
  // Model c < kHot is read up to step steps_[c] (a model chosen only for the first steps is
  // not forecast further; every model forecasts each step as it would in a longer forecast).
  std::array<std::uint16_t, kHot> steps_{};
  // Runs of steps with the same combination (the quantile rows differ): run r ends before
  // step index runEnd_[r] (0-based). A forecast combines a run with fixed model rows, which vectorises, instead
  // of looking up each step's models. runs_ == 0: more than kRuns runs, combined step by step.
  static constexpr std::size_t kRuns = 16;
  std::array<std::uint16_t, kRuns> runEnd_{};
  std::uint8_t runs_ = 0;
  std::uint64_t used_ = 0;   // bit c: some horizon's choice uses candidate c (at most 64 candidates)
  std::uint64_t aside_ = 0;  // bit c: candidate c is set aside (see guard_)
  // Per model c, guard_[c].err is an EW mean of |y - the model's one-step forecast| (clipped
  // as scale_ is, at its rate); naiveErr_ is the same for the naive forecast y(t-1).
  // Validation measured each model's ratio of the two; a model whose ratio grows to
  // kAsideRatio times that (asideAt, and past the naive forecast's) is set aside until it is
  // back within kBackRatio times (backAt) or the next fit: a model the last fit chose can
  // break between fits, as an additive season does when demand moves to 5x for good. The
  // choices do without it; see standIn().
  struct Guard {
    float err = 0;
    float asideAt = 2;
    float backAt = 1.5;
  };
  std::vector<Guard> guard_;
  float naiveErr_ = 0;
  std::vector<std::vector<float>> candidateTables_;  // per candidate, for per-model reports
  ForecasterConfig config_;
  FitReport report_;
};

// One tick of many series: fleet[i] consumes samples[i] and forecasts into `out`, which
// sink(i, out) reads before the next series reuses it. The state of the series a few places
// ahead is prefetched meanwhile: each forecaster's state is a chain of pointers (object, models,
// their profiles and coefficients), and at 10,000 series a plain loop spends most of its time
// waiting for those loads one after the other.
template <typename Sink>
void tickFleet(std::span<Forecaster> fleet, std::span<const double> samples, Forecast& out, Sink&& sink) {
  constexpr std::size_t kObjectAhead = 24;  // far enough for a memory latency
  constexpr std::size_t kHeadAhead = 12;    // after the object's lines have arrived
  constexpr std::size_t kModelsAhead = 4;   // after the head's lines have arrived
  const std::size_t n = std::min(fleet.size(), samples.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kObjectAhead < n) fleet[i + kObjectAhead].prefetchObject();
    if (i + kHeadAhead < n) fleet[i + kHeadAhead].prefetchHead();
    if (i + kModelsAhead < n) fleet[i + kModelsAhead].prefetchModels();
    fleet[i].update(samples[i]);
    fleet[i].forecast(out);
    sink(i, static_cast<const Forecast&>(out));
  }
}

// Peak of quantile `k` (kQuantileLevels index) over steps [fromStep, toStep] (1-based,
// inclusive) of a forecast: what the controller provisions for over its lead time.
double peakQuantile(const Forecast& f, int fromStep, int toStep, std::size_t k);

// Empirical quantile (linear interpolation) of `values`, which it partially sorts.
double empiricalQuantile(std::vector<double>& values, double level);
// The same for levels asked in non-decreasing order on one vector: the order statistics below
// `from` (0 at the first call) are already in place, so each level only partitions the part
// above the previous one (the same values for about half the work of full passes).
double empiricalQuantileFrom(std::vector<double>& values, double level, std::size_t& from);

}  // namespace tso::predictor

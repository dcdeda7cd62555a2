// Direct multi-horizon regression in the log domain: for every horizon h, the change
// log(1 + y(t+h)) - log(1 + y(t)) is a linear function of recent log changes (lags), the gaps
// between the newest value and log-domain EWMA levels, and the daily profile's change over
// the same span. The profile is read shifted by how far today runs above or below it, so a
// lasting change of level is not forecast to revert. Coefficients are fitted per horizon on
// the last week of history, robustly (least absolute deviation by iteratively reweighted
// least squares, one weight per row shared by every horizon, so all horizons share one Gram
// matrix), with each row weighted by the level so the fit minimises absolute error in
// requests, not in logs.
//
// Why logs: request rates swing over orders of magnitude within a day (WorldCup98: 10 to
// 100,000 per minute), and their dynamics are proportional: a rise of 20 % in ten minutes
// tells the same at 1,000 as at 50,000. A linear model of raw values fits the busiest hours
// and is wrong everywhere else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "predictor/model.h"

namespace tso::predictor {

class LogRegressionModel final : public Model {
 public:
  static constexpr std::array<int, 7> kLags = {1, 2, 3, 5, 10, 20, 60};
  static constexpr std::array<double, 5> kAlphas = {0.05, 0.1, 0.2, 0.35, 0.5};
  // intercept, lags, EWMA gaps, then (with a daily profile) the profile's gap to the newest
  // value, all shared by every horizon; then the profile's change from now to the target.
  static constexpr std::size_t kBase = 1 + kLags.size() + kAlphas.size();
  static constexpr std::size_t kMaxFeatures = kBase + 2;
  static constexpr std::size_t kMaxAnchors = 16;
  // The daily profile: at most this many buckets (5 minutes on minute data), each a visit's
  // mean blended in with weight kProfileGamma.
  static constexpr int kMaxProfileBuckets = 288;
  static constexpr double kProfileGamma = 0.3;
  // The profile's offset (today against the past days) follows the samples at this rate (a
  // time constant of ~10 samples), each sample moving it by at most kOffsetStep logs: a lasting
  // shift of level is taken up within an hour (log 5 = 1.6 in ~40 samples), a spike of a
  // few samples moves it little. Without it a fit on steady days learns that the profile is
  // what the series returns to, and after a lasting 5x shift log_regression forecast the old
  // level all day (a synthetic week: 15x the naive forecast's error on the day of the shift).
  static constexpr double kOffsetAlpha = 0.1;
  static constexpr double kOffsetStep = 0.5;
  static constexpr double kMaxLogChange = 3.0;  // a forecast never leaves [y / 20, y * 20]

  // `day` = samples per day (0: no daily profile); `horizon` = steps forecast.
  LogRegressionModel(int day, int horizon);

  [[nodiscard]] std::string name() const override { return "log_regression"; }
  [[nodiscard]] std::size_t minHistory() const override;
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override;
  void forecast(std::span<double> out) const override;
  // Computed once per update(): the Forecaster's jump test and its combined one-step forecast
  // both read it every tick.
  [[nodiscard]] double next() const override { return next_; }
  // No absorbJump(): every forecast is anchored at the newest sample, so a jump is followed
  // within one step already; what the jump says about the next steps is what the lags learnt
  // (wiping them, as the smoothing models do, forecasts worse after a regime change).
  // The coefficients adapt only through a fit, so the Forecaster refits this model daily
  // through its validation window and on the whole history after it (a refit starts from the
  // previous coefficients) instead of keeping a fit that is days old.
  [[nodiscard]] bool refitAfterValidation() const override { return true; }
  void prefetch() const override;
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<LogRegressionModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override;

  // Coefficients of horizon h (1-based): a fitted horizon's own or blended; empty before a fit.
  [[nodiscard]] std::vector<float> coefficients(int h) const;

 private:
  static constexpr std::size_t kRing = 64;  // > the largest lag, a power of two
  [[nodiscard]] std::size_t features() const { return nb_ > 0 ? kMaxFeatures : kBase; }
  [[nodiscard]] std::size_t shared() const { return nb_ > 0 ? kBase + 1 : kBase; }
  [[nodiscard]] std::size_t bucketOfPhase(std::size_t phase) const;
  [[nodiscard]] std::size_t firstPhaseOf(std::size_t bucket) const;
  // A profile bucket's value (`last`, the newest value, where the bucket is not seen yet).
  [[nodiscard]] double profileValue(std::size_t bucket, double last) const;
  // A phase of the day, its bucket and where the next bucket begins: walked one sample at a
  // time without a division.
  struct PhaseCursor {
    std::size_t phase = 0;
    std::size_t bucket = 0;
    std::size_t nextStart = 0;
  };
  void advance(PhaseCursor& c) const;
  [[nodiscard]] double lag(int k) const { return ring_[(t_ - 1 - static_cast<std::size_t>(k)) & (kRing - 1)]; }
  // The features shared by every horizon, into x[0..shared()).
  void sharedFeatures(double* x) const;
  // Writes steps forecasts to out (or none when out is null) and returns the first.
  double forecastFirst(double* out, std::size_t steps = 0) const;
  void fitCoefficients(std::span<const double> history, const FitOptions& options);
  void commitPending();
  void updateLog(double ly);  // update() with log1p(max(y, 0)) already taken

  int day_;
  int horizon_;
  std::size_t nb_ = 0;               // profile buckets (0 = no profile)
  double bucketWidth_ = 1;           // samples per bucket
  std::size_t wholeWidth_ = 0;       // the same when a bucket is a whole number of samples, else 0
  double gamma_ = 0.3;               // weight of a visit's mean in its bucket
  std::array<float, kRing> ring_{};  // log1p of the newest samples
  std::array<double, kAlphas.size()> level_{};
  // How far today runs above (+) or below (-) the profile, in logs: an EWMA of each sample's
  // gap to its bucket. The profile features read the profile shifted by it.
  double offset_ = 0;
  std::vector<float> profile_;          // log-domain daily profile; NaN = not seen yet
  std::vector<float> coef_;             // [feature][fitted horizon]
  std::vector<std::uint16_t> anchors_;  // the fitted horizons, ascending; the last is horizon_
  double pendingSum_ = 0;               // the current bucket visit, committed when it ends
  std::uint32_t pendingCount_ = 0;
  std::size_t pendingBucket_ = 0;  // the newest sample's bucket (once a sample was seen)
  PhaseCursor nextPhase_;          // the next sample's (phase = t_ % day_)
  std::size_t t_ = 0;              // samples consumed since reset
  double next_ = 0;                // forecastFirst(nullptr) of the current state
};

}  // namespace tso::predictor

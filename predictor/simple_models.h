// The simple models: naive (last value), seasonal naive (same time one period ago), EWMA level
// and a linear trend over a recent window. They are the baselines every forecast must beat and
// also candidates the Forecaster may select (short horizons on noisy data often favour them).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "predictor/model.h"

namespace tso::predictor {

class NaiveModel final : public Model {
 public:
  [[nodiscard]] std::string name() const override { return "naive"; }
  [[nodiscard]] std::size_t minHistory() const override { return 1; }
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override { last_ = y; }
  void forecast(std::span<double> out) const override;
  void absorbJump(double y) override { last_ = y; }
  [[nodiscard]] double next() const override { return last_; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<NaiveModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this); }

 private:
  double last_ = 0;
};

// Keeps one period of samples as float: a week at 1-minute steps is 40 KB, which is why the
// Forecaster offers it on its own only when the period fits ForecasterConfig::maxRingSamples.
// Given `maxRing`, a longer period is kept as the means of consecutive samples, at most
// `maxRing` of them (a day at 15 s steps: 1,920 means of 45 s), so a model asked for by name
// still repeats the period at a coarser phase instead of being left out.
class SeasonalNaiveModel final : public Model {
 public:
  SeasonalNaiveModel(int period, std::string label, std::size_t maxRing = 0);
  [[nodiscard]] std::string name() const override { return label_; }
  [[nodiscard]] std::size_t minHistory() const override { return static_cast<std::size_t>(period_); }
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override;
  void forecast(std::span<double> out) const override;
  [[nodiscard]] double next() const override { return ring_[slot(t_)]; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<SeasonalNaiveModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this) + ring_.capacity() * sizeof(float); }

 private:
  [[nodiscard]] std::size_t slot(std::size_t t) const { return (t % period_) / width_; }
  std::size_t period_;
  std::size_t width_;  // samples per slot
  std::string label_;
  std::vector<float> ring_;  // ring_[slot(t)] = the latest mean at that phase
  std::size_t t_ = 0;
  double sum_ = 0;  // of the samples of the slot being filled
  std::size_t count_ = 0;
};

class EwmaModel final : public Model {
 public:
  explicit EwmaModel(double alpha = 0.2) : alpha_(alpha) {}
  [[nodiscard]] std::string name() const override { return "ewma"; }
  [[nodiscard]] std::size_t minHistory() const override { return 2; }
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override;
  void forecast(std::span<double> out) const override;
  void absorbJump(double y) override { level_ = y; }
  [[nodiscard]] double next() const override { return level_; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<EwmaModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this); }
  [[nodiscard]] double alpha() const { return alpha_; }

 private:
  double alpha_;
  double level_ = 0;
  bool started_ = false;
};

// Least-squares line over the last `window` samples, extrapolated with a damped slope (a
// straight line 30 steps out overshoots every turn of a daily cycle).
class LinearTrendModel final : public Model {
 public:
  static constexpr int kMaxWindow = 120;
  explicit LinearTrendModel(int window = 30, double damping = 0.9);
  [[nodiscard]] std::string name() const override { return "linear_trend"; }
  [[nodiscard]] std::size_t minHistory() const override { return 3; }
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override;
  void forecast(std::span<double> out) const override;
  void absorbJump(double y) override;
  [[nodiscard]] double next() const override { return std::max(0.0, intercept_ + damping_ * slope_); }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<LinearTrendModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this) + ring_.capacity() * sizeof(float); }

 private:
  void recompute();
  void resum();
  int window_;
  double damping_;
  std::vector<float> ring_;
  std::size_t count_ = 0;  // samples consumed
  // Running sums over the window (x = 0 for its oldest sample) make an update O(1); they are
  // recomputed from the ring every kResum updates so rounding cannot drift.
  static constexpr std::size_t kResum = 1024;
  double sy_ = 0;
  double sxy_ = 0;
  double intercept_ = 0;  // fitted value at the newest sample
  double slope_ = 0;
};

}  // namespace tso::predictor

// Exponential smoothing with up to two seasonal profiles: Holt-Winters with a damped trend
// (one daily profile) and Taylor's double-seasonal Holt-Winters (daily + weekly), additive
// or multiplicative. Profiles are kept in coarse buckets with linear interpolation, so a
// week of minute data costs ~2.5 KB of state instead of a 40 KB raw buffer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "predictor/model.h"

namespace tso::predictor {

// A periodic profile of `period` samples stored as period / width buckets; a sample's value is
// interpolated between the two nearest bucket centres and an update is shared between them in
// the same proportion. Coarse buckets average out counting noise that a per-sample seasonal
// index (classic Holt-Winters on minute data) would learn as if it were shape.
class Profile {
 public:
  Profile() = default;
  Profile(int period, int width);

  [[nodiscard]] bool empty() const { return period_ == 0; }
  [[nodiscard]] int period() const { return period_; }
  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] double at(std::size_t t) const;
  void add(std::size_t t, double amount);
  void fill(double v);
  [[nodiscard]] std::size_t bytes() const { return buckets_.capacity() * sizeof(float); }
  // Bucket means of `values` (one entry per sample from phase 0); samples not seen keep `fallback`.
  void setFromSamples(std::span<const double> values, double fallback);

 private:
  struct Pos {
    std::size_t i0, i1;
    double f;
  };
  [[nodiscard]] Pos locate(std::size_t t) const;
  int period_ = 0;
  int width_ = 1;
  std::vector<float> buckets_;
};

enum class SeasonalForm { kAdditive, kMultiplicative };

struct SmoothingSpec {
  std::string name;
  SeasonalForm form = SeasonalForm::kAdditive;
  bool trend = true;     // damped additive trend
  int period1 = 0;       // e.g. a day; 0 = no seasonal profile (then Holt's linear method)
  int period2 = 0;       // e.g. a week; 0 = single seasonal
};

struct SmoothingParams {
  double alpha = 0.1;   // level
  double beta = 0.0;    // trend (error-correction form)
  double phi = 0.9;     // trend damping
  double gamma = 0.1;   // first profile, per period
  double delta = 0.1;   // second profile, per period
};

// Bucket width for a profile: the smallest divisor of `period` giving at most `maxBuckets`.
int profileWidth(int period, int maxBuckets);

class SmoothingModel final : public Model {
 public:
  static constexpr int kMaxBuckets1 = 288;  // 5-minute buckets for a day of minute data
  static constexpr int kMaxBuckets2 = 336;  // 30-minute buckets for a week of minute data

  explicit SmoothingModel(SmoothingSpec spec, SmoothingParams params = {});

  [[nodiscard]] std::string name() const override { return spec_.name; }
  [[nodiscard]] std::size_t minHistory() const override;
  void fit(std::span<const double> history, const FitOptions& options) override;
  void reset(std::span<const double> history) override;
  void update(double y) override;
  void forecast(std::span<double> out) const override;
  void absorbJump(double y) override;
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<SmoothingModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this) + p1_.bytes() + p2_.bytes(); }
  [[nodiscard]] const SmoothingParams& params() const { return params_; }

 private:
  [[nodiscard]] double oneStep() const;
  SmoothingSpec spec_;
  SmoothingParams params_;
  Profile p1_;
  Profile p2_;
  double level_ = 0;
  double trend_ = 0;
  std::size_t t_ = 0;  // samples consumed since reset: the phase of the next sample
};

}  // namespace tso::predictor

// Exponential smoothing with up to two seasonal profiles: Holt-Winters with a damped trend
// (one daily profile) and Taylor's double-seasonal Holt-Winters (daily + weekly), additive
// or multiplicative. Profiles are kept in coarse buckets with linear interpolation, so a
// week of minute data costs ~2.5 KB of state instead of a 40 KB raw buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
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

  // A position in the profile that steps one sample at a time without the divisions of
  // locate(): the tick and the parameter search walk the profile sample by sample.
  struct Cursor {
    std::uint32_t phase = 0;  // sample within the period
    std::uint32_t b0 = 0;     // bucket whose centre is at or before the sample
    std::int32_t r = 0;       // half-samples past that centre, in [0, 2 * width)
  };

  [[nodiscard]] bool empty() const { return period_ == 0; }
  [[nodiscard]] int period() const { return period_; }
  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] double at(std::size_t t) const;
  void add(std::size_t t, double amount);
  [[nodiscard]] Cursor cursorAt(std::size_t t) const;
  [[nodiscard]] double at(const Cursor& c) const {
    if (width_ == 1) return buckets_[c.phase];
    const double f = c.r * invDen_;
    return (1.0 - f) * buckets_[c.b0] + f * buckets_[next(c.b0)];
  }
  void add(const Cursor& c, double amount) {
    if (width_ == 1) {
      buckets_[c.phase] += static_cast<float>(amount);
      return;
    }
    const double f = c.r * invDen_;
    buckets_[c.b0] += static_cast<float>((1.0 - f) * amount);
    buckets_[next(c.b0)] += static_cast<float>(f * amount);
  }
  void advance(Cursor& c) const {
    if (++c.phase == static_cast<std::uint32_t>(period_)) {
      c = cursorAt(0);
      return;
    }
    if (width_ == 1) return;
    c.r += 2;
    if (c.r >= 2 * width_) {
      c.r -= 2 * width_;
      c.b0 = next(c.b0);
    }
  }
  // out[k] += at(c + k) (additive) or out[k] *= clamp(at(c + k)) (multiplicative) for every k:
  // the forecast's walk, one linear segment between bucket centres at a time.
  void accumulate(Cursor c, std::span<double> out, bool multiply, double lo, double hi) const;
  void fill(double v);
  [[nodiscard]] std::size_t bytes() const { return buckets_.capacity() * sizeof(float); }
  // The buckets a tick at `c` reads: from c's bucket on, `samples` samples ahead.
  void prefetch(const Cursor& c, std::size_t samples) const {
    if (buckets_.empty()) return;
    const std::size_t first = width_ == 1 ? c.phase : c.b0;
    const std::size_t n = std::min(buckets_.size() - first, samples / static_cast<std::size_t>(width_) + 2);
    prefetchBytes(buckets_.data() + first, n * sizeof(float));
  }
  // Bucket means of `values` (one entry per sample from phase 0); samples not seen keep `fallback`.
  void setFromSamples(std::span<const double> values, double fallback);
  // Raw buckets and 1 / (2 * width), for the parameter search's many-lane replay.
  [[nodiscard]] std::span<const float> buckets() const { return buckets_; }
  [[nodiscard]] double invDen() const { return invDen_; }

 private:
  struct Pos {
    std::size_t i0, i1;
    double f;
  };
  [[nodiscard]] Pos locate(std::size_t t) const;
  [[nodiscard]] std::uint32_t next(std::uint32_t b) const { return b + 1 == buckets_.size() ? 0 : b + 1; }
  int period_ = 0;
  int width_ = 1;
  double invDen_ = 0.5;  // 1 / (2 * width)
  std::vector<float> buckets_;
};

enum class SeasonalForm { kAdditive, kMultiplicative };

struct SmoothingSpec {
  std::string name;
  SeasonalForm form = SeasonalForm::kAdditive;
  bool trend = true;  // damped additive trend
  int period1 = 0;    // e.g. a day; 0 = no seasonal profile (then Holt's linear method)
  int period2 = 0;    // e.g. a week; 0 = single seasonal
};

struct SmoothingParams {
  double alpha = 0.1;  // level
  double beta = 0.0;   // trend (error-correction form)
  double phi = 0.9;    // trend damping
  double gamma = 0.1;  // first profile, per period
  double delta = 0.1;  // second profile, per period
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
  [[nodiscard]] double next() const override { return std::max(0.0, oneStep()); }
  void prefetch() const override {
    p1_.prefetch(c1_, 32);
    p2_.prefetch(c2_, 32);
  }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<SmoothingModel>(*this); }
  [[nodiscard]] std::size_t stateBytes() const override { return sizeof(*this) + p1_.bytes() + p2_.bytes(); }
  [[nodiscard]] const SmoothingParams& params() const { return params_; }
  // Scores every parameter set in `sets` in one replay of `span` from the current state (what
  // scoreReplay() would return for each, bit for bit): the search's trials share the sample
  // loop, the profile cursor and the interpolation weights, and the lanes vectorise.
  void scoreSets(std::span<const double> span, const FitOptions& options, std::span<const SmoothingParams> sets,
                 std::span<double> scores) const;

 private:
  [[nodiscard]] double oneStep() const;
  // Hot state first (the tick reads it for every service); the spec with its name last.
  double level_ = 0;
  double trend_ = 0;
  SmoothingParams params_;
  Profile::Cursor c1_;  // where t_ falls in each profile
  Profile::Cursor c2_;
  Profile p1_;
  Profile p2_;
  std::size_t t_ = 0;  // samples consumed since reset: the phase of the next sample
  SmoothingSpec spec_;
};

}  // namespace tso::predictor

#include "predictor/smoothing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tso::predictor {
namespace {

constexpr double kMinFactor = 0.02;  // multiplicative profiles never reach zero (no 0/0)
constexpr double kMaxFactor = 50.0;
constexpr double kTiny = 1e-9;

double clampFactor(double v) { return std::clamp(v, kMinFactor, kMaxFactor); }

}  // namespace

Profile::Profile(int period, int width)
    : period_(period),
      width_(std::max(1, width)),
      invDen_(1.0 / (2.0 * std::max(1, width))),
      buckets_(static_cast<std::size_t>(period / std::max(1, width)), 0.0F) {}

Profile::Cursor Profile::cursorAt(std::size_t t) const {
  Cursor c;
  if (period_ == 0) return c;
  c.phase = static_cast<std::uint32_t>(t % static_cast<std::size_t>(period_));
  if (width_ == 1) {
    c.b0 = c.phase;
    return c;
  }
  // Same arithmetic as locate(), kept as integers so advance() can carry.
  const auto w = static_cast<long>(width_);
  const long x2 = 2 * static_cast<long>(c.phase) + 1 - w;
  const long den = 2 * w;
  const long i0 = x2 >= 0 ? x2 / den : -1;
  const auto n = static_cast<long>(buckets_.size());
  c.b0 = static_cast<std::uint32_t>((i0 + n) % n);
  c.r = static_cast<std::int32_t>(x2 - i0 * den);
  return c;
}

Profile::Pos Profile::locate(std::size_t t) const {
  // Bucket b covers samples [b*w, (b+1)*w); its centre is at b*w + (w-1)/2. In units of
  // half-samples: x2 = 2*phase + 1 - w relative to bucket 0's centre, over 2*w per bucket.
  const auto n = buckets_.size();
  const auto w = static_cast<long>(width_);
  const long x2 = 2 * static_cast<long>(t % static_cast<std::size_t>(period_)) + 1 - w;
  const long den = 2 * w;
  long i0 = x2 >= 0 ? x2 / den : -1;
  const long r = x2 - i0 * den;
  const std::size_t b0 = static_cast<std::size_t>((i0 + static_cast<long>(n)) % static_cast<long>(n));
  return {b0, (b0 + 1) % n, static_cast<double>(r) / static_cast<double>(den)};
}

double Profile::at(std::size_t t) const {
  if (period_ == 0) return 0.0;
  if (width_ == 1) return buckets_[t % buckets_.size()];
  const Pos p = locate(t);
  return (1.0 - p.f) * buckets_[p.i0] + p.f * buckets_[p.i1];
}

void Profile::add(std::size_t t, double amount) {
  if (period_ == 0) return;
  if (width_ == 1) {
    buckets_[t % buckets_.size()] += static_cast<float>(amount);
    return;
  }
  const Pos p = locate(t);
  buckets_[p.i0] += static_cast<float>((1.0 - p.f) * amount);
  buckets_[p.i1] += static_cast<float>(p.f * amount);
}

void Profile::accumulate(Cursor c, std::span<double> out, bool multiply, double lo, double hi) const {
  const std::size_t H = out.size();
  auto apply = [&](std::size_t k, double s) {
    if (multiply) {
      out[k] *= std::clamp(s, lo, hi);
    } else {
      out[k] += s;
    }
  };
  if (width_ == 1) {
    std::size_t i = c.phase;
    for (std::size_t k = 0; k < H; ++k) {
      apply(k, buckets_[i]);
      i = next(static_cast<std::uint32_t>(i));
    }
    return;
  }
  // Between two bucket centres the profile is linear in the half-sample offset r, and the
  // walk across a period's end is continuous, so only bucket crossings need care.
  const std::int32_t den = 2 * width_;
  std::uint32_t b0 = c.b0;
  std::int32_t r = c.r;
  for (std::size_t k = 0; k < H;) {
    const std::uint32_t b1 = next(b0);
    const double a = buckets_[b0];
    const double d = (buckets_[b1] - a) * invDen_;
    const auto steps = std::min<std::size_t>(H - k, static_cast<std::size_t>((den - r + 1) / 2));
    for (std::size_t j = 0; j < steps; ++j) apply(k + j, a + static_cast<double>(r + 2 * static_cast<std::int32_t>(j)) * d);
    k += steps;
    r += 2 * static_cast<std::int32_t>(steps) - den;
    b0 = b1;
  }
}

void Profile::fill(double v) { std::fill(buckets_.begin(), buckets_.end(), static_cast<float>(v)); }

void Profile::setFromSamples(std::span<const double> values, double fallback) {
  if (period_ == 0) return;
  std::vector<double> sum(buckets_.size(), 0.0);
  std::vector<double> cnt(buckets_.size(), 0.0);
  const auto w = static_cast<std::size_t>(width_);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t b = (i % static_cast<std::size_t>(period_)) / w;
    sum[b] += values[i];
    cnt[b] += 1;
  }
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    buckets_[b] = static_cast<float>(cnt[b] > 0 ? sum[b] / cnt[b] : fallback);
  }
}

int profileWidth(int period, int maxBuckets) {
  if (period <= maxBuckets) return 1;
  for (int w = 2; w <= period; ++w) {
    if (period % w == 0 && period / w <= maxBuckets) return w;
  }
  return period;
}

SmoothingModel::SmoothingModel(SmoothingSpec spec, SmoothingParams params)
    : params_(params), spec_(std::move(spec)) {
  if (spec_.period1 > 0) p1_ = Profile(spec_.period1, profileWidth(spec_.period1, kMaxBuckets1));
  if (spec_.period2 > 0) p2_ = Profile(spec_.period2, profileWidth(spec_.period2, kMaxBuckets2));
}

std::size_t SmoothingModel::minHistory() const {
  // One full period of each profile to initialise it, plus a day's worth (or 3 periods) to
  // score parameters on.
  const auto p1 = static_cast<std::size_t>(spec_.period1);
  const auto p2 = static_cast<std::size_t>(spec_.period2);
  return std::max<std::size_t>({16, 2 * p1, p2 + p1});
}

void SmoothingModel::reset(std::span<const double> history) {
  const bool mult = spec_.form == SeasonalForm::kMultiplicative;
  const double neutral = mult ? 1.0 : 0.0;
  p1_.fill(neutral);
  p2_.fill(neutral);
  trend_ = 0;
  t_ = 0;
  c1_ = p1_.cursorAt(0);
  c2_ = p2_.cursorAt(0);
  const std::size_t n = history.size();
  const auto p1 = static_cast<std::size_t>(spec_.period1);
  const auto p2 = static_cast<std::size_t>(spec_.period2);
  const std::size_t head = std::min<std::size_t>(n, p1 > 0 ? p1 : 60);
  level_ = head > 0 ? std::accumulate(history.begin(), history.begin() + static_cast<long>(head), 0.0) /
                          static_cast<double>(head)
                    : 0.0;

  // First profile: the average shape of the first (up to three) periods, each period taken
  // relative to its own mean so growth between them does not leak into the shape.
  auto deviations = [&](std::size_t period, std::size_t periods, auto&& base) {
    std::vector<double> dev(period * periods);
    for (std::size_t k = 0; k < periods; ++k) {
      const auto first = history.begin() + static_cast<long>(k * period);
      const double mean = std::accumulate(first, first + static_cast<long>(period), 0.0) / static_cast<double>(period);
      for (std::size_t j = 0; j < period; ++j) {
        const double y = history[k * period + j] - base(k * period + j, mean);
        dev[k * period + j] = mult ? (mean > kTiny ? clampFactor((y + mean) / mean) : 1.0) : y;
      }
    }
    return dev;
  };
  if (p1 > 0 && n >= p1) {
    const std::size_t k1 = std::min<std::size_t>(n / p1, 3);
    auto dev = deviations(p1, k1, [](std::size_t, double mean) { return mean; });
    if (mult) {
      for (auto& d : dev) d = clampFactor(d);
    }
    p1_.setFromSamples(dev, neutral);
  }
  if (p2 > 0 && n >= p2) {
    // Second profile: what remains after the first, per phase of the longer period (for a
    // week: the weekday/weekend level). Additive residuals y - mean - s1; multiplicative
    // ratios y / (mean * s1).
    std::vector<double> dev(p2);
    const double mean = std::accumulate(history.begin(), history.begin() + static_cast<long>(p2), 0.0) /
                        static_cast<double>(p2);
    for (std::size_t j = 0; j < p2; ++j) {
      const double s1 = p1_.at(j);
      dev[j] = mult ? (mean > kTiny ? clampFactor(history[j] / (mean * s1)) : 1.0) : history[j] - mean - s1;
    }
    p2_.setFromSamples(dev, neutral);
    level_ = mean;
  }
}

double SmoothingModel::oneStep() const {
  const double base = level_ + params_.phi * trend_;
  const double s1 = p1_.empty() ? 0.0 : p1_.at(c1_);
  const double s2 = p2_.empty() ? 0.0 : p2_.at(c2_);
  if (spec_.form == SeasonalForm::kMultiplicative) {
    return base * (p1_.empty() ? 1.0 : clampFactor(s1)) * (p2_.empty() ? 1.0 : clampFactor(s2));
  }
  return base + s1 + s2;
}

void SmoothingModel::update(double y) {
  const double base = level_ + params_.phi * trend_;
  const double g1 = p1_.empty() ? 0.0 : params_.gamma / p1_.width();
  const double g2 = p2_.empty() ? 0.0 : params_.delta / p2_.width();
  if (spec_.form == SeasonalForm::kMultiplicative) {
    const double s1 = p1_.empty() ? 1.0 : clampFactor(p1_.at(c1_));
    const double s2 = p2_.empty() ? 1.0 : clampFactor(p2_.at(c2_));
    const double e = y - base * s1 * s2;
    const double s = s1 * s2;
    level_ = std::max(0.0, base + params_.alpha * e / s);
    trend_ = params_.phi * trend_ + params_.beta * e / s;
    const double b = std::max(base, kTiny);
    if (g1 > 0) p1_.add(c1_, g1 * e / (b * s2));
    if (g2 > 0) p2_.add(c2_, g2 * e / (b * s1));
  } else {
    const double e = y - (base + (p1_.empty() ? 0.0 : p1_.at(c1_)) + (p2_.empty() ? 0.0 : p2_.at(c2_)));
    level_ = base + params_.alpha * e;
    trend_ = params_.phi * trend_ + params_.beta * e;
    if (g1 > 0) p1_.add(c1_, g1 * e);
    if (g2 > 0) p2_.add(c2_, g2 * e);
  }
  ++t_;
  if (!p1_.empty()) p1_.advance(c1_);
  if (!p2_.empty()) p2_.advance(c2_);
}

void SmoothingModel::absorbJump(double y) {
  const double pred = oneStep();
  if (spec_.form == SeasonalForm::kMultiplicative) {
    if (pred > kTiny) level_ = (level_ + params_.phi * trend_) * (y / pred) - params_.phi * trend_;
  } else {
    level_ += y - pred;
  }
}

void SmoothingModel::forecast(std::span<double> out) const {
  const bool mult = spec_.form == SeasonalForm::kMultiplicative;
  const std::size_t H = out.size();
  // Level and damped trend first (the trend is exactly 0 when beta is, the common case).
  if (trend_ == 0.0) {
    std::fill(out.begin(), out.end(), level_);
  } else {
    double damp = 0;
    double phik = 1;
    for (std::size_t k = 0; k < H; ++k) {
      phik *= params_.phi;
      damp += phik;
      out[k] = level_ + damp * trend_;
    }
  }
  // Then the profiles, walked segment by segment (no division per step).
  if (!p1_.empty()) p1_.accumulate(c1_, out, mult, kMinFactor, kMaxFactor);
  if (!p2_.empty()) p2_.accumulate(c2_, out, mult, kMinFactor, kMaxFactor);
  for (double& o : out) o = std::max(0.0, o);
}

void SmoothingModel::fit(std::span<const double> history, const FitOptions& options) {
  // Coordinate descent over small sorted grids (with earlyStop: walking from the current value
  // while the score improves): a full grid costs ~10x for a few percent of error, and the
  // refit budget is 0.3 ms per series.
  static constexpr double kAlphas[] = {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7};
  static constexpr double kGammas[] = {0.0, 0.05, 0.15, 0.4};
  static constexpr double kBetas[] = {0.0, 0.002, 0.01, 0.05};
  static constexpr double kPhis[] = {0.8, 0.95};

  // A trial replays only the search span, from an initial state computed once: reset() does
  // not depend on the parameters.
  const auto span = searchSpan(history, options, minHistory() + static_cast<std::size_t>(spec_.period1));
  reset(span);
  const SmoothingModel init = *this;
  auto score = [&] {
    level_ = init.level_;
    trend_ = init.trend_;
    p1_ = init.p1_;
    p2_ = init.p2_;
    t_ = init.t_;
    c1_ = init.c1_;
    c2_ = init.c2_;
    return scoreReplay(*this, span, options);
  };
  double best = score();
  auto tryValue = [&](double& param, double value) {
    const double old = param;
    param = value;
    const double s = score();
    if (s < best) {
      best = s;
      return true;
    }
    param = old;
    return false;
  };
  auto walk = [&](double& param, std::span<const double> grid) {
    if (!options.earlyStop) {
      for (double v : grid) {
        if (v != param) tryValue(param, v);
      }
      return;
    }
    const auto above = std::upper_bound(grid.begin(), grid.end(), param);
    bool moved = false;
    for (auto it = above; it != grid.end() && tryValue(param, *it); ++it) moved = true;
    if (moved) return;
    for (auto it = std::make_reverse_iterator(std::lower_bound(grid.begin(), grid.end(), param));
         it != grid.rend() && tryValue(param, *it); ++it) {
    }
  };
  walk(params_.alpha, kAlphas);
  if (!p1_.empty()) walk(params_.gamma, kGammas);
  if (!p2_.empty()) walk(params_.delta, kGammas);
  if (spec_.trend) {
    for (double phi : kPhis) {
      for (double beta : kBetas) {
        const SmoothingParams old = params_;
        params_.phi = phi;
        params_.beta = beta * params_.alpha;
        const double s = score();
        if (s < best) {
          best = s;
        } else {
          params_ = old;
          if (options.earlyStop && beta > 0) break;  // larger gains only get worse past a miss
        }
      }
    }
  } else {
    params_.beta = 0;
    params_.phi = 1.0;
  }
  walk(params_.alpha, kAlphas);

  reset(history);
  for (double y : history) update(y);
}

}  // namespace tso::predictor

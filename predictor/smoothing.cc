#include "predictor/smoothing.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "predictor/simd.h"
#include "predictor/vector_lanes.h"

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
    for (std::size_t j = 0; j < steps; ++j)
      apply(k + j, a + static_cast<double>(r + 2 * static_cast<std::int32_t>(j)) * d);
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

SmoothingModel::SmoothingModel(SmoothingSpec spec, SmoothingParams params) : params_(params), spec_(std::move(spec)) {
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
    const double mean =
        std::accumulate(history.begin(), history.begin() + static_cast<long>(p2), 0.0) / static_cast<double>(p2);
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

namespace {

// A profile replicated over the lanes of a many-parameter replay: bucket-major, lane-minor,
// so the per-sample work over the lanes is one contiguous (vectorisable) loop.
struct LaneProfile {
  std::size_t nb = 0;
  double invDen = 0.5;
  std::int32_t den = 2;
  std::vector<float> b;  // b[bucket * lanes + lane]
};

// Where profile value k steps after a cursor lies: between the centres of buckets b0 and b1,
// `r` half-samples past b0's (width 1: b1 is b0's neighbour and r = 0, which gives b0).
struct Segment {
  std::uint32_t b0, b1;
  double r;
};

Segment segmentAt(const Profile::Cursor& c, std::size_t k, const LaneProfile& p, int width) {
  const auto next = [&](std::uint32_t b) { return b + 1 == p.nb ? 0U : b + 1; };
  if (width == 1) {
    const auto i = static_cast<std::uint32_t>((c.phase + k) % p.nb);
    return {i, next(i), 0.0};
  }
  std::uint32_t b0 = c.b0;
  std::int64_t r = c.r + 2 * static_cast<std::int64_t>(k);
  while (r >= p.den) {
    r -= p.den;
    b0 = next(b0);
  }
  return {b0, next(b0), static_cast<double>(r)};
}

struct LaneInputs {
  std::span<const double> y;
  const FitOptions* options;
  double level, trend;
  const Profile* p1;
  const Profile* p2;
  Profile::Cursor c1, c2;
  std::span<const SmoothingParams> sets;
};

// TSO_WIDEN(f): four buckets' lanes as doubles (exact, as the scalar loop's promotion was).
#define TSO_WIDEN(f) __builtin_convertvector(lanesAt<F4>(f), V4)

// Every trial's state and constants in a many-lane replay, lane-minor so each step's work over
// the lanes is contiguous; the lanes are taken four at a time (in.sets.size() is a multiple of
// 4, see scoreSets()).
struct ReplayLanes {
  std::size_t K = 0;
  std::vector<double> level, trend, alpha, beta, phi, g1, g2;
  std::vector<double> damp;  // [horizon index][lane]: phi + phi^2 + ... + phi^h
  std::vector<double> sum;   // each lane's absolute errors so far
  LaneProfile q1, q2;
};

LaneProfile laneProfile(const Profile* src, std::size_t K) {
  LaneProfile lp;
  if (src == nullptr || src->empty()) return lp;
  const auto b = src->buckets();
  lp.nb = b.size();
  lp.invDen = src->invDen();
  lp.den = 2 * src->width();
  lp.b.resize(lp.nb * K);
  for (std::size_t i = 0; i < lp.nb; ++i) std::fill_n(lp.b.begin() + static_cast<long>(i * K), K, b[i]);
  return lp;
}

ReplayLanes replayLanesFor(const LaneInputs& in, bool withP1, bool withP2) {
  ReplayLanes st;
  const std::size_t K = in.sets.size();
  const auto& horizons = in.options->horizons;
  const std::size_t nh = horizons.size();
  st.K = K;
  st.level.assign(K, in.level);
  st.trend.assign(K, in.trend);
  st.alpha.resize(K);
  st.beta.resize(K);
  st.phi.resize(K);
  st.g1.assign(K, 0.0);
  st.g2.assign(K, 0.0);
  st.damp.resize(nh * K);
  st.sum.assign(K, 0.0);
  for (std::size_t l = 0; l < K; ++l) {
    const SmoothingParams& p = in.sets[l];
    st.alpha[l] = p.alpha;
    st.beta[l] = p.beta;
    st.phi[l] = p.phi;
    if (withP1) st.g1[l] = p.gamma / in.p1->width();
    if (withP2) st.g2[l] = p.delta / in.p2->width();
    for (std::size_t j = 0; j < nh; ++j) {
      double d = 0;
      double phik = 1;
      for (int k = 0; k < horizons[j]; ++k) {
        phik *= p.phi;
        d += phik;
      }
      st.damp[j * K + l] = d;
    }
  }
  st.q1 = laneProfile(withP1 ? in.p1 : nullptr, K);
  st.q2 = laneProfile(withP2 ? in.p2 : nullptr, K);
  return st;
}

// Scores every lane's forecast from origin i at each horizon (SmoothingModel::forecast and
// scoreReplay()'s arithmetic), counting the scored points.
template <bool kMult, bool kP1, bool kP2>
[[gnu::always_inline]] inline void scoreLanesAt(const LaneInputs& in, ReplayLanes& st, std::size_t i,
                                                const Profile::Cursor& c1, const Profile::Cursor& c2,
                                                std::size_t& count) {
  const std::size_t K = st.K;
  const std::size_t n = in.y.size();
  const auto& horizons = in.options->horizons;
  const V4 zero = {0.0, 0.0, 0.0, 0.0};
  const V4 lo = {kMinFactor, kMinFactor, kMinFactor, kMinFactor};
  const V4 hi = {kMaxFactor, kMaxFactor, kMaxFactor, kMaxFactor};
  const V4 inv1 = {st.q1.invDen, st.q1.invDen, st.q1.invDen, st.q1.invDen};
  const V4 inv2 = {st.q2.invDen, st.q2.invDen, st.q2.invDen, st.q2.invDen};
  for (std::size_t j = 0; j < horizons.size(); ++j) {
    const int h = horizons[j];
    if (h < 1 || i + static_cast<std::size_t>(h) - 1 >= n) continue;
    const auto k = static_cast<std::size_t>(h) - 1;
    const double yk = in.y[i + k];
    const V4 actual = {yk, yk, yk, yk};
    const Segment seg1 = kP1 ? segmentAt(c1, k, st.q1, in.p1->width()) : Segment{0, 0, 0.0};
    const Segment seg2 = kP2 ? segmentAt(c2, k, st.q2, in.p2->width()) : Segment{0, 0, 0.0};
    const float* a1 = kP1 ? st.q1.b.data() + seg1.b0 * K : nullptr;
    const float* z1 = kP1 ? st.q1.b.data() + seg1.b1 * K : nullptr;
    const float* a2 = kP2 ? st.q2.b.data() + seg2.b0 * K : nullptr;
    const float* z2 = kP2 ? st.q2.b.data() + seg2.b1 * K : nullptr;
    const V4 r1 = {seg1.r, seg1.r, seg1.r, seg1.r};
    const V4 r2 = {seg2.r, seg2.r, seg2.r, seg2.r};
    const double* dj = st.damp.data() + j * K;
    for (std::size_t l = 0; l < K; l += 4) {
      V4 out = lanesAt<V4>(&st.level[l]) + lanesAt<V4>(dj + l) * lanesAt<V4>(&st.trend[l]);
      auto profile = [&](const float* lo0, const float* hi0, const V4& r, const V4& invDen) {
        const V4 av = TSO_WIDEN(lo0 + l);
        const V4 v = av + r * ((TSO_WIDEN(hi0 + l) - av) * invDen);
        if constexpr (kMult) {
          const V4 atLeast = v < lo ? lo : v;  // std::max(v, lo)
          out *= hi < atLeast ? hi : atLeast;  // std::min(.., hi)
        } else {
          out += v;
        }
      };
      if constexpr (kP1) profile(a1, z1, r1, inv1);
      if constexpr (kP2) profile(a2, z2, r2, inv2);
      const V4 pos = zero < out ? out : zero;  // std::max(0.0, out)
      const V4 e = actual - pos;
      lanesAt<V4>(&st.sum[l]) += e < zero ? -e : e;
    }
    ++count;
  }
}

// Where sample y lands in one profile: the buckets either side of the cursor and the weight
// on the upper one (width 1: the phase's bucket, weight 0).
struct UpdateTarget {
  float* lower = nullptr;
  float* upper = nullptr;
  V4 f = {0.0, 0.0, 0.0, 0.0};
};

[[gnu::always_inline]] inline UpdateTarget updateTarget(LaneProfile& q, std::size_t K, const Profile& p,
                                                        const Profile::Cursor& c) {
  UpdateTarget t;
  const double fs = c.r * q.invDen;
  t.f = V4{fs, fs, fs, fs};
  t.lower = q.b.data() + static_cast<std::size_t>(c.b0) * K;
  t.upper = q.b.data() + (c.b0 + 1 == q.nb ? 0 : c.b0 + 1) * K;
  if (p.width() == 1) t.lower = q.b.data() + static_cast<std::size_t>(c.phase) * K, t.upper = t.lower;
  return t;
}

// Four lanes' state before a sample: the level plus the damped trend, and each profile's
// value at the sample (1 or 0 when there is no such profile).
struct FourLanes {
  std::size_t l;
  V4 trend, phi, base, s1, s2;
};

// Adds `amount` to a profile's two buckets around the sample, split by the weight on the upper.
[[gnu::always_inline]] inline void learnLanes(const UpdateTarget& t, std::size_t l, const V4& amount) {
  const V4 one = {1.0, 1.0, 1.0, 1.0};
  lanesAt<F4>(t.lower + l) += __builtin_convertvector((one - t.f) * amount, F4);
  lanesAt<F4>(t.upper + l) += __builtin_convertvector(t.f * amount, F4);
}

template <bool kP1, bool kP2>
[[gnu::always_inline]] inline void updateMultiplicative(ReplayLanes& st, FourLanes& v, const V4& yi,
                                                        const UpdateTarget& t1, const UpdateTarget& t2) {
  const V4 zero = {0.0, 0.0, 0.0, 0.0};
  const V4 lo = {kMinFactor, kMinFactor, kMinFactor, kMinFactor};
  const V4 hi = {kMaxFactor, kMaxFactor, kMaxFactor, kMaxFactor};
  const V4 tiny = {kTiny, kTiny, kTiny, kTiny};
  const std::size_t l = v.l;
  if constexpr (kP1) {
    const V4 m = v.s1 < lo ? lo : v.s1;
    v.s1 = hi < m ? hi : m;
  }
  if constexpr (kP2) {
    const V4 m = v.s2 < lo ? lo : v.s2;
    v.s2 = hi < m ? hi : m;
  }
  const V4 e = yi - v.base * v.s1 * v.s2;
  const V4 sc = v.s1 * v.s2;
  const V4 level = v.base + lanesAt<V4>(&st.alpha[l]) * e / sc;
  lanesAt<V4>(&st.level[l]) = zero < level ? level : zero;  // std::max(0.0, level)
  lanesAt<V4>(&st.trend[l]) = v.phi * v.trend + lanesAt<V4>(&st.beta[l]) * e / sc;
  const V4 b = v.base < tiny ? tiny : v.base;  // std::max(base, kTiny)
  if constexpr (kP1) learnLanes(t1, l, lanesAt<V4>(&st.g1[l]) * e / (b * v.s2));
  if constexpr (kP2) learnLanes(t2, l, lanesAt<V4>(&st.g2[l]) * e / (b * v.s1));
}

template <bool kP1, bool kP2>
[[gnu::always_inline]] inline void updateAdditive(ReplayLanes& st, FourLanes& v, const V4& yi, const UpdateTarget& t1,
                                                  const UpdateTarget& t2) {
  const std::size_t l = v.l;
  V4 pred = v.base;
  if constexpr (kP1) pred += v.s1;
  if constexpr (kP2) pred += v.s2;
  const V4 e = yi - pred;
  lanesAt<V4>(&st.level[l]) = v.base + lanesAt<V4>(&st.alpha[l]) * e;
  lanesAt<V4>(&st.trend[l]) = v.phi * v.trend + lanesAt<V4>(&st.beta[l]) * e;
  if constexpr (kP1) learnLanes(t1, l, lanesAt<V4>(&st.g1[l]) * e);
  if constexpr (kP2) learnLanes(t2, l, lanesAt<V4>(&st.g2[l]) * e);
}

// Every lane's update by sample y (SmoothingModel::update's arithmetic). Branch-free: a lane
// with gamma = 0 adds a zero where a single trial skips the add, which leaves the bucket's
// value unchanged. Both buckets may be the same one: each is read, added to and written in
// turn, as the scalar loop did.
template <bool kMult, bool kP1, bool kP2>
[[gnu::always_inline]] inline void updateLanesBy(const LaneInputs& in, ReplayLanes& st, double ys,
                                                 const Profile::Cursor& c1, const Profile::Cursor& c2) {
  const V4 zero = {0.0, 0.0, 0.0, 0.0};
  const V4 one = {1.0, 1.0, 1.0, 1.0};
  const V4 yi = {ys, ys, ys, ys};
  const UpdateTarget t1 = kP1 ? updateTarget(st.q1, st.K, *in.p1, c1) : UpdateTarget{};
  const UpdateTarget t2 = kP2 ? updateTarget(st.q2, st.K, *in.p2, c2) : UpdateTarget{};
  for (std::size_t l = 0; l < st.K; l += 4) {
    FourLanes v{l, lanesAt<V4>(&st.trend[l]), lanesAt<V4>(&st.phi[l]), zero, kMult ? one : zero, kMult ? one : zero};
    v.base = lanesAt<V4>(&st.level[l]) + v.phi * v.trend;
    if constexpr (kP1) v.s1 = (one - t1.f) * TSO_WIDEN(t1.lower + l) + t1.f * TSO_WIDEN(t1.upper + l);
    if constexpr (kP2) v.s2 = (one - t2.f) * TSO_WIDEN(t2.lower + l) + t2.f * TSO_WIDEN(t2.upper + l);
    if constexpr (kMult) {
      updateMultiplicative<kP1, kP2>(st, v, yi, t1, t2);
    } else {
      updateAdditive<kP1, kP2>(st, v, yi, t1, t2);
    }
  }
}

// The replay of SmoothingModel::update/forecast and scoreReplay() for every lane at once, with
// the same arithmetic in the same order, so each lane's score equals a single trial's exactly;
// each std::min/std::max is written as the comparison it is, so NaNs and ties pick the same
// operand.
template <bool kMult, bool kP1, bool kP2>
[[gnu::always_inline]] inline void replayLanesBody(const LaneInputs& in, std::span<double> scores) {
  ReplayLanes st = replayLanesFor(in, kP1, kP2);
  Profile::Cursor c1 = in.c1, c2 = in.c2;
  const std::size_t n = in.y.size();
  const ScoredOrigins origins = scoredOrigins(n, *in.options);
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (origins.scores(i)) scoreLanesAt<kMult, kP1, kP2>(in, st, i, c1, c2, count);
    updateLanesBy<kMult, kP1, kP2>(in, st, in.y[i], c1, c2);
    if constexpr (kP1) in.p1->advance(c1);
    if constexpr (kP2) in.p2->advance(c2);
  }
  for (std::size_t l = 0; l < st.K; ++l) {
    const double mae = count > 0 ? st.sum[l] / static_cast<double>(count) : std::numeric_limits<double>::infinity();
    scores[l] = std::isfinite(mae) ? mae : std::numeric_limits<double>::infinity();
  }
}

#undef TSO_WIDEN

// Cloned for AVX2 without FMA (a product and a sum round as in the default clone, so fits do
// not depend on the machine). The lanes go in fours because that is what makes the clone
// pay: plain loops over any lane count spend it on alias checks and epilogues.
TSO_AVX2_CLONES void replayShape(const LaneInputs& in, int shape, std::span<double> scores) {
  switch (shape) {
    case 0:
      replayLanesBody<false, false, false>(in, scores);
      break;
    case 1:
      replayLanesBody<false, false, true>(in, scores);
      break;
    case 2:
      replayLanesBody<false, true, false>(in, scores);
      break;
    case 3:
      replayLanesBody<false, true, true>(in, scores);
      break;
    case 4:
      replayLanesBody<true, false, false>(in, scores);
      break;
    case 5:
      replayLanesBody<true, false, true>(in, scores);
      break;
    case 6:
      replayLanesBody<true, true, false>(in, scores);
      break;
    default:
      replayLanesBody<true, true, true>(in, scores);
      break;
  }
}

}  // namespace

void SmoothingModel::scoreSets(std::span<const double> span, const FitOptions& options,
                               std::span<const SmoothingParams> sets, std::span<double> scores) const {
  // The replay takes lanes four at a time: the sets are padded with copies of the last one,
  // whose scores are dropped.
  std::vector<SmoothingParams> padded(sets.begin(), sets.end());
  if (padded.empty()) return;
  padded.resize((padded.size() + 3) / 4 * 4, padded.back());
  std::vector<double> paddedScores(padded.size());
  const LaneInputs in{span, &options, level_, trend_, &p1_, &p2_, c1_, c2_, padded};
  const bool mult = spec_.form == SeasonalForm::kMultiplicative;
  replayShape(in, (mult ? 4 : 0) + (p1_.empty() ? 0 : 2) + (p2_.empty() ? 0 : 1), paddedScores);
  std::copy_n(paddedScores.begin(), scores.size(), scores.begin());
}

namespace {

// The parameter grids of the coordinate descent, each sorted (earlyStop walks them in order).
constexpr std::array kAlphaGrid = {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7};
constexpr std::array kGammaGrid = {0.0, 0.05, 0.15, 0.4};
constexpr std::array kBetaGrid = {0.0, 0.002, 0.01, 0.05};  // times alpha
constexpr std::array kPhiGrid = {0.8, 0.95};

// The coordinate descent's bookkeeping over one search span: each step scores all its trials
// in one many-lane replay (`score`) and makes the decisions a one-trial-at-a-time walk would
// make on the same scores, and a score already computed is never replayed.
class ParamSearch {
 public:
  using Score = std::function<void(std::span<const SmoothingParams>, std::span<double>)>;
  ParamSearch(SmoothingParams& params, bool earlyStop, Score score)
      : params_(params), earlyStop_(earlyStop), score_(std::move(score)) {}

  // Walks one parameter's grid; `first`: the current parameters are scored in the same pass.
  void walk(double SmoothingParams::* field, std::span<const double> grid, bool first);
  // The damped trend's phi x beta grid, beta scaled by the current alpha.
  void walkTrend();

 private:
  void evaluate();
  void walkDown(double& param, std::span<const double> grid, std::size_t offset);
  // With beta = 0 the trend stays exactly 0 (reset() starts it at 0), so phi cannot change
  // the score and is left out of the comparison.
  static bool sameScore(const SmoothingParams& a, const SmoothingParams& b) {
    return a.alpha == b.alpha && a.beta == b.beta && (a.beta == 0 || a.phi == b.phi) && a.gamma == b.gamma &&
           a.delta == b.delta;
  }

  SmoothingParams& params_;
  bool earlyStop_;
  Score score_;
  double best_ = std::numeric_limits<double>::infinity();
  std::vector<SmoothingParams> sets_;  // this step's trials
  std::vector<double> scores_;         // their scores
  std::vector<std::pair<SmoothingParams, double>> memo_;
  std::vector<SmoothingParams> fresh_;  // the trials of this step that need a replay
  std::vector<double> freshScores_;
  std::vector<std::size_t> slot_;  // per trial: its index in fresh_, or npos when memoised
};

void ParamSearch::evaluate() {
  constexpr auto npos = static_cast<std::size_t>(-1);
  scores_.assign(sets_.size(), 0.0);
  slot_.assign(sets_.size(), npos);
  fresh_.clear();
  for (std::size_t i = 0; i < sets_.size(); ++i) {
    const auto known =
        std::find_if(memo_.begin(), memo_.end(), [&](const auto& m) { return sameScore(m.first, sets_[i]); });
    if (known != memo_.end()) {
      scores_[i] = known->second;
      continue;
    }
    const auto dup = std::find_if(fresh_.begin(), fresh_.end(), [&](const auto& f) { return sameScore(f, sets_[i]); });
    slot_[i] = static_cast<std::size_t>(dup - fresh_.begin());
    if (dup == fresh_.end()) fresh_.push_back(sets_[i]);
  }
  if (fresh_.empty()) return;
  freshScores_.assign(fresh_.size(), 0.0);
  score_(fresh_, freshScores_);
  for (std::size_t i = 0; i < sets_.size(); ++i) {
    if (slot_[i] != npos) scores_[i] = freshScores_[slot_[i]];
  }
  for (std::size_t f = 0; f < fresh_.size(); ++f) memo_.emplace_back(fresh_[f], freshScores_[f]);
}

void ParamSearch::walk(double SmoothingParams::* field, std::span<const double> grid, bool first) {
  sets_.clear();
  if (first) sets_.push_back(params_);
  for (double v : grid) {
    SmoothingParams p = params_;
    p.*field = v;
    sets_.push_back(p);
  }
  evaluate();
  const std::size_t offset = first ? 1 : 0;
  if (first) best_ = scores_[0];
  double& param = params_.*field;
  if (!earlyStop_) {
    for (std::size_t g = 0; g < grid.size(); ++g) {
      if (grid[g] != param && scores_[offset + g] < best_) {
        best_ = scores_[offset + g];
        param = grid[g];
      }
    }
    return;
  }
  // From the current value upwards while the score improves, else downwards.
  const auto above = static_cast<std::size_t>(std::upper_bound(grid.begin(), grid.end(), param) - grid.begin());
  bool moved = false;
  for (std::size_t g = above; g < grid.size() && scores_[offset + g] < best_; ++g) {
    best_ = scores_[offset + g];
    param = grid[g];
    moved = true;
  }
  if (!moved) walkDown(param, grid, offset);
}

void ParamSearch::walkDown(double& param, std::span<const double> grid, std::size_t offset) {
  const auto below = static_cast<std::size_t>(std::lower_bound(grid.begin(), grid.end(), param) - grid.begin());
  for (std::size_t g = below; g > 0 && scores_[offset + g - 1] < best_; --g) {
    best_ = scores_[offset + g - 1];
    param = grid[g - 1];
  }
}

void ParamSearch::walkTrend() {
  sets_.clear();
  for (double phi : kPhiGrid) {
    for (double beta : kBetaGrid) {
      SmoothingParams p = params_;
      p.phi = phi;
      p.beta = beta * params_.alpha;
      sets_.push_back(p);
    }
  }
  evaluate();
  std::size_t g = 0;
  for (std::size_t i = 0; i < kPhiGrid.size(); ++i) {
    for (std::size_t j = 0; j < kBetaGrid.size(); ++j, ++g) {
      if (scores_[g] < best_) {
        best_ = scores_[g];
        params_ = sets_[g];
      } else if (earlyStop_ && kBetaGrid[j] > 0) {
        g += kBetaGrid.size() - j;  // larger gains only get worse past a miss
        break;
      }
    }
  }
}

}  // namespace

// Coordinate descent over small sorted grids (with earlyStop: walking from the current value
// while the score improves), since a full grid costs ~10x for a few percent of error. A trial
// replays only the search span, from an initial state computed once (reset() does not depend
// on the parameters).
void SmoothingModel::fit(std::span<const double> history, const FitOptions& options) {
  const auto span = searchSpan(history, options, minHistory() + static_cast<std::size_t>(spec_.period1));
  reset(span);
  ParamSearch search(params_, options.earlyStop, [&](std::span<const SmoothingParams> sets, std::span<double> scores) {
    scoreSets(span, options, sets, scores);
  });
  search.walk(&SmoothingParams::alpha, kAlphaGrid, true);
  if (!p1_.empty()) search.walk(&SmoothingParams::gamma, kGammaGrid, false);
  if (!p2_.empty()) search.walk(&SmoothingParams::delta, kGammaGrid, false);
  if (spec_.trend) {
    search.walkTrend();
  } else {
    params_.beta = 0;
    params_.phi = 1.0;
  }
  search.walk(&SmoothingParams::alpha, kAlphaGrid, false);

  reset(history);
  for (double y : history) update(y);
}

}  // namespace tso::predictor

#include "predictor/fleet.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "predictor/calibration.h"
#include "predictor/irls.h"
#include "predictor/regression.h"
#include "predictor/simd.h"
#include "predictor/vector_lanes.h"

namespace tso::predictor {
namespace {

constexpr std::size_t kL = Fleet::kLanes;
constexpr std::size_t kMaxProfiles = Fleet::kMaxProfiles;
constexpr std::size_t kWeeklyBucketsPerDay = 48;  // 30-minute buckets on minute data
constexpr std::size_t kRing = 64;                 // > the largest lag, a power of two
constexpr std::size_t kNq = kQuantileLevels.size();
constexpr auto kLags = LogRegressionModel::kLags;
constexpr auto kAlphas = LogRegressionModel::kAlphas;
constexpr std::size_t kBase = LogRegressionModel::kBase;  // intercept, lags, EWMA gaps
constexpr std::size_t kMinRows = 200;                     // below it the fleet forecasts naively
// Shrinkage toward the newest sample a series may choose per fitted horizon (1 = the shared
// regression as fitted, 0 = naive), tried in this order; a later one must do strictly better.
constexpr std::array<float, 3> kShrinkage = {1.0F, 0.5F, 0.0F};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

// A block holds kLanes series; each field is a row of kLanes floats (row r at r * kLanes).
struct Fleet::Layout {
  std::size_t ring = 0;   // kRing rows: log1p of the newest samples, slot = global index % kRing
  std::size_t level = 0;  // kAlphas rows: log-domain EWMAs
  std::size_t scale = 0;  // noise unit: EW mean of |y(t) - y(t-1)| (forecaster.h)
  std::size_t last = 0;   // the newest sample
  std::size_t next1 = 0;  // the one-step P50 forecast made after the newest sample
  // The guard (forecaster.h): the shared regression's own one-step forecast (as shrunk, even
  // while set aside), EW means of its one-step error and of the naive forecast's, the ratios
  // of the two at which it is set aside and taken back, and whether it is (1) or not (0).
  std::size_t model1 = 0;
  std::size_t guardErr = 0;
  std::size_t naiveErr = 0;
  std::size_t asideAt = 0;
  std::size_t backAt = 0;
  std::size_t aside = 0;
  std::size_t shrink = 0;  // A rows: shrinkage per fitted horizon
  std::size_t q = 0;       // A * kNq rows: normalised error quantiles per fitted horizon
  // Per profile (daily, weekly): today against the profile in logs (regression.h), the current
  // bucket visit (committed when it ends) and the profile's buckets (NaN = not seen), last.
  struct Profile {
    std::size_t offset = 0;
    std::size_t pendingSum = 0;
    std::size_t pendingCount = 0;
    std::size_t buckets = 0;
  };
  std::array<Profile, kMaxProfiles> profile{};
  std::size_t firstBucketRow = 0;
  std::size_t rows = 0;

  Layout(std::size_t anchors, const std::array<std::size_t, kMaxProfiles>& buckets, std::size_t profiles) {
    std::size_t r = 0;
    ring = r;
    r += kRing;
    level = r;
    r += kAlphas.size();
    scale = r++;
    last = r++;
    for (std::size_t p = 0; p < profiles; ++p) {
      profile[p].offset = r++;
      profile[p].pendingSum = r++;
      profile[p].pendingCount = r++;
    }
    next1 = r++;
    model1 = r++;
    guardErr = r++;
    naiveErr = r++;
    asideAt = r++;
    backAt = r++;
    aside = r++;
    shrink = r;
    r += anchors;
    q = r;
    r += anchors * kNq;
    firstBucketRow = r;
    for (std::size_t p = 0; p < profiles; ++p) {
      profile[p].buckets = r;
      r += buckets[p];
    }
    rows = r;
  }
};

namespace {

using Lanes = std::array<float, kL>;
static_assert(sizeof(F8) == kL * sizeof(float));

// What every block of one tick shares: the clock's ring slots and profile buckets, the
// coefficients and the blend of fitted horizons per step.
struct Shared {
  const Fleet::Layout* layout = nullptr;
  const float* coef = nullptr;  // [feature][anchor]
  std::size_t A = 0;            // fitted horizons
  std::size_t S = 0;            // shared features
  std::size_t np = 0;           // profiles (0: no daily profile; 1: daily; 2: daily and weekly)
  std::size_t newest = 0;       // ring slot of the newest sample
  std::array<std::size_t, kLags.size()> lagSlot{};
  std::array<std::size_t, kMaxProfiles> nowBucket{};  // the newest sample's bucket in each profile
  // Per step h (index h - 1): the fitted horizons around it, the weight on the upper one and
  // the profile bucket of its target.
  int H = 0;
  const std::uint8_t* lo = nullptr;
  const std::uint8_t* hi = nullptr;
  const float* f = nullptr;
  std::array<const std::uint16_t*, kMaxProfiles> stepBucket{};
};

// What one update consumes beyond the samples.
struct UpdateShared {
  const Fleet::Layout* layout = nullptr;
  std::size_t slot = 0;  // ring slot of the sample
  std::size_t np = 0;    // profiles
  // Per profile: the sample starts a new bucket visit (commit the previous one's), the
  // previous sample's bucket and this one's.
  std::array<bool, kMaxProfiles> commit{};
  std::array<std::size_t, kMaxProfiles> previousBucket{};
  std::array<std::size_t, kMaxProfiles> bucket{};
  bool first = false;  // the lanes' first sample (fill the ring and levels with it)
  bool guard = true;   // update the guard (not while a fit replays the history)
};

// Row r of a block: kL floats, as one F8.
F8& lanes(float* s, std::size_t r) { return lanesAt<F8>(s + r * kL); }
const F8& lanes(const float* s, std::size_t r) { return lanesAt<F8>(s + r * kL); }
float* row(float* s, std::size_t r) { return s + r * kL; }
const float* row(const float* s, std::size_t r) { return s + r * kL; }

// The kernels below work on whole F8 values (one AVX2 register in the AVX2 clone, two SSE
// registers in the default one) through references into arrays, never passing one by value
// (vector_lanes.h); the fit's replay and validation run the same kernels, so it forecasts as
// the tick does.
#define TSO_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TSO_MAX(a, b) ((a) > (b) ? (a) : (b))

// log(1 + x) for x >= 0 on kL lanes in place, in float, without a call or a branch: x + 1 =
// 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, five
// terms (relative error < 1e-7).
[[gnu::always_inline]] inline void logOnePlusLanes(F8& x) {
  const F8 v = 1.0F + x;
  const auto bits = __builtin_bit_cast(U8, v);
  F8 e = __builtin_convertvector(__builtin_bit_cast(I8, bits >> 23U) - 127, F8);
  F8 m = __builtin_bit_cast(F8, (bits & 0x007fffffU) | 0x3f800000U);
  const I8 high = m > 1.41421356F;
  m = high ? m * 0.5F : m;
  e = high ? e + 1.0F : e;
  const F8 sv = (m - 1.0F) / (m + 1.0F);
  const F8 s2 = sv * sv;
  const F8 p = sv * (2.0F + s2 * (0.666666667F + s2 * (0.4F + s2 * (0.285714286F + s2 * 0.222222222F))));
  x = p + e * 0.693147181F;
}

// exp(x) - 1 for x in [0, 80] (the caller clamps) on kL lanes in place, in float: x = k ln 2
// + r, |r| <= ln 2 / 2, a degree-7 Taylor polynomial (relative error < 1e-7) and 2^k from the
// exponent bits.
[[gnu::always_inline]] inline void expMinus1Lanes(F8& x) {
  constexpr float kRound = 12582912.0F;  // 1.5 * 2^23: adding it rounds to an integer
  const F8 kd = x * 1.44269504F + kRound;
  const F8 k = kd - kRound;
  const F8 r = (x - k * 0.693145752F) - k * 1.42860677e-06F;
  F8 p = r * 1.98412698e-4F + 1.38888889e-3F;
  p = p * r + 8.33333333e-3F;
  p = p * r + 4.16666667e-2F;
  p = p * r + 1.66666667e-1F;
  p = p * r + 0.5F;
  p = p * r + 1.0F;
  p = p * r + 1.0F;
  const U8 bits = (__builtin_bit_cast(U8, kd) + 127U) << 23U;
  x = p * __builtin_bit_cast(F8, bits) - 1.0F;
}

// logOnePlusLanes() of one value (the fit's training targets).
float logOnePlus(float x) {
  F8 v = F8{} + x;
  logOnePlusLanes(v);
  return v[0];
}

// expm1 of the newest log value moved by z (clamped as log_regression clamps it), per lane.
[[gnu::always_inline]] inline void pointFrom(const F8& last, const F8& z, F8& out) {
  const auto maxChange = static_cast<float>(LogRegressionModel::kMaxLogChange);
  const F8 change = TSO_MIN(TSO_MAX(z, -maxChange), maxChange);
  const F8 v = last + change;
  out = TSO_MIN(TSO_MAX(v, 0.0F), 80.0F);
  expMinus1Lanes(out);
}

// The profile's change from now to the target whose bucket is `bucket`, per lane (an unseen
// bucket reads as the newest log value).
[[gnu::always_inline]] inline void profileChangeLanes(const float* s, const Fleet::Layout& L, std::size_t prof,
                                                      std::size_t bucket, const F8& last, const F8& now, F8& out) {
  const F8 p = lanes(s, L.profile[prof].buckets + bucket);
  out = (p != p ? last : p) - now;
}

// One sample per lane (NaN or Inf: the lane's one-step P50 stands in). The same arithmetic as
// LogRegressionModel::updateLog and the Forecaster's noise unit, in float, kL lanes at a time.
TSO_AVX2_CLONES void updateLanes(float* s, const UpdateShared& u, const double* y) {
  const Fleet::Layout& L = *u.layout;
  alignas(32) std::array<float, kL> in{};
  const float* next1 = row(s, L.next1);
  for (std::size_t l = 0; l < kL; ++l) {
    const double yl = y[l];
    in[l] = std::isfinite(yl) ? static_cast<float>(std::max(yl, 0.0)) : next1[l];
  }
  const F8 v = lanesAt<F8>(in.data());
  F8 ly = v;
  logOnePlusLanes(ly);
  F8& last = lanes(s, L.last);
  F8& scale = lanes(s, L.scale);
  if (u.first) {
    for (std::size_t r = 0; r < kRing; ++r) lanes(s, L.ring + r) = ly;
    for (std::size_t j = 0; j < kAlphas.size(); ++j) lanes(s, L.level + j) = ly;
    last = v;
  } else {
    for (std::size_t j = 0; j < kAlphas.size(); ++j) {
      F8& lv = lanes(s, L.level + j);
      lv += static_cast<float>(kAlphas[j]) * (ly - lv);
    }
    const F8 d = v - last;
    const F8 step = d < 0 ? -d : d;
    const F8 cap = scale > 0 ? static_cast<float>(kNoiseScaleClip) * scale : step;
    if (u.guard) {
      // As the Forecaster's guard: a kept model whose recent one-step error, over the naive
      // forecast's, grows to asideAt is set aside until it is back within backAt.
      constexpr auto kRate = static_cast<float>(kNoiseScaleAlpha);
      const F8 capped = scale > 0 ? cap : F8{} + std::numeric_limits<float>::infinity();
      F8& naiveErr = lanes(s, L.naiveErr);
      naiveErr += kRate * (TSO_MIN(step, capped) - naiveErr);
      const F8 floor = 1e-3F * last + 1e-9F;
      const F8 unit = TSO_MAX(naiveErr, floor);
      const F8 em = v - lanes(s, L.model1);
      const F8 e = em < 0 ? -em : em;
      F8& guardErr = lanes(s, L.guardErr);
      guardErr += kRate * (TSO_MIN(e, capped) - guardErr);
      F8& aside = lanes(s, L.aside);
      const I8 back = guardErr <= lanes(s, L.backAt) * unit;
      const I8 away = guardErr > lanes(s, L.asideAt) * unit;
      aside = aside > 0 ? (back ? F8{} : aside) : (away ? F8{} + 1.0F : F8{});
    }
    scale += static_cast<float>(kNoiseScaleAlpha) * (TSO_MIN(step, cap) - scale);
    last = v;
  }
  lanes(s, L.ring + u.slot) = ly;
  for (std::size_t q = 0; q < u.np; ++q) {
    const Fleet::Layout::Profile& P = L.profile[q];
    F8& sum = lanes(s, P.pendingSum);
    F8& count = lanes(s, P.pendingCount);
    if (u.commit[q]) {
      // A bucket learns the mean of a visit when the visit ends (regression.h).
      F8& p = lanes(s, P.buckets + u.previousBucket[q]);
      const F8 mean = sum / TSO_MAX(count, 1.0F);
      const F8 updated = p != p ? mean : p + static_cast<float>(LogRegressionModel::kProfileGamma) * (mean - p);
      p = count > 0 ? updated : p;
      sum = F8{};
      count = F8{};
    }
    const F8& p = lanes(s, P.buckets + u.bucket[q]);
    F8& offset = lanes(s, P.offset);
    const auto stepMax = static_cast<float>(LogRegressionModel::kOffsetStep);
    const F8 gap = ly - p - offset;
    const F8 moved =
        offset + static_cast<float>(LogRegressionModel::kOffsetAlpha) * TSO_MIN(TSO_MAX(gap, -stepMax), stepMax);
    offset = p != p ? offset : moved;
    sum += ly;
    count += 1.0F;
  }
}

// The shared features per lane (x[feature], kL lanes each), the newest log value (last) and
// each profile's value at the newest sample (now[profile]), from the state.
[[gnu::always_inline]] inline void laneFeatures(const float* s, const Shared& sh, float* x, F8& lastOut, F8* nowOut) {
  const Fleet::Layout& L = *sh.layout;
  const F8 last = lanes(s, L.ring + sh.newest);
  std::size_t j = 0;
  lanesAt<F8>(x + kL * j++) = F8{} + 1.0F;
  for (std::size_t k = 0; k < kLags.size(); ++k) lanesAt<F8>(x + kL * j++) = last - lanes(s, L.ring + sh.lagSlot[k]);
  for (std::size_t k = 0; k < kAlphas.size(); ++k) lanesAt<F8>(x + kL * j++) = lanes(s, L.level + k) - last;
  for (std::size_t q = 0; q < sh.np; ++q) {
    const F8 p = lanes(s, L.profile[q].buckets + sh.nowBucket[q]);
    const I8 unseen = p != p;
    lanesAt<F8>(x + kL * j++) = unseen ? F8{} : p + lanes(s, L.profile[q].offset) - last;
    nowOut[q] = unseen ? last : p;
  }
  lastOut = last;
}

// The shared regression's part from the shared features at every fitted horizon, per lane
// (base[anchor], kL lanes each, before shrinkage), with last and now as laneFeatures() gives them.
// x: room for the shared features ((kBase + kMaxProfiles) * kL floats).
[[gnu::always_inline]] inline void anchorBase(const float* s, const Shared& sh, float* x, float* base, F8& last,
                                              F8* now) {
  laneFeatures(s, sh, x, last, now);
  for (std::size_t a = 0; a < sh.A; ++a) {
    F8 acc{};
    for (std::size_t f = 0; f < sh.S; ++f) acc += sh.coef[f * sh.A + a] * lanesAt<F8>(x + f * kL);
    lanesAt<F8>(base + a * kL) = acc;
  }
}

// The kernels' working space, in floats: the shared features, the fitted horizons' shared
// part and their profile coefficients per lane, then one row a step. Kept by the Fleet, not
// on the stack: zeroing ~2 KB a block cost ~7 % of the tick.
constexpr std::size_t kScratchX = 0;
constexpr std::size_t kScratchBase = kScratchX + (kBase + kMaxProfiles) * kL;
constexpr std::size_t kScratchPc = kScratchBase + irls::kMaxAnchors * kL;
constexpr std::size_t kScratchSteps = kScratchPc + kMaxProfiles * irls::kMaxAnchors * kL;

// The forecast of every lane: out[step][quantile][lane] for steps 1..H (scratch: kScratchSteps
// + H * kL floats), and model1[lane], the shared regression's own one-step forecast. Per step, the two fitted horizons
// around it are blended (their shrunk regression and the profile's change to the step's target), exponentiated, and the
// quantiles are the point plus the noise unit times the blended normalised error quantiles.
TSO_AVX2_CLONES void forecastLanes(const float* s, const Shared& sh, float* out, float* scratch, float* model1) {
  const Fleet::Layout& L = *sh.layout;
  const std::size_t A = sh.A;
  float* base = scratch + kScratchBase;
  float* pc = scratch + kScratchPc;  // [profile][anchor][lane]
  float* points = scratch + kScratchSteps;
  F8 last{};
  F8 now[kMaxProfiles] = {};  // NOLINT(modernize-avoid-c-arrays): std::array drops F8's attributes
  anchorBase(s, sh, scratch + kScratchX, base, last, now);
  // The regression's own one-step forecast, as shrunk (the guard's reference even while it is
  // set aside): anchor 0 is step 1.
  {
    F8 z = lanesAt<F8>(&base[0]);
    for (std::size_t q = 0; q < sh.np; ++q) {
      F8 d{};
      profileChangeLanes(s, L, q, sh.stepBucket[q][0], last, now[q], d);
      z += sh.coef[(sh.S + q) * A] * d;
    }
    z *= lanes(s, L.shrink);
    pointFrom(last, z, lanesAt<F8>(model1));
  }
  // A lane whose regression is set aside forecasts its newest sample (shrinkage 0).
  const F8 keep = 1.0F - lanes(s, L.aside);
  for (std::size_t a = 0; a < A; ++a) {
    const F8 lam = lanes(s, L.shrink + a) * keep;
    lanesAt<F8>(&base[a * kL]) *= lam;
    for (std::size_t q = 0; q < sh.np; ++q) lanesAt<F8>(&pc[(q * A + a) * kL]) = sh.coef[(sh.S + q) * A + a] * lam;
  }
  const auto H = static_cast<std::size_t>(sh.H);
  for (std::size_t h = 0; h < H; ++h) {
    const std::size_t lo = sh.lo[h];
    const std::size_t hi = sh.hi[h];
    const float f = sh.f[h];
    F8 zlo = lanesAt<F8>(&base[lo * kL]);
    F8 zhi = lanesAt<F8>(&base[hi * kL]);
    for (std::size_t q = 0; q < sh.np; ++q) {
      F8 d{};
      profileChangeLanes(s, L, q, sh.stepBucket[q][h], last, now[q], d);
      zlo += lanesAt<F8>(&pc[(q * A + lo) * kL]) * d;
      zhi += lanesAt<F8>(&pc[(q * A + hi) * kL]) * d;
    }
    const F8 z = (1.0F - f) * zlo + f * zhi;
    const auto maxChange = static_cast<float>(LogRegressionModel::kMaxLogChange);
    const F8 change = TSO_MIN(TSO_MAX(z, -maxChange), maxChange);
    const F8 v = last + change;
    lanesAt<F8>(points + h * kL) = TSO_MIN(TSO_MAX(v, 0.0F), 80.0F);
  }
  // The exponentials in a loop of their own: each is a chain of dependent operations, and
  // without the rest of the step between them the processor overlaps the steps' chains.
  for (std::size_t h = 0; h < H; ++h) expMinus1Lanes(lanesAt<F8>(points + h * kL));
  const F8 lastRaw = lanes(s, L.last);
  const F8 scaleRow = lanes(s, L.scale);
  const F8 floor = 1e-3F * lastRaw + 1e-9F;
  const F8 scale = TSO_MAX(scaleRow, floor);
  for (std::size_t h = 0; h < H; ++h) {
    const float f = sh.f[h];
    const float* qlo = row(s, L.q + sh.lo[h] * kNq);
    const float* qhi = row(s, L.q + sh.hi[h] * kNq);
    const F8 m = lanesAt<F8>(points + h * kL);
    float* o = out + h * kNq * kL;
    for (std::size_t k = 0; k < kNq; ++k) {
      const F8 e = (1.0F - f) * lanesAt<F8>(qlo + k * kL) + f * lanesAt<F8>(qhi + k * kL);
      const F8 q = m + scale * e;
      lanesAt<F8>(o + k * kL) = TSO_MAX(q, 0.0F);
    }
  }
}

// The fit's validation forecasts from one origin, kL lanes at a time: model[(a * kS + c) *
// kL + lane] is the forecast at fitted horizon a with shrinkage kShrinkage[c] (no quantiles),
// unit[lane] the noise unit; anchorBucket[profile * kMaxAnchors + a] is the bucket of horizon a's
// target in each profile; scratch as forecastLanes'.
constexpr std::size_t kS = kShrinkage.size();
TSO_AVX2_CLONES void validationLanes(const float* s, const Shared& sh, const std::uint16_t* anchorBucket, float* model,
                                     float* unit, float* scratch) {
  const Fleet::Layout& L = *sh.layout;
  float* base = scratch + kScratchBase;
  F8 last{};
  F8 now[kMaxProfiles] = {};  // NOLINT(modernize-avoid-c-arrays): std::array drops F8's attributes
  anchorBase(s, sh, scratch + kScratchX, base, last, now);
  for (std::size_t a = 0; a < sh.A; ++a) {
    F8 z = lanesAt<F8>(&base[a * kL]);
    for (std::size_t q = 0; q < sh.np; ++q) {
      F8 d{};
      profileChangeLanes(s, L, q, anchorBucket[q * irls::kMaxAnchors + a], last, now[q], d);
      z += sh.coef[(sh.S + q) * sh.A + a] * d;
    }
    for (std::size_t c = 0; c < kS; ++c) {
      const F8 zc = kShrinkage[c] * z;
      pointFrom(last, zc, lanesAt<F8>(model + (a * kS + c) * kL));
    }
  }
  const F8 floor = 1e-3F * lanes(s, L.last) + 1e-9F;
  const F8 scale = lanes(s, L.scale);
  lanesAt<F8>(unit) = TSO_MAX(scale, floor);
}

#undef TSO_MIN
#undef TSO_MAX

}  // namespace

namespace {

// The bucket of each phase of a period, shared by every Fleet that asks for the same table
// while one of them holds it.
std::shared_ptr<const std::vector<std::uint16_t>> phaseTable(std::size_t period, std::size_t buckets) {
  static std::mutex mu;
  static std::map<std::pair<std::size_t, std::size_t>, std::weak_ptr<const std::vector<std::uint16_t>>> tables;
  const std::lock_guard lock(mu);
  auto& slot = tables[{period, buckets}];
  if (auto table = slot.lock()) return table;
  auto table = std::make_shared<std::vector<std::uint16_t>>(period);
  for (std::size_t p = 0; p < period; ++p) (*table)[p] = static_cast<std::uint16_t>(p * buckets / period);
  slot = table;
  return table;
}

}  // namespace

float FleetForecast::quantile(int step, std::size_t k) const {
  const int h = std::clamp(step, 1, horizon_) - 1;
  return block_[(static_cast<std::size_t>(h) * kNq + std::min(k, kNq - 1)) * kL + lane_];
}

float FleetForecast::peak(int fromStep, int toStep, std::size_t k) const {
  const int from = std::clamp(fromStep, 1, horizon_);
  const int to = std::clamp(toStep, from, horizon_);
  float best = 0;
  for (int h = from; h <= to; ++h) best = std::max(best, quantile(h, k));
  return best;
}

void FleetForecast::copyTo(Forecast& out) const {
  const auto H = static_cast<std::size_t>(horizon_);
  out.point.resize(H);
  out.quantiles.resize(H);
  for (std::size_t h = 0; h < H; ++h) {
    for (std::size_t k = 0; k < kNq; ++k) out.quantiles[h][k] = quantile(static_cast<int>(h) + 1, k);
    out.point[h] = out.quantiles[h][kP50];
  }
}

Fleet::Fleet(FleetConfig config) : config_(std::move(config)) {
  config_.horizon = std::clamp(config_.horizon, 1, 4096);
  if (config_.step <= 0) config_.step = 60;
  config_.maxValidationOrigins = std::max<std::size_t>(1, config_.maxValidationOrigins);
  const auto day = static_cast<std::size_t>(std::max(0, seasonalityFor(config_.step).day));
  if (day > 0) {
    period_[0] = day;
    nb_[0] = std::min<std::size_t>(day, LogRegressionModel::kMaxProfileBuckets);
    np_ = 1;
    if (config_.weeklyProfile) {
      period_[1] = 7 * day;
      nb_[1] = 7 * std::min(day, kWeeklyBucketsPerDay);
      np_ = 2;
    }
  }
  for (std::size_t q = 0; q < np_; ++q) bucketOf_[q] = phaseTable(period_[q], nb_[q]);
  anchors_ = irls::anchorHorizons(config_.horizon, config_.focusHorizons, irls::kMaxAnchors);
  out_.assign(static_cast<std::size_t>(config_.horizon) * kNq * kL, 0.0F);
  scratch_.assign(kScratchSteps + static_cast<std::size_t>(config_.horizon) * kL, 0.0F);
}

std::size_t Fleet::features() const { return kBase + 2 * np_; }

std::size_t Fleet::stateBytes() const {
  return sizeof(*this) + state_.capacity() * sizeof(float) + coef_.capacity() * sizeof(float) +
         out_.capacity() * sizeof(float) + scratch_.capacity() * sizeof(float);  // phase tables: shared
}

std::vector<float> Fleet::coefficients(int h) const {
  const std::size_t A = anchors_.size();
  const std::size_t F = features();
  if (coef_.empty() || h < 1 || h > anchors_.back()) return {};
  const auto hi = static_cast<std::size_t>(std::lower_bound(anchors_.begin(), anchors_.end(), h) - anchors_.begin());
  const std::size_t lo = hi > 0 ? hi - 1 : 0;
  const float f = hi == 0 || anchors_[hi] == h
                      ? 1.0F
                      : static_cast<float>(h - anchors_[lo]) / static_cast<float>(anchors_[hi] - anchors_[lo]);
  std::vector<float> c(F);
  for (std::size_t j = 0; j < F; ++j) c[j] = (1.0F - f) * coef_[j * A + lo] + f * coef_[j * A + hi];
  return c;
}

float Fleet::shrinkage(std::size_t i, std::size_t a) const {
  if (i >= series_ || a >= anchors_.size() || state_.empty()) return 0.0F;
  const Layout L(anchors_.size(), nb_, np_);
  return state_[(i / kL) * L.rows * kL + (L.shrink + a) * kL + i % kL];
}

bool Fleet::isSetAside(std::size_t i) const {
  if (i >= series_ || state_.empty()) return false;
  const Layout L(anchors_.size(), nb_, np_);
  return state_[(i / kL) * L.rows * kL + L.aside * kL + i % kL] > 0.0F;
}

void Fleet::prepareSteps(bool consuming) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  for (std::size_t q = 0; q < np_; ++q) {
    stepBucket_[q].assign(H, 0);
    // The newest sample's phase (after the next one, when consuming): step h's target is h ahead.
    const std::size_t period = period_[q];
    const std::size_t newest = consuming ? phase_[q] : (phase_[q] + period - 1) % period;
    for (std::size_t h = 0; h < H; ++h) stepBucket_[q][h] = bucketAt(q, (newest + h + 1) % period);
  }
}

namespace {

// The Shared of a forecast whose newest sample has global index `newest` and buckets
// `nowBucket` (the per-step buckets are set by the caller that forecasts steps).
Shared sharedFor(const Fleet::Layout& L, const std::vector<float>& coef, std::size_t A, std::size_t np,
                 std::uint64_t newest, const std::array<std::size_t, kMaxProfiles>& nowBucket, int H,
                 const std::uint8_t* lo, const std::uint8_t* hi, const float* f) {
  Shared sh;
  sh.layout = &L;
  sh.coef = coef.data();
  sh.A = A;
  sh.S = kBase + np;
  sh.np = np;
  sh.newest = newest & (kRing - 1);
  for (std::size_t k = 0; k < kLags.size(); ++k)
    sh.lagSlot[k] = (newest - static_cast<std::uint64_t>(kLags[k])) & (kRing - 1);
  sh.nowBucket = nowBucket;
  sh.H = H;
  sh.lo = lo;
  sh.hi = hi;
  sh.f = f;
  return sh;
}

}  // namespace

void Fleet::tickBlock(std::size_t b, const double* y, float* out) {
  const Layout L(anchors_.size(), nb_, np_);
  float* s = state_.data() + b * L.rows * kL;
  UpdateShared u;
  u.layout = &L;
  u.slot = clock_ & (kRing - 1);
  u.np = np_;
  for (std::size_t q = 0; q < np_; ++q) {
    u.bucket[q] = bucketAt(q, phase_[q]);
    u.commit[q] = u.bucket[q] != pendingBucket_[q];
    u.previousBucket[q] = pendingBucket_[q];
  }
  updateLanes(s, u, y);
  Shared sh = sharedFor(L, coef_, anchors_.size(), np_, clock_, u.bucket, config_.horizon, stepLo_.data(),
                        stepHi_.data(), stepF_.data());
  for (std::size_t q = 0; q < np_; ++q) sh.stepBucket[q] = stepBucket_[q].data();
  forecastLanes(s, sh, out, scratch_.data(), s + L.model1 * kL);
  std::copy_n(out + kP50 * kL, kL, s + L.next1 * kL);  // step 1's P50 stands in for a missing sample
}

void Fleet::forecastBlock(std::size_t b, float* out) const {
  const Layout L(anchors_.size(), nb_, np_);
  const float* s = state_.data() + b * L.rows * kL;
  Shared sh = sharedFor(L, coef_, anchors_.size(), np_, clock_ - 1, pendingBucket_, config_.horizon, stepLo_.data(),
                        stepHi_.data(), stepF_.data());
  for (std::size_t q = 0; q < np_; ++q) sh.stepBucket[q] = stepBucket_[q].data();
  alignas(32) Lanes model1{};
  forecastLanes(s, sh, out, scratch_.data(), model1.data());
}

void Fleet::advanceClock() {
  ++clock_;
  for (std::size_t q = 0; q < np_; ++q) {
    pendingBucket_[q] = bucketAt(q, phase_[q]);
    if (++phase_[q] == period_[q]) phase_[q] = 0;
  }
}

}  // namespace tso::predictor

namespace tso::predictor {

Result<FleetFitReport> Fleet::fit(std::span<const std::span<const double>> histories) {
  if (histories.empty()) return fail(ErrorCode::kInvalidArgument, "no series to fit");
  std::size_t longestHistory = 0;
  for (std::size_t i = 0; i < histories.size(); ++i) {
    if (histories[i].empty()) return fail(ErrorCode::kTooShort, "series " + std::to_string(i) + " has no samples");
    for (std::size_t j = 0; j < histories[i].size(); ++j) {
      if (!std::isfinite(histories[i][j])) {
        return fail(ErrorCode::kInvalidArgument, "series " + std::to_string(i) + ": sample " + std::to_string(j) +
                                                     " is not finite (repair missing samples first)");
      }
    }
    longestHistory = std::max(longestHistory, histories[i].size());
  }
  const std::size_t N = histories.size();
  const std::size_t n = longestHistory;  // global index g runs over [0, n); series i starts at n - size
  const std::size_t A = anchors_.size();
  const bool profiled = np_ > 0;
  const std::size_t S = kBase + np_;
  const std::size_t F = features();
  const auto longest = static_cast<std::size_t>(anchors_.back());
  const std::size_t day = std::max<std::size_t>(period_[0], 1);
  const Layout L(A, nb_, np_);
  const std::size_t blocks = (N + kL - 1) / kL;
  using Cursor = std::array<std::size_t, kMaxProfiles>;  // per profile

  // The replay covers the last 3 weeks (at least 3,000 samples), as the Forecaster's fit does.
  const std::size_t maxHistory = std::max<std::size_t>(3000, profiled ? 21 * day : 0);
  const std::size_t start = n > maxHistory ? n - maxHistory : 0;
  std::size_t v =
      config_.validationSamples > 0 ? config_.validationSamples : std::max<std::size_t>(240, profiled ? day : 0);
  v = std::min(v, (n - start) / 3);
  const std::size_t valStart = n - v;
  std::vector<std::size_t> laneStart(blocks * kL, n);  // padding lanes never start
  for (std::size_t i = 0; i < N; ++i) laneStart[i] = n - histories[i].size();
  // Series i's sample at global index g; before its first sample, that sample (as
  // fillMissing() repairs a leading gap); padding lanes read zeros.
  auto sample = [&](std::size_t i, std::size_t g) -> double {
    if (i >= N) return 0.0;
    return histories[i][g > laneStart[i] ? g - laneStart[i] : 0];
  };

  report_ = FleetFitReport{};
  report_.series = N;
  report_.anchors = anchors_;
  series_ = N;

  // Training origins g (the state after samples [0, g)) whose every target g - 1 + a exists,
  // in the week before the validation window and in it, after a day of warm-up; spread over
  // the fleet so the shared fit sees at most maxRows rows, each series' at its own phase. The
  // first fit takes the rows whose targets are all before the validation window (gEnd), so
  // validation scores it out of sample; the final fit takes them all (as the Forecaster refits
  // log_regression on the whole history once validation has scored it).
  // A day of warm-up lets the daily profile fill before the first row; a history too short for
  // that (an hour of 2 s steps, a young fleet) is fitted on the lags and levels alone, the
  // profile features 0 while unseen.
  const auto lagWarm = static_cast<std::size_t>(kLags.back()) + 1;
  const std::size_t warm = profiled && n - start > day + kMinRows + longest ? std::max(day, lagWarm) : lagWarm;
  const std::size_t window = std::max<std::size_t>(profiled ? 7 * day : 0, 2000);
  const std::size_t gEnd = valStart + 1 > longest ? valStart + 1 - longest : 0;
  const std::size_t gAll = n + 1 > longest ? n + 1 - longest : 0;
  const std::size_t quota = std::max<std::size_t>(1, config_.maxRows / N);
  const std::size_t everyNth =
      std::max<std::size_t>(1, (N + config_.maxRows - 1) / std::max<std::size_t>(1, config_.maxRows));
  std::vector<std::size_t> rowFrom(N, gAll), rowStride(N, 1);
  std::vector<double> meanLevel(N, 1.0);
  std::size_t rows = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t from = std::max({laneStart[i] + warm + 1, start + warm + 1, gEnd > window ? gEnd - window : 0});
    if (from >= gAll || i % everyNth != 0) continue;
    const std::size_t count = gAll - from;
    rowStride[i] = std::max<std::size_t>(1, (count + quota - 1) / quota);
    rowFrom[i] = from + (i * 2654435761U) % rowStride[i];
    if (rowFrom[i] >= gAll) continue;
    rows += (gAll - rowFrom[i] + rowStride[i] - 1) / rowStride[i];
    // Rows weigh by their level over the series' mean level: every series has a say in the
    // shared fit whatever its size, and within a series the loss is absolute error.
    double sum = 0;
    for (std::size_t g = from; g < gAll; ++g) sum += std::max(sample(i, g - 1), 0.0);
    meanLevel[i] = sum / static_cast<double>(gAll - from) + 1.0;
  }
  const std::size_t Lw = irls::lanesFor(A);
  static_assert(kBase + kMaxProfiles <= irls::kFeatureStride && kMaxProfiles == irls::kMaxColumns);
  std::vector<double> X(rows * irls::kFeatureStride, 0.0), T(rows * Lw, 0.0);
  std::array<std::vector<double>, kMaxProfiles> Pc;  // per profile: its change to each target
  for (std::size_t q = 0; q < np_; ++q) Pc[q].assign(rows * Lw, 0.0);
  std::vector<double> W0(rows, 0.0);

  state_.assign(blocks * L.rows * kL, 0.0F);
  for (std::size_t b = 0; b < blocks; ++b) {
    float* s = state_.data() + b * L.rows * kL;
    std::fill(s + L.firstBucketRow * kL, s + L.rows * kL, kNaN);
    std::fill(s + L.shrink * kL, s + (L.shrink + A) * kL, 1.0F);
  }
  if (coef_.size() != F * A) coef_.assign(F * A, 0.0F);
  const std::vector<float> previousCoef = coef_;
  const bool warmStart = std::any_of(previousCoef.begin(), previousCoef.end(), [](float c) { return c != 0.0F; });

  // Replays samples [from, to) of every block through the tick's own update, calling
  // atOrigin(b, s, g) with the state after samples [0, g) before each.
  auto replay = [&](std::size_t from, std::size_t to, auto&& atOrigin, auto&& afterBlock) {
    for (std::size_t b = 0; b < blocks; ++b) {
      float* s = state_.data() + b * L.rows * kL;
      Cursor phase{};
      Cursor pending{};
      for (std::size_t q = 0; q < np_; ++q) {
        phase[q] = from % period_[q];
        pending[q] = from > 0 ? bucketAt(q, (from - 1) % period_[q]) : 0;
      }
      std::array<double, kL> y{};
      for (std::size_t g = from; g < to; ++g) {
        if (g > start) atOrigin(b, s, g, pending, phase);
        for (std::size_t l = 0; l < kL; ++l) y[l] = sample(b * kL + l, g);
        UpdateShared u;
        u.layout = &L;
        u.slot = g & (kRing - 1);
        u.np = np_;
        u.first = g == start;
        u.guard = false;
        for (std::size_t q = 0; q < np_; ++q) {
          u.bucket[q] = bucketAt(q, phase[q]);
          u.commit[q] = u.bucket[q] != pending[q];
          u.previousBucket[q] = pending[q];
          pending[q] = u.bucket[q];
          if (++phase[q] == period_[q]) phase[q] = 0;
        }
        updateLanes(s, u, y.data());
      }
      afterBlock(b);
    }
  };
  auto sharedAt = [&](std::uint64_t g, const Cursor& pending) {
    return sharedFor(L, coef_, A, np_, g - 1, pending, 0, nullptr, nullptr, nullptr);
  };
  // The bucket of fitted horizon a's target in profile q, from an origin whose next sample has
  // phase phase[q].
  auto anchorBucket = [&](const Cursor& phase, std::size_t q, std::size_t a) -> std::size_t {
    const std::size_t period = period_[q];
    return bucketAt(q, (phase[q] + period - 1 + static_cast<std::size_t>(anchors_[a])) % period);
  };

  // The training rows due at origin g of block b (phases A and B).
  std::vector<std::size_t> nextRow = rowFrom;
  std::size_t r = 0;
  auto recordRows = [&](std::size_t b, const float* s, std::size_t g, const Cursor& pending, const Cursor& phase) {
    std::array<std::size_t, kL> due{};
    std::size_t nDue = 0;
    for (std::size_t l = 0; l < kL; ++l) {
      const std::size_t i = b * kL + l;
      if (i < N && nextRow[i] == g && g < gAll) {
        due[nDue++] = l;
        nextRow[i] += rowStride[i];
      }
    }
    if (nDue == 0) return;
    const Shared sh = sharedAt(g, pending);
    alignas(32) std::array<float, (kBase + kMaxProfiles) * kL> x{};
    F8 last{};
    F8 now[kMaxProfiles] = {};  // NOLINT(modernize-avoid-c-arrays): std::array drops F8's attributes
    laneFeatures(s, sh, x.data(), last, now);
    // Each profile's change to each fitted horizon's target, per lane.
    alignas(32) std::array<float, kMaxProfiles * irls::kMaxAnchors * kL> change{};
    for (std::size_t q = 0; q < np_; ++q) {
      for (std::size_t a = 0; a < A; ++a)
        profileChangeLanes(s, L, q, anchorBucket(phase, q, a), last, now[q], lanesAt<F8>(&change[(q * A + a) * kL]));
    }
    for (std::size_t k = 0; k < nDue && r < rows; ++k, ++r) {
      const std::size_t l = due[k];
      const std::size_t i = b * kL + l;
      for (std::size_t j = 0; j < S; ++j) X[r * irls::kFeatureStride + j] = x[j * kL + l];
      for (std::size_t a = 0; a < A; ++a) {
        const double target =
            logOnePlus(static_cast<float>(std::max(sample(i, g - 1 + static_cast<std::size_t>(anchors_[a])), 0.0)));
        T[r * Lw + a] = target - last[l];
        for (std::size_t q = 0; q < np_; ++q) Pc[q][r * Lw + a] = change[(q * A + a) * kL + l];
      }
      W0[r] = (std::max(sample(i, g - 1), 0.0) + 1.0) / meanLevel[i];
    }
  };
  // Phase A: the rows before the validation window.
  replay(start, valStart, recordRows, [](std::size_t) {});
  const std::size_t firstRows = r;
  std::vector<double> beta(F * Lw, 0.0);  // [feature][lane]
  auto fitRows = [&](std::size_t count, bool warmFit) {
    const irls::Rows data{X.data(), T.data(), np_ > 0 ? Pc[0].data() : nullptr, count,
                          S,        Lw,       np_ > 1 ? Pc[1].data() : nullptr};
    irls::fitLad(data, A, W0, beta, warmFit);
    for (std::size_t j = 0; j < F; ++j) {
      for (std::size_t a = 0; a < A; ++a) coef_[j * A + a] = static_cast<float>(beta[j * Lw + a]);
    }
  };
  report_.fitted = firstRows >= kMinRows;
  if (report_.fitted) {
    if (warmStart) {
      for (std::size_t j = 0; j < F; ++j) {
        for (std::size_t a = 0; a < A; ++a) beta[j * Lw + a] = previousCoef[j * A + a];
      }
    }
    fitRows(firstRows, warmStart);
  } else {
    std::fill(coef_.begin(), coef_.end(), 0.0F);
    report_.notes.push_back("fleet_regression: " + std::to_string(firstRows) + " training rows (need " +
                            std::to_string(kMinRows) +
                            "): too little history for the shared fit; every series forecasts its newest sample");
  }

  // Phase B: each series' shrinkage and error quantiles from forecasts over its held-out
  // samples, then the state after the newest sample.
  const std::size_t vs =
      std::max<std::size_t>(1, (v + config_.maxValidationOrigins - 1) / config_.maxValidationOrigins);
  const std::size_t origins = (v + vs - 1) / vs;
  alignas(32) std::array<float, irls::kMaxAnchors * kS * kL> model{};
  alignas(32) Lanes unitNow{};
  std::vector<float> err(kL * A * kS * origins);  // [lane][anchor][shrinkage][origin]: y - forecast
  std::vector<float> unit(kL * origins);          // [lane][origin]: the noise unit at the origin
  std::vector<std::uint8_t> has(kL * A * origins);
  std::vector<double> normalised;
  auto finishBlock = [&](std::size_t b) {
    float* s = state_.data() + b * L.rows * kL;
    for (std::size_t l = 0; l < kL; ++l) {
      bool allNaive = true;
      for (std::size_t a = 0; a < A; ++a) {
        std::array<double, kS> mae{};
        for (std::size_t o = 0; o < origins; ++o) {
          if (!has[(l * A + a) * origins + o]) continue;
          for (std::size_t c = 0; c < kS; ++c) mae[c] += std::abs(err[((l * A + a) * kS + c) * origins + o]);
        }
        std::size_t best = report_.fitted ? 0 : kS - 1;
        if (report_.fitted) {
          for (std::size_t c = 1; c < kS; ++c) {
            if (mae[c] < mae[best]) best = c;
          }
        }
        s[(L.shrink + a) * kL + l] = kShrinkage[best];
        allNaive = allNaive && kShrinkage[best] == 0.0F;
        if (a == 0) {
          // The guard's reference: the one-step error over the naive forecast's (shrinkage 0).
          const double ratio = mae[kS - 1] > 0 ? mae[best] / mae[kS - 1] : 1.0;
          const auto thresholds = calibration::guardThresholds(ratio);
          const float scale = s[L.scale * kL + l];
          s[L.guardErr * kL + l] = static_cast<float>(ratio) * scale;
          s[L.naiveErr * kL + l] = scale;
          s[L.asideAt * kL + l] = thresholds.asideAt;
          s[L.backAt * kL + l] = thresholds.backAt;
          s[L.aside * kL + l] = 0.0F;
        }
        normalised.clear();
        for (std::size_t o = 0; o < origins; ++o) {
          if (has[(l * A + a) * origins + o])
            normalised.push_back(err[((l * A + a) * kS + best) * origins + o] / unit[l * origins + o]);
        }
        const auto q = calibration::conformalQuantiles(normalised);
        for (std::size_t k = 0; k < kNq; ++k) s[(L.q + a * kNq + k) * kL + l] = static_cast<float>(q[k]);
      }
      if (b * kL + l < N && allNaive) ++report_.naiveSeries;
    }
  };
  replay(
      valStart, n,
      [&](std::size_t b, const float* s, std::size_t g, const Cursor& pending, const Cursor& phase) {
        recordRows(b, s, g, pending, phase);
        if ((g - valStart) % vs != 0) return;
        const std::size_t o = (g - valStart) / vs;
        const Shared sh = sharedAt(g, pending);
        std::array<std::uint16_t, kMaxProfiles * irls::kMaxAnchors> buckets{};
        for (std::size_t q = 0; q < np_; ++q) {
          for (std::size_t a = 0; a < A; ++a)
            buckets[q * irls::kMaxAnchors + a] = static_cast<std::uint16_t>(anchorBucket(phase, q, a));
        }
        validationLanes(s, sh, buckets.data(), model.data(), unitNow.data(), scratch_.data());
        for (std::size_t l = 0; l < kL; ++l) {
          const std::size_t i = b * kL + l;
          if (i >= N || g - 1 < laneStart[i]) continue;  // the series has no sample before this origin
          unit[l * origins + o] = unitNow[l];
          for (std::size_t a = 0; a < A; ++a) {
            const std::size_t target = g - 1 + static_cast<std::size_t>(anchors_[a]);
            if (target >= n) continue;
            const auto y = static_cast<float>(std::max(sample(i, target), 0.0));
            for (std::size_t c = 0; c < kS; ++c)
              err[((l * A + a) * kS + c) * origins + o] = y - model[(a * kS + c) * kL + l];
            has[(l * A + a) * origins + o] = 1;
          }
        }
      },
      [&](std::size_t b) {
        finishBlock(b);
        std::fill(has.begin(), has.end(), 0);
      });

  // The final fit on every row, from the first one's coefficients.
  report_.rows = r;
  if (report_.fitted && r > firstRows) fitRows(r, true);
  X = {};
  T = {};
  Pc = {};
  W0 = {};

  // The clock after the newest sample, the per-step blend, and each series' one-step P50.
  clock_ = n;
  for (std::size_t q = 0; q < np_; ++q) {
    phase_[q] = n % period_[q];
    pendingBucket_[q] = bucketAt(q, (n - 1) % period_[q]);
  }
  const auto H = static_cast<std::size_t>(config_.horizon);
  stepLo_.assign(H, 0);
  stepHi_.assign(H, 0);
  stepF_.assign(H, 1.0F);
  for (std::size_t h = 1, hi = 0; h <= H; ++h) {
    while (static_cast<std::size_t>(anchors_[hi]) < h) ++hi;
    stepHi_[h - 1] = static_cast<std::uint8_t>(hi);
    stepLo_[h - 1] = static_cast<std::uint8_t>(hi > 0 ? hi - 1 : 0);
    if (hi > 0) {
      stepF_[h - 1] = static_cast<float>(h - static_cast<std::size_t>(anchors_[hi - 1])) /
                      static_cast<float>(anchors_[hi] - anchors_[hi - 1]);
    }
  }
  prepareSteps(false);
  for (std::size_t b = 0; b < blocks; ++b) {
    float* s = state_.data() + b * L.rows * kL;
    Shared sh = sharedFor(L, coef_, A, np_, clock_ - 1, pendingBucket_, config_.horizon, stepLo_.data(), stepHi_.data(),
                          stepF_.data());
    for (std::size_t q = 0; q < np_; ++q) sh.stepBucket[q] = stepBucket_[q].data();
    forecastLanes(s, sh, out_.data(), scratch_.data(), s + L.model1 * kL);
    std::copy_n(out_.data() + kP50 * kL, kL, s + L.next1 * kL);
  }
  return report_;
}

}  // namespace tso::predictor

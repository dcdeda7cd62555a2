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
// on the stack, where it would be zeroed again for every block of every tick.
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

namespace {

// The longest history, or what makes the histories unfit: fit() takes repaired samples only.
Result<std::size_t> longestHistory(std::span<const std::span<const double>> histories) {
  if (histories.empty()) return fail(ErrorCode::kInvalidArgument, "no series to fit");
  std::size_t longest = 0;
  for (std::size_t i = 0; i < histories.size(); ++i) {
    if (histories[i].empty()) return fail(ErrorCode::kTooShort, "series " + std::to_string(i) + " has no samples");
    for (std::size_t j = 0; j < histories[i].size(); ++j) {
      if (!std::isfinite(histories[i][j])) {
        return fail(ErrorCode::kInvalidArgument, "series " + std::to_string(i) + ": sample " + std::to_string(j) +
                                                     " is not finite (repair missing samples first)");
      }
    }
    longest = std::max(longest, histories[i].size());
  }
  return longest;
}

}  // namespace

// One fit's working state and its phases, in the order fit() runs them. Samples are indexed
// globally: g runs over [0, length), and series i starts at laneStart[i] (all end together).
struct Fleet::Fitter {
  using Cursor = std::array<std::size_t, kMaxProfiles>;  // per profile

  Fitter(Fleet& owner, std::span<const std::span<const double>> input, std::size_t samples);

  // Series i's sample at global index g; before its first sample, that sample (as
  // fillMissing() repairs a leading gap); padding lanes read zeros.
  [[nodiscard]] double sample(std::size_t i, std::size_t g) const {
    if (i >= seriesCount) return 0.0;
    return histories[i][g > laneStart[i] ? g - laneStart[i] : 0];
  }
  void planWindow();
  void selectRows();
  void resetState();
  template <typename AtOrigin, typename AfterBlock>
  void replay(std::size_t from, std::size_t to, AtOrigin&& atOrigin, AfterBlock&& afterBlock);
  [[nodiscard]] std::size_t anchorBucket(const Cursor& phase, std::size_t q, std::size_t a) const;
  void recordRows(std::size_t b, const float* s, std::size_t g, const Cursor& pending, const Cursor& phase);
  void fitShared(std::size_t count, bool warm);
  void firstFit();
  void scoreOrigin(std::size_t b, const float* s, std::size_t g, const Cursor& pending, const Cursor& phase);
  void calibrateBlock(std::size_t b);
  void calibrateLane(float* s, std::size_t lane, bool& allNaive);
  void heldOutPass();
  void finalFit();

  Fleet& fleet;
  std::span<const std::span<const double>> histories;
  const std::size_t seriesCount;
  const std::size_t length;
  const std::size_t anchorCount;
  const std::size_t sharedFeatures;  // kBase + profiles; the profiles' per-horizon columns follow
  const std::size_t blocks;
  const std::size_t day;
  const Layout layout;
  std::vector<std::size_t> laneStart;  // padding lanes never start

  // planWindow(): the replay starts at `start` (the last 3 weeks, at least 3,000 samples, as
  // the Forecaster's fit); the newest `heldOut` samples, from heldOutStart, are validation's.
  std::size_t start = 0;
  std::size_t heldOut = 0;
  std::size_t heldOutStart = 0;

  // selectRows(): series i gives a training row at every rowStride[i]-th origin from
  // rowFrom[i], weighed by its level over meanLevel[i]; origins before rowsEnd have every
  // target, those before firstFitEnd every target before the held-out samples.
  std::size_t firstFitEnd = 0;
  std::size_t rowsEnd = 0;
  std::vector<std::size_t> rowFrom, rowStride, nextRow;
  std::vector<double> meanLevel;
  std::size_t plannedRows = 0;

  // The training rows (irls::Rows), padded to rowLanes fitted horizons.
  std::size_t rowLanes = 0;
  std::vector<double> features, targets, weights;
  std::array<std::vector<double>, kMaxProfiles> profileChange;
  std::size_t rowCount = 0;
  std::size_t firstRows = 0;        // the rows of the first fit: those before the held-out samples
  std::vector<float> previousCoef;  // the last fit's, to start the first fit from
  std::vector<double> beta;         // [feature][lane]

  // The held-out forecasts: at most maxValidationOrigins origins, every originStride-th.
  std::size_t originStride = 1;
  std::size_t origins = 0;
  std::vector<float> err;          // [lane][anchor][shrinkage][origin]: y - forecast
  std::vector<float> unit;         // [lane][origin]: the noise unit at the origin
  std::vector<std::uint8_t> has;   // [lane][anchor][origin]: the target exists
  std::vector<double> normalised;  // one lane and horizon's errors over their units
};

Fleet::Fitter::Fitter(Fleet& owner, std::span<const std::span<const double>> input, std::size_t samples)
    : fleet(owner),
      histories(input),
      seriesCount(input.size()),
      length(samples),
      anchorCount(owner.anchors_.size()),
      sharedFeatures(kBase + owner.np_),
      blocks((input.size() + kL - 1) / kL),
      day(std::max<std::size_t>(owner.period_[0], 1)),
      layout(owner.anchors_.size(), owner.nb_, owner.np_),
      laneStart(blocks * kL, samples) {
  for (std::size_t i = 0; i < seriesCount; ++i) laneStart[i] = length - histories[i].size();
}

void Fleet::Fitter::planWindow() {
  const bool profiled = fleet.np_ > 0;
  const std::size_t maxHistory = std::max<std::size_t>(3000, profiled ? 21 * day : 0);
  start = length > maxHistory ? length - maxHistory : 0;
  const std::size_t v = fleet.config_.validationSamples > 0 ? fleet.config_.validationSamples
                                                            : std::max<std::size_t>(240, profiled ? day : 0);
  heldOut = std::min(v, (length - start) / 3);
  heldOutStart = length - heldOut;
}

// Training origins g (the state after samples [0, g)) whose every target g - 1 + a exists, in
// the week before the held-out samples and in them, after a day of warm-up (so the daily
// profile fills; a history too short for that is fitted on lags and levels alone), spread over
// the fleet so the shared fit sees at most maxRows rows, each series' at its own phase.
void Fleet::Fitter::selectRows() {
  const bool profiled = fleet.np_ > 0;
  const auto longest = static_cast<std::size_t>(fleet.anchors_.back());
  const auto lagWarm = static_cast<std::size_t>(kLags.back()) + 1;
  const std::size_t warm = profiled && length - start > day + kMinRows + longest ? std::max(day, lagWarm) : lagWarm;
  const std::size_t window = std::max<std::size_t>(profiled ? 7 * day : 0, 2000);
  firstFitEnd = heldOutStart + 1 > longest ? heldOutStart + 1 - longest : 0;
  rowsEnd = length + 1 > longest ? length + 1 - longest : 0;
  const std::size_t maxRows = fleet.config_.maxRows;
  const std::size_t quota = std::max<std::size_t>(1, maxRows / seriesCount);
  const std::size_t everyNth =
      std::max<std::size_t>(1, (seriesCount + maxRows - 1) / std::max<std::size_t>(1, maxRows));
  rowFrom.assign(seriesCount, rowsEnd);
  rowStride.assign(seriesCount, 1);
  meanLevel.assign(seriesCount, 1.0);
  for (std::size_t i = 0; i < seriesCount; ++i) {
    const std::size_t from =
        std::max({laneStart[i] + warm + 1, start + warm + 1, firstFitEnd > window ? firstFitEnd - window : 0});
    if (from >= rowsEnd || i % everyNth != 0) continue;
    const std::size_t count = rowsEnd - from;
    rowStride[i] = std::max<std::size_t>(1, (count + quota - 1) / quota);
    rowFrom[i] = from + (i * 2654435761U) % rowStride[i];
    if (rowFrom[i] >= rowsEnd) continue;
    plannedRows += (rowsEnd - rowFrom[i] + rowStride[i] - 1) / rowStride[i];
    // Rows weigh by their level over the series' mean level: every series has a say in the
    // shared fit whatever its size, and within a series the loss is absolute error.
    double sum = 0;
    for (std::size_t g = from; g < rowsEnd; ++g) sum += std::max(sample(i, g - 1), 0.0);
    meanLevel[i] = sum / static_cast<double>(rowsEnd - from) + 1.0;
  }
  nextRow = rowFrom;
  rowLanes = irls::lanesFor(anchorCount);
  static_assert(kBase + kMaxProfiles <= irls::kFeatureStride && kMaxProfiles == irls::kMaxColumns);
  features.assign(plannedRows * irls::kFeatureStride, 0.0);
  targets.assign(plannedRows * rowLanes, 0.0);
  for (std::size_t q = 0; q < fleet.np_; ++q) profileChange[q].assign(plannedRows * rowLanes, 0.0);
  weights.assign(plannedRows, 0.0);
}

// Empty state (unseen profile buckets, shrinkage 1) and the coefficients' room, keeping the
// last fit's coefficients to start from.
void Fleet::Fitter::resetState() {
  fleet.state_.assign(blocks * layout.rows * kL, 0.0F);
  for (std::size_t b = 0; b < blocks; ++b) {
    float* s = fleet.state_.data() + b * layout.rows * kL;
    std::fill(s + layout.firstBucketRow * kL, s + layout.rows * kL, kNaN);
    std::fill(s + layout.shrink * kL, s + (layout.shrink + anchorCount) * kL, 1.0F);
  }
  const std::size_t size = fleet.features() * anchorCount;
  if (fleet.coef_.size() != size) fleet.coef_.assign(size, 0.0F);
  previousCoef = fleet.coef_;
}

// Replays samples [from, to) of every block through the tick's own update, calling
// atOrigin(b, s, g, pending, phase) with the state after samples [0, g) before each (past
// `start`) and afterBlock(b) once a block is done.
template <typename AtOrigin, typename AfterBlock>
void Fleet::Fitter::replay(std::size_t from, std::size_t to, AtOrigin&& atOrigin, AfterBlock&& afterBlock) {
  const std::size_t np = fleet.np_;
  for (std::size_t b = 0; b < blocks; ++b) {
    float* s = fleet.state_.data() + b * layout.rows * kL;
    Cursor phase{};
    Cursor pending{};
    for (std::size_t q = 0; q < np; ++q) {
      phase[q] = from % fleet.period_[q];
      pending[q] = from > 0 ? fleet.bucketAt(q, (from - 1) % fleet.period_[q]) : 0;
    }
    std::array<double, kL> y{};
    for (std::size_t g = from; g < to; ++g) {
      if (g > start) atOrigin(b, s, g, pending, phase);
      for (std::size_t l = 0; l < kL; ++l) y[l] = sample(b * kL + l, g);
      UpdateShared u;
      u.layout = &layout;
      u.slot = g & (kRing - 1);
      u.np = np;
      u.first = g == start;
      u.guard = false;
      for (std::size_t q = 0; q < np; ++q) {
        u.bucket[q] = fleet.bucketAt(q, phase[q]);
        u.commit[q] = u.bucket[q] != pending[q];
        u.previousBucket[q] = pending[q];
        pending[q] = u.bucket[q];
        if (++phase[q] == fleet.period_[q]) phase[q] = 0;
      }
      updateLanes(s, u, y.data());
    }
    afterBlock(b);
  }
}

// The bucket of fitted horizon a's target in profile q, from an origin whose next sample has
// phase phase[q].
std::size_t Fleet::Fitter::anchorBucket(const Cursor& phase, std::size_t q, std::size_t a) const {
  const std::size_t period = fleet.period_[q];
  return fleet.bucketAt(q, (phase[q] + period - 1 + static_cast<std::size_t>(fleet.anchors_[a])) % period);
}

// The training rows of block b's series due at origin g: shared features, the log change to
// each fitted horizon's target and each profile's change to it, and the row's weight.
void Fleet::Fitter::recordRows(std::size_t b, const float* s, std::size_t g, const Cursor& pending,
                               const Cursor& phase) {
  std::array<std::size_t, kL> due{};
  std::size_t dueCount = 0;
  for (std::size_t l = 0; l < kL; ++l) {
    const std::size_t i = b * kL + l;
    if (i < seriesCount && nextRow[i] == g && g < rowsEnd) {
      due[dueCount++] = l;
      nextRow[i] += rowStride[i];
    }
  }
  if (dueCount == 0) return;
  const std::size_t A = anchorCount;
  const Shared sh = sharedFor(layout, fleet.coef_, A, fleet.np_, g - 1, pending, 0, nullptr, nullptr, nullptr);
  alignas(32) std::array<float, (kBase + kMaxProfiles) * kL> x{};
  F8 last{};
  F8 now[kMaxProfiles] = {};  // NOLINT(modernize-avoid-c-arrays): std::array drops F8's attributes
  laneFeatures(s, sh, x.data(), last, now);
  alignas(32) std::array<float, kMaxProfiles * irls::kMaxAnchors * kL> change{};  // [profile][anchor][lane]
  for (std::size_t q = 0; q < fleet.np_; ++q) {
    for (std::size_t a = 0; a < A; ++a)
      profileChangeLanes(s, layout, q, anchorBucket(phase, q, a), last, now[q], lanesAt<F8>(&change[(q * A + a) * kL]));
  }
  for (std::size_t k = 0; k < dueCount && rowCount < plannedRows; ++k, ++rowCount) {
    const std::size_t l = due[k];
    const std::size_t i = b * kL + l;
    const std::size_t r = rowCount;
    for (std::size_t j = 0; j < sharedFeatures; ++j) features[r * irls::kFeatureStride + j] = x[j * kL + l];
    for (std::size_t a = 0; a < A; ++a) {
      const double target =
          logOnePlus(static_cast<float>(std::max(sample(i, g - 1 + static_cast<std::size_t>(fleet.anchors_[a])), 0.0)));
      targets[r * rowLanes + a] = target - last[l];
      for (std::size_t q = 0; q < fleet.np_; ++q) profileChange[q][r * rowLanes + a] = change[(q * A + a) * kL + l];
    }
    weights[r] = (std::max(sample(i, g - 1), 0.0) + 1.0) / meanLevel[i];
  }
}

// The shared least-absolute-deviations fit on the first `count` rows, from beta when warm.
void Fleet::Fitter::fitShared(std::size_t count, bool warm) {
  const std::size_t np = fleet.np_;
  const irls::Rows data{features.data(), targets.data(), np > 0 ? profileChange[0].data() : nullptr, count,
                        sharedFeatures,  rowLanes,       np > 1 ? profileChange[1].data() : nullptr};
  irls::fitLad(data, anchorCount, weights, beta, warm);
  for (std::size_t j = 0; j < fleet.features(); ++j) {
    for (std::size_t a = 0; a < anchorCount; ++a)
      fleet.coef_[j * anchorCount + a] = static_cast<float>(beta[j * rowLanes + a]);
  }
}

// The fit that validation scores out of sample: the rows before the held-out samples, from
// the last fit's coefficients when there are any. Too few rows: every series goes naive.
void Fleet::Fitter::firstFit() {
  firstRows = rowCount;
  beta.assign(fleet.features() * rowLanes, 0.0);
  FleetFitReport& report = fleet.report_;
  report.fitted = firstRows >= kMinRows;
  if (!report.fitted) {
    std::fill(fleet.coef_.begin(), fleet.coef_.end(), 0.0F);
    report.notes.push_back("fleet_regression: " + std::to_string(firstRows) + " training rows (need " +
                           std::to_string(kMinRows) +
                           "): too little history for the shared fit; every series forecasts its newest sample");
    return;
  }
  const bool warm = std::any_of(previousCoef.begin(), previousCoef.end(), [](float c) { return c != 0.0F; });
  if (warm) {
    for (std::size_t j = 0; j < fleet.features(); ++j) {
      for (std::size_t a = 0; a < anchorCount; ++a) beta[j * rowLanes + a] = previousCoef[j * anchorCount + a];
    }
  }
  fitShared(firstRows, warm);
}

// Block b's forecasts from origin g at every fitted horizon and shrinkage, against the
// samples that came (every originStride-th held-out origin).
void Fleet::Fitter::scoreOrigin(std::size_t b, const float* s, std::size_t g, const Cursor& pending,
                                const Cursor& phase) {
  if ((g - heldOutStart) % originStride != 0) return;
  const std::size_t o = (g - heldOutStart) / originStride;
  const std::size_t A = anchorCount;
  const Shared sh = sharedFor(layout, fleet.coef_, A, fleet.np_, g - 1, pending, 0, nullptr, nullptr, nullptr);
  std::array<std::uint16_t, kMaxProfiles * irls::kMaxAnchors> buckets{};
  for (std::size_t q = 0; q < fleet.np_; ++q) {
    for (std::size_t a = 0; a < A; ++a)
      buckets[q * irls::kMaxAnchors + a] = static_cast<std::uint16_t>(anchorBucket(phase, q, a));
  }
  alignas(32) std::array<float, irls::kMaxAnchors * kS * kL> model{};
  alignas(32) Lanes unitNow{};
  validationLanes(s, sh, buckets.data(), model.data(), unitNow.data(), fleet.scratch_.data());
  for (std::size_t l = 0; l < kL; ++l) {
    const std::size_t i = b * kL + l;
    if (i >= seriesCount || g - 1 < laneStart[i]) continue;  // the series has no sample before this origin
    unit[l * origins + o] = unitNow[l];
    for (std::size_t a = 0; a < A; ++a) {
      const std::size_t target = g - 1 + static_cast<std::size_t>(fleet.anchors_[a]);
      if (target >= length) continue;
      const auto y = static_cast<float>(std::max(sample(i, target), 0.0));
      for (std::size_t c = 0; c < kS; ++c) err[((l * A + a) * kS + c) * origins + o] = y - model[(a * kS + c) * kL + l];
      has[(l * A + a) * origins + o] = 1;
    }
  }
}

// One lane's shrinkage per fitted horizon (the lowest held-out error; none but 0 when there
// was no shared fit), the guard's reference at step 1, and its error quantiles.
void Fleet::Fitter::calibrateLane(float* s, std::size_t l, bool& allNaive) {
  const std::size_t A = anchorCount;
  const bool fitted = fleet.report_.fitted;
  for (std::size_t a = 0; a < A; ++a) {
    std::array<double, kS> mae{};
    for (std::size_t o = 0; o < origins; ++o) {
      if (!has[(l * A + a) * origins + o]) continue;
      for (std::size_t c = 0; c < kS; ++c) mae[c] += std::abs(err[((l * A + a) * kS + c) * origins + o]);
    }
    std::size_t best = fitted ? 0 : kS - 1;
    if (fitted) {
      for (std::size_t c = 1; c < kS; ++c) {
        if (mae[c] < mae[best]) best = c;
      }
    }
    s[(layout.shrink + a) * kL + l] = kShrinkage[best];
    allNaive = allNaive && kShrinkage[best] == 0.0F;
    if (a == 0) {
      // The guard's reference: the one-step error over the naive forecast's (shrinkage 0).
      const double ratio = mae[kS - 1] > 0 ? mae[best] / mae[kS - 1] : 1.0;
      const auto thresholds = calibration::guardThresholds(ratio);
      const float scale = s[layout.scale * kL + l];
      s[layout.guardErr * kL + l] = static_cast<float>(ratio) * scale;
      s[layout.naiveErr * kL + l] = scale;
      s[layout.asideAt * kL + l] = thresholds.asideAt;
      s[layout.backAt * kL + l] = thresholds.backAt;
      s[layout.aside * kL + l] = 0.0F;
    }
    normalised.clear();
    for (std::size_t o = 0; o < origins; ++o) {
      if (has[(l * A + a) * origins + o])
        normalised.push_back(err[((l * A + a) * kS + best) * origins + o] / unit[l * origins + o]);
    }
    const auto q = calibration::conformalQuantiles(normalised);
    for (std::size_t k = 0; k < kNq; ++k) s[(layout.q + a * kNq + k) * kL + l] = static_cast<float>(q[k]);
  }
}

void Fleet::Fitter::calibrateBlock(std::size_t b) {
  float* s = fleet.state_.data() + b * layout.rows * kL;
  for (std::size_t l = 0; l < kL; ++l) {
    bool allNaive = true;
    calibrateLane(s, l, allNaive);
    if (b * kL + l < seriesCount && allNaive) ++fleet.report_.naiveSeries;
  }
  std::fill(has.begin(), has.end(), 0);
}

// The held-out samples: their training rows, the first fit's forecasts over them and each
// series' calibration, leaving the state after the newest sample.
void Fleet::Fitter::heldOutPass() {
  const std::size_t maxOrigins = fleet.config_.maxValidationOrigins;
  originStride = std::max<std::size_t>(1, (heldOut + maxOrigins - 1) / maxOrigins);
  origins = (heldOut + originStride - 1) / originStride;
  err.assign(kL * anchorCount * kS * origins, 0.0F);
  unit.assign(kL * origins, 0.0F);
  has.assign(kL * anchorCount * origins, 0);
  replay(
      heldOutStart, length,
      [&](std::size_t b, const float* s, std::size_t g, const Cursor& pending, const Cursor& phase) {
        recordRows(b, s, g, pending, phase);
        scoreOrigin(b, s, g, pending, phase);
      },
      [&](std::size_t b) { calibrateBlock(b); });
}

// The final fit on every row, from the first one's coefficients.
void Fleet::Fitter::finalFit() {
  fleet.report_.rows = rowCount;
  if (fleet.report_.fitted && rowCount > firstRows) fitShared(rowCount, true);
}

void Fleet::blendSteps() {
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
}

void Fleet::startClockAt(std::size_t length) {
  clock_ = length;
  for (std::size_t q = 0; q < np_; ++q) {
    phase_[q] = length % period_[q];
    pendingBucket_[q] = bucketAt(q, (length - 1) % period_[q]);
  }
}

void Fleet::primeOneStep() {
  const Layout L(anchors_.size(), nb_, np_);
  prepareSteps(false);
  for (std::size_t b = 0; b < (series_ + kL - 1) / kL; ++b) {
    float* s = state_.data() + b * L.rows * kL;
    Shared sh = sharedFor(L, coef_, anchors_.size(), np_, clock_ - 1, pendingBucket_, config_.horizon, stepLo_.data(),
                          stepHi_.data(), stepF_.data());
    for (std::size_t q = 0; q < np_; ++q) sh.stepBucket[q] = stepBucket_[q].data();
    forecastLanes(s, sh, out_.data(), scratch_.data(), s + L.model1 * kL);
    std::copy_n(out_.data() + kP50 * kL, kL, s + L.next1 * kL);
  }
}

Result<FleetFitReport> Fleet::fit(std::span<const std::span<const double>> histories) {
  const auto length = longestHistory(histories);
  if (!length) return std::unexpected(length.error());
  report_ = FleetFitReport{};
  report_.series = histories.size();
  report_.anchors = anchors_;
  series_ = histories.size();
  {
    Fitter fitter(*this, histories, *length);
    fitter.planWindow();
    fitter.selectRows();
    fitter.resetState();
    // The rows before the held-out samples, then the fit that validation scores.
    fitter.replay(
        fitter.start, fitter.heldOutStart,
        [&](std::size_t b, const float* s, std::size_t g, const Fitter::Cursor& pending, const Fitter::Cursor& phase) {
          fitter.recordRows(b, s, g, pending, phase);
        },
        [](std::size_t) {});
    fitter.firstFit();
    fitter.heldOutPass();
    fitter.finalFit();
  }
  startClockAt(*length);
  blendSteps();
  primeOneStep();
  return report_;
}

}  // namespace tso::predictor

#include "predictor/regression.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>

#include "predictor/irls.h"
#include "predictor/simd.h"

namespace tso::predictor {
namespace {

static_assert(LogRegressionModel::kMaxAnchors == irls::kMaxAnchors);
constexpr std::size_t kMaxRows = 4000;  // training rows, shared by all horizons (strided beyond that)
constexpr std::size_t kMinRows = 200;

double logOf(double y) { return std::log1p(std::max(y, 0.0)); }

// exp(x) - 1 for the forecast, for x in [0, 700] (the caller clamps: a comparison in the loop
// would stop the compiler from vectorising it): range reduction to r = x - k ln 2 with
// |r| <= ln 2 / 2 and a degree-12 Taylor polynomial (relative error < 1e-15), without the
// special cases of std::expm1 and without branches, so the tick's loop over the steps of a
// forecast has no call in it and runs two steps per instruction.
inline double expMinus1(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 0.6931471803691238;
  constexpr double kLn2Lo = 1.9082149292705877e-10;
  constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const double kd = x * kLog2e + kRound;         // its low mantissa bits hold 2^51 + k
  const double k = kd - kRound;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Horner, 1/12! down to 1/1!
  double p = 2.08767569878680989792e-09;
  p = p * r + 2.50521083854417187751e-08;
  p = p * r + 2.75573192239858906526e-07;
  p = p * r + 2.75573192239858906526e-06;
  p = p * r + 2.48015873015873015873e-05;
  p = p * r + 1.98412698412698412698e-04;
  p = p * r + 1.38888888888888888889e-03;
  p = p * r + 8.33333333333333333333e-03;
  p = p * r + 4.16666666666666666667e-02;
  p = p * r + 1.66666666666666666667e-01;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k: k + 1023 into the exponent field (the 2^51 above shifts out).
  const std::uint64_t bits = (std::bit_cast<std::uint64_t>(kd) + 1023) << 52;
  return p * std::bit_cast<double>(bits) - 1.0;
}

// expMinus1 over a forecast's steps: a separate loop without branches, so the compiler
// vectorises it and the polynomials of different steps overlap instead of one exp's latency
// per step. Cloned for AVX2 (4 steps per instruction) and picked at load time; without FMA the
// AVX2 clone rounds exactly as the SSE2 one, so forecasts do not depend on the machine.
TSO_AVX2_CLONES void expMinus1All(double* v, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) v[k] = expMinus1(v[k]);
}

// base[a] += coef[j * stride + a] * x[j] over the features j < S, for irls::kAnchorLanes fitted
// horizons a at once (those past the real ones read the next row or the padding and are never
// used). A fixed lane count vectorises; the AVX2 clone has no FMA, so each product and sum
// rounds as in the default one and the forecast does not depend on the machine.
TSO_AVX2_CLONES void dotAnchorLanes(const float* coef, std::size_t stride, const double* x, std::size_t S,
                                    double* base) {
  for (std::size_t j = 0; j < S; ++j) {
    const double xj = x[j];
    const float* cj = coef + j * stride;
    for (std::size_t a = 0; a < irls::kAnchorLanes; ++a) base[a] += cj[a] * xj;
  }
}

// The coefficients of horizon h from those of the fitted horizons: a fitted one's own, or
// linear between the two around it; empty when nothing was fitted or h is past the last.
std::vector<float> interpolated(const std::vector<float>& coef, const std::vector<std::uint16_t>& anchors,
                                std::size_t F, int h) {
  if (coef.empty() || h < 1) return {};
  const auto hi = static_cast<std::size_t>(std::lower_bound(anchors.begin(), anchors.end(), h) - anchors.begin());
  if (hi == anchors.size()) return {};
  const std::size_t nA = anchors.size();  // coef is feature-major: coef[j * nA + anchor]
  std::vector<float> c(F);
  if (anchors[hi] == h || hi == 0) {
    for (std::size_t j = 0; j < F; ++j) c[j] = coef[j * nA + hi];
    return c;
  }
  const std::size_t lo = hi - 1;
  const double f = static_cast<double>(h - anchors[lo]) / static_cast<double>(anchors[hi] - anchors[lo]);
  for (std::size_t j = 0; j < F; ++j) c[j] = static_cast<float>((1.0 - f) * coef[j * nA + lo] + f * coef[j * nA + hi]);
  return c;
}

}  // namespace

LogRegressionModel::LogRegressionModel(int day, int horizon)
    : day_(std::max(0, day)), horizon_(std::clamp(horizon, 1, 65535)) {
  if (day_ > 0) {
    nb_ = static_cast<std::size_t>(std::min(day_, kMaxProfileBuckets));
    bucketWidth_ = static_cast<double>(day_) / static_cast<double>(nb_);
    if (static_cast<std::size_t>(day_) % nb_ == 0) wholeWidth_ = static_cast<std::size_t>(day_) / nb_;
    gamma_ = kProfileGamma;
  }
  reset({});
}

std::size_t LogRegressionModel::minHistory() const {
  const auto warm = static_cast<std::size_t>(std::max(day_, kLags.back() + 1));
  return warm + kMinRows + static_cast<std::size_t>(horizon_);
}

std::size_t LogRegressionModel::bucketOfPhase(std::size_t phase) const {
  return std::min(nb_ - 1, static_cast<std::size_t>(static_cast<double>(phase) / bucketWidth_));
}

void LogRegressionModel::reset(std::span<const double> history) {
  const double first = history.empty() ? 0.0 : logOf(history.front());
  ring_.fill(static_cast<float>(first));
  level_.fill(first);
  profile_.assign(nb_, std::numeric_limits<float>::quiet_NaN());
  pendingSum_ = 0;
  pendingCount_ = 0;
  pendingBucket_ = 0;
  offset_ = 0;
  nextPhase_ = {0, 0, nb_ > 0 ? firstPhaseOf(1) : 0};
  t_ = 0;
  next_ = forecastFirst(nullptr);
}

void LogRegressionModel::update(double y) {
  updateLog(logOf(y));
  next_ = forecastFirst(nullptr);
}

void LogRegressionModel::updateLog(double ly) {
  if (t_ == 0) {
    ring_.fill(static_cast<float>(ly));
    level_.fill(ly);
  } else {
    for (std::size_t j = 0; j < kAlphas.size(); ++j) level_[j] += kAlphas[j] * (ly - level_[j]);
  }
  ring_[t_ & (kRing - 1)] = static_cast<float>(ly);
  if (nb_ > 0) {
    // A bucket learns the mean of a visit when the visit ends, so while it is being visited
    // it still holds the previous days' value: the profile features compare today with the
    // past, not with itself.
    if (nextPhase_.bucket != pendingBucket_ && pendingCount_ > 0) commitPending();
    pendingBucket_ = nextPhase_.bucket;
    if (const float p = profile_[pendingBucket_]; !std::isnan(p))
      offset_ += kOffsetAlpha * std::clamp(ly - p - offset_, -kOffsetStep, kOffsetStep);
    advance(nextPhase_);
    pendingSum_ += ly;
    ++pendingCount_;
  }
  ++t_;
}

void LogRegressionModel::commitPending() {
  const double mean = pendingSum_ / pendingCount_;
  float& p = profile_[pendingBucket_];
  p = std::isnan(p) ? static_cast<float>(mean) : static_cast<float>(p + gamma_ * (mean - p));
  pendingSum_ = 0;
  pendingCount_ = 0;
}

void LogRegressionModel::sharedFeatures(double* x) const {
  const double last = lag(0);
  std::size_t j = 0;
  x[j++] = 1.0;
  for (int k : kLags) x[j++] = last - lag(k);
  for (double l : level_) x[j++] = l - last;
  if (nb_ > 0) {
    const float p = profile_[pendingBucket_];
    x[j++] = std::isnan(p) ? 0.0 : static_cast<double>(p) + offset_ - last;
  }
}

std::size_t LogRegressionModel::firstPhaseOf(std::size_t bucket) const {
  // The smallest phase bucketOfPhase() puts in `bucket` or later (day_ when there is none):
  // computed with bucketOfPhase() itself, so walking phases agrees with it exactly.
  const auto day = static_cast<std::size_t>(day_);
  if (bucket >= nb_) return day;
  if (wholeWidth_ > 0) return bucket * wholeWidth_;
  auto p = std::min(day - 1, static_cast<std::size_t>(std::ceil(static_cast<double>(bucket) * bucketWidth_)));
  while (p > 0 && bucketOfPhase(p - 1) >= bucket) --p;
  while (p < day && bucketOfPhase(p) < bucket) ++p;
  return p;
}

void LogRegressionModel::advance(PhaseCursor& c) const {
  if (++c.phase == static_cast<std::size_t>(day_)) {
    c = {0, 0, firstPhaseOf(1)};
  } else if (c.phase == c.nextStart) {
    ++c.bucket;
    c.nextStart = firstPhaseOf(c.bucket + 1);
  }
}

double LogRegressionModel::profileValue(std::size_t bucket, double last) const {
  const float p = profile_[bucket];
  return std::isnan(p) ? last : static_cast<double>(p);
}

void LogRegressionModel::prefetch() const {
  prefetchBytes(coef_.data(), coef_.size() * sizeof(float));
  if (nb_ > 0)
    prefetchBytes(profile_.data() + pendingBucket_, std::min<std::size_t>(16, nb_ - pendingBucket_) * sizeof(float));
}

void LogRegressionModel::forecast(std::span<double> out) const { forecastFirst(out.data(), out.size()); }

double LogRegressionModel::forecastFirst(double* out, std::size_t steps) const {
  const double last = lag(0);
  std::array<double, 1> first{};
  if (!out) {  // just the first step
    out = first.data();
    steps = 1;
  }
  const std::size_t H = std::min(steps, static_cast<std::size_t>(horizon_));
  if (coef_.empty()) {
    const double v = std::max(0.0, std::expm1(last));
    std::fill(out, out + steps, v);
    return v;
  }
  // The shared features' dot product at each fitted horizon (a handful), then per step the
  // profile's part and a linear blend of the two fitted horizons around it: the same as
  // interpolating the coefficients, without a coefficient row per step to read.
  std::array<double, kMaxFeatures> x{};
  sharedFeatures(x.data());
  const std::size_t S = shared();
  // Only the fitted horizons up to the first at or beyond H are used (next(): just the first).
  std::size_t A = 0;
  while (A < anchors_.size() && (A == 0 || static_cast<std::size_t>(anchors_[A - 1]) < H)) ++A;
  // Feature-major over the fitted horizons: A independent sums in flight instead of one
  // dependent chain at a time (each sum keeps its own order, so the result is the same).
  // coef_ is feature-major, so each feature's coefficients for the fitted horizons are
  // contiguous and this loop vectorises across them.
  const std::size_t nA = anchors_.size();
  std::array<double, kMaxAnchors> base{};
  if (nA <= irls::kAnchorLanes) {
    dotAnchorLanes(coef_.data(), nA, x.data(), S, base.data());  // lanes past A are not read
  } else {
    for (std::size_t j = 0; j < S; ++j) {
      const double xj = x[j];
      const float* cj = &coef_[j * nA];
      for (std::size_t a = 0; a < A; ++a) base[a] += cj[a] * xj;
    }
  }
  // Each fitted horizon's profile coefficient, so the step loop reads no coefficient row.
  std::array<double, kMaxAnchors> pc{};
  if (nb_ > 0) {
    for (std::size_t a = 0; a < A; ++a) pc[a] = coef_[S * nA + a];
  }
  // out[h - 1] first holds the profile's change from now to step h: the phase walks one
  // bucket at a time (a run of steps shares a bucket), without a division per step.
  if (nb_ > 0) {
    const auto day = static_cast<std::size_t>(std::max(day_, 1));
    PhaseCursor c{nextPhase_.phase == 0 ? day - 1 : nextPhase_.phase - 1, pendingBucket_,
                  firstPhaseOf(pendingBucket_ + 1)};  // the newest sample's
    const double now = profileValue(c.bucket, last);
    for (std::size_t h = 0; h < H;) {
      advance(c);
      const double d = profileValue(c.bucket, last) - now;
      const std::size_t run = std::min(H - h, c.nextStart > c.phase ? c.nextStart - c.phase : std::size_t{1});
      std::fill(out + h, out + h + run, d);
      h += run;
      c.phase += run - 1;  // the run's last phase: the next advance() leaves the bucket
    }
  } else {
    std::fill(out, out + H, 0.0);
  }
  // Step h blends fitted horizons lo = hi - 1 and hi with weight f on hi; at or before the
  // first fitted horizon it takes that one alone (f = 1). One segment between two fitted
  // horizons at a time, so the step loop carries no test for the next segment.
  for (std::size_t hi = 0, h = 1; h <= H; ++hi) {
    const std::size_t lo = hi > 0 ? hi - 1 : 0;
    const std::size_t end = std::min<std::size_t>(H, anchors_[hi]);
    const double inv = hi > 0 ? 1.0 / static_cast<double>(anchors_[hi] - anchors_[lo]) : 0.0;
    const double bl = base[lo], bh = base[hi], pl = pc[lo], ph = pc[hi];
    const auto alo = static_cast<std::size_t>(anchors_[lo]);
    for (; h <= end; ++h) {
      const double f = hi > 0 ? static_cast<double>(h - alo) * inv : 1.0;
      const double d = out[h - 1];
      const double z = (1.0 - f) * (bl + pl * d) + f * (bh + ph * d);
      // The log forecast, exponentiated below; below 0 it is a forecast below zero requests.
      out[h - 1] = std::clamp(last + std::clamp(z, -kMaxLogChange, kMaxLogChange), 0.0, 700.0);
    }
  }
  expMinus1All(out, H);
  for (std::size_t k = H; k < steps; ++k) out[k] = H > 0 ? out[H - 1] : std::max(0.0, std::expm1(last));
  return H > 0 ? out[0] : 0.0;
}

void LogRegressionModel::fit(std::span<const double> history, const FitOptions& options) {
  fitCoefficients(history, options);
  next_ = forecastFirst(nullptr);
}

void LogRegressionModel::fitCoefficients(std::span<const double> history, const FitOptions& options) {
  reset(history);
  // A refit starts its search from the previous fit (the Forecaster refits daily through
  // validation, then on the whole history: the windows overlap by 6 days in 7).
  const std::vector<float> previousCoef = std::move(coef_);
  const std::vector<std::uint16_t> previousAnchors = std::move(anchors_);
  coef_.clear();
  anchors_.clear();
  const std::size_t n = history.size();
  const std::size_t F = features();
  const std::size_t S = shared();  // features every horizon shares; F - S = the profile change
  const bool profiled = F > S;
  const std::vector<int> anchors = irls::anchorHorizons(horizon_, options.horizons, kMaxAnchors);
  const std::size_t A = anchors.size();
  const auto longest = static_cast<std::size_t>(anchors.back());

  // Training origins: the last week (at least 2,000 samples), after the profile has seen a
  // whole day and the longest lag exists, and whose targets at every fitted horizon exist;
  // strided to at most kMaxRows.
  const auto warm = static_cast<std::size_t>(std::max(day_, kLags.back() + 1));
  const std::size_t window = std::max<std::size_t>(day_ > 0 ? 7 * static_cast<std::size_t>(day_) : 0, 2000);
  const std::size_t end = n + 1 > longest ? n + 1 - longest : 0;  // origins i < end have every target
  const std::size_t first = std::max(warm + 1, end > window ? end - window : 0);
  const std::size_t stride = first < end ? std::max<std::size_t>(1, (end - first + kMaxRows - 1) / kMaxRows) : 1;

  // One replay records, per origin i (state after history[0, i)), the shared features, the
  // level weight and, per fitted horizon, the target and the profile's change to it. The
  // per-horizon rows are padded to L lanes (zeros), so the IRLS sums run over whole lanes.
  const std::size_t L = irls::lanesFor(A);
  // Sized for every row up front and written in place, padding included (not zeroed first:
  // ~1 MB a fit).
  const std::size_t rows = first < end ? (end - first + stride - 1) / stride : 0;
  const auto X = std::make_unique_for_overwrite<double[]>(rows * irls::kFeatureStride);  // [row][irls::kFeatureStride]
  const auto T = std::make_unique_for_overwrite<double[]>(rows * L);  // [row][L]: log change to the target
  // [row][L]: the profile's change from now to the target
  const auto Pc = std::make_unique_for_overwrite<double[]>(profiled ? rows * L : 0);
  std::vector<double> W0(rows);  // [row]: level + 1, so the loss is absolute error in requests
  std::vector<double> logs(n);
  for (std::size_t i = 0; i < n; ++i) logs[i] = logOf(history[i]);
  // Per fitted horizon, how far ahead its target's phase is (mod a day), and each phase's
  // bucket: the replay then needs no division per row.
  const auto day = static_cast<std::size_t>(std::max(day_, 1));
  std::vector<std::size_t> ahead(A);
  std::vector<std::uint16_t> bucketOf;
  if (profiled) {
    for (std::size_t a = 0; a < A; ++a) ahead[a] = static_cast<std::size_t>(anchors[a]) % day;
    bucketOf.resize(day);
    for (std::size_t p = 0; p < day; ++p) bucketOf[p] = static_cast<std::uint16_t>(bucketOfPhase(p));
  }
  for (std::size_t i = 0, next = first, r = 0; i < n; ++i) {
    if (i == next && i < end) {
      next += stride;
      double* x = &X[r * irls::kFeatureStride];
      sharedFeatures(x);
      std::fill(x + S, x + irls::kFeatureStride, 0.0);
      const double last = lag(0);
      W0[r] = std::max(history[i - 1], 0.0) + 1.0;
      double* t = &T[r * L];
      for (std::size_t a = 0; a < A; ++a) t[a] = logs[i - 1 + static_cast<std::size_t>(anchors[a])] - last;
      std::fill(t + A, t + L, 0.0);
      if (profiled) {
        const double now = profileValue(pendingBucket_, last);
        const std::size_t newest = nextPhase_.phase == 0 ? day - 1 : nextPhase_.phase - 1;  // sample i - 1's
        double* pc = &Pc[r * L];
        for (std::size_t a = 0; a < A; ++a) {
          std::size_t phase = newest + ahead[a];
          if (phase >= day) phase -= day;
          pc[a] = profileValue(bucketOf[phase], last) - now;
        }
        std::fill(pc + A, pc + L, 0.0);
      }
      ++r;
    }
    updateLog(logs[i]);
  }
  if (rows < kMinRows) return;  // too little history: coef_ stays empty, the forecast is naive

  // Least absolute deviation by iteratively reweighted least squares (irls.h); a refit starts
  // from the previous coefficients.
  const irls::Rows data{X.get(), T.get(), profiled ? Pc.get() : nullptr, rows, S, L};
  std::vector<double> beta(F * L, 0.0);  // [feature][lane]: the layout the residuals read
  if (!previousCoef.empty()) {
    for (std::size_t a = 0; a < A; ++a) {
      const std::vector<float> c = interpolated(previousCoef, previousAnchors, F, anchors[a]);
      for (std::size_t j = 0; j < F; ++j) beta[j * L + a] = c[j];
    }
  }
  irls::fitLad(data, A, W0, beta, !previousCoef.empty());

  // Only the fitted horizons are kept (the others interpolate, see forecastFirst()), feature-major,
  // with irls::kAnchorLanes zeros after them so the forecast may read a whole lane group past any row.
  coef_.assign(A * F + irls::kAnchorLanes, 0.0F);
  for (std::size_t a = 0; a < A; ++a) {
    for (std::size_t j = 0; j < F; ++j) coef_[j * A + a] = static_cast<float>(beta[j * L + a]);
  }
  anchors_.assign(anchors.begin(), anchors.end());
}

std::vector<float> LogRegressionModel::coefficients(int h) const {
  return interpolated(coef_, anchors_, features(), h);
}

std::size_t LogRegressionModel::stateBytes() const {
  return sizeof(*this) + profile_.capacity() * sizeof(float) + coef_.capacity() * sizeof(float) +
         anchors_.capacity() * sizeof(anchors_[0]);
}

}  // namespace tso::predictor

#include "predictor/regression.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace tso::predictor {
namespace {

constexpr int kMaxProfileBuckets = 288;  // 5-minute buckets on minute data
constexpr double kProfileGamma = 0.3;    // weight of a new day's value in its bucket
constexpr double kMaxLogChange = 3.0;    // a forecast never leaves [y / 20, y * 20]
constexpr int kIrlsIterations = 20;      // from least squares: LAD by reweighting converges slowly
constexpr int kWarmIrlsIterations = 6;   // from the previous fit's coefficients
constexpr std::size_t kColdRowStep = 4;  // a cold start's first iterations use every 4th row
constexpr std::size_t kMaxRows = 4000;    // training rows per horizon (strided beyond that)
constexpr std::size_t kMinRows = 200;

double logOf(double y) { return std::log1p(std::max(y, 0.0)); }

// exp(x) - 1 for the forecast (x clamped to +-700): range reduction to r = x - k ln 2 with
// |r| <= ln 2 / 2 and a degree-12 Taylor polynomial (relative error < 1e-15), without the
// special cases of std::expm1 and without branches, so the tick's loop over the steps of a
// forecast has no call in it.
inline double expMinus1(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 0.6931471803691238;
  constexpr double kLn2Lo = 1.9082149292705877e-10;
  constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  x = std::min(std::max(x, -700.0), 700.0);
  const double kd = x * kLog2e + kRound;  // its low mantissa bits hold 2^51 + k
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

// The horizons fitted directly; the others interpolate their coefficients (they change
// smoothly with the horizon, and each fitted horizon costs an IRLS solve).
std::vector<int> anchorHorizons(int horizon, const std::vector<int>& focus, std::size_t maxAnchors) {
  std::vector<int> a;
  for (int h : {1, 3, 8, 15, 30, 60, 120}) {
    if (h < horizon) a.push_back(h);
  }
  a.push_back(horizon);
  for (int h : focus) {
    if (a.size() < maxAnchors && h >= 1 && h <= horizon && std::find(a.begin(), a.end(), h) == a.end()) a.push_back(h);
  }
  std::sort(a.begin(), a.end());
  return a;
}

// Solves (A + ridge) x = b for a symmetric positive semi-definite A (n <= kMaxFeatures) by
// Cholesky; the small ridge keeps collinear features (a flat profile) solvable.
bool solveSymmetric(std::vector<double>& A, std::vector<double>& b, std::size_t n) {
  double trace = 0;
  for (std::size_t i = 0; i < n; ++i) trace += A[i * n + i];
  const double ridge = 1e-6 * trace / static_cast<double>(n) + 1e-12;
  for (std::size_t i = 0; i < n; ++i) A[i * n + i] += ridge;
  for (std::size_t j = 0; j < n; ++j) {
    double d = A[j * n + j];
    for (std::size_t k = 0; k < j; ++k) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    A[j * n + j] = d;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = A[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / d;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // L y = b
    double s = b[i];
    for (std::size_t k = 0; k < i; ++k) s -= A[i * n + k] * b[k];
    b[i] = s / A[i * n + i];
  }
  for (std::size_t i = n; i-- > 0;) {  // L^T x = y
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= A[k * n + i] * b[k];
    b[i] = s / A[i * n + i];
  }
  return std::all_of(b.begin(), b.begin() + static_cast<long>(n), [](double v) { return std::isfinite(v); });
}

// The coefficients of horizon h from those of the fitted horizons: a fitted one's own, or
// linear between the two around it; empty when nothing was fitted or h is past the last.
std::vector<float> interpolated(const std::vector<float>& coef, const std::vector<std::uint16_t>& anchors,
                                std::size_t F, int h) {
  if (coef.empty() || h < 1) return {};
  const auto hi = static_cast<std::size_t>(std::lower_bound(anchors.begin(), anchors.end(), h) - anchors.begin());
  if (hi == anchors.size()) return {};
  if (anchors[hi] == h || hi == 0) {
    return {coef.begin() + static_cast<long>(hi * F), coef.begin() + static_cast<long>((hi + 1) * F)};
  }
  const std::size_t lo = hi - 1;
  const double f = static_cast<double>(h - anchors[lo]) / static_cast<double>(anchors[hi] - anchors[lo]);
  std::vector<float> c(F);
  for (std::size_t j = 0; j < F; ++j) c[j] = static_cast<float>((1.0 - f) * coef[lo * F + j] + f * coef[hi * F + j]);
  return c;
}

}  // namespace

LogRegressionModel::LogRegressionModel(int day, int horizon)
    : day_(std::max(0, day)), horizon_(std::clamp(horizon, 1, 65535)) {
  if (day_ > 0) {
    nb_ = static_cast<std::size_t>(std::min(day_, kMaxProfileBuckets));
    bucketWidth_ = static_cast<double>(day_) / static_cast<double>(nb_);
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
  t_ = 0;
}

void LogRegressionModel::update(double y) { updateLog(logOf(y)); }

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
    const std::size_t b = bucketOfPhase(t_ % static_cast<std::size_t>(day_));
    if (b != pendingBucket_ && pendingCount_ > 0) commitPending();
    pendingBucket_ = b;
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

void LogRegressionModel::baseFeatures(double* x) const {
  const double last = lag(0);
  std::size_t j = 0;
  x[j++] = 1.0;
  for (int k : kLags) x[j++] = last - lag(k);
  for (double l : level_) x[j++] = l - last;
}

std::size_t LogRegressionModel::firstPhaseOf(std::size_t bucket) const {
  // The smallest phase bucketOfPhase() puts in `bucket` or later (day_ when there is none):
  // computed with bucketOfPhase() itself, so walking phases agrees with it exactly.
  const auto day = static_cast<std::size_t>(day_);
  if (bucket >= nb_) return day;
  if (static_cast<std::size_t>(day_) % nb_ == 0) return bucket * (static_cast<std::size_t>(day_) / nb_);  // whole-sample buckets
  auto p = std::min(day - 1, static_cast<std::size_t>(std::ceil(static_cast<double>(bucket) * bucketWidth_)));
  while (p > 0 && bucketOfPhase(p - 1) >= bucket) --p;
  while (p < day && bucketOfPhase(p) < bucket) ++p;
  return p;
}

double LogRegressionModel::profileAt(std::size_t phase, double last) const {
  const float p = profile_[bucketOfPhase(phase)];
  return std::isnan(p) ? last : static_cast<double>(p);
}

// z at the fitted horizon `a`: the shared features' part (base) plus the profile's.
double LogRegressionModel::logChange(std::size_t a, double base, double profileChange, double profileGap) const {
  if (nb_ == 0) return base;
  const float* c = coef_.data() + a * features();
  return base + c[kBase] * profileChange + c[kBase + 1] * profileGap;
}

double LogRegressionModel::next() const { return forecastFirst(nullptr); }

void LogRegressionModel::forecast(std::span<double> out) const { forecastFirst(out.data(), out.size()); }

double LogRegressionModel::forecastFirst(double* out, std::size_t steps) const {
  const double last = lag(0);
  const std::size_t H = out ? std::min(steps, static_cast<std::size_t>(horizon_)) : 1;
  if (coef_.empty()) {
    const double v = std::max(0.0, std::expm1(last));
    if (out) std::fill(out, out + steps, v);
    return v;
  }
  // The shared features' dot product at each fitted horizon (a handful), then per step the
  // profile's part and a linear blend of the two fitted horizons around it: the same as
  // interpolating the coefficients, without a coefficient row per step to read.
  std::array<double, kBase> x{};
  baseFeatures(x.data());
  const std::size_t F = features();
  std::array<double, kMaxAnchors> base{};
  // Only the fitted horizons up to the first at or beyond H are used (next(): just the first).
  std::size_t A = 0;
  while (A < anchors_.size() && (A == 0 || static_cast<std::size_t>(anchors_[A - 1]) < H)) ++A;
  for (std::size_t a = 0; a < A; ++a) {
    const float* c = coef_.data() + a * F;
    double z = 0;
    for (std::size_t j = 0; j < kBase; ++j) z += c[j] * x[j];
    base[a] = z;
  }
  // The phase walks one sample per step: no division per step.
  const auto day = static_cast<std::size_t>(std::max(day_, 1));
  std::size_t phase = nb_ > 0 ? (t_ - 1) % day : 0;
  std::size_t bucket = nb_ > 0 ? bucketOfPhase(phase) : 0;
  std::size_t nextStart = nb_ > 0 ? firstPhaseOf(bucket + 1) : 0;  // where the next bucket begins
  auto valueAt = [&](std::size_t b) {
    const float v = profile_[b];
    return std::isnan(v) ? last : static_cast<double>(v);
  };
  const double now = nb_ > 0 ? valueAt(bucket) : 0.0;
  std::size_t hi = 0;
  for (std::size_t h = 1; h <= H; ++h) {
    double then = 0;
    if (nb_ > 0) {
      if (++phase == day) {
        phase = 0;
        bucket = 0;
        nextStart = firstPhaseOf(1);
      } else if (phase == nextStart) {
        ++bucket;
        nextStart = firstPhaseOf(bucket + 1);
      }
      then = valueAt(bucket);
    }
    while (hi + 1 < A && static_cast<std::size_t>(anchors_[hi]) < h) ++hi;
    double z = logChange(hi, base[hi], then - now, then - last);
    if (static_cast<std::size_t>(anchors_[hi]) != h && hi > 0) {
      const std::size_t lo = hi - 1;
      const double f = static_cast<double>(h - anchors_[lo]) / static_cast<double>(anchors_[hi] - anchors_[lo]);
      z = (1.0 - f) * logChange(lo, base[lo], then - now, then - last) + f * z;
    }
    z = std::clamp(z, -kMaxLogChange, kMaxLogChange);
    if (!out) return std::max(0.0, expMinus1(last + z));
    out[h - 1] = last + z;  // the log forecast; exponentiated below in one tight loop
  }
  // A separate loop without branches: the compiler vectorises it and the polynomials of
  // different steps overlap, instead of one exp's latency per step.
  for (std::size_t k = 0; k < H; ++k) out[k] = std::max(0.0, expMinus1(out[k]));
  for (std::size_t k = H; k < steps; ++k) out[k] = H > 0 ? out[H - 1] : std::max(0.0, std::expm1(last));
  return H > 0 ? out[0] : 0.0;
}

void LogRegressionModel::fit(std::span<const double> history, const FitOptions& options) {
  reset(history);
  // A refit starts its search from the previous fit (the Forecaster refits daily through
  // validation, then on the whole history: the windows overlap by 6 days in 7).
  const std::vector<float> previousCoef = std::move(coef_);
  const std::vector<std::uint16_t> previousAnchors = std::move(anchors_);
  coef_.clear();
  anchors_.clear();
  const std::size_t n = history.size();
  const std::size_t F = features();
  const std::vector<int> anchors = anchorHorizons(horizon_, options.horizons, kMaxAnchors);
  const std::size_t A = anchors.size();

  // Training origins: the last week (at least 2,000 samples), after the profile has seen a
  // whole day and the longest lag exists; strided to at most kMaxRows.
  const auto warm = static_cast<std::size_t>(std::max(day_, kLags.back() + 1));
  const std::size_t window = std::max<std::size_t>(day_ > 0 ? 7 * static_cast<std::size_t>(day_) : 0, 2000);
  const std::size_t first = std::max(warm + 1, n > window ? n - window : 0);
  const std::size_t stride = first < n ? std::max<std::size_t>(1, (n - first + kMaxRows - 1) / kMaxRows) : 1;

  // One replay records, per origin i (state after history[0, i)), the shared features, the
  // newest value and, per anchor horizon, the profile at the target.
  std::vector<double> base;
  std::vector<double> lastLog;
  std::vector<double> weight;
  std::vector<double> profileNow;
  std::vector<double> profileThen;  // [row][anchor]
  std::vector<std::size_t> origin;
  std::array<double, kBase> x{};
  std::vector<double> logs(n);
  for (std::size_t i = 0; i < n; ++i) logs[i] = logOf(history[i]);
  for (std::size_t i = 0; i < n; ++i) {
    if (i >= first && (i - first) % stride == 0 && i + 1 < n) {
      baseFeatures(x.data());
      base.insert(base.end(), x.begin(), x.end());
      const double last = lag(0);
      lastLog.push_back(last);
      weight.push_back(std::max(history[i - 1], 0.0) + 1.0);
      origin.push_back(i);
      if (nb_ > 0) {
        const auto day = static_cast<std::size_t>(day_);
        profileNow.push_back(profileAt((i - 1) % day, last));
        for (int h : anchors) profileThen.push_back(profileAt((i - 1 + static_cast<std::size_t>(h)) % day, last));
      }
    }
    updateLog(logs[i]);
  }
  const std::size_t rows = origin.size();
  if (rows < kMinRows) return;  // too little history: coef_ stays empty, the forecast is naive

  std::vector<float> anchorCoef(A * F, 0.0F);
  std::vector<double> X;
  std::vector<double> T;
  std::vector<double> W0;
  std::vector<double> w;
  std::vector<double> M(F * F);
  std::vector<double> b(F);
  for (std::size_t a = 0; a < A; ++a) {
    const auto h = static_cast<std::size_t>(anchors[a]);
    X.clear();
    T.clear();
    W0.clear();
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t target = origin[r] - 1 + h;
      if (target >= n) continue;
      X.insert(X.end(), base.begin() + static_cast<long>(r * kBase), base.begin() + static_cast<long>((r + 1) * kBase));
      if (nb_ > 0) {
        const double then = profileThen[r * A + a];
        X.push_back(then - profileNow[r]);
        X.push_back(then - lastLog[r]);
      }
      T.push_back(logs[target] - lastLog[r]);
      W0.push_back(weight[r]);
    }
    const std::size_t m = T.size();
    if (m < kMinRows) continue;  // this horizon keeps zero coefficients: naive
    // Least absolute deviation by iteratively reweighted least squares: each row's weight is
    // its level over |residual|. Rows r = 0, step, 2 step, ... take part.
    auto reweight = [&](const std::vector<double>& beta, std::size_t step) {
      double meanAbs = 0;
      std::size_t used = 0;
      for (std::size_t r = 0; r < m; r += step) {
        double z = 0;
        for (std::size_t j = 0; j < F; ++j) z += beta[j] * X[r * F + j];
        w[r] = std::abs(T[r] - z);
        meanAbs += w[r];
        ++used;
      }
      const double eps = 1e-3 * meanAbs / static_cast<double>(used) + 1e-9;
      for (std::size_t r = 0; r < m; r += step) w[r] = W0[r] / std::max(w[r], eps);
    };
    auto iterate = [&](std::vector<double>& beta, std::size_t step, int iterations) {
      for (int it = 0; it < iterations; ++it) {
        std::fill(M.begin(), M.end(), 0.0);
        std::fill(b.begin(), b.end(), 0.0);
        for (std::size_t r = 0; r < m; r += step) {
          const double* xr = &X[r * F];
          const double wr = w[r];
          for (std::size_t i = 0; i < F; ++i) {
            const double wx = wr * xr[i];
            b[i] += wx * T[r];
            for (std::size_t j = 0; j <= i; ++j) M[i * F + j] += wx * xr[j];
          }
        }
        for (std::size_t i = 0; i < F; ++i) {
          for (std::size_t j = i + 1; j < F; ++j) M[i * F + j] = M[j * F + i];
        }
        if (!solveSymmetric(M, b, F)) return;
        beta.assign(b.begin(), b.begin() + static_cast<long>(F));
        reweight(beta, step);
      }
    };
    std::vector<double> beta(F, 0.0);
    w = W0;
    if (!previousCoef.empty()) {
      const std::vector<float> c = interpolated(previousCoef, previousAnchors, F, static_cast<int>(h));
      std::copy(c.begin(), c.end(), beta.begin());
    } else {
      // Cold: most iterations on a quarter of the rows, to get near the solution cheaply.
      iterate(beta, kColdRowStep, kIrlsIterations - kWarmIrlsIterations);
    }
    reweight(beta, 1);
    iterate(beta, 1, kWarmIrlsIterations);
    for (std::size_t j = 0; j < F; ++j) anchorCoef[a * F + j] = static_cast<float>(beta[j]);
  }

  // Only the fitted horizons are kept: the others interpolate (see forecastFirst()).
  coef_ = std::move(anchorCoef);
  anchors_.assign(anchors.begin(), anchors.end());
}

std::vector<float> LogRegressionModel::coefficients(int h) const { return interpolated(coef_, anchors_, features(), h); }

std::size_t LogRegressionModel::stateBytes() const {
  return sizeof(*this) + profile_.capacity() * sizeof(float) + coef_.capacity() * sizeof(float) +
         anchors_.capacity() * sizeof(anchors_[0]);
}

}  // namespace tso::predictor

#include "predictor/regression.h"

#include <algorithm>
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

// The horizons fitted directly; the others interpolate their coefficients (they change
// smoothly with the horizon, and each fitted horizon costs an IRLS solve).
std::vector<int> anchorHorizons(int horizon, const std::vector<int>& focus) {
  std::vector<int> a;
  for (int h : {1, 3, 8, 15, 30, 60, 120}) {
    if (h <= horizon) a.push_back(h);
  }
  a.push_back(horizon);
  for (int h : focus) {
    if (h >= 1 && h <= horizon) a.push_back(h);
  }
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
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

}  // namespace

LogRegressionModel::LogRegressionModel(int day, int horizon)
    : day_(std::max(0, day)), horizon_(std::max(1, horizon)) {
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

std::size_t LogRegressionModel::bucketOf(std::size_t t) const {
  const auto phase = static_cast<double>(t % static_cast<std::size_t>(day_));
  return std::min(nb_ - 1, static_cast<std::size_t>(phase / bucketWidth_));
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
    const std::size_t b = bucketOf(t_);
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

double LogRegressionModel::forecastAt(int h, const double* base) const {
  const double last = lag(0);
  const std::size_t F = features();
  if (coef_.empty()) return std::max(0.0, std::expm1(last));
  const float* c = coef_.data() + static_cast<std::size_t>(h - 1) * F;
  double z = 0;
  for (std::size_t j = 0; j < kBase; ++j) z += c[j] * base[j];
  if (nb_ > 0) {
    auto value = [&](std::size_t t) {
      const float p = profile_[bucketOf(t)];
      return std::isnan(p) ? last : static_cast<double>(p);
    };
    const double now = value(t_ - 1);
    const double then = value(t_ - 1 + static_cast<std::size_t>(h));
    z += c[kBase] * (then - now) + c[kBase + 1] * (then - last);
  }
  z = std::clamp(z, -kMaxLogChange, kMaxLogChange);
  return std::max(0.0, std::expm1(last + z));
}

double LogRegressionModel::next() const {
  std::array<double, kBase> x{};
  baseFeatures(x.data());
  return forecastAt(1, x.data());
}

void LogRegressionModel::forecast(std::span<double> out) const {
  std::array<double, kBase> x{};
  baseFeatures(x.data());
  const std::size_t H = std::min(out.size(), static_cast<std::size_t>(horizon_));
  for (std::size_t h = 1; h <= H; ++h) out[h - 1] = forecastAt(static_cast<int>(h), x.data());
  for (std::size_t k = H; k < out.size(); ++k) out[k] = H > 0 ? out[H - 1] : std::max(0.0, std::expm1(lag(0)));
}

void LogRegressionModel::fit(std::span<const double> history, const FitOptions& options) {
  reset(history);
  // A refit starts its search from the previous fit (the Forecaster refits daily through
  // validation, then on the whole history: the windows overlap by 6 days in 7).
  const std::vector<float> previous = std::move(coef_);
  coef_.clear();
  const std::size_t n = history.size();
  const std::size_t F = features();
  const std::vector<int> anchors = anchorHorizons(horizon_, options.horizons);
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
  std::vector<double> profileAt;  // [row][anchor]
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
        auto value = [&](std::size_t t) {
          const float p = profile_[bucketOf(t)];
          return std::isnan(p) ? last : static_cast<double>(p);
        };
        profileNow.push_back(value(i - 1));
        for (int h : anchors) profileAt.push_back(value(i - 1 + static_cast<std::size_t>(h)));
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
        const double then = profileAt[r * A + a];
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
    if (previous.size() == static_cast<std::size_t>(horizon_) * F) {
      std::copy_n(previous.begin() + static_cast<long>((h - 1) * F), F, beta.begin());
    } else {
      // Cold: most iterations on a quarter of the rows, to get near the solution cheaply.
      iterate(beta, kColdRowStep, kIrlsIterations - kWarmIrlsIterations);
    }
    reweight(beta, 1);
    iterate(beta, 1, kWarmIrlsIterations);
    for (std::size_t j = 0; j < F; ++j) anchorCoef[a * F + j] = static_cast<float>(beta[j]);
  }

  // Every horizon 1..horizon: its anchor's coefficients, or linear between the two around it.
  coef_.assign(static_cast<std::size_t>(horizon_) * F, 0.0F);
  for (int h = 1; h <= horizon_; ++h) {
    const auto hi = static_cast<std::size_t>(std::lower_bound(anchors.begin(), anchors.end(), h) - anchors.begin());
    float* c = coef_.data() + static_cast<std::size_t>(h - 1) * F;
    if (anchors[hi] == h || hi == 0) {
      std::copy_n(anchorCoef.begin() + static_cast<long>(hi * F), F, c);
      continue;
    }
    const std::size_t lo = hi - 1;
    const double f = static_cast<double>(h - anchors[lo]) / static_cast<double>(anchors[hi] - anchors[lo]);
    for (std::size_t j = 0; j < F; ++j) {
      c[j] = static_cast<float>((1.0 - f) * anchorCoef[lo * F + j] + f * anchorCoef[hi * F + j]);
    }
  }
}

std::vector<float> LogRegressionModel::coefficients(int h) const {
  if (coef_.empty() || h < 1 || h > horizon_) return {};
  const std::size_t F = features();
  return {coef_.begin() + static_cast<long>(static_cast<std::size_t>(h - 1) * F),
          coef_.begin() + static_cast<long>(static_cast<std::size_t>(h) * F)};
}

std::size_t LogRegressionModel::stateBytes() const {
  return sizeof(*this) + profile_.capacity() * sizeof(float) + coef_.capacity() * sizeof(float);
}

}  // namespace tso::predictor

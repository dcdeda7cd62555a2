#include "predictor/period.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <numeric>
#include <vector>

namespace tso::predictor {
namespace {

// Iterative radix-2 FFT; `a.size()` must be a power of two.
void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double ang = 2 * std::numbers::pi / static_cast<double>(len) * (inverse ? 1 : -1);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (std::size_t i = 0; i < n; i += len) {
      // Complex products written out: the same arithmetic as std::complex's operator* on
      // finite values, without its NaN-recovery branch in the innermost loop.
      double wr = 1, wi = 0;
      for (std::size_t j = 0; j < len / 2; ++j) {
        const auto u = a[i + j];
        const auto x = a[i + j + len / 2];
        const std::complex<double> v(x.real() * wr - x.imag() * wi, x.real() * wi + x.imag() * wr);
        a[i + j] = u + v;
        a[i + j + len / 2] = u - v;
        const double t = wr * wl.real() - wi * wl.imag();
        wi = wr * wl.imag() + wi * wl.real();
        wr = t;
      }
    }
  }
  if (inverse) {
    for (auto& x : a) x /= static_cast<double>(n);
  }
}

}  // namespace

std::vector<double> autocorrelation(std::span<const double> values, std::size_t maxLag) {
  const std::size_t n = values.size();
  std::vector<double> acf(maxLag + 1, 0.0);
  if (n < 2) return acf;
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  std::size_t size = 1;
  while (size < 2 * n) size <<= 1;
  std::vector<std::complex<double>> a(size);
  for (std::size_t i = 0; i < n; ++i) a[i] = values[i] - mean;
  fft(a, false);
  for (auto& x : a) x = std::norm(x);
  fft(a, true);
  const double c0 = a[0].real();
  if (c0 <= 0) return acf;
  for (std::size_t k = 0; k <= maxLag && k < n; ++k) acf[k] = a[k].real() / c0;
  return acf;
}

std::optional<DetectedPeriod> detectPeriod(std::span<const double> values, int minPeriod, int maxPeriod,
                                           double minStrength) {
  const std::size_t n = values.size();
  if (minPeriod < 2 || maxPeriod < minPeriod || n < 6) return std::nullopt;
  // Long series are averaged down to ~4096 points: the FFT stays cheap and counting noise
  // averages out; the lag is then refined on the full series.
  const std::size_t factor = std::max<std::size_t>(1, (n + 4095) / 4096);
  std::vector<double> coarse(n / factor);
  for (std::size_t i = 0; i < coarse.size(); ++i) {
    double s = 0;
    for (std::size_t j = 0; j < factor; ++j) s += values[i * factor + j];
    coarse[i] = s / static_cast<double>(factor);
  }
  const auto fmin = static_cast<std::size_t>(std::max(2, minPeriod / static_cast<int>(factor)));
  const std::size_t fmax = std::min(static_cast<std::size_t>(maxPeriod) / factor, coarse.size() / 3);
  if (fmax <= fmin + 1) return std::nullopt;
  const auto acf = autocorrelation(coarse, fmax + 1);
  std::size_t bestLag = 0;
  double best = minStrength;
  for (std::size_t k = fmin; k <= fmax; ++k) {
    if (acf[k] > best && acf[k] >= acf[k - 1] && acf[k] >= acf[k + 1]) {
      best = acf[k];
      bestLag = k;
    }
  }
  if (bestLag == 0) return std::nullopt;
  // Refine in original samples around lag * factor with a direct correlation.
  DetectedPeriod out{static_cast<int>(bestLag * factor), best};
  if (factor > 1) {
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
    double var = 0;
    for (double v : values) var += (v - mean) * (v - mean);
    double bestR = -2;
    const std::size_t lo = bestLag * factor - (factor - 1);
    const std::size_t hi = bestLag * factor + (factor - 1);
    for (std::size_t lag = lo; lag <= hi && lag < n; ++lag) {
      double c = 0;
      for (std::size_t i = lag; i < n; ++i) c += (values[i] - mean) * (values[i - lag] - mean);
      const double r = var > 0 ? c / var : 0;
      if (r > bestR) {
        bestR = r;
        out.period = static_cast<int>(lag);
      }
    }
  }
  return out;
}

}  // namespace tso::predictor

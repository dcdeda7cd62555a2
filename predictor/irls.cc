#include "predictor/irls.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "predictor/simd.h"
#include "predictor/vector_lanes.h"

namespace tso::predictor::irls {
namespace {

constexpr int kIrlsIterations = 8;       // from least squares (most on a quarter of the rows)
constexpr int kWarmIrlsIterations = 2;   // from the previous fit's coefficients
constexpr std::size_t kColdRowStep = 4;  // a cold start's first iterations use every 4th row

// The weighted sums of an IRLS step's normal equations: the shared Gram matrix G
// [S][kFeatureStride] (lower triangle; entries past it are not read), and per lane a, sum w x t
// (rhsX [S][L]), and per per-horizon column p (a profile's change), sum w x p (crossP
// [p][S][L]), sum w p q (pp [p][q][L], q <= p) and sum w p t (rhsP [p][L]).
struct IrlsSums {
  IrlsSums(std::size_t S, std::size_t L, std::size_t P)
      : G(S * kFeatureStride), rhsX(S * L), crossP(P * S * L), pp(P * P * L), rhsP(P * L) {}
  std::vector<double> G, rhsX, crossP, pp, rhsP;
};

// The per-horizon columns of the rows: Pc, then Pc2 (only with Pc).
[[gnu::always_inline]] inline std::size_t columns(const Rows& d, std::array<const double*, kMaxColumns>& c) {
  std::size_t P = 0;
  if (d.Pc != nullptr) c[P++] = d.Pc;
  if (d.Pc != nullptr && d.Pc2 != nullptr) c[P++] = d.Pc2;
  return P;
}

// |T - z| for every row r (every step-th) and lane, z = sum_j B[j][a] x[j] (+ B[S + p][a] Pc_p)
// summed in feature order, each lane as a loop over one horizon at a time would sum it.
template <std::size_t L>
[[gnu::always_inline]] inline void residualsOver(const Rows& d, std::size_t step, const double* B, double* res) {
  constexpr std::size_t kV = L / 4;
  const std::size_t S = d.S;
  std::array<const double*, kMaxColumns> pcol{};
  const std::size_t P = columns(d, pcol);
  for (std::size_t r = 0; r < d.rows; r += step) {
    const double* xr = d.X + r * kFeatureStride;
    V4 z[kV] = {};  // NOLINT(modernize-avoid-c-arrays): std::array drops V4's attributes
    for (std::size_t j = 0; j < S; ++j) {
      const double x = xr[j];
      const V4 xj = {x, x, x, x};
      for (std::size_t k = 0; k < kV; ++k) z[k] += lanesAt<V4>(B + j * L + 4 * k) * xj;
    }
    for (std::size_t c = 0; c < P; ++c) {
      for (std::size_t k = 0; k < kV; ++k)
        z[k] += lanesAt<V4>(B + (S + c) * L + 4 * k) * lanesAt<V4>(pcol[c] + r * L + 4 * k);
    }
    for (std::size_t k = 0; k < kV; ++k) {
      const V4 e = lanesAt<V4>(d.T + r * L + 4 * k) - z[k];
      lanesAt<V4>(res + r * L + 4 * k) = e < 0 ? -e : e;
    }
  }
}

// Adds rows r[0..kB) (in that order) with weights w to the normal equations' sums. Each sum is
// loaded once, takes the block's rows one after the other and is stored once: the same order
// of additions as one row at a time (so each equals what a loop over one horizon at a time
// sums), with a quarter of the loads and stores.
template <std::size_t L, std::size_t kB>
[[gnu::always_inline]] inline void addRows(const Rows& d, const std::size_t* r, const double* w, IrlsSums& s) {
  constexpr std::size_t kV = L / 4;
  const std::size_t S = d.S;
  // NOLINTBEGIN(modernize-avoid-c-arrays): std::array drops V4's attributes
  const double* xr[kB] = {};
  const double* t[kB] = {};
  const double* p[kMaxColumns][kB] = {};
  double wr[kB] = {};
  V4 wv[kB] = {};
  // NOLINTEND(modernize-avoid-c-arrays)
  std::array<const double*, kMaxColumns> pcol{};
  const std::size_t P = columns(d, pcol);
  for (std::size_t q = 0; q < kB; ++q) {
    xr[q] = d.X + r[q] * kFeatureStride;
    t[q] = d.T + r[q] * L;
    for (std::size_t c = 0; c < P; ++c) p[c][q] = pcol[c] + r[q] * L;
    wr[q] = w[r[q]];
  }
  // dst[0, 4 * groups) += the block's wv[q] * src[q][0, 4 * groups), row after row.
  auto accumulate = [&](double* dst, const double* const* src, std::size_t groups) {
    for (std::size_t g = 0; g < groups; ++g) {
      V4 acc = lanesAt<V4>(dst + 4 * g);
      for (std::size_t q = 0; q < kB; ++q) acc += wv[q] * lanesAt<V4>(src[q] + 4 * g);
      lanesAt<V4>(dst + 4 * g) = acc;
    }
  };
  for (std::size_t i = 0; i < S; ++i) {
    for (std::size_t q = 0; q < kB; ++q) {
      const double wxi = wr[q] * xr[q][i];
      wv[q] = V4{wxi, wxi, wxi, wxi};
    }
    // Row i of the lower triangle, four columns at a time (the row's padding absorbs the last
    // group's columns past i); then the right-hand sides and the profile's cross terms.
    accumulate(s.G.data() + i * kFeatureStride, xr, i / 4 + 1);
    accumulate(s.rhsX.data() + i * L, t, kV);
    for (std::size_t c = 0; c < P; ++c) accumulate(s.crossP.data() + (c * S + i) * L, p[c], kV);
  }
  // Column c's products with itself and the columns before it, and with the targets.
  for (std::size_t c = 0; c < P; ++c) {
    for (std::size_t k = 0; k < kV; ++k) {
      for (std::size_t e = 0; e <= c; ++e) {
        V4 pp = lanesAt<V4>(s.pp.data() + (c * P + e) * L + 4 * k);
        for (std::size_t q = 0; q < kB; ++q) {
          const V4 wp = V4{wr[q], wr[q], wr[q], wr[q]} * lanesAt<V4>(p[c][q] + 4 * k);
          pp += wp * lanesAt<V4>(p[e][q] + 4 * k);
        }
        lanesAt<V4>(s.pp.data() + (c * P + e) * L + 4 * k) = pp;
      }
      V4 pt = lanesAt<V4>(s.rhsP.data() + c * L + 4 * k);
      for (std::size_t q = 0; q < kB; ++q) {
        const V4 wp = V4{wr[q], wr[q], wr[q], wr[q]} * lanesAt<V4>(p[c][q] + 4 * k);
        pt += wp * lanesAt<V4>(t[q] + 4 * k);
      }
      lanesAt<V4>(s.rhsP.data() + c * L + 4 * k) = pt;
    }
  }
}

// The normal equations' sums over every step-th row with weights w, in blocks of four rows.
template <std::size_t L>
[[gnu::always_inline]] inline void sumsOver(const Rows& d, std::size_t step, const double* w, IrlsSums& s) {
  std::size_t r = 0;
  for (; r + 3 * step < d.rows; r += 4 * step) {
    const std::array<std::size_t, 4> block = {r, r + step, r + 2 * step, r + 3 * step};
    addRows<L, 4>(d, block.data(), w, s);
  }
  for (; r < d.rows; r += step) addRows<L, 1>(d, &r, w, s);
}

// Both cloned for AVX2 without FMA (as the forecast's loops are), so a product and a sum round
// as in the default clone and fits do not depend on the machine; L is kAnchorLanes or twice it.
static_assert(2 * kAnchorLanes == kMaxAnchors && kAnchorLanes % 4 == 0);
TSO_AVX2_CLONES void irlsResiduals(const Rows& d, std::size_t step, const double* B, double* res) {
  if (d.L == kAnchorLanes) {
    residualsOver<kAnchorLanes>(d, step, B, res);
  } else {
    residualsOver<2 * kAnchorLanes>(d, step, B, res);
  }
}

TSO_AVX2_CLONES void irlsSums(const Rows& d, std::size_t step, const double* w, IrlsSums& s) {
  std::fill(s.G.begin(), s.G.end(), 0.0);
  std::fill(s.rhsX.begin(), s.rhsX.end(), 0.0);
  std::fill(s.crossP.begin(), s.crossP.end(), 0.0);
  std::fill(s.pp.begin(), s.pp.end(), 0.0);
  std::fill(s.rhsP.begin(), s.rhsP.end(), 0.0);
  if (d.L == kAnchorLanes) {
    sumsOver<kAnchorLanes>(d, step, w, s);
  } else {
    sumsOver<2 * kAnchorLanes>(d, step, w, s);
  }
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

void fitLad(const Rows& d, std::size_t A, const std::vector<double>& W0, std::vector<double>& beta, bool warm) {
  const std::size_t rows = d.rows;
  const std::size_t S = d.S;
  const std::size_t L = d.L;
  std::array<const double*, kMaxColumns> pcol{};
  const std::size_t P = columns(d, pcol);
  const std::size_t F = S + P;
  std::vector<double> w = W0;
  IrlsSums sums(S, L, P);
  std::vector<double> M(F * F);
  std::vector<double> b(F);
  std::vector<double> res(rows * L);
  std::vector<double> meanRes(A);
  auto reweight = [&](std::size_t step) {
    irlsResiduals(d, step, beta.data(), res.data());
    std::fill(meanRes.begin(), meanRes.end(), 0.0);
    std::size_t used = 0;
    for (std::size_t r = 0; r < rows; r += step) {
      for (std::size_t a = 0; a < A; ++a) meanRes[a] += res[r * L + a];
      ++used;
    }
    for (double& m : meanRes) m = m / static_cast<double>(used) + 1e-12;
    for (std::size_t r = 0; r < rows; r += step) {
      double dsum = 0;
      for (std::size_t a = 0; a < A; ++a) dsum += res[r * L + a] / meanRes[a];
      w[r] = W0[r] / std::max(dsum / static_cast<double>(A), 1e-3);
    }
  };
  auto solve = [&](std::size_t step) -> bool {
    irlsSums(d, step, w.data(), sums);
    bool all = true;
    for (std::size_t a = 0; a < A; ++a) {
      for (std::size_t i = 0; i < S; ++i) {
        for (std::size_t j = 0; j <= i; ++j) M[i * F + j] = M[j * F + i] = sums.G[i * kFeatureStride + j];
        b[i] = sums.rhsX[i * L + a];
      }
      for (std::size_t c = 0; c < P; ++c) {
        for (std::size_t i = 0; i < S; ++i) M[(S + c) * F + i] = M[i * F + S + c] = sums.crossP[(c * S + i) * L + a];
        for (std::size_t e = 0; e <= c; ++e)
          M[(S + c) * F + S + e] = M[(S + e) * F + S + c] = sums.pp[(c * P + e) * L + a];
        b[S + c] = sums.rhsP[c * L + a];
      }
      if (solveSymmetric(M, b, F)) {
        for (std::size_t j = 0; j < F; ++j) beta[j * L + a] = b[j];
      } else {
        all = false;
      }
    }
    return all;
  };
  auto iterate = [&](std::size_t step, int iterations) {
    for (int it = 0; it < iterations; ++it) {
      if (!solve(step)) return;
      reweight(step);
    }
  };
  // Cold: most iterations on a quarter of the rows, to get near the solution cheaply.
  if (!warm) iterate(kColdRowStep, kIrlsIterations - kWarmIrlsIterations);
  reweight(1);
  iterate(1, kWarmIrlsIterations);
}
}  // namespace tso::predictor::irls

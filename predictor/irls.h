// The robust multi-horizon fit behind the log-domain regression: least absolute deviation by
// iteratively reweighted least squares over rows of shared features, with one weight per row
// for every fitted horizon, so all horizons share one Gram matrix. One series' log_regression
// (regression.cc) and the fleet's shared regression (fleet.cc) fit through it.
#pragma once

#include <cstddef>
#include <vector>

namespace tso::predictor::irls {

inline constexpr std::size_t kFeatureStride = 16;  // a row's shared features, zeros past S
inline constexpr std::size_t kAnchorLanes = 8;     // fitted horizons a lane group holds
inline constexpr std::size_t kMaxAnchors = 2 * kAnchorLanes;
inline constexpr std::size_t kMaxColumns = 2;  // per-horizon columns: a daily and a weekly profile's change
static_assert(kFeatureStride % 4 == 0 && kAnchorLanes % 4 == 0);

// The rows of a fit: shared features X [row][kFeatureStride] (zeros past S); per fitted
// horizon, padded to L lanes with zeros (L = lanesFor(A)), the targets T [row][L], the daily
// profile's change Pc [row][L] (null without a profile) and a second such column Pc2 (the
// weekly profile's change; read only with Pc).
struct Rows {
  const double* X = nullptr;
  const double* T = nullptr;
  const double* Pc = nullptr;
  std::size_t rows = 0;
  std::size_t S = 0;
  std::size_t L = 0;
  const double* Pc2 = nullptr;
};

// Lanes for A fitted horizons: kAnchorLanes or twice that.
[[nodiscard]] inline std::size_t lanesFor(std::size_t A) {
  return (A + kAnchorLanes - 1) / kAnchorLanes * kAnchorLanes;
}

// Fits beta [F][L] (F = S, plus one per per-horizon column: Pc, Pc2) for the A fitted
// horizons, each row weighted by W0 [row] (its level, so the loss is absolute error in
// requests) over its mean |residual| across the horizons. `warm`: beta holds the previous
// coefficients and two reweighting steps follow; otherwise a cold start (least squares, most
// steps on a quarter of the rows). A horizon whose equations are singular keeps its start.
void fitLad(const Rows& d, std::size_t A, const std::vector<double>& W0, std::vector<double>& beta, bool warm);

// The horizons fitted directly (1, 3, 8, 15, 30, ... below `horizon`, `horizon` itself, then the
// focus horizons while there is room), ascending; the others interpolate between them.
std::vector<int> anchorHorizons(int horizon, const std::vector<int>& focus, std::size_t maxAnchors);

}  // namespace tso::predictor::irls

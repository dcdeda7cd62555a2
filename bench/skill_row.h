// One markdown row of skill / P90 coverage per horizon, shared by the benchmark programs
// that print backtest tables (predictor_shapes, predictor_fleet_traces).
#pragma once

#include <cstdio>

#include "predictor/backtest.h"

namespace tso::predictor::bench {

inline void printSkillRow(const char* series, const char* fit, const BacktestReport& r) {
  std::printf("| %s | %s |", series, fit);
  for (const auto& h : r.selected.horizons) {
    if (h.skill) {
      std::printf(" %.3f / %.3f |", *h.skill, h.coverageP90);
    } else {
      std::printf(" - |");
    }
  }
  std::printf("\n");
}

}  // namespace tso::predictor::bench

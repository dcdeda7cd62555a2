#include "predictor/series.h"

#include <cmath>

namespace tso::predictor {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kParse:
      return "parse";
    case ErrorCode::kNonMonotonic:
      return "non_monotonic";
    case ErrorCode::kDuplicate:
      return "duplicate";
    case ErrorCode::kNegative:
      return "negative";
    case ErrorCode::kOffGrid:
      return "off_grid";
    case ErrorCode::kEmpty:
      return "empty";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kTooShort:
      return "too_short";
  }
  return "unknown";
}

std::string Error::toString() const {
  std::string out;
  if (line > 0) out = "line " + std::to_string(line) + ": ";
  out += message;
  out += " (";
  out += errorCodeName(code);
  out += ")";
  return out;
}

Seasonality seasonalityFor(std::int64_t stepSeconds) {
  Seasonality s;
  if (stepSeconds <= 0 || kSecondsPerDay % stepSeconds != 0) return s;
  const auto perDay = kSecondsPerDay / stepSeconds;
  // Fewer than four samples a day cannot describe a daily shape.
  if (perDay < 4) return s;
  s.day = static_cast<int>(perDay);
  s.week = static_cast<int>(perDay * 7);
  return s;
}

std::size_t countMissing(std::span<const double> values) {
  std::size_t n = 0;
  for (double v : values) n += std::isnan(v) ? 1 : 0;
  return n;
}

std::size_t fillMissing(std::span<double> values) {
  const std::size_t n = values.size();
  std::size_t filled = 0;
  std::size_t prev = n;  // index of the last known sample, n = none yet
  for (std::size_t i = 0; i <= n; ++i) {
    if (i < n && std::isnan(values[i])) continue;
    // Fill the run (prev, i).
    const std::size_t from = prev == n ? 0 : prev + 1;
    for (std::size_t j = from; j < i; ++j) {
      if (prev == n && i == n) {
        values[j] = 0.0;
      } else if (prev == n) {
        values[j] = values[i];
      } else if (i == n) {
        values[j] = values[prev];
      } else {
        const double w = static_cast<double>(j - prev) / static_cast<double>(i - prev);
        values[j] = values[prev] + w * (values[i] - values[prev]);
      }
      ++filled;
    }
    prev = i;
  }
  return filled;
}

}  // namespace tso::predictor

// Fixed-step time series and the predictor's error type: the common currency of every
// predictor module. A sample is the count (or rate) in the interval that starts at its
// timestamp; missing samples are NaN (masked) until fillMissing() interpolates them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tso::predictor {

enum class ErrorCode {
  kParse,         // a line that is not `timestamp,value`
  kNonMonotonic,  // a timestamp earlier than the one before it
  kDuplicate,     // the same timestamp twice
  kNegative,      // a negative value (demand cannot be negative)
  kOffGrid,       // a timestamp that is not a whole number of steps after the first
  kEmpty,         // no samples at all
  kInvalidArgument,
  kTooShort,  // not enough history for what was asked
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
  std::size_t line = 0;  // 1-based input line, 0 when the error is not about a line

  [[nodiscard]] std::string toString() const;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::size_t line = 0) {
  return std::unexpected<Error>(Error{code, std::move(message), line});
}

inline constexpr std::int64_t kSecondsPerDay = 86'400;

struct Series {
  std::int64_t start = 0;  // unix seconds (UTC) of values[0]
  std::int64_t step = 60;  // seconds between samples, > 0
  std::vector<double> values;

  [[nodiscard]] std::size_t size() const { return values.size(); }
  [[nodiscard]] std::int64_t timeAt(std::size_t i) const { return start + static_cast<std::int64_t>(i) * step; }
};

// Seasonal periods in samples, 0 when the step does not divide a day (no daily model then).
struct Seasonality {
  int day = 0;
  int week = 0;
};
Seasonality seasonalityFor(std::int64_t stepSeconds);

std::size_t countMissing(std::span<const double> values);

// Repairs masked samples in place: interior gaps are linearly interpolated between the
// nearest known neighbours, leading/trailing gaps take the nearest known value. Models are
// fitted on repaired data so a short outage of the metric does not read as a demand drop.
// Returns the number of samples filled; an all-missing series becomes all zero.
std::size_t fillMissing(std::span<double> values);

}  // namespace tso::predictor

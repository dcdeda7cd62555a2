// Reads a demand trace, CSV `timestamp,value`, into a Series. Standard library only so the
// CLI, tests and benchmarks share one strict reader; every rejection names the input line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string_view>

#include "predictor/series.h"

namespace tso::predictor {

struct CsvOptions {
  // Sample interval in seconds; unset = the smallest gap between the first timestamps.
  std::optional<std::int64_t> step;
};

struct CsvTrace {
  Series series;
  std::size_t missing = 0;          // samples given as NaN / empty, masked then interpolated
  std::size_t gapSamples = 0;       // samples absent from the file (timestamp gaps), interpolated
  std::size_t firstRepairLine = 0;  // first line involved in a repair, for the message
};

// Accepted: an optional header line; timestamps as ISO-8601 (`2024-01-02T03:04:05Z`,
// optional fraction, `Z` or `+hh:mm`, or naive = UTC; a space may replace `T`) or unix
// seconds; values >= 0. Documented repairs: a value `NaN`/`nan`/empty is a missing sample and
// a timestamp gap that is a whole number of steps is missing samples; both are linearly
// interpolated (see fillMissing). Errors: unparsable line (kParse), timestamp going back
// (kNonMonotonic), repeated (kDuplicate), off the step grid (kOffGrid), negative value
// (kNegative), no samples (kEmpty).
Result<CsvTrace> readCsv(std::istream& in, const CsvOptions& options = {});

// ISO-8601 or unix seconds to unix seconds; nullopt when it is neither.
std::optional<std::int64_t> parseTimestamp(std::string_view text);

// Durations such as `60s`, `5m`, `1h`, `7d` or a bare number of seconds.
std::optional<std::int64_t> parseDuration(std::string_view text);

}  // namespace tso::predictor

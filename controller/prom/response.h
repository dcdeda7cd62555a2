// Prometheus HTTP API answers (/api/v1/query, /api/v1/query_range) decoded into plain values.
// Every way an answer can be unusable for a demand signal (an error status, no series, more
// than one series, NaN/Inf, garbage) is an Error whose code a condition can name (problemReason).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/common/result.h"

namespace tso::prom {

// The condition reason (CamelCase) of a demand query's error, e.g. "MultipleSeries" or
// "PrometheusUnreachable"; codes outside the query's own are named by errorCodeName.
std::string_view problemReason(ErrorCode code);

// Whether the error means Prometheus itself is unavailable (nothing or an HTTP error answered),
// rather than the query's answer being unusable.
bool isOutage(ErrorCode code);

struct Sample {
  double time = 0;  // unix seconds
  double value = 0;
};

// One series of a range query. Non-finite samples are kept as NaN (the predictor masks them).
struct RangeSeries {
  std::vector<Sample> samples;
  std::size_t nonFinite = 0;
};

// Decodes an instant query answer (vector or scalar) that must hold exactly one finite value.
Result<Sample> parseInstant(int httpStatus, std::string_view body);

// Decodes a range query answer (matrix) that must hold exactly one series; an empty matrix
// is an empty series (no samples in the range is normal while a service is new).
Result<RangeSeries> parseRange(int httpStatus, std::string_view body);

// parseRange()'s first try on a 2xx answer: a successful matrix of at most one series read
// as a stream, straight into samples (no JSON tree); nullopt for anything else, which
// parseRange() then decodes as a tree to name the problem.
std::optional<RangeSeries> readMatrix(std::string_view body);

}  // namespace tso::prom

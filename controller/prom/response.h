// Prometheus HTTP API answers (/api/v1/query, /api/v1/query_range) decoded into plain values.
// Every way an answer can be unusable for a demand signal (an error status, no series, more
// than one series, NaN/Inf, garbage) is a QueryError with a problem a condition can name.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tso::prom {

enum class Problem {
  kUnreachable,     // connection refused, timeout, DNS: nothing answered
  kHttpError,       // an HTTP status other than 2xx without a Prometheus error body
  kQueryError,      // status "error" (bad_data, execution, timeout, ...)
  kNoData,          // the query returned no series
  kMultipleSeries,  // the query returned more than one series: demand must be one number
  kNotFinite,       // the value is NaN or +-Inf
  kBadResponse,     // not the JSON the API documents
};

// CamelCase reason for status conditions and events, e.g. "MultipleSeries".
std::string_view problemReason(Problem problem);

struct QueryError {
  Problem problem = Problem::kBadResponse;
  std::string message;
};

template <class T>
using QueryResult = std::expected<T, QueryError>;

inline std::unexpected<QueryError> queryFail(Problem problem, std::string message) {
  return std::unexpected<QueryError>(QueryError{problem, std::move(message)});
}

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
QueryResult<Sample> parseInstant(int httpStatus, std::string_view body);

// Decodes a range query answer (matrix) that must hold exactly one series; an empty matrix
// is an empty series (no samples in the range is normal while a service is new).
QueryResult<RangeSeries> parseRange(int httpStatus, std::string_view body);

// parseRange()'s first try on a 2xx answer: a successful matrix of at most one series read
// as a stream, straight into samples (no JSON tree); nullopt for anything else, which
// parseRange() then decodes as a tree to name the problem.
std::optional<RangeSeries> readMatrix(std::string_view body);

}  // namespace tso::prom

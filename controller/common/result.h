// Errors as values for the controller: every fallible function below main() returns
// Result<T>, an expected value or an Error with a code. Third-party exceptions are
// caught at the edge that calls the library and turned into one of these.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tso {

enum class ErrorCode {
  kNotFound,      // 404
  kConflict,      // 409
  kGone,          // 410: resourceVersion too old, re-list
  kInvalid,       // 422 or a value that fails validation
  kThrottled,     // 429
  kTransient,     // 5xx, connection errors, timeouts: retry with backoff
  kUnauthorized,  // 401 / 403
  kBadResponse,   // a peer answered something we cannot decode
  kConfig,        // bad flag, kubeconfig or file
  kInternal,
  // A demand query's answer cannot stand for demand (prom/): each names its own condition reason.
  kUnreachable,     // nothing answered: connection refused, timeout, DNS
  kQueryFailed,     // Prometheus answered status "error" (bad_data, execution, timeout, ...)
  kNoData,          // no series
  kMultipleSeries,  // more than one series: demand must be one number
  kNotFinite,       // NaN or +-Inf
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int retryAfterSeconds = 0;  // set for kThrottled when the server sent Retry-After

  [[nodiscard]] std::string toString() const;
};

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message), 0});
}

}  // namespace tso

// Returns the error of a Result/Status expression from the enclosing function, which must
// itself return a Result or Status: TSO_TRY(readField(obj, "x", out));
#define TSO_TRY(expr)                                             \
  do {                                                            \
    if (auto tso_try_result_ = (expr); !tso_try_result_) {        \
      return std::unexpected(std::move(tso_try_result_.error())); \
    }                                                             \
  } while (false)

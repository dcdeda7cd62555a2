#include "controller/common/result.h"

namespace tso {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kGone:
      return "Gone";
    case ErrorCode::kInvalid:
      return "Invalid";
    case ErrorCode::kThrottled:
      return "Throttled";
    case ErrorCode::kTransient:
      return "Transient";
    case ErrorCode::kUnauthorized:
      return "Unauthorized";
    case ErrorCode::kBadResponse:
      return "BadResponse";
    case ErrorCode::kConfig:
      return "Config";
    case ErrorCode::kInternal:
      return "Internal";
    case ErrorCode::kUnreachable:
      return "Unreachable";
    case ErrorCode::kQueryFailed:
      return "QueryFailed";
    case ErrorCode::kNoData:
      return "NoData";
    case ErrorCode::kMultipleSeries:
      return "MultipleSeries";
    case ErrorCode::kNotFinite:
      return "NotFinite";
  }
  return "Unknown";
}

std::string Error::toString() const { return std::string(errorCodeName(code)) + ": " + message; }

}  // namespace tso

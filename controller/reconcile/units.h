// The text formats a ThroughputService spec and status use: durations ("30s", "1h30m",
// "7d", "2w"), Kubernetes quantities ("64Mi", "4Gi", "1.5G") and RFC 3339 times. Pure
// parsing and formatting; errors are kInvalid with the offending text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/common/result.h"

namespace tso::reconcile {

// Sum of number+unit terms, units ms, s, m, h, d (24h), w (7d); returns milliseconds.
Result<std::int64_t> parseDurationMs(std::string_view text);

// The spec's form of a whole number of seconds, largest units first: "1d", "1h30m", "90s" -> "1m30s".
std::string formatDuration(std::int64_t seconds);

// A quantity in bytes: plain number, decimal suffixes k M G T P E, binary Ki Mi Gi Ti Pi Ei,
// or an exponent (1e9). Fractions round up to a whole byte.
Result<std::int64_t> parseQuantityBytes(std::string_view text);

// The canonical form Kubernetes would print: the largest binary suffix that divides
// exactly ("256Mi"), else the plain number of bytes.
std::string formatQuantityBytes(std::int64_t bytes);

// "2026-11-21T19:45:00Z" (seconds resolution, UTC).
std::string formatRfc3339(std::int64_t unixSeconds);
// Accepts Z or +hh:mm offsets and fractional seconds (dropped).
Result<std::int64_t> parseRfc3339(std::string_view text);

}  // namespace tso::reconcile

// Kubernetes timestamps: metav1.Time (RFC 3339, seconds) and metav1.MicroTime (microseconds),
// always in UTC, as written into Events and Leases.
#pragma once

#include <string>

#include "controller/common/clock.h"

namespace tso::kube {

// 2025-01-01T00:00:00Z
std::string formatTime(Clock::WallTime t);
// 2025-01-01T00:00:00.000000Z
std::string formatMicroTime(Clock::WallTime t);

}  // namespace tso::kube

// /api/services: every service's snapshot with its chart history, as the dashboard reads it.
#pragma once

#include <string>
#include <vector>

#include "controller/reconcile/reconciler.h"

namespace tso::runtime {

// The JSON array, written straight as text: with 2,000 services and their 240-step histories a
// JSON tree (nlohmann) of ~2 million values took ~60 MB at the peak of each request and left
// the process ~35 MB larger; the text alone is ~12 MB. Floats are written as the shortest
// decimal that reads back as the same float; NaN and infinities as null.
std::string servicesJson(const std::vector<reconcile::ServiceSnapshot>& snaps);

}  // namespace tso::runtime

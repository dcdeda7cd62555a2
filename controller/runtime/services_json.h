// /api/services: the services' snapshots with their chart history, as the dashboard reads them.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "controller/common/result.h"
#include "controller/reconcile/reconciler.h"

namespace tso::runtime {

// What a /api/services request asks for (its query string):
//   (none)                     every service, each with its chart history
//   history=none               every service without history: the dashboard's summary list,
//                              a small part of the size
//   service=NS/NAME (repeated) only these services, with history: the charts on screen
// history=all|none may be combined with service=. Anything else is an error naming it.
struct ServicesQuery {
  bool history = true;
  std::vector<std::string> services;  // "namespace/name"; empty = every service
};
Result<ServicesQuery> parseServicesQuery(std::string_view query);

// The JSON array, written straight as text: with thousands of services and their histories, a
// JSON tree (nlohmann) of millions of values would take several times the text's memory at the
// peak of each request, and the heap would keep much of it. Floats are written as the shortest
// decimal that reads back as the same float; NaN and infinities as null. Without
// `withHistory` the objects have no "history" key.
std::string servicesJson(const std::vector<reconcile::ServiceSnapshot>& snaps, bool withHistory = true);

}  // namespace tso::runtime

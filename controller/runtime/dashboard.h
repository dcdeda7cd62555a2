// The built-in dashboard page served at / : a summary table of the ThroughputServices this
// operator reconciles (filter, sort), and for the first few of them charts of actual vs
// predicted demand and of replicas over the recent past, drawn in the browser from
// /api/services (the operator's own history buffer; see services_json.h for its queries).
// No external assets.
#pragma once

namespace tso::runtime {

const char* dashboardPage();

}  // namespace tso::runtime

// The built-in dashboard page served at / : the ThroughputServices this operator reconciles,
// each with charts of actual vs predicted demand and of replicas over the recent past, drawn
// in the browser from /api/services (the operator's own history buffer). No external assets.
#pragma once

namespace tso::runtime {

const char* dashboardPage();

}  // namespace tso::runtime

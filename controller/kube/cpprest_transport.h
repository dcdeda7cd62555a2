// Builds the cpprestsdk-backed Transport (TLS with CA verification, client certificates,
// per-request timeouts). The header stays free of cpprestsdk so callers never include it.
#pragma once

#include <memory>

#include "controller/common/result.h"
#include "controller/kube/config.h"
#include "controller/kube/transport.h"

namespace tso::kube {

// Fails with kConfig when the CA, client certificate or key in `config` is not valid PEM.
Result<std::unique_ptr<Transport>> makeCpprestTransport(const Config& config);

}  // namespace tso::kube

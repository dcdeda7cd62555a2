// Standard base64 decoding for kubeconfig *-data fields and Secret-like payloads; strict
// (rejects bad characters) so a corrupted kubeconfig is reported rather than half-used.
#pragma once

#include <string>
#include <string_view>

#include "controller/common/result.h"

namespace tso::kube {

// Decodes standard (RFC 4648) base64; whitespace is ignored, padding is optional.
Result<std::string> base64Decode(std::string_view in);

}  // namespace tso::kube

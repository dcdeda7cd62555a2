// libFuzzer target: kubeconfig parsing (YAML shape, base64 *-data fields, context lookup).
// Any input must give a Config or a kConfig error naming a field, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // A fixed, non-existent base directory: file references must fail cleanly, never read.
  (void)tso::kube::parseKubeconfig(in, "/nonexistent-fuzz-dir", "", "fuzz");
  (void)tso::kube::parseKubeconfig(in, "/nonexistent-fuzz-dir", "ctx", "fuzz");
  return 0;
}

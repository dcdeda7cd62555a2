// libFuzzer target: the JSON decoders (object, list, watch event, Status errors) and the
// watch-stream line framing. Whatever the bytes, decoding must end in a value or an Error,
// never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/kube/object.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)tso::kube::parseObject(in);
  (void)tso::kube::parseObjectList(in);
  (void)tso::kube::errorFromStatus(410, in);
  // The first byte picks a chunk size, so lines straddle chunk boundaries in many ways.
  size_t chunk = size > 0 ? 1 + data[0] % 64 : 1;
  tso::kube::LineFramer framer(4096);
  for (size_t off = 0; off < in.size(); off += chunk) {
    auto fed = framer.feed(in.substr(off, chunk), [](std::string_view line) {
      auto ev = tso::kube::parseWatchEvent(line);
      if (ev) tso::kube::stripManagedFields(ev->object);
      return true;
    });
    if (!fed) break;
  }
  return 0;
}

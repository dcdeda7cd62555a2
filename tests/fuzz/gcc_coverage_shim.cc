// Lets libFuzzer guide g++-built code. Debian's clang 14 cannot compile this C++23 code base
// (libstdc++ 12's std::expected needs newer concepts support than clang 14 has), and GCC has
// no -fsanitize=fuzzer. GCC's -fsanitize-coverage=trace-pc calls __sanitizer_cov_trace_pc on
// every edge; libFuzzer 14 only has a stub for it that aborts, so this definition wins at link
// time (-Wl,--allow-multiple-definition, this object first) and bumps a hashed 8-bit counter
// that libFuzzer reads as inline-counter coverage. Compile this file WITHOUT trace-pc.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);

namespace {
constexpr size_t kCounters = 1 << 16;
uint8_t counters[kCounters];

__attribute__((constructor)) void registerCounters() {
  __sanitizer_cov_8bit_counters_init(counters, counters + kCounters);
}
}  // namespace

extern "C" void __sanitizer_cov_trace_pc() {
  auto pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  counters[(pc ^ (pc >> 16)) & (kCounters - 1)]++;
}

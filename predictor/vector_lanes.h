// Four lanes of doubles (or floats) as one value, for the fit's loops over trials and horizons:
// an AVX2 register in a function cloned for AVX2, two SSE2 registers in the default clone.
// g++ vectorises plain loops over a runtime lane count with alias checks and scalar epilogues
// (or across the wrong loop, with shuffles); these types say what runs side by side.
//
// Values are read and written in place through arrays of their element type (aligned to the
// element, may_alias): no function takes or returns one by value, since how a 32-byte vector
// is passed depends on the clone's ABI (g++ warns, -Wpsabi). Lane-wise + - * / round as the
// scalar operations do, so a loop rewritten over lanes keeps its results bit for bit as long
// as each lane's operations and their order are unchanged (no FMA in the clones).
#pragma once

#include <type_traits>

namespace tso::predictor {

using V4 = double __attribute__((vector_size(32), aligned(8), may_alias));
using F4 = float __attribute__((vector_size(16), aligned(4), may_alias));
// Eight floats (the fleet's lanes, fleet.cc) and their bits as integers.
using F8 = float __attribute__((vector_size(32), aligned(4), may_alias));
using I8 = int __attribute__((vector_size(32), aligned(4), may_alias));
using U8 = unsigned __attribute__((vector_size(32), aligned(4), may_alias));

// The V (V4 or F4) that starts at p, as an lvalue.
template <typename V, typename P>
[[gnu::always_inline]] inline auto& lanesAt(P* p) {
  if constexpr (std::is_const_v<P>) {
    return *reinterpret_cast<const V*>(p);
  } else {
    return *reinterpret_cast<V*>(p);
  }
}

}  // namespace tso::predictor

// Hot loops get an AVX2 clone chosen when the program loads (GCC target_clones, an ifunc).
// Under ThreadSanitizer the ifunc resolver runs before the TSan runtime is set up and crashes
// the program at load, so that build keeps the default clone only.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define TSO_AVX2_CLONES
#else
#define TSO_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#endif

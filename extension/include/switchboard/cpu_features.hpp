// Run-time CPU feature checks for the engines' SIMD paths. The build targets
// baseline x86-64; a function compiled with __attribute__((target("avx2")))
// runs only where cpu_has_avx2() says so.
#pragma once

#if defined(__x86_64__) && defined(__SSE2__) &&                                \
    (defined(__GNUC__) || defined(__clang__))
#define SWITCHBOARD_AVX2_DISPATCH 1

namespace switchboard {

inline bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

// AVX-512BW where 512-bit instructions cost no clock speed. Skylake and
// Cascade Lake servers lower the core's frequency while they run them, which
// would slow everything else on that core; AVX-512 VBMI2 arrived with the
// cores that do not (Ice Lake, AMD Zen 4), so it serves as the gate (as
// simdjson gates its AVX-512 kernel).
inline bool cpu_has_fast_avx512bw() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vbmi2");
}

} // namespace switchboard
#endif

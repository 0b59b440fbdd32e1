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

} // namespace switchboard
#endif

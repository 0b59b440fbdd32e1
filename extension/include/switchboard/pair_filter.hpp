// A first-two-letters filter that SIMD byte shuffles can evaluate 32 bytes
// at a time: the redaction scan asks it whether a word may start a keyword,
// the spoken-number normaliser whether it may start a run of number words.
// It answers a superset; the exact check comes later.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "switchboard/cpu_features.hpp"

#if defined(SWITCHBOARD_AVX2_DISPATCH)
#include <immintrin.h>
#endif

namespace switchboard {

// A byte c, lower-cased (c | 0x20), indexes a table [bit 4 of it][its low
// nibble]. Each second letter stands for a group bit; first[] holds, for each
// first letter, the groups of the second letters that follow it in some
// word. pass(c, d) is true for the first two letters c, d of every word, in
// any case (and for a few other pairs when groups are shared).
struct PairFilter {
  alignas(16) std::uint8_t first[2][16] = {};
  alignas(16) std::uint8_t second[2][16] = {};

  static int row(unsigned char c) { return (c | 0x20) & 0x10 ? 1 : 0; }
  static int col(unsigned char c) { return (c | 0x20) & 0x0f; }
  bool pass(unsigned char c, unsigned char d) const {
    return (first[row(c)][col(c)] & second[row(d)][col(d)]) != 0;
  }
  // The word starting with the lower-case letters a, b passes.
  void add(unsigned char a, unsigned char b, const std::uint8_t (&group)[26]) {
    first[row(a)][col(a)] =
        static_cast<std::uint8_t>(first[row(a)][col(a)] | group[b - 'a']);
  }
  // Second letters 'a'..'z' take their group bits (after every add()).
  void set_groups(const std::uint8_t (&group)[26]) {
    for (int c = 'a'; c <= 'z'; ++c)
      second[row(static_cast<unsigned char>(c))]
            [col(static_cast<unsigned char>(c))] = group[c - 'a'];
  }
};

#if defined(SWITCHBOARD_AVX2_DISPATCH)
// One table of f as an AVX2 register (both lanes), loaded once per block.
#define SWITCHBOARD_PAIR_TABLE(t)                                              \
  _mm256_broadcastsi128_si256(                                                 \
      _mm_load_si128(reinterpret_cast<const __m128i *>(t)))

// The group bits pass() tests, for 32 byte pairs at once: f0/f1/s0/s1 are
// first[0], first[1], second[0], second[1] as registers; lx holds the bytes
// and next the bytes after them, both OR-ed with 0x20; a byte is
// first[..] & second[..] of the pair it starts (zero: not a word's start).
__attribute__((target("avx2"), always_inline)) inline __m256i
pair_groups_avx2(__m256i f0, __m256i f1, __m256i s0, __m256i s1, __m256i lx,
                 __m256i next) {
  const __m256i lo4 = _mm256_set1_epi8(0x0f);
  const __m256i i0 = _mm256_and_si256(lx, lo4),
                i1 = _mm256_and_si256(next, lo4);
  // The row is bit 4 of a byte; a 16-bit shift by 3 moves each byte's bit 4
  // to its top bit, the one blendv reads (bits shifted in from the low byte
  // stop below the high byte's top bit).
  const __m256i fv =
      _mm256_blendv_epi8(_mm256_shuffle_epi8(f0, i0),
                         _mm256_shuffle_epi8(f1, i0), _mm256_slli_epi16(lx, 3));
  const __m256i sv = _mm256_blendv_epi8(_mm256_shuffle_epi8(s0, i1),
                                        _mm256_shuffle_epi8(s1, i1),
                                        _mm256_slli_epi16(next, 3));
  return _mm256_and_si256(fv, sv);
}

// pass() for 32 byte pairs at once, inverted: a byte is 0xff where the pair
// it starts cannot start a word (callers keep their letters with andnot).
__attribute__((target("avx2"), always_inline)) inline __m256i
pair_miss_avx2(__m256i f0, __m256i f1, __m256i s0, __m256i s1, __m256i lx,
               __m256i next) {
  return _mm256_cmpeq_epi8(pair_groups_avx2(f0, f1, s0, s1, lx, next),
                           _mm256_setzero_si256());
}
#endif

} // namespace switchboard

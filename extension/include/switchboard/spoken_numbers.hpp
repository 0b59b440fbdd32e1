// Spoken-number normaliser: rewrites number words into digits so the written
// patterns also find spoken identifiers, and keeps a map from every byte of
// the rewritten text back to the original bytes.
//
//   "four one five, two two, one two three four" -> "415-22-1234"
//   "march third nineteen sixty one"             -> "march 3 1961"
//   "double five" -> "55", "triple oh" -> "000", "one twenty three" -> "123",
//   "two thousand five" -> "2005", "one hundred oh five" -> "105"
//
// A run is a sequence of number words separated by spaces, commas, pauses
// ("...", ";"), hyphens, the words "dash"/"hyphen"/"slash" and fillers
// ("uh", "um", "er", "ah", "hmm"). Plain spaces join groups ("four one five"
// -> "415"); a comma, pause, filler or "dash" becomes '-', "slash" becomes
// '/'. "oh"/"o" count as zero only inside a run that has another number word.
// Text outside runs is copied byte for byte. Pure C++, never throws except
// std::bad_alloc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::spoken {

struct Normalized {
  // The rewritten text. When changed is false it is empty and the original
  // text is to be used as is (no copy, identity map).
  std::string text;
  // For each byte i of text: the original byte range [begin[i], end[i]) that
  // produced it. Filled only by normalize(text, /*full_map=*/true).
  std::vector<std::uint32_t> begin;
  std::vector<std::uint32_t> end;
  // The same map, compact (always filled when changed): text is a sequence
  // of pieces, each either copied from the original (byte at + k came from
  // original byte ob + k) or written for a run of number words (every byte
  // came from the original range [ob, oe)).
  struct Piece {
    std::uint32_t at;
    std::uint32_t ob, oe;
    bool copy;
  };
  std::vector<Piece> pieces;
  bool changed = false;

  // Original byte range of the rewritten range [b, e) (e > b). Inline: the
  // engine asks for every candidate match, mostly in the piece it asked
  // about last (a call into the shared object costs more than the answer).
  std::uint32_t orig_begin(std::size_t b) const {
    if (!changed)
      return static_cast<std::uint32_t>(b);
    if (!begin.empty())
      return begin[b];
    const Piece &p = piece(b);
    return p.copy ? p.ob + static_cast<std::uint32_t>(b - p.at) : p.ob;
  }
  std::uint32_t orig_end(std::size_t e) const {
    if (!changed)
      return static_cast<std::uint32_t>(e);
    if (!end.empty())
      return end[e - 1];
    const Piece &p = piece(e - 1);
    return p.copy ? p.ob + static_cast<std::uint32_t>(e - p.at) : p.oe;
  }

private:
  friend void normalize_into(std::string_view, Normalized &, bool);
  // The last piece starting at or before i.
  const Piece &piece(std::size_t i) const {
    const std::size_t h = hint_;
    if (pieces[h].at <= i && (h + 1 == pieces.size() || pieces[h + 1].at > i))
      return pieces[h];
    return piece_search(i);
  }
  // piece(i) when it is not the hint's piece.
  const Piece &piece_search(std::size_t i) const;
  // Index of the piece piece() found last (a search starts there; below
  // pieces.size() whenever changed).
  mutable std::size_t hint_ = 0;
};

// Inputs longer than 4 GiB are not supported (offsets are 32-bit); callers
// enforce a far smaller size limit first.
// full_map = false leaves begin/end empty (orig_begin/orig_end then use
// the compact pieces): the engine's way, no per-byte map.
Normalized normalize(std::string_view text, bool full_map = true);

// The same into out, reusing its buffers' capacity (the engine keeps one per
// thread, so a call allocates nothing once the buffers are large enough).
void normalize_into(std::string_view text, Normalized &out,
                    bool full_map = true);

// The original normaliser, a byte at a time: the oracle normalize() and
// normalize_into() are tested against (same text, same maps). normalize()
// finds the words that can start a run through bit masks of the letters,
// 64 bytes at a time, and skips the rest of the text.
Normalized normalize_reference(std::string_view text, bool full_map = true);

namespace detail {
// Test hook: the letter masks normalize() reads (SSE2 or AVX2, as the CPU
// allows) equal the byte-at-a-time ones over text, 64 bytes a block.
bool letter_masks_agree(std::string_view text);
// Test hook: the letter masks' pair filter keeps a word starting with the
// two bytes of pair (any case).
bool run_pair_kept(std::string_view pair);
} // namespace detail

} // namespace switchboard::spoken

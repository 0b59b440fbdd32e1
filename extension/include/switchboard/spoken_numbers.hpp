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
  // produced it.
  std::vector<std::uint32_t> begin;
  std::vector<std::uint32_t> end;
  bool changed = false;

  // Original byte range of the rewritten range [b, e) (e > b).
  std::uint32_t orig_begin(std::size_t b) const {
    return changed ? begin[b] : static_cast<std::uint32_t>(b);
  }
  std::uint32_t orig_end(std::size_t e) const {
    return changed ? end[e - 1] : static_cast<std::uint32_t>(e);
  }
};

// Inputs longer than 4 GiB are not supported (offsets are 32-bit); callers
// enforce a far smaller size limit first.
Normalized normalize(std::string_view text);

} // namespace switchboard::spoken

// The spoken-number normaliser: rewritten text and its map back to the
// original bytes.
#include <gtest/gtest.h>

#include <string>

#include "switchboard/spoken_numbers.hpp"

using switchboard::spoken::normalize;

namespace {
std::string norm(const std::string &s) {
  auto n = normalize(s);
  return n.changed ? n.text : s;
}
} // namespace

TEST(RedactionSpoken, DigitsAndPauses) {
  EXPECT_EQ(norm("my social is four one five, two two, one two three four"),
            "my social is 415-22-1234");
  EXPECT_EQ(norm("four one five two two one two three four"), "415221234");
  EXPECT_EQ(norm("four one five dash two two dash one two three four"),
            "415-22-1234");
  EXPECT_EQ(norm("four one five uh two two um one two three four"),
            "415-22-1234");
  EXPECT_EQ(norm("four one five... two two"), "415-22");
  EXPECT_EQ(norm("Four One Five"), "415");
}

TEST(RedactionSpoken, ZeroForms) {
  EXPECT_EQ(norm("four oh five"), "405");
  EXPECT_EQ(norm("four o five"), "405");
  EXPECT_EQ(norm("zero zero seven"), "007");
  // "oh" alone is an interjection, not a digit.
  EXPECT_EQ(norm("oh, I see"), "oh, I see");
  EXPECT_EQ(norm("Oh okay"), "Oh okay");
}

TEST(RedactionSpoken, DoubleTriple) {
  EXPECT_EQ(norm("double five"), "55");
  EXPECT_EQ(norm("triple oh"), "000");
  EXPECT_EQ(norm("four one five double five five"), "415555");
  // Not before a digit: left as words.
  EXPECT_EQ(norm("a double room"), "a double room");
}

TEST(RedactionSpoken, TeensTensHundredsThousands) {
  EXPECT_EQ(norm("nineteen sixty one"), "1961");
  EXPECT_EQ(norm("nineteen oh five"), "1905");
  EXPECT_EQ(norm("twenty twenty four"), "2024");
  EXPECT_EQ(norm("two thousand five"), "2005");
  EXPECT_EQ(norm("two thousand and twenty"), "2020");
  EXPECT_EQ(norm("two thousand"), "2000");
  EXPECT_EQ(norm("one hundred twenty three"), "123");
  EXPECT_EQ(norm("one hundred oh five"), "105");
  EXPECT_EQ(norm("one eight hundred five five five oh one nine nine"),
            "18005550199");
  EXPECT_EQ(norm("two hundred"), "200");
  EXPECT_EQ(norm("three hundred five"), "305");
  EXPECT_EQ(norm("one twenty three main street"), "123 main street");
  EXPECT_EQ(norm("four fifteen"), "415");
  EXPECT_EQ(norm("twenty-one"), "21");
  EXPECT_EQ(norm("ninety"), "90");
}

TEST(RedactionSpoken, Ordinals) {
  EXPECT_EQ(norm("march third nineteen sixty one"), "march 3 1961");
  EXPECT_EQ(norm("june twenty first two thousand"), "june 21 2000");
  EXPECT_EQ(norm("the thirtieth of may"), "the 30 of may");
  // A weak ordinal on its own stays a word, except in a date.
  EXPECT_EQ(norm("just a second"), "just a second");
  EXPECT_EQ(norm("first things first"), "first things first");
  EXPECT_EQ(norm("May second nineteen ninety"), "May 2 1990");
  EXPECT_EQ(norm("the first of October"), "the 1 of October");
}

TEST(RedactionSpoken, SlashAndSentenceEnd) {
  EXPECT_EQ(norm("three slash four slash sixty one"), "3/4/61");
  // A full stop ends a run; the next sentence's number is separate.
  EXPECT_EQ(norm("room four. Two people"), "room 4. 2 people");
}

TEST(RedactionSpoken, LeavesOtherTextAlone) {
  const std::string s = "Someone is on the phone, tone is fine. Bonehead.";
  auto n = normalize(s);
  EXPECT_FALSE(n.changed);
  EXPECT_EQ(norm("caf\xc3\xa9 one two"), "caf\xc3\xa9 12");
  EXPECT_EQ(norm("abc1two three"), "abc1two 3"); // glued to digits: a word
}

TEST(RedactionSpoken, OffsetMapPointsAtTheWords) {
  const std::string s = "ssn four one five, two two";
  auto n = normalize(s);
  ASSERT_TRUE(n.changed);
  ASSERT_EQ(n.text, "ssn 415-22");
  ASSERT_EQ(n.begin.size(), n.text.size());
  ASSERT_EQ(n.end.size(), n.text.size());
  // "4" comes from "four"
  EXPECT_EQ(s.substr(n.begin[4], n.end[4] - n.begin[4]), "four");
  // "415-22" spans "four ... two" in the original
  EXPECT_EQ(s.substr(n.orig_begin(4), n.orig_end(10) - n.orig_begin(4)),
            "four one five, two two");
  // copied bytes map to themselves
  EXPECT_EQ(n.begin[0], 0u);
  EXPECT_EQ(n.end[2], 3u);
  // offsets are monotonic
  for (std::size_t i = 1; i < n.text.size(); ++i) {
    EXPECT_LE(n.begin[i - 1], n.begin[i]);
    EXPECT_LE(n.end[i - 1], n.end[i]);
  }
}

TEST(RedactionSpoken, CompositeNumberMapsToAllItsWords) {
  const std::string s = "born nineteen sixty one";
  auto n = normalize(s);
  ASSERT_EQ(n.text, "born 1961");
  EXPECT_EQ(s.substr(n.orig_begin(5), n.orig_end(9) - n.orig_begin(5)),
            "nineteen sixty one");
}

// The compact map (pieces) the engine uses answers exactly as the full
// per-byte map does, for every byte of the rewritten text.
TEST(RedactionSpoken, CompactMapEqualsFullMap) {
  static const char *const kPieces[] = {
      "four ",  "one ",        "five",      ", ",
      "oh ",    "double ",     "triple ",   "nineteen ",
      "sixty ", "one",         " hundred ", "thousand ",
      "and ",   "third",       " of ",      "march ",
      "uh ",    "dash ",       "slash ",    "... ",
      "-",      "twenty-one ", "Agent: ",   "my social is ",
      "123 ",   "x",           ". ",        "seventh ",
      "é ",     "o "};
  std::uint64_t seed = 99;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const int n = 1 + static_cast<int>((seed >> 33) % 40);
    for (int i = 0; i < n; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      s += kPieces[(seed >> 33) % (sizeof kPieces / sizeof kPieces[0])];
    }
    const auto full = normalize(s, true), compact = normalize(s, false);
    ASSERT_EQ(full.changed, compact.changed) << s;
    ASSERT_EQ(full.text, compact.text) << s;
    EXPECT_TRUE(compact.begin.empty());
    for (std::size_t i = 0; i < full.text.size(); ++i) {
      ASSERT_EQ(full.orig_begin(i), compact.orig_begin(i)) << s << " @" << i;
      ASSERT_EQ(full.orig_end(i + 1), compact.orig_end(i + 1))
          << s << " @" << i;
      ASSERT_EQ(full.begin[i], compact.orig_begin(i)) << s;
      ASSERT_EQ(full.end[i], compact.orig_end(i + 1)) << s;
    }
    // The compact map remembers the piece it found last and searches on
    // from it (a few pieces on, far on, or back): bytes in random order.
    std::uint64_t order = seed;
    for (std::size_t k = 0; k < full.text.size(); ++k) {
      order = order * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::size_t i = (order >> 33) % full.text.size();
      ASSERT_EQ(full.begin[i], compact.orig_begin(i)) << s << " @" << i;
      ASSERT_EQ(full.end[i], compact.orig_end(i + 1)) << s << " @" << i;
    }
  }
}

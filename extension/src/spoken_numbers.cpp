#include "switchboard/spoken_numbers.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "switchboard/cpu_features.hpp"
#include "switchboard/pair_filter.hpp"

namespace switchboard::spoken {

namespace {

enum class Kind : std::uint8_t {
  Digit,    // zero..nine, oh, o
  Teen,     // ten..nineteen
  Tens,     // twenty..ninety
  Hundred,  // hundred
  Thousand, // thousand
  Repeat,   // double (2), triple (3)
  Ordinal,  // first..thirty first (value), ends a run
  TensOrd,  // twentieth, thirtieth
  Filler,   // uh, um: a pause inside a run
  Dash,     // dash, hyphen: a group break inside a run
  Slash,    // slash
  And,      // and (only after hundred/thousand)
};

struct Word {
  Kind kind;
  int value;
  bool weak; // "oh", "o": a digit only next to other number words
};

const std::unordered_map<std::string_view, Word> &lexicon() {
  static const std::unordered_map<std::string_view, Word> words = {
      {"zero", {Kind::Digit, 0, false}},
      {"oh", {Kind::Digit, 0, true}},
      {"o", {Kind::Digit, 0, true}},
      {"one", {Kind::Digit, 1, false}},
      {"two", {Kind::Digit, 2, false}},
      {"three", {Kind::Digit, 3, false}},
      {"four", {Kind::Digit, 4, false}},
      {"five", {Kind::Digit, 5, false}},
      {"six", {Kind::Digit, 6, false}},
      {"seven", {Kind::Digit, 7, false}},
      {"eight", {Kind::Digit, 8, false}},
      {"nine", {Kind::Digit, 9, false}},
      {"ten", {Kind::Teen, 10, false}},
      {"eleven", {Kind::Teen, 11, false}},
      {"twelve", {Kind::Teen, 12, false}},
      {"thirteen", {Kind::Teen, 13, false}},
      {"fourteen", {Kind::Teen, 14, false}},
      {"fifteen", {Kind::Teen, 15, false}},
      {"sixteen", {Kind::Teen, 16, false}},
      {"seventeen", {Kind::Teen, 17, false}},
      {"eighteen", {Kind::Teen, 18, false}},
      {"nineteen", {Kind::Teen, 19, false}},
      {"twenty", {Kind::Tens, 20, false}},
      {"thirty", {Kind::Tens, 30, false}},
      {"forty", {Kind::Tens, 40, false}},
      {"fourty", {Kind::Tens, 40, false}},
      {"fifty", {Kind::Tens, 50, false}},
      {"sixty", {Kind::Tens, 60, false}},
      {"seventy", {Kind::Tens, 70, false}},
      {"eighty", {Kind::Tens, 80, false}},
      {"ninety", {Kind::Tens, 90, false}},
      {"hundred", {Kind::Hundred, 0, false}},
      {"thousand", {Kind::Thousand, 0, false}},
      {"double", {Kind::Repeat, 2, true}},
      {"triple", {Kind::Repeat, 3, true}},
      {"first", {Kind::Ordinal, 1, true}},
      {"second", {Kind::Ordinal, 2, true}},
      {"third", {Kind::Ordinal, 3, false}},
      {"fourth", {Kind::Ordinal, 4, false}},
      {"fifth", {Kind::Ordinal, 5, false}},
      {"sixth", {Kind::Ordinal, 6, false}},
      {"seventh", {Kind::Ordinal, 7, false}},
      {"eighth", {Kind::Ordinal, 8, false}},
      {"ninth", {Kind::Ordinal, 9, false}},
      {"tenth", {Kind::Ordinal, 10, false}},
      {"eleventh", {Kind::Ordinal, 11, false}},
      {"twelfth", {Kind::Ordinal, 12, false}},
      {"thirteenth", {Kind::Ordinal, 13, false}},
      {"fourteenth", {Kind::Ordinal, 14, false}},
      {"fifteenth", {Kind::Ordinal, 15, false}},
      {"sixteenth", {Kind::Ordinal, 16, false}},
      {"seventeenth", {Kind::Ordinal, 17, false}},
      {"eighteenth", {Kind::Ordinal, 18, false}},
      {"nineteenth", {Kind::Ordinal, 19, false}},
      {"twentieth", {Kind::TensOrd, 20, false}},
      {"thirtieth", {Kind::TensOrd, 30, false}},
      {"uh", {Kind::Filler, 0, true}},
      {"um", {Kind::Filler, 0, true}},
      {"uhm", {Kind::Filler, 0, true}},
      {"er", {Kind::Filler, 0, true}},
      {"ah", {Kind::Filler, 0, true}},
      {"hmm", {Kind::Filler, 0, true}},
      {"dash", {Kind::Dash, 0, true}},
      {"hyphen", {Kind::Dash, 0, true}},
      {"slash", {Kind::Slash, 0, true}},
      {"and", {Kind::And, 0, true}},
  };
  return words;
}

inline bool is_alpha(unsigned char c) {
  // 'A'-'Z' and 'a'-'z' are exactly the bytes that OR 0x20 maps into 'a'-'z'.
  return static_cast<unsigned char>((c | 0x20) - 'a') < 26;
}
inline bool is_alnum(unsigned char c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}

// Looks up text[b, e) case-insensitively (text[b, e) is ASCII letters).
const Word *lookup(std::string_view text, std::size_t b, std::size_t e) {
  const std::size_t n = e - b;
  if (n == 0 || n > 11)
    return nullptr;
  // Lexicon entries bucketed by their first two letters ('{' for a
  // one-letter word), with the lengths each bucket holds.
  struct Entry {
    std::string_view word;
    const Word *w;
  };
  struct Index {
    std::uint16_t lens[26 * 27] = {};
    std::uint16_t begin[26 * 27 + 1] = {};
    std::vector<Entry> entries;
    static std::size_t key(char a, char b) {
      return static_cast<std::size_t>(a - 'a') * 27 +
             static_cast<std::size_t>(b == 0 ? 26 : b - 'a');
    }
    Index() {
      std::vector<std::pair<std::size_t, Entry>> all;
      for (const auto &kv : lexicon()) {
        const std::size_t k =
            key(kv.first[0], kv.first.size() > 1 ? kv.first[1] : 0);
        all.push_back({k, Entry{kv.first, &kv.second}});
        lens[k] = static_cast<std::uint16_t>(lens[k] | (1u << kv.first.size()));
      }
      for (std::size_t k = 0; k < 26 * 27; ++k) {
        begin[k] = static_cast<std::uint16_t>(entries.size());
        for (const auto &x : all)
          if (x.first == k)
            entries.push_back(x.second);
      }
      begin[26 * 27] = static_cast<std::uint16_t>(entries.size());
    }
  };
  static const Index index;
  const char a = static_cast<char>(text[b] | 0x20);
  const char c = n > 1 ? static_cast<char>(text[b + 1] | 0x20) : 0;
  if (a < 'a' || a > 'z' || (n > 1 && (c < 'a' || c > 'z')))
    return nullptr;
  const std::size_t k = Index::key(a, c);
  if ((index.lens[k] & (1u << n)) == 0)
    return nullptr;
  char buf[12];
  for (std::size_t i = 0; i < n; ++i)
    buf[i] = static_cast<char>(text[b + i] | 0x20);
  for (std::size_t x = index.begin[k]; x < index.begin[k + 1]; ++x) {
    const Entry &en = index.entries[x];
    if (en.word.size() != n)
      continue;
    std::size_t i = 0;
    while (i < n && en.word[i] == buf[i])
      ++i;
    if (i == n)
      return en.w;
  }
  return nullptr;
}

struct Tok {
  Word w;
  std::uint32_t b, e;
  // separator before this token: 0 none, '-' break, '/' slash
  char sep;
};

// A word token is a maximal run of ASCII letters not glued to digits.
bool word_at(std::string_view t, std::size_t i, std::size_t &e) {
  if (!is_alpha(static_cast<unsigned char>(t[i])))
    return false;
  if (i > 0 && is_alnum(static_cast<unsigned char>(t[i - 1])))
    return false;
  std::size_t j = i;
  while (j < t.size() && is_alpha(static_cast<unsigned char>(t[j])))
    ++j;
  if (j < t.size() && (t[j] >= '0' && t[j] <= '9'))
    return false;
  e = j;
  return true;
}

// The previous word is a month name, or the next word is "of".
bool date_ordinal(std::string_view t, std::size_t b, std::size_t e) {
  static const char *const kMonths[] = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  std::size_t p = b;
  while (p > 0 && t[p - 1] == ' ')
    --p;
  std::size_t q = p;
  while (q > 0 && is_alpha(static_cast<unsigned char>(t[q - 1])))
    --q;
  if (q < p && p - q <= 9) {
    char buf[10];
    for (std::size_t i = q; i < p; ++i)
      buf[i - q] = static_cast<char>(t[i] | 0x20);
    std::string_view w(buf, p - q);
    for (const char *m : kMonths)
      if (w == m)
        return true;
  }
  std::size_t n = e;
  while (n < t.size() && t[n] == ' ')
    ++n;
  return n + 2 <= t.size() && (t[n] | 0x20) == 'o' &&
         (t[n + 1] | 0x20) == 'f' &&
         (n + 2 == t.size() || !is_alpha(static_cast<unsigned char>(t[n + 2])));
}

bool numeric(Kind k) {
  return k == Kind::Digit || k == Kind::Teen || k == Kind::Tens ||
         k == Kind::Hundred || k == Kind::Thousand || k == Kind::Repeat ||
         k == Kind::Ordinal || k == Kind::TensOrd;
}

// Number words that may start a run (not "hundred"/"thousand", fillers,
// "dash", "and").
bool starts_run(Kind k) {
  return numeric(k) && k != Kind::Hundred && k != Kind::Thousand;
}

// For each first-two-letters key (the second letter 26 for one-letter
// words), the lengths of the words that may start a run; at namespace scope
// for the hot loop of normalize_into (no guard of a function-local static
// on every word).
struct RunShapes {
  std::uint32_t lens[26 * 27] = {};
  RunShapes() {
    for (const auto &kv : lexicon()) {
      if (!starts_run(kv.second.kind))
        continue;
      const std::size_t key =
          static_cast<std::size_t>(kv.first[0] - 'a') * 27 +
          (kv.first.size() > 1 ? static_cast<std::size_t>(kv.first[1] - 'a')
                               : 26);
      lens[key] |= 1u << kv.first.size();
    }
  }
};
const RunShapes kRunShapes;

// Whether a word of letters text[b, e) may be a number word that starts a
// run, judged by its first two letters and length: false means lookup finds
// no such word.
bool may_start_run(std::string_view text, std::size_t b, std::size_t e) {
  const std::size_t n = e - b;
  if (n > 11)
    return false;
  const std::size_t a = static_cast<std::size_t>((text[b] | 0x20) - 'a');
  const std::size_t c =
      n > 1 ? static_cast<std::size_t>((text[b + 1] | 0x20) - 'a') : 26;
  return (kRunShapes.lens[a * 27 + c] & (1u << n)) != 0;
}

// may_start_run(text, p, r) for a run of letters text[p, r), without
// branches (the answer is nearly always no): the second letter is read only
// when the word has one, a length over 11 finds no bit.
inline bool may_start(const unsigned char *s, std::size_t n, std::size_t p,
                      std::size_t r) {
  const std::size_t len = r - p;
  const std::size_t a = static_cast<std::size_t>((s[p] | 0x20) - 'a');
  const unsigned char second = s[std::min(p + 1, n - 1)];
  const std::size_t c =
      len > 1 ? static_cast<std::size_t>((second | 0x20) - 'a') : 26;
  return ((kRunShapes.lens[a * 27 + c] >> std::min<std::size_t>(len, 31)) &
          1u) != 0;
}

class Emitter {
public:
  Emitter(Normalized &out, bool full) : out_(out), full_(full) {}
  void put(char c, std::uint32_t b, std::uint32_t e) {
    if (full_) {
      out_.begin.push_back(b);
      out_.end.push_back(e);
    }
    auto &pieces = out_.pieces;
    if (pieces.empty() || pieces.back().copy || pieces.back().ob != b ||
        pieces.back().oe != e)
      pieces.push_back(Normalized::Piece{
          static_cast<std::uint32_t>(out_.text.size()), b, e, false});
    out_.text.push_back(c);
  }
  void put_num(int value, int width, std::uint32_t b, std::uint32_t e) {
    char buf[16];
    int n = 0;
    do {
      buf[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value > 0);
    while (n < width)
      buf[n++] = '0';
    while (n > 0)
      put(buf[--n], b, e);
  }

private:
  Normalized &out_;
  bool full_;
};

// Parses a number below 100 at toks[k]; returns tokens consumed (0 if none).
std::size_t sub100(const std::vector<Tok> &toks, std::size_t k, int &value) {
  if (k >= toks.size())
    return 0;
  const Tok &t = toks[k];
  if (t.w.kind == Kind::Digit && t.w.value == 0 && k + 1 < toks.size() &&
      toks[k + 1].sep == 0 && toks[k + 1].w.kind == Kind::Digit) {
    value = toks[k + 1].w.value; // "hundred oh five"
    return 2;
  }
  if (t.w.kind == Kind::Digit || t.w.kind == Kind::Teen) {
    value = t.w.value;
    return 1;
  }
  if (t.w.kind == Kind::Tens) {
    value = t.w.value;
    if (k + 1 < toks.size() && toks[k + 1].sep == 0 &&
        toks[k + 1].w.kind == Kind::Digit && toks[k + 1].w.value > 0) {
      value += toks[k + 1].w.value;
      return 2;
    }
    return 1;
  }
  return 0;
}

// Below 1000: "three hundred twelve", or a sub-100.
std::size_t sub1000(const std::vector<Tok> &toks, std::size_t k, int &value) {
  if (k + 1 < toks.size() && toks[k].w.kind == Kind::Digit &&
      toks[k + 1].w.kind == Kind::Hundred) {
    int rest = 0;
    std::size_t used = sub100(toks, k + 2, rest);
    value = toks[k].w.value * 100 + rest;
    return 2 + used;
  }
  return sub100(toks, k, value);
}

// Writes one run of tokens as digits.
void emit_run(const std::vector<Tok> &toks, Emitter &em) {
  std::size_t k = 0;
  while (k < toks.size()) {
    const Tok &t = toks[k];
    if (k > 0 && t.sep != 0)
      em.put(t.sep, toks[k - 1].e, t.b);
    switch (t.w.kind) {
    case Kind::Digit:
    case Kind::Teen:
    case Kind::Ordinal:
    case Kind::TensOrd:
      em.put_num(t.w.value, 1, t.b, t.e);
      ++k;
      break;
    case Kind::Tens: {
      if (k + 1 < toks.size() && toks[k + 1].sep == 0 &&
          (toks[k + 1].w.kind == Kind::Digit ||
           toks[k + 1].w.kind == Kind::Ordinal) &&
          toks[k + 1].w.value > 0 && toks[k + 1].w.value < 10) {
        em.put_num(t.w.value + toks[k + 1].w.value, 2, t.b, toks[k + 1].e);
        k += 2;
      } else {
        em.put_num(t.w.value, 2, t.b, t.e);
        ++k;
      }
      break;
    }
    case Kind::Hundred:
    case Kind::Thousand: {
      const int width = t.w.kind == Kind::Hundred ? 2 : 3;
      // Digit words read one by one after it ("one eight hundred five five
      // five ...") are a number of their own: "hundred" is just "00".
      std::size_t digits = 0;
      while (k + 1 + digits < toks.size() &&
             toks[k + 1 + digits].w.kind == Kind::Digit &&
             toks[k + 1 + digits].sep == 0)
        ++digits;
      const bool sequence =
          digits >= 2 && !(digits == 2 && toks[k + 1].w.value == 0);
      int rest = 0;
      std::size_t used = sequence     ? 0
                         : width == 2 ? sub100(toks, k + 1, rest)
                                      : sub1000(toks, k + 1, rest);
      std::uint32_t e = used ? toks[k + used].e : t.e;
      em.put_num(rest, width, t.b, e);
      k += 1 + used;
      break;
    }
    case Kind::Repeat: {
      const Tok &d = toks[k + 1]; // a run only keeps Repeat before a Digit
      for (int r = 0; r < t.w.value; ++r)
        em.put_num(d.w.value, 1, t.b, d.e);
      k += 2;
      break;
    }
    default:
      ++k;
      break;
    }
  }
}

// Output of a normaliser: the original text copied up to where a run of
// number words starts, then the run's digits (both normalisers share it;
// they differ only in how they reach the next word that may start a run).
class RunWriter {
public:
  RunWriter(std::string_view text, Normalized &out, bool full_map)
      : text_(text), out_(out), full_map_(full_map), em_(out, full_map) {}

  // The run of number words that w = text[i, e) starts, written out if it
  // is one; returns where the search for the next word resumes. look(b, e)
  // is the lexicon entry of the word text[b, e), or NULL.
  template <typename Look>
  std::size_t take_run(const Word *w, std::size_t i, std::size_t e,
                       std::vector<Tok> &run, Look look) {
    const std::string_view text = text_;
    const std::size_t n = text.size();
    if (w == nullptr || !numeric(w->kind) || w->kind == Kind::Hundred ||
        w->kind == Kind::Thousand)
      return e;
    // Collect a run starting at this number word.
    run.clear();
    run.push_back(Tok{*w, static_cast<std::uint32_t>(i),
                      static_cast<std::uint32_t>(e), 0});
    std::size_t j = e;
    bool ended = w->kind == Kind::Ordinal || w->kind == Kind::TensOrd;
    while (!ended) {
      // Gap: spaces and punctuation, fillers, dash words.
      char sep = 0;
      std::size_t p = j;
      bool ok = true;
      const Word *next = nullptr;
      std::size_t ne = 0;
      int spaces = 0;
      while (p < n) {
        const char c = text[p];
        if (c == ' ' || c == '\t') {
          ++spaces;
          ++p;
        } else if (c == ',' || c == ';' || c == '.') {
          // "..." and commas are pauses; a single '.' ends a sentence
          if (c == '.' && !(p + 1 < n && text[p + 1] == '.') &&
              !(p > 0 && text[p - 1] == '.')) {
            ok = false;
            break;
          }
          sep = '-';
          ++p;
        } else if (c == '-') {
          if (p == j && p + 1 < n &&
              is_alpha(static_cast<unsigned char>(text[p + 1]))) {
            ++p; // "twenty-one": a glued hyphen joins
          } else {
            sep = '-';
            ++p;
          }
        } else if (is_alpha(static_cast<unsigned char>(c)) &&
                   word_at(text, p, ne)) {
          const Word *g = look(p, ne);
          if (g == nullptr) {
            ok = false;
            break;
          }
          if (g->kind == Kind::Filler || g->kind == Kind::Dash) {
            sep = '-';
            p = ne;
          } else if (g->kind == Kind::Slash) {
            sep = '/';
            p = ne;
          } else if (g->kind == Kind::And) {
            const Kind last = run.back().w.kind;
            if (last != Kind::Hundred && last != Kind::Thousand) {
              ok = false;
              break;
            }
            p = ne;
          } else {
            next = g;
            break;
          }
        } else {
          ok = false;
          break;
        }
        if (spaces > 3) {
          ok = false;
          break;
        }
      }
      if (!ok || next == nullptr || !numeric(next->kind))
        break;
      // "double"/"triple" only count before a digit word; decided below.
      run.push_back(Tok{*next, static_cast<std::uint32_t>(p),
                        static_cast<std::uint32_t>(ne), sep});
      j = ne;
      if (next->kind == Kind::Ordinal || next->kind == Kind::TensOrd)
        ended = true;
    }
    // Drop Repeat tokens not followed by a digit word (and anything after).
    for (std::size_t k = 0; k < run.size(); ++k) {
      if (run[k].w.kind == Kind::Repeat &&
          (k + 1 >= run.size() || run[k + 1].w.kind != Kind::Digit)) {
        run.resize(k);
        break;
      }
    }
    // A run of weak words only ("oh", "first", "second") stays as text.
    bool strong = false;
    for (const Tok &t : run)
      strong = strong || !t.w.weak;
    // ... except an ordinal in a date: "may second", "first of october".
    if (!strong && run.size() == 1 && run[0].w.kind == Kind::Ordinal &&
        date_ordinal(text, run[0].b, run[0].e))
      strong = true;
    if (run.empty() || (!strong && run.size() < 2)) {
      return e;
    }
    ensure_started();
    copy_to(run.front().b);
    emit_run(run, em_);
    copied_ = run.back().e;
    return copied_;
  }

  // The rest of the text, once every run is written.
  void finish() {
    if (out_.changed)
      copy_to(text_.size());
  }

private:
  void ensure_started() {
    if (!out_.changed) {
      const std::size_t n = text_.size();
      out_.changed = true;
      out_.text.reserve(n + 16);
      out_.pieces.reserve(32);
      if (full_map_) {
        out_.begin.reserve(n + 16);
        out_.end.reserve(n + 16);
      }
    }
  }
  void copy_to(std::size_t upto) {
    if (upto <= copied_)
      return;
    const std::size_t at = out_.text.size(), len = upto - copied_;
    out_.pieces.push_back(Normalized::Piece{static_cast<std::uint32_t>(at),
                                            static_cast<std::uint32_t>(copied_),
                                            0, true});
    out_.text.append(text_.data() + copied_, len);
    if (full_map_) {
      out_.begin.resize(at + len);
      out_.end.resize(at + len);
      std::uint32_t *bp = out_.begin.data() + at, *ep = out_.end.data() + at;
      for (std::size_t k = 0; k < len; ++k) {
        bp[k] = static_cast<std::uint32_t>(copied_ + k);
        ep[k] = static_cast<std::uint32_t>(copied_ + k + 1);
      }
    }
    copied_ = upto;
  }

  std::string_view text_;
  Normalized &out_;
  bool full_map_;
  Emitter em_;
  std::size_t copied_ = 0; // original bytes [0, copied_) are already emitted
};

} // namespace

Normalized normalize_reference(std::string_view text, bool full_map) {
  Normalized out;
  const std::size_t n = text.size();
  RunWriter writer(text, out, full_map);
  std::vector<Tok> run;
  std::size_t i = 0;
  while (i < n) {
    std::size_t e;
    if (!is_alpha(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    {
      // Quick reject: no word that can start a run has this word's first
      // two letters and length (lookup would find nothing to start).
      std::size_t r = i + 1;
      while (r < n && is_alpha(static_cast<unsigned char>(text[r])))
        ++r;
      if (!may_start_run(text, i, r)) {
        i = r;
        continue;
      }
    }
    if (!word_at(text, i, e)) {
      // No word starts inside a run of letters: skip the run.
      ++i;
      while (i < n && is_alpha(static_cast<unsigned char>(text[i])))
        ++i;
      continue;
    }
    i = writer.take_run(
        lookup(text, i, e), i, e, run,
        [&](std::size_t b, std::size_t we) { return lookup(text, b, we); });
  }
  writer.finish();
  return out;
}

namespace {

// The letters of one block of 64 bytes, s[b, b + 64) of a text of n bytes
// (bit k: byte b + k; bytes at or past n count as neither).
struct LetterMasks {
  std::uint64_t letters; // ASCII letters
  // letters a number word that may start a run can begin with (either
  // case): d, e, f, n, o, s, t, z. A number word starting with another
  // letter would be missed: the normalize_reference comparison tests over
  // the corpus and generated texts fail then.
  std::uint64_t firsts;
  std::uint64_t oh;  // 'o' or 'O'
  std::uint64_t ohp; // "oh" in any case starts here
  std::uint64_t th;  // "th" in any case starts here
  // A letter followed by a byte that some word that may start a run (of
  // two letters or more) may have as its first two letters (kRunPairs: a
  // superset; may_start() decides).
  std::uint64_t pairs;
};

// The first two letters of the words that may start a run (of two letters
// or more). Each second letter takes a group bit by alphabet order; past
// eight, the last bit is shared (still a superset).
PairFilter run_pairs() {
  auto starts_run_pair = [](const auto &kv) {
    return starts_run(kv.second.kind) && kv.first.size() >= 2;
  };
  bool used[26] = {};
  for (const auto &kv : lexicon())
    if (starts_run_pair(kv))
      used[kv.first[1] - 'a'] = true;
  std::uint8_t group[26] = {};
  int next = 0;
  for (int c = 0; c < 26; ++c)
    if (used[c])
      group[c] = static_cast<std::uint8_t>(1u << std::min(next++, 7));
  PairFilter f;
  for (const auto &kv : lexicon())
    if (starts_run_pair(kv))
      f.add(static_cast<unsigned char>(kv.first[0]),
            static_cast<unsigned char>(kv.first[1]), group);
  f.set_groups(group);
  return f;
}
const PairFilter kRunPairs = run_pairs();

inline bool run_first(unsigned char c) {
  switch (c | 0x20) {
  case 'd':
  case 'e':
  case 'f':
  case 'n':
  case 'o':
  case 's':
  case 't':
  case 'z':
    return true;
  default:
    return false;
  }
}

// The masks of the 64 bytes at p (65 readable: "th" looks one byte on), a
// byte at a time: the reference for the SIMD versions, and the only way on
// targets without SSE2.
LetterMasks letter_block_scalar(const unsigned char *p) {
  LetterMasks m{0, 0, 0, 0, 0, 0};
  for (int k = 0; k < 64; ++k) {
    const std::uint64_t one = 1ull << k;
    if (is_alpha(p[k]))
      m.letters |= one;
    if (is_alpha(p[k]) && run_first(p[k]))
      m.firsts |= one;
    if ((p[k] | 0x20) == 'o')
      m.oh |= one;
    if ((p[k] | 0x20) == 'o' && (p[k + 1] | 0x20) == 'h')
      m.ohp |= one;
    if ((p[k] | 0x20) == 't' && (p[k + 1] | 0x20) == 'h')
      m.th |= one;
    if (is_alpha(p[k]) && kRunPairs.pass(p[k], p[k + 1]))
      m.pairs |= one;
  }
  return m;
}

#if defined(__SSE2__)
LetterMasks letter_block_sse2(const unsigned char *p) {
  LetterMasks m{0, 0, 0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    const __m128i x =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k));
    const __m128i lx = _mm_or_si128(x, _mm_set1_epi8(0x20));
    const __m128i next = _mm_or_si128(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k + 1)),
        _mm_set1_epi8(0x20));
    // lx - 'a' < 26 as unsigned, in signed arithmetic: add 128 - 'a' and
    // compare with 26 - 128.
    const __m128i l = _mm_cmplt_epi8(
        _mm_add_epi8(lx, _mm_set1_epi8(static_cast<char>(128 - 'a'))),
        _mm_set1_epi8(static_cast<char>(26 - 128)));
    // d/e and n/o differ in the lowest bit only.
    const __m128i lx1 = _mm_or_si128(lx, _mm_set1_epi8(1));
    const __m128i o = _mm_cmpeq_epi8(lx, _mm_set1_epi8('o'));
    const __m128i t = _mm_cmpeq_epi8(lx, _mm_set1_epi8('t'));
    const __m128i f = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(lx1, _mm_set1_epi8('e')),
                     _mm_cmpeq_epi8(lx1, _mm_set1_epi8('o'))),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(lx, _mm_set1_epi8('f')),
                                  _mm_cmpeq_epi8(lx, _mm_set1_epi8('s'))),
                     _mm_or_si128(t, _mm_cmpeq_epi8(lx, _mm_set1_epi8('z')))));
    auto bits = [k](__m128i v) {
      return static_cast<std::uint64_t>(
                 static_cast<std::uint16_t>(_mm_movemask_epi8(v)))
             << (16 * k);
    };
    m.letters |= bits(l);
    m.firsts |= bits(_mm_and_si128(l, f));
    const __m128i h = _mm_cmpeq_epi8(next, _mm_set1_epi8('h'));
    m.oh |= bits(o);
    m.ohp |= bits(_mm_and_si128(o, h));
    m.th |= bits(_mm_and_si128(t, h));
  }
  // (SSE2 has no byte shuffle: the pairs a byte at a time.)
  for (int k = 0; k < 64; ++k)
    if (((m.letters >> k) & 1u) && kRunPairs.pass(p[k], p[k + 1]))
      m.pairs |= 1ull << k;
  return m;
}
#endif

#if defined(SWITCHBOARD_AVX2_DISPATCH)
// The same with AVX2, where the CPU has it (chosen at run time).
__attribute__((target("avx2"))) LetterMasks
letter_block_avx2(const unsigned char *p) {
  LetterMasks m{0, 0, 0, 0, 0, 0};
  const __m256i k20 = _mm256_set1_epi8(0x20);
  const __m256i f0 = SWITCHBOARD_PAIR_TABLE(kRunPairs.first[0]),
                f1 = SWITCHBOARD_PAIR_TABLE(kRunPairs.first[1]),
                s0 = SWITCHBOARD_PAIR_TABLE(kRunPairs.second[0]),
                s1 = SWITCHBOARD_PAIR_TABLE(kRunPairs.second[1]);
  for (int k = 0; k < 2; ++k) {
    const __m256i x =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32 * k));
    const __m256i lx = _mm256_or_si256(x, k20);
    const __m256i next = _mm256_or_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32 * k + 1)),
        k20);
    const __m256i l = _mm256_cmpgt_epi8(
        _mm256_set1_epi8(static_cast<char>(26 - 128)),
        _mm256_add_epi8(lx, _mm256_set1_epi8(static_cast<char>(128 - 'a'))));
    const __m256i lx1 = _mm256_or_si256(lx, _mm256_set1_epi8(1));
    const __m256i o = _mm256_cmpeq_epi8(lx, _mm256_set1_epi8('o'));
    const __m256i t = _mm256_cmpeq_epi8(lx, _mm256_set1_epi8('t'));
    const __m256i f = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(lx1, _mm256_set1_epi8('e')),
                        _mm256_cmpeq_epi8(lx1, _mm256_set1_epi8('o'))),
        _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(lx, _mm256_set1_epi8('f')),
                            _mm256_cmpeq_epi8(lx, _mm256_set1_epi8('s'))),
            _mm256_or_si256(t, _mm256_cmpeq_epi8(lx, _mm256_set1_epi8('z')))));
    const int shift = 32 * k;
    m.letters |= static_cast<std::uint64_t>(
                     static_cast<std::uint32_t>(_mm256_movemask_epi8(l)))
                 << shift;
    m.firsts |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                    _mm256_movemask_epi8(_mm256_and_si256(l, f))))
                << shift;
    const __m256i h = _mm256_cmpeq_epi8(next, _mm256_set1_epi8('h'));
    m.oh |= static_cast<std::uint64_t>(
                static_cast<std::uint32_t>(_mm256_movemask_epi8(o)))
            << shift;
    m.ohp |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                 _mm256_movemask_epi8(_mm256_and_si256(o, h))))
             << shift;
    m.th |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                _mm256_movemask_epi8(_mm256_and_si256(t, h))))
            << shift;
    // kRunPairs.pass for each byte and the next, by table shuffles.
    const __m256i pr = _mm256_andnot_si256(
        switchboard::pair_miss_avx2(f0, f1, s0, s1, lx, next), l);
    m.pairs |= static_cast<std::uint64_t>(
                   static_cast<std::uint32_t>(_mm256_movemask_epi8(pr)))
               << shift;
  }
  return m;
}
#endif

using LetterBlockFn = LetterMasks (*)(const unsigned char *);

// The fastest implementation this CPU runs.
LetterBlockFn letter_block_fn() {
#if defined(SWITCHBOARD_AVX2_DISPATCH)
  static const LetterBlockFn fn =
      cpu_has_avx2() ? letter_block_avx2 : letter_block_sse2;
  return fn;
#elif defined(__SSE2__)
  return letter_block_sse2;
#else
  return letter_block_scalar;
#endif
}

// The masks of block s[b, b + 64) of a text of n bytes (bytes at or past n
// count as zero bytes).
LetterMasks letter_masks(LetterBlockFn fn, const unsigned char *s,
                         std::size_t n, std::size_t b) {
  // 65 bytes are read (the byte after the block too): the last blocks come
  // from a zero-padded copy.
  unsigned char pad[80];
  if (n - b >= sizeof pad)
    return fn(s + b);
  std::memset(pad, 0, sizeof pad);
  std::memcpy(pad, s + b, n - b);
  return fn(pad);
}

// lookup(text, b, e) for a run of letters s[b, e) of a text of n bytes
// (little-endian byte order of the keys is irrelevant: both sides are built
// the same way): the word lower-cased
// into two 8-byte keys, compared with the entries of its first two letters
// and length.
const Word *lookup_fast(const unsigned char *s, std::size_t n, std::size_t b,
                        std::size_t e) {
  struct Entry {
    std::uint64_t lo, hi;
    const Word *w;
  };
  struct Table {
    // Entries by first letter, second letter (26: none) and length.
    std::vector<Entry> entries;
    std::uint16_t begin[26 * 27 * 12 + 1] = {};
    static std::size_t slot(std::size_t a, std::size_t c, std::size_t len) {
      return (a * 27 + c) * 12 + len;
    }
    Table() {
      std::vector<std::pair<std::size_t, Entry>> all;
      for (const auto &kv : lexicon()) {
        const std::string_view w = kv.first;
        unsigned char buf[16] = {};
        std::memcpy(buf, w.data(), w.size());
        Entry en{0, 0, &kv.second};
        std::memcpy(&en.lo, buf, 8);
        std::memcpy(&en.hi, buf + 8, 8);
        all.push_back(
            {slot(static_cast<std::size_t>(w[0] - 'a'),
                  w.size() > 1 ? static_cast<std::size_t>(w[1] - 'a') : 26,
                  w.size()),
             en});
      }
      for (std::size_t k = 0; k < 26 * 27 * 12; ++k) {
        begin[k] = static_cast<std::uint16_t>(entries.size());
        for (const auto &x : all)
          if (x.first == k)
            entries.push_back(x.second);
      }
      begin[26 * 27 * 12] = static_cast<std::uint16_t>(entries.size());
    }
  };
  static const Table table;
  const std::size_t len = e - b;
  if (len == 0 || len > 11)
    return nullptr;
  std::uint64_t lo, hi;
  if (n - b >= 16) { // two fixed loads; the mask below drops the rest
    std::memcpy(&lo, s + b, 8);
    std::memcpy(&hi, s + b + 8, 8);
  } else {
    unsigned char buf[16] = {};
    std::memcpy(buf, s + b, len);
    std::memcpy(&lo, buf, 8);
    std::memcpy(&hi, buf + 8, 8);
  }
  // Letters only: | 0x20 lower-cases each (and leaves the zero padding).
  const std::uint64_t k20 = 0x2020202020202020ull;
  const std::uint64_t mlo = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1,
                      mhi = len <= 8 ? 0 : (1ull << (8 * (len - 8))) - 1;
  lo = (lo | k20) & mlo;
  hi = (hi | k20) & mhi;
  const std::size_t a = static_cast<std::size_t>((s[b] | 0x20) - 'a');
  const std::size_t c =
      len > 1 ? static_cast<std::size_t>((s[b + 1] | 0x20) - 'a') : 26;
  const std::size_t k = Table::slot(a, c, len);
  for (std::size_t x = table.begin[k]; x < table.begin[k + 1]; ++x)
    if (table.entries[x].lo == lo && table.entries[x].hi == hi)
      return table.entries[x].w;
  return nullptr;
}

// The tokens of a run, one buffer per thread (looked up once per call).
// Not inlined: the engine is a dlopen'ed shared object, where each access to
// a thread_local calls __tls_get_addr, and GCC recomputes an inlined
// thread_local's address at every use rather than keep it in a register
// (inside the run loops too); the reference this returns is kept.
__attribute__((noinline)) std::vector<Tok> &run_buffer() {
  thread_local std::vector<Tok> run;
  return run;
}

} // namespace

Normalized normalize(std::string_view text, bool full_map) {
  Normalized out;
  normalize_into(text, out, full_map);
  return out;
}

// normalize_reference() with the same run logic (RunWriter); only the way to
// the next word that may start a run differs (letter masks instead of a byte
// loop, lookup_fast), and the buffers are reused.
void normalize_into(std::string_view text, Normalized &out, bool full_map) {
  out.text.clear();
  out.begin.clear();
  out.end.clear();
  out.pieces.clear();
  out.changed = false;
  out.hint_ = 0;
  const std::size_t n = text.size();
  RunWriter writer(text, out, full_map);
  std::vector<Tok> &run = run_buffer();

  const unsigned char *s = reinterpret_cast<const unsigned char *>(text.data());
  // The rest of a word that may start a run (the reference's loop body from
  // word_at on): returns where the search for the next word resumes.
  auto from_word = [&](std::size_t i, std::size_t r) -> std::size_t {
    // word_at(text, i, e) for the run of letters text[i, r).
    if ((i > 0 && is_alnum(s[i - 1])) || (r < n && s[r] >= '0' && s[r] <= '9'))
      return r; // no word starts inside a run of letters: skip the run
    return writer.take_run(lookup_fast(s, n, i, r), i, r, run,
                           [&](std::size_t b, std::size_t we) {
                             return lookup_fast(s, n, b, we);
                           });
  };

  // Only the starts of runs of letters can start a word (the reference's
  // byte loop skips every other byte). Each block of 64 bytes gives them as
  // a bit mask; the common case, a word no number word has the shape of
  // (first two letters and length), costs a few independent instructions.
  std::size_t i = 0; // the search resumes here
  const LetterBlockFn block_fn = letter_block_fn();
  for (std::size_t b = 0; b < n;) {
    const LetterMasks lm = letter_masks(block_fn, s, n, b);
    const std::uint64_t letters = lm.letters;
    const std::uint64_t before = b > 0 && is_alpha(s[b - 1]) ? 1u : 0u;
    std::uint64_t starts = lm.firsts & ~((letters << 1) | before);
    // Words of one or two letters only as "o" and "oh"; words starting with
    // "th" only from five letters ("three", "thirty", ...): no other word
    // of those shapes may start a run. (Bits past the block count as
    // letters here, so a word reaching past it is kept.)
    const std::uint64_t more = letters >> 1 | 1ull << 63,
                        more2 = letters >> 2 | 3ull << 62,
                        more3 = letters >> 3 | 7ull << 61,
                        more4 = letters >> 4 | 15ull << 60;
    starts &= (more & more2) | (lm.oh & (~more | lm.ohp));
    // Words of two letters or more only where their first two letters are
    // those of a word that may start a run ("o" alone is one; at the last
    // bit, more says "letters follow" without knowing: kept).
    starts &= lm.pairs | (lm.oh & ~more) | 1ull << 63;
    starts &= ~lm.th | (more2 & more3 & more4);
    if (i > b)
      starts &= ~0ull << (i - b);
    while (starts != 0) {
      const std::size_t p =
          b + static_cast<std::size_t>(__builtin_ctzll(starts));
      starts &= starts - 1;
      const std::uint64_t rest = ~letters >> (p - b);
      std::size_t r;
      if (rest != 0) {
        r = p + static_cast<std::size_t>(__builtin_ctzll(rest));
      } else {
        r = b + 64;
        while (r < n && is_alpha(s[r]))
          ++r;
      }
      if (!may_start(s, n, p, r))
        continue;
      i = from_word(p, r);
      if (i >= b + 64)
        break;
      starts &= ~0ull << (i - b);
    }
    b = std::max(b + 64, i & ~static_cast<std::size_t>(63));
  }
  writer.finish();
  if (run.capacity() > 4096)
    std::vector<Tok>().swap(run); // keep the per-thread buffer small
}

const Normalized::Piece &Normalized::piece(std::size_t i) const {
  // The last piece starting at or before i. The engine asks in increasing
  // order: the piece of the previous answer, or the one after it, first.
  for (std::size_t h = hint_; h < hint_ + 2 && h < pieces.size(); ++h)
    if (pieces[h].at <= i && (h + 1 == pieces.size() || pieces[h + 1].at > i)) {
      hint_ = h;
      return pieces[h];
    }
  std::size_t lo = 0, hi = pieces.size();
  while (hi - lo > 1) {
    const std::size_t mid = (lo + hi) / 2;
    if (pieces[mid].at <= i)
      lo = mid;
    else
      hi = mid;
  }
  hint_ = lo;
  return pieces[lo];
}

std::uint32_t Normalized::orig_begin(std::size_t b) const {
  if (!changed)
    return static_cast<std::uint32_t>(b);
  if (!begin.empty())
    return begin[b];
  const Piece &p = piece(b);
  return p.copy ? p.ob + static_cast<std::uint32_t>(b - p.at) : p.ob;
}

std::uint32_t Normalized::orig_end(std::size_t e) const {
  if (!changed)
    return static_cast<std::uint32_t>(e);
  if (!end.empty())
    return end[e - 1];
  const Piece &p = piece(e - 1);
  return p.copy ? p.ob + static_cast<std::uint32_t>(e - p.at) : p.oe;
}

namespace detail {
bool letter_masks_agree(std::string_view text) {
  std::vector<unsigned char> buf(text.begin(), text.end());
  buf.resize(buf.size() + 80, 0);
  const unsigned char *s = buf.data();
  for (std::size_t b = 0; b < text.size(); b += 64) {
    const LetterMasks r = letter_block_scalar(s + b);
    std::vector<LetterMasks> got{letter_masks(
        letter_block_fn(), reinterpret_cast<const unsigned char *>(text.data()),
        text.size(), b)};
#if defined(__SSE2__)
    got.push_back(letter_block_sse2(s + b));
#endif
#if defined(SWITCHBOARD_AVX2_DISPATCH)
    if (cpu_has_avx2())
      got.push_back(letter_block_avx2(s + b));
#endif
    for (const LetterMasks &a : got)
      if (a.letters != r.letters || a.firsts != r.firsts || a.oh != r.oh ||
          a.ohp != r.ohp || a.th != r.th || a.pairs != r.pairs)
        return false;
  }
  return true;
}

bool run_pair_kept(std::string_view pair) {
  if (pair.size() != 2)
    return false;
  unsigned char buf[80] = {};
  buf[0] = static_cast<unsigned char>(pair[0]);
  buf[1] = static_cast<unsigned char>(pair[1]);
  return (letter_block_fn()(buf).pairs & 1u) != 0 &&
         kRunPairs.pass(buf[0], buf[1]);
}
} // namespace detail

} // namespace switchboard::spoken

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

// The tokens of one run. A push is a compare with the storage's size and a
// store (std::vector's push_back was an out-of-line call per word); the
// storage only grows, until clear_storage().
class Toks {
public:
  void clear() { n_ = 0; }
  void push(const Tok &t) {
    if (n_ == buf_.size())
      grow();
    buf_[n_++] = t;
  }
  void truncate(std::size_t k) { n_ = k; }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Tok &operator[](std::size_t k) const { return buf_[k]; }
  const Tok &front() const { return buf_[0]; }
  const Tok &back() const { return buf_[n_ - 1]; }
  const Tok *begin() const { return buf_.data(); }
  const Tok *end() const { return buf_.data() + n_; }
  std::size_t storage() const { return buf_.size(); }
  void clear_storage() {
    n_ = 0;
    std::vector<Tok>().swap(buf_);
  }

private:
  __attribute__((noinline)) void grow() { buf_.resize(buf_.size() * 2 + 16); }
  std::vector<Tok> buf_;
  std::size_t n_ = 0;
};

// A word token is a maximal run of ASCII letters not glued to digits.
inline bool word_at(std::string_view t, std::size_t i, std::size_t &e) {
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

// pieces.push_back(Piece{at, ob, oe, copy}) with the fields stored in
// place: GCC builds a Piece on the stack with narrow stores and copies it
// with one 16-byte load, which waits for those stores to retire (no
// store-to-load forwarding across them).
inline void add_piece(std::vector<Normalized::Piece> &pieces, std::size_t at,
                      std::size_t ob, std::size_t oe, bool copy) {
  Normalized::Piece &p = pieces.emplace_back();
  p.at = static_cast<std::uint32_t>(at);
  p.ob = static_cast<std::uint32_t>(ob);
  p.oe = static_cast<std::uint32_t>(oe);
  p.copy = copy;
}

class Emitter {
public:
  Emitter(Normalized &out, bool full) : out_(out), full_(full) {}
  void put(char c, std::uint32_t b, std::uint32_t e) { put(&c, 1, b, e); }
  // value in decimal, zero-padded to width (at most 15) digits.
  void put_num(int value, int width, std::uint32_t b, std::uint32_t e) {
    char buf[16];
    char *p = buf + sizeof buf;
    do {
      *--p = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value > 0);
    while (buf + sizeof buf - p < width)
      *--p = '0';
    put(p, static_cast<std::size_t>(buf + sizeof buf - p), b, e);
  }

private:
  // Bytes that all came from the original range [b, e): one piece for them,
  // or the previous one if it came from the same range (then the piece
  // check is once per number, not per byte).
  void put(const char *c, std::size_t len, std::uint32_t b, std::uint32_t e) {
    if (full_) {
      out_.begin.insert(out_.begin.end(), len, b);
      out_.end.insert(out_.end.end(), len, e);
    }
    auto &pieces = out_.pieces;
    if (pieces.empty() || pieces.back().copy || pieces.back().ob != b ||
        pieces.back().oe != e)
      add_piece(pieces, out_.text.size(), b, e, false);
    out_.text.append(c, len);
  }

  Normalized &out_;
  bool full_;
};

// Parses a number below 100 at toks[k]; returns tokens consumed (0 if none).
std::size_t sub100(const Toks &toks, std::size_t k, int &value) {
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
std::size_t sub1000(const Toks &toks, std::size_t k, int &value) {
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
void emit_run(const Toks &toks, Emitter &em) {
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
  std::size_t take_run(const Word *w, std::size_t i, std::size_t e, Toks &run,
                       Look look) {
    const std::string_view text = text_;
    const std::size_t n = text.size();
    if (w == nullptr || !numeric(w->kind) || w->kind == Kind::Hundred ||
        w->kind == Kind::Thousand)
      return e;
    // Collect a run starting at this number word.
    run.clear();
    run.push(Tok{*w, static_cast<std::uint32_t>(i),
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
      run.push(Tok{*next, static_cast<std::uint32_t>(p),
                   static_cast<std::uint32_t>(ne), sep});
      j = ne;
      if (next->kind == Kind::Ordinal || next->kind == Kind::TensOrd)
        ended = true;
    }
    // Drop Repeat tokens not followed by a digit word (and anything after).
    for (std::size_t k = 0; k < run.size(); ++k) {
      if (run[k].w.kind == Kind::Repeat &&
          (k + 1 >= run.size() || run[k + 1].w.kind != Kind::Digit)) {
        run.truncate(k);
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
    add_piece(out_.pieces, at, copied_, 0, true);
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
  Toks run;
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
  std::uint64_t oh;      // 'o' or 'O'
  // A letter followed by a byte that some word that may start a run (of
  // two letters or more) may have as its first two letters (kRunPairs: a
  // superset; may_start() decides). Its letters are among d, e, f, n, o,
  // s, t, z: with "o" alone (oh) it covers every word that may start a run.
  std::uint64_t pairs;
  // Of pairs, those whose second byte is in kHGroup: "oh" and "th" in any
  // case (and the letter before a few non-letters that share the table
  // entry of 'h': then a word of one letter, which "th" or "oh" is not).
  std::uint64_t hpairs;
};

// kRunPairs' group of the second letter 'h': the top bit, which a byte
// movemask reads with no compare.
constexpr std::uint8_t kHGroup = 0x80;

// The first two letters of the words that may start a run (of two letters
// or more). The second letter 'h' takes kHGroup, the others a group bit
// each by alphabet order; past seven, the last of those bits is shared
// (still a superset).
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
      group[c] = c == 'h' - 'a'
                     ? kHGroup
                     : static_cast<std::uint8_t>(1u << std::min(next++, 6));
  PairFilter f;
  for (const auto &kv : lexicon())
    if (starts_run_pair(kv))
      f.add(static_cast<unsigned char>(kv.first[0]),
            static_cast<unsigned char>(kv.first[1]), group);
  f.set_groups(group);
  return f;
}
const PairFilter kRunPairs = run_pairs();

// The group bits of kRunPairs.pass(c, d).
inline std::uint8_t run_pair_groups(unsigned char c, unsigned char d) {
  return kRunPairs.first[PairFilter::row(c)][PairFilter::col(c)] &
         kRunPairs.second[PairFilter::row(d)][PairFilter::col(d)];
}

// The masks of the 64 bytes at p (65 readable: pairs look one byte on), a
// byte at a time: the reference for the SIMD versions, and the only way on
// targets without SSE2.
LetterMasks letter_block_scalar(const unsigned char *p) {
  LetterMasks m{0, 0, 0, 0};
  for (int k = 0; k < 64; ++k) {
    const std::uint64_t one = 1ull << k;
    if (!is_alpha(p[k]))
      continue;
    m.letters |= one;
    if ((p[k] | 0x20) == 'o')
      m.oh |= one;
    const std::uint8_t g = run_pair_groups(p[k], p[k + 1]);
    if (g != 0)
      m.pairs |= one;
    if (g & kHGroup)
      m.hpairs |= one;
  }
  return m;
}

#if defined(__SSE2__)
LetterMasks letter_block_sse2(const unsigned char *p) {
  LetterMasks m{0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    const __m128i lx = _mm_or_si128(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k)),
        _mm_set1_epi8(0x20));
    // lx - 'a' < 26 as unsigned, in signed arithmetic: add 128 - 'a' and
    // compare with 26 - 128.
    const __m128i l = _mm_cmplt_epi8(
        _mm_add_epi8(lx, _mm_set1_epi8(static_cast<char>(128 - 'a'))),
        _mm_set1_epi8(static_cast<char>(26 - 128)));
    const __m128i o = _mm_cmpeq_epi8(lx, _mm_set1_epi8('o'));
    auto bits = [k](__m128i v) {
      return static_cast<std::uint64_t>(
                 static_cast<std::uint16_t>(_mm_movemask_epi8(v)))
             << (16 * k);
    };
    m.letters |= bits(l);
    m.oh |= bits(o);
  }
  // (SSE2 has no byte shuffle: the pairs a byte at a time.)
  for (int k = 0; k < 64; ++k) {
    if (((m.letters >> k) & 1u) == 0)
      continue;
    const std::uint8_t g = run_pair_groups(p[k], p[k + 1]);
    if (g != 0)
      m.pairs |= 1ull << k;
    if (g & kHGroup)
      m.hpairs |= 1ull << k;
  }
  return m;
}
#endif

#if defined(SWITCHBOARD_AVX2_DISPATCH)
// The top bits of the bytes of v, as bits 32 * half to 32 * half + 31.
__attribute__((target("avx2"), always_inline)) inline std::uint64_t
top_bits_avx2(__m256i v, int half) {
  return static_cast<std::uint64_t>(
             static_cast<std::uint32_t>(_mm256_movemask_epi8(v)))
         << (32 * half);
}

// The same with AVX2 (f0, f1, s0, s1: kRunPairs' tables as registers).
__attribute__((target("avx2"), always_inline)) inline LetterMasks
letter_block_avx2(const unsigned char *p, __m256i f0, __m256i f1, __m256i s0,
                  __m256i s1) {
  const __m256i k20 = _mm256_set1_epi8(0x20);
  std::uint64_t letters = 0, oh = 0, miss = 0, hp = 0;
  for (int k = 0; k < 2; ++k) {
    const __m256i lx = _mm256_or_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32 * k)), k20);
    const __m256i next = _mm256_or_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32 * k + 1)),
        k20);
    const __m256i l = _mm256_cmpgt_epi8(
        _mm256_set1_epi8(static_cast<char>(26 - 128)),
        _mm256_add_epi8(lx, _mm256_set1_epi8(static_cast<char>(128 - 'a'))));
    const __m256i g = switchboard::pair_groups_avx2(f0, f1, s0, s1, lx, next);
    letters |= top_bits_avx2(l, k);
    oh |= top_bits_avx2(_mm256_cmpeq_epi8(lx, _mm256_set1_epi8('o')), k);
    miss |= top_bits_avx2(_mm256_cmpeq_epi8(g, _mm256_setzero_si256()), k);
    hp |= top_bits_avx2(g, k); // the top bit: kHGroup
  }
  // Non-letters' table entries may be set: the letters mask drops them.
  return LetterMasks{letters, oh, letters & ~miss, letters & hp};
}

// count blocks from p with AVX2, where the CPU has it (chosen at run time):
// the tables are loaded once for them all.
__attribute__((target("avx2"))) void letter_blocks_avx2(const unsigned char *p,
                                                        std::size_t count,
                                                        LetterMasks *out) {
  const __m256i f0 = SWITCHBOARD_PAIR_TABLE(kRunPairs.first[0]),
                f1 = SWITCHBOARD_PAIR_TABLE(kRunPairs.first[1]),
                s0 = SWITCHBOARD_PAIR_TABLE(kRunPairs.second[0]),
                s1 = SWITCHBOARD_PAIR_TABLE(kRunPairs.second[1]);
  for (std::size_t k = 0; k < count; ++k)
    out[k] = letter_block_avx2(p + 64 * k, f0, f1, s0, s1);
}
#endif

#if defined(__SSE2__)
void letter_blocks_sse2(const unsigned char *p, std::size_t count,
                        LetterMasks *out) {
  for (std::size_t k = 0; k < count; ++k)
    out[k] = letter_block_sse2(p + 64 * k);
}
#else
void letter_blocks_scalar(const unsigned char *p, std::size_t count,
                          LetterMasks *out) {
  for (std::size_t k = 0; k < count; ++k)
    out[k] = letter_block_scalar(p + 64 * k);
}
#endif

// The masks of count blocks of 64 bytes from p into out (64 * count + 1
// bytes readable at p: the byte after the last block too).
using LetterBlocksFn = void (*)(const unsigned char *, std::size_t,
                                LetterMasks *);

// The fastest implementation this CPU runs.
LetterBlocksFn letter_blocks_fn() {
#if defined(SWITCHBOARD_AVX2_DISPATCH)
  static const LetterBlocksFn fn =
      cpu_has_avx2() ? letter_blocks_avx2 : letter_blocks_sse2;
  return fn;
#elif defined(__SSE2__)
  return letter_blocks_sse2;
#else
  return letter_blocks_scalar;
#endif
}

// A block is read in place when this many bytes from its start lie in the
// text (its masks read 65); the last blocks come from a zero-padded copy.
constexpr std::size_t kBlockReach = 80;

// The masks of block s[b, b + 64) of a text of n bytes (bytes at or past n
// count as zero bytes).
LetterMasks letter_masks(LetterBlocksFn fn, const unsigned char *s,
                         std::size_t n, std::size_t b) {
  LetterMasks m;
  if (n - b >= kBlockReach) {
    fn(s + b, 1, &m);
    return m;
  }
  unsigned char pad[kBlockReach] = {};
  std::memcpy(pad, s + b, n - b);
  fn(pad, 1, &m);
  return m;
}

// The masks of the blocks of a text, a batch of blocks at a time: one call
// through the CPU's implementation per batch, and the SIMD tables loaded
// once per batch, not once per block.
class TextMasks {
public:
  static constexpr std::size_t kBatch = 16;

  TextMasks(const unsigned char *s, std::size_t n)
      : s_(s), n_(n), fn_(letter_blocks_fn()) {}

  // The masks of the blocks at b, b + 64, ... (b < n, a multiple of 64),
  // up to kBatch of them and the text's end; returns how many there are.
  std::size_t fill(std::size_t b) {
    const std::size_t count = std::min(kBatch, (n_ - b + 63) / 64);
    // Blocks whose reach lies inside the text are read in place.
    const std::size_t direct =
        n_ - b >= kBlockReach ? std::min(count, (n_ - b - kBlockReach) / 64 + 1)
                              : 0;
    if (direct > 0)
      fn_(s_ + b, direct, masks_);
    for (std::size_t k = direct; k < count; ++k)
      masks_[k] = letter_masks(fn_, s_, n_, b + 64 * k);
    return count;
  }
  // The k-th block of the last fill.
  const LetterMasks &operator[](std::size_t k) const { return masks_[k]; }

private:
  const unsigned char *s_;
  std::size_t n_;
  LetterBlocksFn fn_;
  LetterMasks masks_[kBatch];
};

// The words of block s[b, b + 64) of a text of n bytes that may start a run
// as far as the block's masks lm tell (a superset: may_start() decides).
std::uint64_t block_starts(const unsigned char *s, std::size_t n, std::size_t b,
                           const LetterMasks &lm) {
  const std::uint64_t letters = lm.letters, oh = lm.oh;
  const std::uint64_t before = b > 0 && is_alpha(s[b - 1]) ? 1u : 0u;
  const std::uint64_t after = b + 64 < n && is_alpha(s[b + 64]) ? 1u : 0u;
  // Bit k of moreN: byte k + N is a letter (more exactly; past the block,
  // the others assume letters, so a word reaching past it is kept).
  const std::uint64_t more = letters >> 1 | after << 63,
                      more2 = letters >> 2 | 3ull << 62,
                      more3 = letters >> 3 | 7ull << 61,
                      more4 = letters >> 4 | 15ull << 60;
  // Words of two letters or more only where their first two letters are
  // those of a word that may start a run; of one letter only as "o".
  std::uint64_t starts = (lm.pairs | (oh & ~more)) & ~((letters << 1) | before);
  // Words of two letters only as "oh"; words starting with "th" only from
  // five letters ("three", "thirty", ...): no other word of those shapes
  // may start a run. (The pairs in the group of 'h' are "oh" and "th":
  // no other letter begins a number word with 'h' second.)
  const std::uint64_t ohp = lm.hpairs & oh, th = lm.hpairs & ~oh;
  starts &= (more & more2) | (oh & (~more | ohp));
  starts &= ~th | (more2 & more3 & more4);
  return starts;
}

// The lexicon by key: a word lower-cased into two 8-byte keys (zero-padded;
// the byte order is irrelevant, both sides are built the same way), in a
// table at namespace scope (no guard of a function-local static, no
// indirection through a vector) hashed without collisions: a lookup reads
// one slot, found or not, with no probe loop.
class LexiconKeys {
public:
  LexiconKeys() {
    // kMul places the lexicon as it is (found offline); another lexicon
    // finds its multiplier here.
    for (mul_ = kMul; !place_all(); mul_ += 2) {
    }
  }
  const Word *find(std::uint64_t lo, std::uint64_t hi) const {
    const Slot &sl = slots_[hash(lo, hi)];
    // An empty slot's zero keys match no word's (a letter is never 0).
    return sl.lo == lo && sl.hi == hi ? sl.w : nullptr;
  }

private:
  struct Slot {
    std::uint64_t lo = 0, hi = 0;
    const Word *w = nullptr;
  };
  static constexpr std::size_t kSlots = 256;
  static constexpr std::uint64_t kMul = 0x9e3779b97f4a8343ull;

  std::size_t hash(std::uint64_t lo, std::uint64_t hi) const {
    return static_cast<std::size_t>(
        ((lo ^ (hi * 0xff51afd7ed558ccdull)) * mul_) >> 56);
  }
  // Every word in a slot of its own with mul_.
  bool place_all() {
    for (Slot &sl : slots_)
      sl = Slot{};
    for (const auto &kv : lexicon()) {
      unsigned char buf[16] = {};
      std::memcpy(buf, kv.first.data(), kv.first.size());
      std::uint64_t lo, hi;
      std::memcpy(&lo, buf, 8);
      std::memcpy(&hi, buf + 8, 8);
      Slot &sl = slots_[hash(lo, hi)];
      if (sl.w != nullptr)
        return false;
      sl = Slot{lo, hi, &kv.second};
    }
    return true;
  }

  Slot slots_[kSlots];
  std::uint64_t mul_;
};
const LexiconKeys kLexiconKeys;

// lookup(text, b, e) for a run of letters s[b, e) of a text of n bytes.
__attribute__((always_inline)) inline const Word *
lookup_fast(const unsigned char *s, std::size_t n, std::size_t b,
            std::size_t e) {
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
  // Letters only: | 0x20 lower-cases each (the masks zero the rest).
  const std::uint64_t k20 = 0x2020202020202020ull;
  const std::uint64_t mlo = ~0ull >> (8 * (8 - std::min<std::size_t>(len, 8))),
                      mhi = len > 8 ? ~0ull >> (8 * (16 - len)) : 0;
  return kLexiconKeys.find((lo | k20) & mlo, (hi | k20) & mhi);
}

// The tokens of a run, one buffer per thread (looked up once per call).
// Not inlined: the engine is a dlopen'ed shared object, where each access to
// a thread_local calls __tls_get_addr, and GCC recomputes an inlined
// thread_local's address at every use rather than keep it in a register
// (inside the run loops too); the reference this returns is kept.
__attribute__((noinline)) Toks &run_buffer() {
  thread_local Toks run;
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
  Toks &run = run_buffer();

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
  // byte loop skips every other byte). Each block of 64 bytes gives those
  // that may start a run as a bit mask, a batch of blocks at a time; then
  // only the blocks with a word left (bits of nonempty) take a branch:
  // mostly a block has none, and a branch per block or per word on that is
  // mispredicted often.
  std::size_t i = 0; // the search resumes here
  TextMasks masks(s, n);
  std::uint64_t starts_of[TextMasks::kBatch];
  for (std::size_t b0 = 0; b0 < n; b0 += 64 * TextMasks::kBatch) {
    if (i >= b0 + 64 * TextMasks::kBatch)
      continue; // a run took the whole batch
    const std::size_t count = masks.fill(b0);
    std::uint32_t nonempty = 0;
    for (std::size_t k = 0; k < count; ++k) {
      starts_of[k] = block_starts(s, n, b0 + 64 * k, masks[k]);
      nonempty |= static_cast<std::uint32_t>(starts_of[k] != 0) << k;
    }
    for (; nonempty != 0; nonempty &= nonempty - 1) {
      const std::size_t k = static_cast<std::size_t>(__builtin_ctz(nonempty)),
                        b = b0 + 64 * k;
      const std::uint64_t letters = masks[k].letters;
      std::uint64_t starts = starts_of[k];
      if (i > b)
        starts &= i - b >= 64 ? 0 : ~0ull << (i - b);
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
    }
  }
  writer.finish();
  if (run.storage() > 4096)
    run.clear_storage(); // keep the per-thread buffer small
}

const Normalized::Piece &Normalized::piece_search(std::size_t i) const {
  // The engine asks in increasing order, mostly a few pieces after the
  // hint: steps of 1, 2, 4, ... from it bound the binary search; an earlier
  // byte searches the pieces before the hint. Either way pieces[lo].at <= i
  // (the first piece is at 0) and hi is the end or a piece after i.
  std::size_t lo = 0, hi = hint_;
  if (pieces[hint_].at <= i) {
    lo = hint_;
    hi = lo + 1;
    for (std::size_t step = 2; hi < pieces.size() && pieces[hi].at <= i;
         step *= 2) {
      lo = hi;
      hi = lo + step;
    }
    hi = std::min(hi, pieces.size());
  }
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

namespace detail {
bool letter_masks_agree(std::string_view text) {
  // Each implementation over a zero-padded copy (every block read in place,
  // all in one batch), and the normaliser's way over the text itself.
  std::vector<unsigned char> buf(text.begin(), text.end());
  buf.resize(buf.size() + kBlockReach, 0);
  const unsigned char *s = buf.data();
  const std::size_t blocks = (text.size() + 63) / 64;
  std::vector<LetterBlocksFn> fns;
#if defined(__SSE2__)
  fns.push_back(letter_blocks_sse2);
#else
  fns.push_back(letter_blocks_scalar);
#endif
#if defined(SWITCHBOARD_AVX2_DISPATCH)
  if (cpu_has_avx2())
    fns.push_back(letter_blocks_avx2);
#endif
  std::vector<std::vector<LetterMasks>> batches;
  for (LetterBlocksFn fn : fns) {
    batches.emplace_back(blocks);
    fn(s, blocks, batches.back().data());
  }
  TextMasks in_place(reinterpret_cast<const unsigned char *>(text.data()),
                     text.size());
  for (std::size_t b = 0; b < text.size(); b += 64) {
    const LetterMasks r = letter_block_scalar(s + b);
    const std::size_t k = b / 64 % TextMasks::kBatch;
    if (k == 0)
      in_place.fill(b);
    std::vector<LetterMasks> got{in_place[k]};
    for (const auto &batch : batches)
      got.push_back(batch[b / 64]);
    for (const LetterMasks &a : got)
      if (a.letters != r.letters || a.oh != r.oh || a.pairs != r.pairs ||
          a.hpairs != r.hpairs)
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
  return (letter_masks(letter_blocks_fn(), buf, sizeof buf, 0).pairs & 1u) !=
             0 &&
         kRunPairs.pass(buf[0], buf[1]);
}
} // namespace detail

} // namespace switchboard::spoken

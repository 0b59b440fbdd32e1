#include "switchboard/spoken_numbers.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

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

// Whether a word of letters text[b, e) may be a number word that starts a
// run (not "hundred"/"thousand", fillers, "dash", "and"), judged by its
// first two letters and length: false means lookup finds no such word.
bool may_start_run(std::string_view text, std::size_t b, std::size_t e) {
  struct Shapes {
    std::uint16_t lens[26 * 27] = {};
    Shapes() {
      for (const auto &kv : lexicon()) {
        const Kind k = kv.second.kind;
        if (!numeric(k) || k == Kind::Hundred || k == Kind::Thousand)
          continue;
        const std::size_t key =
            static_cast<std::size_t>(kv.first[0] - 'a') * 27 +
            (kv.first.size() > 1 ? static_cast<std::size_t>(kv.first[1] - 'a')
                                 : 26);
        lens[key] =
            static_cast<std::uint16_t>(lens[key] | (1u << kv.first.size()));
      }
    }
  };
  static const Shapes shapes;
  const std::size_t n = e - b;
  if (n > 11)
    return false;
  const std::size_t a = static_cast<std::size_t>((text[b] | 0x20) - 'a');
  const std::size_t c =
      n > 1 ? static_cast<std::size_t>((text[b + 1] | 0x20) - 'a') : 26;
  return (shapes.lens[a * 27 + c] & (1u << n)) != 0;
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

} // namespace

Normalized normalize(std::string_view text, bool full_map) {
  Normalized out;
  const std::size_t n = text.size();
  std::size_t copied = 0; // original bytes [0, copied) are already emitted
  Emitter em(out, full_map);
  std::vector<Tok> run;

  auto ensure_started = [&] {
    if (!out.changed) {
      out.changed = true;
      out.text.reserve(n + 16);
      out.pieces.reserve(32);
      if (full_map) {
        out.begin.reserve(n + 16);
        out.end.reserve(n + 16);
      }
    }
  };
  auto copy_to = [&](std::size_t upto) {
    if (upto <= copied)
      return;
    const std::size_t at = out.text.size(), len = upto - copied;
    out.pieces.push_back(Normalized::Piece{static_cast<std::uint32_t>(at),
                                           static_cast<std::uint32_t>(copied),
                                           0, true});
    out.text.append(text.data() + copied, len);
    if (full_map) {
      out.begin.resize(at + len);
      out.end.resize(at + len);
      std::uint32_t *bp = out.begin.data() + at, *ep = out.end.data() + at;
      for (std::size_t k = 0; k < len; ++k) {
        bp[k] = static_cast<std::uint32_t>(copied + k);
        ep[k] = static_cast<std::uint32_t>(copied + k + 1);
      }
    }
    copied = upto;
  };

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
    const Word *w = lookup(text, i, e);
    if (w == nullptr || !numeric(w->kind) || w->kind == Kind::Hundred ||
        w->kind == Kind::Thousand) {
      i = e;
      continue;
    }
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
          const Word *g = lookup(text, p, ne);
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
      i = e;
      continue;
    }
    ensure_started();
    copy_to(run.front().b);
    emit_run(run, em);
    copied = run.back().e;
    i = copied;
  }
  if (out.changed)
    copy_to(n);
  return out;
}

const Normalized::Piece &Normalized::piece(std::size_t i) const {
  // The last piece starting at or before i.
  std::size_t lo = 0, hi = pieces.size();
  while (hi - lo > 1) {
    const std::size_t mid = (lo + hi) / 2;
    if (pieces[mid].at <= i)
      lo = mid;
    else
      hi = mid;
  }
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

} // namespace switchboard::spoken

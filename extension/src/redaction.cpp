#include "switchboard/redaction.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <re2/re2.h>
#include <re2/set.h>
#include <sodium.h>

#include "switchboard/cpu_features.hpp"
#include "switchboard/pair_filter.hpp"
#include "switchboard/error.hpp"
#include "switchboard/phi_validators.hpp"
#include "switchboard/spoken_numbers.hpp"
#include "switchboard/version.hpp"

namespace switchboard {
namespace redaction {

namespace {

constexpr const char *kEntityNames[kEntityCount] = {
    "SSN",  "CREDIT_CARD", "PHONE", "EMAIL",      "DATE", "MRN",
    "NPI",  "ADDRESS",     "ZIP",   "IP_ADDRESS", "URL",  "ACCOUNT_NUMBER",
    "ICD10"};
// Their lengths (the output is built per finding).
struct EntityNameLengths {
  std::size_t len[kEntityCount];
  constexpr EntityNameLengths() : len() {
    for (std::size_t i = 0; i < kEntityCount; ++i)
      while (kEntityNames[i][len[i]] != 0)
        ++len[i];
  }
};
constexpr EntityNameLengths kEntityNameLengths;

// What runs after a regex match.
enum class Check : std::uint8_t {
  None,
  Ssn,
  Card,
  Phone,
  Npi,
  Aba,
  DateMdy,
  DateYmd,
  DateWords, // month name plus day and year numbers, in any order
  DateCompact,
  Address,
  Url,
};

using Words = const char *const *;

const char *const kSsnCtx[] = {"social", "ssn", "security number", "ss number",
                               nullptr};
const char *const kNegCtx[] = {
    "order",  "confirmation", "tracking", "invoice",     "reference", "ticket",
    "serial", "model",        "sku",      "part number", "routing",   nullptr};
const char *const kPhoneCtx[] = {"phone",   "call",     "cell",   "mobile",
                                 "reach",   "text",     "number", "fax",
                                 "contact", "callback", nullptr};
const char *const kPhoneNeg[] = {
    "order",   "confirmation", "tracking", "invoice", "reference",
    "ticket",  "npi",          "account",  "member",  "serial",
    "routing", "mrn",          "record",   nullptr};
const char *const kNpiCtx[] = {"npi", "provider", "prescriber", nullptr};
const char *const kDobCtx[] = {"birth", "dob", "born", "birthday", nullptr};
const char *const kIcdCtx[] = {"icd", "diagnos", "dx", "code", nullptr};
const char *const kAddrCtx[] = {"address", "live",      "reside",
                                "street",  "mail",      "located",
                                "home",    "apartment", nullptr};

struct PatternDef {
  Entity entity;
  const char *regex;
  float base;
  Check check;
  int group; // 0: whole match; 1: first capture group
  Words ctx;
  float boost;
  Words neg;
  float penalty;
  std::size_t before = 64; // context window before the candidate, bytes
  std::size_t after = 40;  // and after it
};

#define MONTHS                                                                 \
  "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"       \
  "aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
#define STATES                                                                 \
  "(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|"   \
  "MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|"   \
  "WV|WI|WY|DC)"

const PatternDef kPatterns[] = {
    // SSN: 3-2-4 with separators, or 9 bare digits next to a context word.
    {Entity::Ssn, R"(\b\d{3}[- ]\d{2}[- ]\d{4}\b)", 0.85f, Check::Ssn, 0,
     kSsnCtx, 0.15f, kNegCtx, 0.4f},
    {Entity::Ssn, R"(\b\d{9}\b)", 0.3f, Check::Ssn, 0, kSsnCtx, 0.6f, kNegCtx,
     0.4f},
    // "the last four of my social are 1234": a partial SSN is still one.
    {Entity::Ssn,
     R"((?i)\blast (?:four|4)(?: digits)?(?: of (?:my|your|the|his|her) (?:social(?: security number)?|ssn))(?: is| are)?[:,. ]{0,3}(\d{4})\b)",
     0.9f, Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    {Entity::CreditCard,
     R"((?i)\blast (?:four|4)(?: digits)?(?: of (?:my|your|the|his|her) (?:card|visa|mastercard|amex|credit card|debit card))(?: is| are)?[:,. ]{0,3}(\d{4})\b)",
     0.9f, Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    // Cards: 13-19 digits, single spaces or dashes between any of them.
    {Entity::CreditCard, R"(\b\d(?:[ -]?\d){12,18}\b)", 0.9f, Check::Card, 0,
     nullptr, 0.f, nullptr, 0.f},
    // Phones: formatted, or 10/11 bare digits.
    {Entity::Phone,
     R"((?:\+1[-. ]?|\b1[-. ])?(?:\(\d{3}\) ?|\b\d{3}[-. ])\d{3}[-. ]\d{4}\b)",
     0.75f, Check::Phone, 0, kPhoneCtx, 0.15f, kPhoneNeg, 0.4f},
    {Entity::Phone, R"((?:\+1|\b1?)\d{10}\b)", 0.55f, Check::Phone, 0,
     kPhoneCtx, 0.25f, kPhoneNeg, 0.4f},
    // E-mail: written and spelled ("j smith at gmail dot com").
    {Entity::Email,
     R"(\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)",
     0.95f, Check::None, 0, nullptr, 0.f, nullptr, 0.f},
    {Entity::Email,
     R"((?i)\b(?:[a-z0-9]+ (?:dot|underscore|period) )*(?:[a-z]\.? )?[a-z0-9._]+ at [a-z0-9-]+(?: dot [a-z0-9-]+)* dot (?:com|net|org|edu|gov|io|us|co|info|biz|me)\b)",
     0.85f, Check::None, 0, nullptr, 0.f, nullptr, 0.f},
    // Dates: 3/4/1961, 1961-03-04, March 3rd, 1961, 3 March 1961, 03041961.
    {Entity::Date,
     R"(\b(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|[12]\d|3[01])[/.-](?:(?:19|20)\d{2}|\d{2})\b)",
     0.8f, Check::DateMdy, 0, kDobCtx, 0.15f, nullptr, 0.f},
    {Entity::Date, R"(\b(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b)", 0.8f,
     Check::DateYmd, 0, kDobCtx, 0.15f, nullptr, 0.f},
    {Entity::Date,
     R"((?i)\b)" MONTHS
     R"(\.? (?:the )?\d{1,2}(?:st|nd|rd|th)?,? (?:of )?(?:19|20)\d{2}\b)",
     0.85f, Check::DateWords, 0, kDobCtx, 0.15f, nullptr, 0.f},
    {Entity::Date,
     R"((?i)\b\d{1,2}(?:st|nd|rd|th)? (?:of )?)" MONTHS
     R"(\.?,? (?:19|20)\d{2}\b)",
     0.85f, Check::DateWords, 0, kDobCtx, 0.15f, nullptr, 0.f},
    {Entity::Date, R"(\b\d{8}\b)", 0.2f, Check::DateCompact, 0, kDobCtx, 0.6f,
     nullptr, 0.f},
    // MRN: only with its context word (the number itself is anything).
    {Entity::Mrn,
     R"((?i)\b(?:mrn|medical record|chart|patient id|patient number)(?: (?:number|no|num|#))?(?: is)?[:#. ]{0,3}([a-z]{0,3}-?\d[\d-]{3,14}\d)\b)",
     0.9f, Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    // NPI: Luhn with the 80840 prefix, and a context word.
    {Entity::Npi, R"(\b[12]\d{9}\b)", 0.35f, Check::Npi, 0, kNpiCtx, 0.55f,
     nullptr, 0.f},
    // Street address: number, one to three words, a street suffix.
    {Entity::Address,
     R"((?i)\b\d{1,6}(?: [a-z0-9][a-z0-9.']{0,24}){1,3} (?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|circle|parkway|pkwy|highway|hwy)\b\.?(?: (?:nw|ne|sw|se|n|s|e|w)\b\.?)?(?:,? (?:apt|apartment|suite|ste|unit|#) ?[a-z0-9-]{1,8}\b)?)",
     0.45f, Check::Address, 0, kAddrCtx, 0.3f, nullptr, 0.f},
    // ZIP: with a context word or after a state code.
    {Entity::Zip,
     R"((?i)\b(?:zip|zipcode|postal)(?: code)?(?: is)?[: ]{0,3}(\d{5}(?:-\d{4})?)\b)",
     0.9f, Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    {Entity::Zip, R"(\b)" STATES R"(,? (\d{5}(?:-\d{4})?)\b)", 0.8f,
     Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    // IP addresses.
    {Entity::IpAddress,
     R"(\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b)",
     0.85f, Check::None, 0, nullptr, 0.f, nullptr, 0.f},
    {Entity::IpAddress,
     R"(\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}\b)",
     0.85f, Check::None, 0, nullptr, 0.f, nullptr, 0.f},
    // URLs.
    {Entity::Url, R"((?i)\b(?:https?://|www\.)[^\s<>"']+)", 0.9f, Check::Url, 0,
     nullptr, 0.f, nullptr, 0.f},
    // Account, member, policy and routing numbers: with a context word.
    {Entity::AccountNumber,
     R"((?i)\b(?:account|acct|member(?:ship)?|subscriber|policy|insurance|health plan|plan|group|medicaid|medicare|beneficiary)(?: (?:id|number|no|num|#))?(?: (?:number|no))?(?: is)?[:#. ]{0,3}([a-z]{0,3}-?\d[\d-]{3,18}\d)\b)",
     0.85f, Check::None, 1, nullptr, 0.f, nullptr, 0.f},
    // Medicare Beneficiary Identifier (CMS format, e.g. 1EG4-TE5-MK73).
    {Entity::AccountNumber,
     R"(\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}\b)",
     0.85f, Check::None, 0, nullptr, 0.f, nullptr, 0.f},
    {Entity::AccountNumber,
     R"((?i)\b(?:routing|aba|transit)(?: (?:number|no|#))?(?: is)?[:#. ]{0,3}(\d{9})\b)",
     0.9f, Check::Aba, 1, nullptr, 0.f, nullptr, 0.f},
    // ICD-10-CM: with the dot, or without it next to a context word.
    {Entity::Icd10, R"(\b[A-TV-Z]\d[0-9AB]\.[0-9A-Z]{1,4}\b)", 0.75f,
     Check::None, 0, kIcdCtx, 0.15f, nullptr, 0.f},
    {Entity::Icd10, R"(\b[A-TV-Z]\d[0-9AB][0-9A-Z]{0,4}\b)", 0.2f, Check::None,
     0, kIcdCtx, 0.4f, nullptr, 0.f, 16, 0},
};
constexpr std::size_t kPatternCount = sizeof(kPatterns) / sizeof(kPatterns[0]);

// first_letters() of each pattern's context word lists, computed once.
struct ContextFirsts {
  std::uint32_t ctx[kPatternCount], neg[kPatternCount];
  ContextFirsts();
};
extern const ContextFirsts kContextFirsts;

// E-mail and URL matches have no useful length bound: they are found by a
// scan of their own that resumes after each match (linear). Every other
// pattern has a short maximum length and is found through the locator.
bool scanned(const PatternDef &p) {
  return p.entity == Entity::Email || p.entity == Entity::Url;
}

// The compiled pattern set. Immutable after construction; shared.
class Recognizer {
public:
  explicit Recognizer(std::int64_t max_mem) {
    RE2::Options opt;
    opt.set_log_errors(false);
    if (max_mem > 0)
      opt.set_max_mem(max_mem);
    else
      opt.set_max_mem(64 << 20);
    set_ = std::make_unique<RE2::Set>(opt, RE2::UNANCHORED);
    for (std::size_t i = 0; i < kPatternCount; ++i) {
      std::string err;
      if (set_->Add(kPatterns[i].regex, &err) != static_cast<int>(i))
        throw Error(sqlstate::kInternal, "redaction pattern failed to compile");
      res_.push_back(std::make_unique<RE2>(kPatterns[i].regex, opt));
    }
    // The locator: every pattern as one alternation. Its leftmost match is
    // the leftmost position where any pattern matches, so one DFA pass finds
    // every place worth an anchored try of the individual patterns.
    std::string all;
    for (std::size_t i = 0; i < kPatternCount; ++i) {
      if (scanned(kPatterns[i]))
        continue;
      if (!all.empty())
        all += '|';
      all += "(?:";
      all += kPatterns[i].regex;
      all += ')';
    }
    locator_ = std::make_unique<RE2>(all, opt);
    compiled_ = set_->Compile() && locator_->ok();
    for (const auto &re : res_)
      compiled_ = compiled_ && re->ok();
  }

  // Throws when the set did not compile.
  void check() const {
    if (!compiled_)
      // RE2::Set::Compile runs a trial DFA search and fails when the DFA
      // has no room: the same condition as kOutOfMemory at match time.
      throw Error(sqlstate::kOutOfMemory,
                  "redaction failed: regular expression DFA out of memory",
                  "the pattern set does not fit in the RE2 memory budget");
  }

  // Indices of the patterns that occur in text; throws on DFA failure.
  std::vector<int> prefilter(std::string_view text) const {
    check();
    std::vector<int> hits;
    RE2::Set::ErrorInfo info{};
    const bool any =
        set_->Match(re2::StringPiece(text.data(), text.size()), &hits, &info);
    if (!any && info.kind != RE2::Set::kNoError) {
      if (info.kind == RE2::Set::kOutOfMemory)
        throw Error(sqlstate::kOutOfMemory,
                    "redaction failed: regular expression DFA out of memory");
      throw Error(sqlstate::kInternal,
                  "redaction failed: pattern set match error");
    }
    std::sort(hits.begin(), hits.end());
    return hits;
  }
  const RE2 &re(int i) const { return *res_[static_cast<std::size_t>(i)]; }
  const RE2 &locator() const { return *locator_; }

private:
  std::unique_ptr<RE2> locator_;
  std::unique_ptr<RE2::Set> set_;
  std::vector<std::unique_ptr<RE2>> res_;
  bool compiled_ = false;
};

const Recognizer &recognizer(std::int64_t max_mem) {
  if (max_mem <= 0) {
    static const Recognizer shared(0);
    return shared;
  }
  // Test hook: recognizers with a custom budget, cached by budget.
  static std::mutex mu;
  static std::map<std::int64_t, std::unique_ptr<Recognizer>> custom;
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = custom[max_mem];
  if (!slot)
    slot = std::make_unique<Recognizer>(max_mem);
  return *slot;
}

inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// First letters of a list of words (bit c - 'a').
std::uint32_t first_letters(Words words) {
  std::uint32_t first = 0;
  if (words != nullptr)
    for (Words p = words; *p != nullptr; ++p)
      first |= 1u << ((*p)[0] - 'a');
  return first;
}

// Word w, whose first letter t[at] is, continues at t[at + 1] (lower-cased,
// inside t[0, n)).
inline bool rest_at(const char *w, const char *t, std::size_t at,
                    std::size_t n) {
  std::size_t k = 1;
  while (w[k] != 0 && at + k < n && lower(t[at + k]) == w[k])
    ++k;
  return w[k] == 0;
}

// A word of words, first letter c, starts at t[at] (lower-cased, inside
// t[0, n)).
inline bool list_word_at(Words words, const char *t, std::size_t at,
                         std::size_t n, char c) {
  for (Words p = words; *p != nullptr; ++p)
    if ((*p)[0] == c && rest_at(*p, t, at, n))
      return true;
  return false;
}

// Whether a word of list a (bit 0) and of list b (bit 1) starts a word
// inside text[b, e), compared lower-cased (only the first 128 bytes of the
// range are looked at). Every word of the lists starts with a letter, so
// only the positions where a word of the text starts (no letter before) are
// compared, and only with the words that start with that letter.
// (fa, fb: first_letters(la), first_letters(lb), computed once per list.)
unsigned has_words(std::string_view text, std::size_t b, std::size_t e,
                   Words la, Words lb, std::uint32_t fa, std::uint32_t fb) {
  if (b >= e)
    return 0;
  const std::size_t n = std::min<std::size_t>(e - b, 128);
  const char *t = text.data() + b;
  unsigned hits = 0;
  bool letter_before = b > 0 && is_alpha(text[b - 1]);
  for (std::size_t at = 0; at < n; ++at) {
    const char c = t[at];
    const bool letter = is_alpha(c);
    if (letter && !letter_before) {
      const char lc = lower(c);
      const std::uint32_t one = 1u << (lc - 'a');
      if ((fa & one) != 0 && (hits & 1u) == 0 && list_word_at(la, t, at, n, lc))
        hits |= 1u;
      if ((fb & one) != 0 && (hits & 2u) == 0 && list_word_at(lb, t, at, n, lc))
        hits |= 2u;
      if (hits == ((la != nullptr ? 1u : 0u) | (lb != nullptr ? 2u : 0u)))
        break;
    }
    letter_before = letter;
  }
  return hits;
}

// A sentence end: '.', '?' or '!' followed by white space, or a newline.
inline bool sentence_end(std::string_view t, std::size_t i) {
  if (t[i] == '\n')
    return true;
  return (t[i] == '.' || t[i] == '?' || t[i] == '!') && i + 1 < t.size() &&
         (t[i + 1] == ' ' || t[i + 1] == '\n');
}

// The words of each pattern's context word lists by first letter (bit i:
// word i of the list), computed once.
template <std::size_t N> constexpr bool fits_16(const char *const (&)[N]) {
  return N <= 17; // (16 words and the nullptr)
}
static_assert(fits_16(kSsnCtx) && fits_16(kNegCtx) && fits_16(kPhoneCtx) &&
                  fits_16(kPhoneNeg) && fits_16(kNpiCtx) && fits_16(kDobCtx) &&
                  fits_16(kIcdCtx) && fits_16(kAddrCtx),
              "context word lists index into 16 bits");
struct ContextByLetter {
  std::uint16_t ctx[kPatternCount][26], neg[kPatternCount][26];
  ContextByLetter() : ctx(), neg() {
    auto index = [](Words words, std::uint16_t(&by)[26]) {
      for (std::size_t i = 0; words != nullptr && words[i] != nullptr; ++i)
        by[words[i][0] - 'a'] =
            static_cast<std::uint16_t>(by[words[i][0] - 'a'] | (1u << i));
    };
    for (std::size_t k = 0; k < kPatternCount; ++k) {
      index(kPatterns[k].ctx, ctx[k]);
      index(kPatterns[k].neg, neg[k]);
    }
  }
};
const ContextByLetter kContextByLetter;

ContextFirsts::ContextFirsts() : ctx(), neg() {
  for (std::size_t k = 0; k < kPatternCount; ++k) {
    ctx[k] = first_letters(kPatterns[k].ctx);
    neg[k] = first_letters(kPatterns[k].neg);
  }
}
const ContextFirsts kContextFirsts;

// Whether a word of list a (bit 0) and of list b (bit 1) occurs in the
// context of the candidate text[b, e): the windows of before bytes before it
// and after bytes after it. Context windows stop at sentence ends: a word in
// the previous turn of a conversation says nothing about this candidate.
unsigned context(std::string_view text, std::size_t b, std::size_t e, Words la,
                 Words lb, std::uint32_t fa, std::uint32_t fb,
                 std::size_t before, std::size_t after) {
  std::size_t wb = b > before ? b - before : 0;
  for (std::size_t i = b; i > wb; --i)
    if (sentence_end(text, i - 1)) {
      wb = i;
      break;
    }
  std::size_t we = std::min(text.size(), e + after);
  for (std::size_t i = e; i < we; ++i)
    if (sentence_end(text, i)) {
      we = i;
      break;
    }
  return has_words(text, wb, b, la, lb, fa, fb) |
         has_words(text, e, we, la, lb, fa, fb);
}

// Numbers and a month found in a date candidate.
struct DateParts {
  int nums[4];
  int widths[4];
  int count = 0;
  int month = 0;
};

DateParts date_parts(std::string_view s) {
  static const char *const kMonths[12] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
  DateParts p;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] >= '0' && s[i] <= '9') {
      int v = 0, w = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (w < 9)
          v = v * 10 + (s[i] - '0');
        ++w;
        ++i;
      }
      if (p.count < 4) {
        p.nums[p.count] = v;
        p.widths[p.count] = w;
        ++p.count;
      }
    } else if (is_alpha(s[i])) {
      std::size_t j = i;
      while (j < s.size() && is_alpha(s[j]))
        ++j;
      if (p.month == 0 && j - i >= 3) {
        char m[3] = {lower(s[i]), lower(s[i + 1]), lower(s[i + 2])};
        for (int k = 0; k < 12; ++k)
          if (std::memcmp(m, kMonths[k], 3) == 0)
            p.month = k + 1;
      }
      i = j;
    } else {
      ++i;
    }
  }
  return p;
}

int full_year(int y, int width) {
  if (width == 2)
    return y <= 30 ? 2000 + y : 1900 + y;
  return y;
}

// phi::digits_only(s) as a view, without a heap allocation for the short
// candidates the patterns give (a std::string for longer ones).
class Digits {
public:
  explicit Digits(std::string_view s) {
    if (s.size() > sizeof buf_) {
      big_ = phi::digits_only(s);
      view_ = big_;
      return;
    }
    std::size_t n = 0;
    for (char c : s)
      if (c >= '0' && c <= '9')
        buf_[n++] = c;
    view_ = std::string_view(buf_, n);
  }
  Digits(const Digits &) = delete;
  Digits &operator=(const Digits &) = delete;
  std::string_view view() const { return view_; }

private:
  char buf_[64];
  std::string big_;
  std::string_view view_;
};

bool card_trim(std::string_view m, std::size_t &b, std::size_t &e) {
  // Cut points: after a digit that is followed by a separator.
  std::size_t small[64];
  std::vector<std::size_t> large;
  std::size_t *cuts = small;
  if (m.size() + 1 > sizeof small / sizeof small[0]) {
    large.resize(m.size() + 1);
    cuts = large.data();
  }
  std::size_t count = 0;
  cuts[count++] = 0;
  for (std::size_t i = 0; i + 1 < m.size(); ++i)
    if (m[i] >= '0' && m[i] <= '9' && (m[i + 1] == ' ' || m[i + 1] == '-'))
      cuts[count++] = i + 1;
  cuts[count++] = m.size();
  for (std::size_t s = 0; s + 1 < count; ++s) {
    std::size_t start = cuts[s];
    while (start < m.size() && (m[start] == ' ' || m[start] == '-'))
      ++start;
    for (std::size_t t = count - 1; t > s; --t) {
      if (s == 0 && t == count - 1)
        continue; // the whole match was already checked
      const Digits d(m.substr(start, cuts[t] - start));
      if (d.view().size() >= 13 && phi::card_valid(d.view())) {
        b = start;
        e = cuts[t];
        return true;
      }
    }
  }
  return false;
}

// m[at, at + strlen(w)) equals w (lower-case) after lower().
inline bool lower_equals(std::string_view m, std::size_t at, const char *w,
                         std::size_t len) {
  if (at + len > m.size())
    return false;
  for (std::size_t k = 0; k < len; ++k)
    if (lower(m[at + k]) != w[k])
      return false;
  return true;
}

// Runs the check for a candidate m = text[b, e); may narrow the span and
// adjust the score. False rejects the candidate.
bool run_check(const PatternDef &p, std::string_view text, std::size_t &b,
               std::size_t &e, float &score) {
  std::string_view m = text.substr(b, e - b);
  switch (p.check) {
  case Check::None:
    return true;
  case Check::Ssn:
    return phi::ssn_valid(Digits(m).view());
  case Check::Card: {
    if (phi::card_valid(Digits(m).view()))
      return true;
    std::size_t nb = 0, ne = 0;
    if (!card_trim(m, nb, ne))
      return false;
    e = b + ne;
    b = b + nb;
    return true;
  }
  case Check::Phone:
    return phi::nanp_valid(Digits(m).view());
  case Check::Npi:
    return phi::npi_valid(m);
  case Check::Aba:
    return phi::aba_valid(m);
  case Check::DateMdy: {
    DateParts d = date_parts(m);
    return d.count == 3 && phi::date_valid(full_year(d.nums[2], d.widths[2]),
                                           d.nums[0], d.nums[1]);
  }
  case Check::DateYmd: {
    DateParts d = date_parts(m);
    return d.count == 3 && phi::date_valid(d.nums[0], d.nums[1], d.nums[2]);
  }
  case Check::DateWords: {
    DateParts d = date_parts(m);
    return d.count == 2 && d.month > 0 &&
           phi::date_valid(d.nums[1], d.month, d.nums[0]);
  }
  case Check::DateCompact: {
    if (m.size() != 8)
      return false;
    auto n2 = [&](std::size_t i) {
      return (m[i] - '0') * 10 + (m[i + 1] - '0');
    };
    return phi::date_valid(n2(4) * 100 + n2(6), n2(0), n2(2));
  }
  case Check::Address: {
    // Street names are not function words or units: "in 2 weeks on main
    // street" is not an address.
    static constexpr std::string_view kStop[] = {
        "and",    "or",    "on",      "in",    "at",    "to",      "for",
        "of",     "a",     "an",      "my",    "your",  "is",      "was",
        "with",   "from",  "by",      "then",  "weeks", "days",    "months",
        "years",  "hours", "minutes", "times", "pills", "tablets", "mg",
        "people", "kids",  "doses"};
    {
      std::size_t i = m.find(' ');
      std::size_t words = 0;
      while (i != std::string_view::npos && words < 4) {
        const std::size_t j = m.find(' ', i + 1);
        if (j == std::string_view::npos)
          break; // the last word is the suffix
        const std::size_t len = j - i - 1;
        for (std::string_view w : kStop)
          if (w.size() == len && lower_equals(m, i + 1, w.data(), len))
            return false;
        i = j;
        ++words;
      }
    }
    // A capitalised street name, or an unambiguous suffix, adds weight.
    std::size_t sp = m.find(' ');
    if (sp != std::string_view::npos && sp + 1 < m.size() && m[sp + 1] >= 'A' &&
        m[sp + 1] <= 'Z')
      score += 0.2f;
    static constexpr std::string_view kStrong[] = {
        " street", " avenue", " road", " boulevard", " lane",
        " st",     " ave",    " rd",   " blvd"};
    // Each one's last occurrence, lower-cased, as std::string::rfind finds
    // it: every one starts with ' ', so only the spaces are tried, last
    // first.
    std::size_t spaces[16];
    std::size_t count = 0;
    for (std::size_t at = m.size(); at-- > 0 && count < 16;)
      if (m[at] == ' ')
        spaces[count++] = at;
    const bool all = count < 16 || m.find(' ') == spaces[15];
    for (std::string_view strong : kStrong) {
      const char *s = strong.data();
      const std::size_t len = strong.size();
      std::size_t at = std::string_view::npos;
      if (all) {
        for (std::size_t k = 0; k < count; ++k)
          if (lower_equals(m, spaces[k], s, len)) {
            at = spaces[k];
            break;
          }
      } else if (len <= m.size()) { // (more spaces than kept: every byte)
        for (std::size_t i = m.size() - len + 1; i-- > 0;)
          if (lower_equals(m, i, s, len)) {
            at = i;
            break;
          }
      }
      if (at != std::string_view::npos &&
          (at + len == m.size() || !is_alpha(m[at + len]))) {
        score += 0.1f;
        break;
      }
    }
    return true;
  }
  case Check::Url: {
    while (e > b && std::strchr(".,;:!?)]}", text[e - 1]) != nullptr)
      --e;
    return e > b;
  }
  }
  return false;
}

struct Candidate {
  Entity entity;
  std::size_t nb, ne; // normalised text
  std::size_t ob, oe; // original text
  float score;
};

struct BlockMasks;

// Per-thread buffers of the engine, reused from call to call (no allocation
// once they are large enough); looked up once per call.
struct Scratch {
  spoken::Normalized norm;
  std::vector<Candidate> found, located, result;
  std::vector<std::uint32_t> url_starts, ats;
  std::vector<BlockMasks> masks;
  // The matcher the thread's latest find_spans used (last_match_path).
  MatchPath last_path = MatchPath::Fast;
};
Scratch &scratch();

// Indices into kPatterns used by the fast path's candidate rules.
enum : int {
  kSsnDashed = 0,
  kSsnBare = 1,
  kLastFourSsn = 2,
  kLastFourCard = 3,
  kCardP = 4,
  kPhoneP = 5,
  kPhoneBare = 6,
  kEmailWritten = 7,
  kEmailSpelled = 8,
  kDateMdy = 9,
  kDateYmd = 10,
  kDateMonthFirst = 11,
  kDateDayFirst = 12,
  kDateCompactP = 13,
  kMrnP = 14,
  kNpiP = 15,
  kAddressP = 16,
  kZipContext = 17,
  kZipState = 18,
  kIpv4 = 19,
  kIpv6 = 20,
  kUrlP = 21,
  kAccountP = 22,
  kMbi = 23,
  kAbaP = 24,
  kIcdDotted = 25,
  kIcdBare = 26,
};
static_assert(kPatternCount == 27,
              "fast-path candidate rules cover 27 patterns");

// Inputs up to this size take the fast path; larger ones (rare: transcripts
// are a few kB) keep the whole-text RE2::Set pass, whose DFA reports
// out-of-memory on pathological input.
constexpr std::size_t kFastPathMaxBytes = 256u << 10;

// Byte classes of the fast path. Word characters are RE2's \b ones.
enum : std::uint8_t {
  kDigit = 1,
  kLetter = 2,
  kWord = 4,
  kHex = 8,
  kUpper = 16
};
struct ByteClasses {
  std::uint8_t c[256];
  constexpr ByteClasses() : c() {
    for (int i = '0'; i <= '9'; ++i)
      c[i] = kDigit | kWord | kHex;
    for (int i = 'a'; i <= 'z'; ++i)
      c[i] = kLetter | kWord | ((i <= 'f') ? kHex : 0);
    for (int i = 'A'; i <= 'Z'; ++i)
      c[i] = kLetter | kWord | kUpper | ((i <= 'F') ? kHex : 0);
    c[static_cast<int>('_')] = kWord;
  }
};
constexpr ByteClasses kClasses;
inline std::uint8_t cls(unsigned char c) { return kClasses.c[c]; }

// The fast path's rules are ASCII rules. RE2's case folding maps exactly two
// non-ASCII characters onto ASCII letters: U+017F (long s) and U+212A
// (Kelvin sign). A text holding either takes the reference path.
bool fast_path_ok(std::string_view t) {
  if (t.size() > kFastPathMaxBytes)
    return false;
  const unsigned char *s = reinterpret_cast<const unsigned char *>(t.data());
  const std::size_t n = t.size();
  std::uint64_t any = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  // 32 bytes a step: the high bits of every byte, OR-ed.
  __m128i a0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();
  for (; i + 32 <= n; i += 32) {
    a0 = _mm_or_si128(
        a0, _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + i)));
    a1 = _mm_or_si128(
        a1, _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + i + 16)));
  }
  any = _mm_movemask_epi8(_mm_or_si128(a0, a1)) != 0 ? 0x80u : 0u;
#endif
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + i, 8);
    any |= w;
  }
  for (; i < n; ++i)
    any |= s[i];
  if ((any & 0x8080808080808080ull) == 0)
    return true;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (s[i] == 0xC5 && s[i + 1] == 0xBF)
      return false;
    if (s[i] == 0xE2 && s[i + 1] == 0x84 && i + 2 < n && s[i + 2] == 0xAA)
      return false;
  }
  return true;
}

constexpr std::uint32_t bit(int i) { return 1u << i; }

// The number of set bits: inline (the baseline x86-64 target has no
// popcnt, and __builtin_popcountll would call libgcc).
inline unsigned bit_count(std::uint64_t x) {
#if defined(__POPCNT__)
  return static_cast<unsigned>(__builtin_popcountll(x));
#else
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<unsigned>((x * 0x0101010101010101ull) >> 56);
#endif
}

// Bit masks of one block of 64 bytes of the text for the fast path's scan
// (bit k: byte b + k; bytes at or past the end of the text are zero bytes).
struct BlockMasks {
  std::uint64_t word;   // [A-Za-z0-9_] (RE2's \w)
  std::uint64_t digit;  // [0-9]
  std::uint64_t upper;  // [A-Z]
  std::uint64_t letter; // [A-Za-z]
  std::uint64_t punct;  // '+', '(' and '@': the scan looks at each
  std::uint64_t colon;  // ':'
  std::uint64_t period; // '.'
  std::uint64_t dot;    // "dot" in any case starts here
  std::uint64_t ell;    // 'l' or 'L'
  std::uint64_t aitch;  // 'h' or 'H'
  std::uint64_t space;  // ' '
  std::uint64_t dash;   // '-'
  std::uint64_t apos;   // '\''
  std::uint64_t stop;   // a sentence end (sentence_end())
  // A letter followed by a byte that some keyword's first two letters may
  // be (kKeywordPairs: a superset; the exact check comes later).
  std::uint64_t kwpair;
};

// The first two letters of the keywords (kKeywords, below): each second
// letter's group is chosen in keyword_pairs().
extern const PairFilter kKeywordPairs;

// The masks a byte at a time: the reference for block_masks_simd, and the
// only way on targets without SSE2. p holds at least 66 readable bytes.
BlockMasks block_masks_scalar(const unsigned char *p) {
  BlockMasks m{};
  for (int k = 0; k < 64; ++k) {
    const unsigned char c = p[k];
    const std::uint64_t one = 1ull << k;
    const std::uint8_t t = cls(c);
    if (t & kWord)
      m.word |= one;
    if (t & kDigit)
      m.digit |= one;
    if (t & kUpper)
      m.upper |= one;
    if (t & kLetter)
      m.letter |= one;
    if (c == '+' || c == '(' || c == '@')
      m.punct |= one;
    if (c == ':')
      m.colon |= one;
    if (c == '.')
      m.period |= one;
    if ((c | 0x20) == 'l')
      m.ell |= one;
    if ((c | 0x20) == 'h')
      m.aitch |= one;
    if (c == ' ')
      m.space |= one;
    if (c == '-')
      m.dash |= one;
    if (c == '\'')
      m.apos |= one;
    if (c == '\n' || ((c == '.' || c == '?' || c == '!') &&
                      (p[k + 1] == ' ' || p[k + 1] == '\n')))
      m.stop |= one;
    if ((t & kLetter) && kKeywordPairs.pass(c, p[k + 1]))
      m.kwpair |= one;
    if ((c | 0x20) == 'd' && (p[k + 1] | 0x20) == 'o' &&
        (p[k + 2] | 0x20) == 't')
      m.dot |= one;
  }
  return m;
}

#if defined(__SSE2__)
// The same with SSE2, 16 bytes at a time.
BlockMasks block_masks_simd(const unsigned char *p) {
  BlockMasks m{};
  const __m128i k20 = _mm_set1_epi8(0x20);
  // c - lo < width as unsigned, in signed arithmetic: add 128 - lo and
  // compare with width - 128.
  auto range = [](__m128i x, int lo, int width) {
    return _mm_cmplt_epi8(
        _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(128 - lo))),
        _mm_set1_epi8(static_cast<char>(width - 128)));
  };
  auto eq = [](__m128i x, char c) {
    return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
  };
  auto bits = [](__m128i v, int k) {
    return static_cast<std::uint64_t>(
               static_cast<std::uint16_t>(_mm_movemask_epi8(v)))
           << (16 * k);
  };
  for (int k = 0; k < 4; ++k) {
    const unsigned char *q = p + 16 * k;
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
    const __m128i lx = _mm_or_si128(x, k20);
    const __m128i letter = range(lx, 'a', 26);
    const __m128i digit = range(x, '0', 10);
    m.letter |= bits(letter, k);
    m.digit |= bits(digit, k);
    m.upper |= bits(range(x, 'A', 26), k);
    m.word |= bits(_mm_or_si128(_mm_or_si128(letter, digit), eq(x, '_')), k);
    m.punct |=
        bits(_mm_or_si128(_mm_or_si128(eq(x, '+'), eq(x, '(')), eq(x, '@')), k);
    m.colon |= bits(eq(x, ':'), k);
    m.period |= bits(eq(x, '.'), k);
    m.ell |= bits(eq(lx, 'l'), k);
    m.aitch |= bits(eq(lx, 'h'), k);
    m.space |= bits(eq(x, ' '), k);
    m.dash |= bits(eq(x, '-'), k);
    m.apos |= bits(eq(x, '\''), k);
    const __m128i r1 =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(q + 1));
    m.stop |=
        bits(_mm_or_si128(eq(x, '\n'),
                          _mm_and_si128(
                              _mm_or_si128(_mm_or_si128(eq(x, '.'), eq(x, '?')),
                                           eq(x, '!')),
                              _mm_or_si128(eq(r1, ' '), eq(r1, '\n')))),
             k);
    const __m128i x1 = _mm_or_si128(r1, k20);
    const __m128i x2 = _mm_or_si128(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(q + 2)), k20);
    m.dot |= bits(
        _mm_and_si128(_mm_and_si128(eq(lx, 'd'), eq(x1, 'o')), eq(x2, 't')), k);
  }
  // (SSE2 has no byte shuffle: the keyword pairs a byte at a time.)
  for (int k = 0; k < 64; ++k)
    if (((m.letter >> k) & 1u) && kKeywordPairs.pass(p[k], p[k + 1]))
      m.kwpair |= 1ull << k;
  return m;
}
#endif

#if defined(SWITCHBOARD_AVX2_DISPATCH)
// (Macros, not lambdas: a lambda would not inherit the target.)
#define SB_RANGE(x, lo, width)                                                 \
  _mm256_cmpgt_epi8(                                                           \
      _mm256_set1_epi8(static_cast<char>((width)-128)),                        \
      _mm256_add_epi8((x), _mm256_set1_epi8(static_cast<char>(128 - (lo)))))
#define SB_EQ(x, c) _mm256_cmpeq_epi8((x), _mm256_set1_epi8(c))
// The bits of v as half k (bytes 32k to 32k + 31) of m.f: a store, not a
// shift and an OR (x86 is little-endian).
#define SB_PUT(f, k, v)                                                        \
  do {                                                                         \
    const std::uint32_t b_ =                                                   \
        static_cast<std::uint32_t>(_mm256_movemask_epi8(v));                   \
    std::memcpy(reinterpret_cast<unsigned char *>(&m.f) + 4 * (k), &b_, 4);    \
  } while (0)

// The same with AVX2, 32 bytes at a time, where the CPU has it (chosen at
// run time: the build targets baseline x86-64). Inlined into the loops
// below, which keep the constants in registers from block to block.
__attribute__((target("avx2"), always_inline)) inline void
block_masks_avx2_into(const unsigned char *p, BlockMasks &m) {
  const __m256i k20 = _mm256_set1_epi8(0x20);
  const __m256i f0 = SWITCHBOARD_PAIR_TABLE(kKeywordPairs.first[0]),
                f1 = SWITCHBOARD_PAIR_TABLE(kKeywordPairs.first[1]),
                s0 = SWITCHBOARD_PAIR_TABLE(kKeywordPairs.second[0]),
                s1 = SWITCHBOARD_PAIR_TABLE(kKeywordPairs.second[1]);
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
    const unsigned char *q = p + 32 * k;
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q));
    const __m256i lx = _mm256_or_si256(x, k20);
    const __m256i letter = SB_RANGE(lx, 'a', 26);
    const __m256i digit = SB_RANGE(x, '0', 10);
    const __m256i period = SB_EQ(x, '.');
    SB_PUT(letter, k, letter);
    SB_PUT(digit, k, digit);
    SB_PUT(upper, k, SB_RANGE(x, 'A', 26));
    SB_PUT(word, k,
           _mm256_or_si256(_mm256_or_si256(letter, digit), SB_EQ(x, '_')));
    SB_PUT(punct, k,
           _mm256_or_si256(_mm256_or_si256(SB_EQ(x, '+'), SB_EQ(x, '(')),
                           SB_EQ(x, '@')));
    SB_PUT(colon, k, SB_EQ(x, ':'));
    SB_PUT(period, k, period);
    SB_PUT(ell, k, SB_EQ(lx, 'l'));
    SB_PUT(aitch, k, SB_EQ(lx, 'h'));
    SB_PUT(space, k, SB_EQ(x, ' '));
    SB_PUT(dash, k, SB_EQ(x, '-'));
    SB_PUT(apos, k, SB_EQ(x, '\''));
    const __m256i r1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q + 1));
    SB_PUT(stop, k,
           _mm256_or_si256(
               SB_EQ(x, '\n'),
               _mm256_and_si256(
                   _mm256_or_si256(_mm256_or_si256(period, SB_EQ(x, '?')),
                                   SB_EQ(x, '!')),
                   _mm256_or_si256(SB_EQ(r1, ' '), SB_EQ(r1, '\n')))));
    const __m256i x1 = _mm256_or_si256(r1, k20);
    const __m256i x2 = _mm256_or_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q + 2)), k20);
    SB_PUT(dot, k,
           _mm256_and_si256(_mm256_and_si256(SB_EQ(lx, 'd'), SB_EQ(x1, 'o')),
                            SB_EQ(x2, 't')));
    // kKeywordPairs.pass for each byte and the next, by table shuffles.
    SB_PUT(kwpair, k,
           _mm256_andnot_si256(
               switchboard::pair_miss_avx2(f0, f1, s0, s1, lx, x1), letter));
  }
}
#undef SB_RANGE
#undef SB_EQ
#undef SB_PUT

__attribute__((target("avx2"))) BlockMasks
block_masks_avx2(const unsigned char *p) {
  BlockMasks m;
  block_masks_avx2_into(p, m);
  return m;
}
#endif

using BlockMasksFn = BlockMasks (*)(const unsigned char *);

// The fastest implementation this CPU runs.
BlockMasksFn block_masks_fn() {
#if defined(SWITCHBOARD_AVX2_DISPATCH)
  static const BlockMasksFn fn =
      cpu_has_avx2() ? block_masks_avx2 : block_masks_simd;
  return fn;
#elif defined(__SSE2__)
  return block_masks_simd;
#else
  return block_masks_scalar;
#endif
}

using ScanBlocksFn = void (*)(const unsigned char *, std::size_t, BlockMasks *);

// The 66 bytes block j of s[0, n) reads: in place where they lie inside
// the text, else (the last blocks) a zero-padded copy in pad.
inline const unsigned char *block_bytes(const unsigned char *s, std::size_t n,
                                        std::size_t j,
                                        unsigned char (&pad)[64 + 16]) {
  if ((j + 1) * 64 + 2 <= n)
    return s + j * 64;
  std::memset(pad, 0, sizeof pad);
  std::memcpy(pad, s + j * 64, n - j * 64 < 66 ? n - j * 64 : 66);
  return pad;
}

// The masks of the blocks of s[0, n) into out[0, (n + 63) / 64).
void scan_blocks_any(const unsigned char *s, std::size_t n, BlockMasks *out) {
  const BlockMasksFn block_masks = block_masks_fn();
  unsigned char pad[64 + 16];
  for (std::size_t j = 0; j * 64 < n; ++j)
    out[j] = block_masks(block_bytes(s, n, j, pad));
}

#if defined(SWITCHBOARD_AVX2_DISPATCH)
// The same loop with the AVX2 blocks inlined.
__attribute__((target("avx2"))) void
scan_blocks_avx2(const unsigned char *s, std::size_t n, BlockMasks *out) {
  unsigned char pad[64 + 16];
  for (std::size_t j = 0; j * 64 < n; ++j)
    block_masks_avx2_into(block_bytes(s, n, j, pad), out[j]);
}

// The same with AVX-512BW, 64 bytes at a time into mask registers (no
// movemask), where the CPU has it.
__attribute__((target("avx512bw"), always_inline)) inline void
block_masks_avx512_into(const unsigned char *p, BlockMasks &m) {
#define SB_EQ(x, c) _mm512_cmpeq_epi8_mask((x), _mm512_set1_epi8(c))
#define SB_RANGE(x, lo, width)                                                 \
  _mm512_cmplt_epu8_mask(_mm512_sub_epi8((x), _mm512_set1_epi8(lo)),           \
                         _mm512_set1_epi8(width))
#define SB_TABLE(t)                                                            \
  _mm512_maskz_broadcast_i32x4(                                                \
      0xffff, _mm_load_si128(reinterpret_cast<const __m128i *>(t)))
  const __m512i k20 = _mm512_set1_epi8(0x20);
  const __m512i x = _mm512_loadu_si512(p);
  const __m512i lx = _mm512_or_si512(x, k20);
  const __m512i r1 = _mm512_loadu_si512(p + 1);
  const __m512i x1 = _mm512_or_si512(r1, k20);
  const __m512i x2 = _mm512_or_si512(_mm512_loadu_si512(p + 2), k20);
  const std::uint64_t letter = SB_RANGE(lx, 'a', 26),
                      digit = SB_RANGE(x, '0', 10), period = SB_EQ(x, '.');
  m.letter = letter;
  m.digit = digit;
  m.upper = SB_RANGE(x, 'A', 26);
  m.word = letter | digit | SB_EQ(x, '_');
  m.punct = SB_EQ(x, '+') | SB_EQ(x, '(') | SB_EQ(x, '@');
  m.colon = SB_EQ(x, ':');
  m.period = period;
  m.ell = SB_EQ(lx, 'l');
  m.aitch = SB_EQ(lx, 'h');
  m.space = SB_EQ(x, ' ');
  m.dash = SB_EQ(x, '-');
  m.apos = SB_EQ(x, '\'');
  m.stop = SB_EQ(x, '\n') | ((period | SB_EQ(x, '?') | SB_EQ(x, '!')) &
                             (SB_EQ(r1, ' ') | SB_EQ(r1, '\n')));
  m.dot = SB_EQ(lx, 'd') & SB_EQ(x1, 'o') & SB_EQ(x2, 't');
  // kKeywordPairs.pass for each byte and the next (pair_miss_avx2's
  // shuffles, 64 bytes at a time).
  const __m512i lo4 = _mm512_set1_epi8(0x0f), b4 = _mm512_set1_epi8(0x10);
  const __m512i i0 = _mm512_and_si512(lx, lo4), i1 = _mm512_and_si512(x1, lo4);
  const __m512i fv = _mm512_mask_blend_epi8(
      _mm512_test_epi8_mask(lx, b4),
      _mm512_shuffle_epi8(SB_TABLE(kKeywordPairs.first[0]), i0),
      _mm512_shuffle_epi8(SB_TABLE(kKeywordPairs.first[1]), i0));
  const __m512i sv = _mm512_mask_blend_epi8(
      _mm512_test_epi8_mask(x1, b4),
      _mm512_shuffle_epi8(SB_TABLE(kKeywordPairs.second[0]), i1),
      _mm512_shuffle_epi8(SB_TABLE(kKeywordPairs.second[1]), i1));
  m.kwpair = letter & _mm512_test_epi8_mask(fv, sv);
#undef SB_EQ
#undef SB_RANGE
#undef SB_TABLE
}

__attribute__((target("avx512bw"))) BlockMasks
block_masks_avx512(const unsigned char *p) {
  BlockMasks m;
  block_masks_avx512_into(p, m);
  return m;
}

__attribute__((target("avx512bw"))) void
scan_blocks_avx512(const unsigned char *s, std::size_t n, BlockMasks *out) {
  unsigned char pad[64 + 16];
  for (std::size_t j = 0; j * 64 < n; ++j)
    block_masks_avx512_into(block_bytes(s, n, j, pad), out[j]);
}
#endif

// The masks of every block of s[0, n), into out (one per 64 bytes, and a
// zero block after the last so the scan may look one block ahead).
void scan_masks(const unsigned char *s, std::size_t n,
                std::vector<BlockMasks> &out) {
  const std::size_t blocks = (n + 63) / 64;
  out.resize(blocks + 1);
#if defined(SWITCHBOARD_AVX2_DISPATCH)
  static const ScanBlocksFn fn = cpu_has_fast_avx512bw() ? scan_blocks_avx512
                                 : cpu_has_avx2()        ? scan_blocks_avx2
                                                         : scan_blocks_any;
  fn(s, n, out.data());
#else
  scan_blocks_any(s, n, out.data());
#endif
  out[blocks] = BlockMasks{};
}

// has_words() over the block masks mk of text (the fast path's scan_masks):
// the word starts are read off the letter bits.
// (ia, ib: the words of la and lb by first letter, kContextByLetter's.)
unsigned has_words_masked(std::string_view text, const BlockMasks *mk,
                          std::size_t b, std::size_t e, Words la, Words lb,
                          const std::uint16_t *ia, const std::uint16_t *ib) {
  if (b >= e)
    return 0;
  const std::size_t end = std::min<std::size_t>(e, b + 128);
  const char *t = text.data() + b;
  const unsigned want = (la != nullptr ? 1u : 0u) | (lb != nullptr ? 2u : 0u);
  unsigned hits = 0;
  for (std::size_t lo = b & ~std::size_t{63}; lo < end; lo += 64) {
    const std::size_t j = lo >> 6;
    const std::uint64_t lt = mk[j].letter;
    std::uint64_t st = lt & ~((lt << 1) | (j > 0 ? mk[j - 1].letter >> 63 : 0));
    if (b > lo)
      st &= ~0ull << (b - lo);
    if (end < lo + 64)
      st &= (1ull << (end - lo)) - 1;
    for (; st != 0; st &= st - 1) {
      const std::size_t at =
          lo + static_cast<std::size_t>(__builtin_ctzll(st)) - b;
      const int c = lower(t[at]) - 'a';
      for (unsigned w = (hits & 1u) ? 0u : ia[c]; w != 0; w &= w - 1)
        if (rest_at(la[__builtin_ctz(w)], t, at, end - b)) {
          hits |= 1u;
          break;
        }
      for (unsigned w = (hits & 2u) ? 0u : ib[c]; w != 0; w &= w - 1)
        if (rest_at(lb[__builtin_ctz(w)], t, at, end - b)) {
          hits |= 2u;
          break;
        }
      if (hits == want)
        return hits;
    }
  }
  return hits;
}

// context() over the block masks mk of text: the sentence ends are read
// off their stop bits.
unsigned context_masked(std::string_view text, const BlockMasks *mk,
                        std::size_t b, std::size_t e, Words la, Words lb,
                        const std::uint16_t *ia, const std::uint16_t *ib,
                        std::size_t before, std::size_t after) {
  std::size_t wb = b > before ? b - before : 0;
  for (std::size_t i = b; i > wb;) { // the last sentence end in [wb, b)
    const std::size_t lo = (i - 1) & ~std::size_t{63};
    std::uint64_t st = mk[lo >> 6].stop & (~0ull >> (63 - ((i - 1) & 63)));
    if (wb > lo)
      st &= ~0ull << (wb - lo);
    if (st != 0) {
      wb = lo + 64 - static_cast<std::size_t>(__builtin_clzll(st));
      break;
    }
    i = lo;
  }
  std::size_t we = std::min(text.size(), e + after);
  for (std::size_t i = e; i < we;) { // the first one in [e, we)
    const std::size_t lo = i & ~std::size_t{63};
    std::uint64_t st = mk[lo >> 6].stop & (~0ull << (i - lo));
    if (we < lo + 64)
      st &= (1ull << (we - lo)) - 1;
    if (st != 0) {
      we = lo + static_cast<std::size_t>(__builtin_ctzll(st));
      break;
    }
    i = lo + 64;
  }
  return has_words_masked(text, mk, wb, b, la, lb, ia, ib) |
         has_words_masked(text, mk, e, we, la, lb, ia, ib);
}

// Not inlined: in the dlopen'ed engine each access to a thread_local calls
// __tls_get_addr, and GCC recomputes an inlined thread_local's address at
// every use (31 calls in recognise()); the reference this returns is kept.
__attribute__((noinline)) Scratch &scratch() {
  thread_local Scratch s;
  return s;
}

// Keyword patterns: the word a match of them starts with, lower-cased, and
// how many letters may follow it inside the same word ("mrnab12345" is an
// MRN: the number may start with up to three letters), and how far after
// the match start its first digit can be (the longest prefix, "last four
// digits of your social security number are: ", is 54 bytes).
struct Keyword {
  std::string_view word;
  std::uint8_t extra;
  std::uint8_t reach;
  std::uint32_t mask;
};
constexpr Keyword kKeywords[] = {
    {"last", 0, 64, bit(kLastFourSsn) | bit(kLastFourCard)},
    {"jan", 0, 16, bit(kDateMonthFirst)},
    {"january", 0, 16, bit(kDateMonthFirst)},
    {"feb", 0, 16, bit(kDateMonthFirst)},
    {"february", 0, 16, bit(kDateMonthFirst)},
    {"mar", 0, 16, bit(kDateMonthFirst)},
    {"march", 0, 16, bit(kDateMonthFirst)},
    {"apr", 0, 16, bit(kDateMonthFirst)},
    {"april", 0, 16, bit(kDateMonthFirst)},
    {"may", 0, 16, bit(kDateMonthFirst)},
    {"jun", 0, 16, bit(kDateMonthFirst)},
    {"june", 0, 16, bit(kDateMonthFirst)},
    {"jul", 0, 16, bit(kDateMonthFirst)},
    {"july", 0, 16, bit(kDateMonthFirst)},
    {"aug", 0, 16, bit(kDateMonthFirst)},
    {"august", 0, 16, bit(kDateMonthFirst)},
    {"sep", 0, 16, bit(kDateMonthFirst)},
    {"sept", 0, 16, bit(kDateMonthFirst)},
    {"september", 0, 16, bit(kDateMonthFirst)},
    {"oct", 0, 16, bit(kDateMonthFirst)},
    {"october", 0, 16, bit(kDateMonthFirst)},
    {"nov", 0, 16, bit(kDateMonthFirst)},
    {"november", 0, 16, bit(kDateMonthFirst)},
    {"dec", 0, 16, bit(kDateMonthFirst)},
    {"december", 0, 16, bit(kDateMonthFirst)},
    {"mrn", 3, 40, bit(kMrnP)},
    {"medical", 0, 40, bit(kMrnP)},
    {"chart", 3, 40, bit(kMrnP)},
    {"patient", 0, 40, bit(kMrnP)},
    {"zip", 0, 24, bit(kZipContext)},
    {"zipcode", 0, 24, bit(kZipContext)},
    {"postal", 0, 24, bit(kZipContext)},
    {"account", 3, 40, bit(kAccountP)},
    {"acct", 3, 40, bit(kAccountP)},
    {"member", 3, 40, bit(kAccountP)},
    {"membership", 3, 40, bit(kAccountP)},
    {"subscriber", 3, 40, bit(kAccountP)},
    {"policy", 3, 40, bit(kAccountP)},
    {"insurance", 3, 40, bit(kAccountP)},
    {"health", 0, 40, bit(kAccountP)},
    {"plan", 3, 40, bit(kAccountP)},
    {"group", 3, 40, bit(kAccountP)},
    {"medicaid", 3, 40, bit(kAccountP)},
    {"medicare", 3, 40, bit(kAccountP)},
    {"beneficiary", 3, 40, bit(kAccountP)},
    {"routing", 0, 24, bit(kAbaP)},
    {"aba", 0, 24, bit(kAbaP)},
    {"transit", 0, 24, bit(kAbaP)},
};

// visit_word looks for a keyword's first digit in the 64 bytes of masks
// from the word.
constexpr bool reach_in_window() {
  for (const Keyword &k : kKeywords)
    if (k.reach > 64)
      return false;
  return true;
}
static_assert(reach_in_window(), "keyword reach past the 64-byte window");

PairFilter keyword_pairs() {
  // Group bits of second letters; a second letter not listed here shares
  // group 7 (still a superset).
  std::uint8_t group[26] = {};
  group['a' - 'a'] = 1u << 0;
  group['e' - 'a'] = 1u << 1;
  group['u' - 'a'] = 1u << 2;
  group['p' - 'a'] = group['b' - 'a'] = 1u << 3;
  group['c' - 'a'] = 1u << 4;
  group['o' - 'a'] = 1u << 5;
  group['r' - 'a'] = 1u << 6;
  group['h' - 'a'] = group['i' - 'a'] = group['n' - 'a'] = group['l' - 'a'] =
      1u << 7;
  for (const Keyword &kw : kKeywords)
    if (group[kw.word[1] - 'a'] == 0)
      group[kw.word[1] - 'a'] = 1u << 7;
  PairFilter f;
  for (const Keyword &kw : kKeywords)
    f.add(static_cast<unsigned char>(kw.word[0]),
          static_cast<unsigned char>(kw.word[1]), group);
  f.set_groups(group);
  return f;
}
const PairFilter kKeywordPairs = keyword_pairs();

inline bool same(const char *a, const char *b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

// Keywords by their first two letters, with the word lengths they allow.
struct KeywordIndex {
  static constexpr std::size_t kCount = sizeof kKeywords / sizeof kKeywords[0];
  std::uint32_t lens[26 * 26] = {};
  std::uint32_t third[26 * 26] = {}; // bit c - 'a': a keyword's third letter
  std::uint8_t begin[26 * 26 + 1] = {};
  std::uint8_t order[kCount] = {};
  KeywordIndex() {
    std::size_t at = 0;
    for (std::size_t k2 = 0; k2 < 26 * 26; ++k2) {
      begin[k2] = static_cast<std::uint8_t>(at);
      for (std::size_t k = 0; k < kCount; ++k) {
        const Keyword &kw = kKeywords[k];
        if (static_cast<std::size_t>(kw.word[0] - 'a') * 26 +
                static_cast<std::size_t>(kw.word[1] - 'a') !=
            k2)
          continue;
        order[at++] = static_cast<std::uint8_t>(k);
        for (std::size_t l = kw.word.size(); l <= kw.word.size() + kw.extra;
             ++l)
          lens[k2] |= 1u << l;
        third[k2] |= 1u << (kw.word[2] - 'a');
      }
    }
    begin[26 * 26] = static_cast<std::uint8_t>(at);
  }
  // Slot of a word starting with lower-case letters a, b; -1 if none.
  static int slot(char a, char b) {
    if (a < 'a' || a > 'z' || b < 'a' || b > 'z')
      return -1;
    return (a - 'a') * 26 + (b - 'a');
  }
  // Some keyword can start a word of m letters beginning with a, b.
  bool maybe(char a, char b, std::size_t m) const {
    const int k2 = slot(a, b);
    return k2 >= 0 && m < 32 && (lens[k2] & (1u << m)) != 0;
  }
};
const KeywordIndex kKeywordIndex;

// Keyword patterns whose keyword starts the lower-cased word w (m letters)
// and whose first digit can be digit_at bytes after it.
std::uint32_t keyword_patterns(const char *w, std::size_t m,
                               std::size_t digit_at) {
  if (m < 3 || !kKeywordIndex.maybe(w[0], w[1], m))
    return 0;
  const int k2 = KeywordIndex::slot(w[0], w[1]);
  std::uint32_t mask = 0;
  for (std::size_t x = kKeywordIndex.begin[k2]; x < kKeywordIndex.begin[k2 + 1];
       ++x) {
    const Keyword &k = kKeywords[kKeywordIndex.order[x]];
    const std::size_t len = k.word.size();
    if (m >= len && m <= len + k.extra && digit_at < k.reach &&
        same(k.word.data(), w, len))
      mask |= k.mask;
  }
  return mask;
}

// Street suffixes of the address pattern.
constexpr std::string_view kSuffixes[] = {
    "street",    "st",      "avenue", "ave",     "road",  "rd",
    "boulevard", "blvd",    "lane",   "ln",      "drive", "dr",
    "court",     "ct",      "way",    "place",   "pl",    "terrace",
    "circle",    "parkway", "pkwy",   "highway", "hwy"};
// For each first letter, the lengths of the suffixes starting with it.
struct SuffixShapes {
  std::uint16_t lens[26] = {};
  constexpr SuffixShapes() {
    for (std::string_view x : kSuffixes)
      lens[x[0] - 'a'] =
          static_cast<std::uint16_t>(lens[x[0] - 'a'] | (1u << x.size()));
  }
};
constexpr SuffixShapes kSuffixShapes;

bool street_suffix(const char *w, std::size_t m) {
  for (std::string_view x : kSuffixes)
    if (x.size() == m && same(x.data(), w, m))
      return true;
  return false;
}

// street_suffix() of the m letters at s, any case (m >= 1).
inline bool street_suffix_at(const unsigned char *s, std::size_t m) {
  const unsigned a = static_cast<unsigned>((s[0] | 0x20) - 'a');
  if (m > 9 || a >= 26 || ((kSuffixShapes.lens[a] >> m) & 1u) == 0)
    return false;
  char w[9];
  for (std::size_t i = 0; i < m; ++i)
    w[i] = static_cast<char>(s[i] | 0x20);
  return street_suffix(w, m);
}

// s[i, i + strlen(w)) of a text of n bytes equals w, letters in any case
// (w: lower-case letters and other ASCII characters, compared exactly).
inline bool lower_equals_at(const unsigned char *s, std::size_t n,
                            std::size_t i, const char *w) {
  for (; *w != 0; ++i, ++w) {
    if (i >= n)
      return false;
    const unsigned char c = s[i];
    if (*w >= 'a' && *w <= 'z' ? (c | 0x20) != *w : c != *w)
      return false;
  }
  return true;
}

// What the RE2-free matchers below return where RE2 decides.
constexpr std::size_t kNoShortcut = ~static_cast<std::size_t>(0);

// The street address pattern's match anchored at p of s[0, n), without
// RE2: its end (0: none; kNoShortcut: no digit at p, RE2 decides). In RE2's
// leftmost-first order: the number and each word ([a-z0-9][a-z0-9.']{0,24})
// can only be maximal (a shorter one leaves a character where ' ' must
// follow); of one to three words the most that a ' ' and a street suffix
// (a whole run of letters, \b after) follow; then the optional '.', the
// direction and the unit, each taken where it matches (nothing after them
// can fail), the unit's alternatives and its 1-8 characters tried in order:
// (?i)\b\d{1,6}(?: [a-z0-9][a-z0-9.']{0,24}){1,3} <suffix>\b\.?
//   (?: (?:nw|ne|sw|se|n|s|e|w)\b\.?)?
//   (?:,? (?:apt|apartment|suite|ste|unit|#) ?[a-z0-9-]{1,8}\b)?
std::size_t address_match(const unsigned char *s, std::size_t n,
                          std::size_t p) {
  auto at = [&](std::size_t i) -> unsigned char { return i < n ? s[i] : 0; };
  auto digit_at = [&](std::size_t i) { return (cls(at(i)) & kDigit) != 0; };
  auto word_at = [&](std::size_t i) { return (cls(at(i)) & kWord) != 0; };
  auto letter_at = [&](std::size_t i) { return (cls(at(i)) & kLetter) != 0; };
  auto alnum_at = [&](std::size_t i) {
    return (cls(at(i)) & (kLetter | kDigit)) != 0;
  };
  if (!digit_at(p) || (p > 0 && word_at(p - 1)))
    return kNoShortcut;
  std::size_t d = 0;
  while (digit_at(p + d))
    ++d;
  if (d > 6)
    return 0;
  // The ends of up to three words.
  std::size_t ends[4] = {p + d, 0, 0, 0};
  std::size_t words = 0;
  while (words < 3) {
    const std::size_t w = ends[words];
    if (at(w) != ' ' || !alnum_at(w + 1))
      break;
    std::size_t e = w + 2;
    while (e - (w + 1) < 25 && (alnum_at(e) || at(e) == '.' || at(e) == '\''))
      ++e;
    ends[++words] = e;
  }
  for (std::size_t k = words; k >= 1; --k) {
    const std::size_t r = ends[k];
    if (at(r) != ' ')
      continue;
    std::size_t e = r + 1;
    while (letter_at(e))
      ++e;
    if (e == r + 1 || word_at(e) || !street_suffix_at(s + r + 1, e - r - 1))
      continue;
    std::size_t end = e;
    if (at(end) == '.')
      ++end;
    if (at(end) == ' ') { // the direction
      std::size_t x = end + 1;
      while (letter_at(x))
        ++x;
      const std::size_t len = x - end - 1;
      const unsigned char a = at(end + 1) | 0x20, b = at(end + 2) | 0x20;
      const bool dir =
          !word_at(x) &&
          ((len == 1 && (a == 'n' || a == 's' || a == 'e' || a == 'w')) ||
           (len == 2 && (a == 'n' || a == 's') && (b == 'w' || b == 'e')));
      if (dir) {
        end = x;
        if (at(end) == '.')
          ++end;
      }
    }
    std::size_t u = end; // the unit
    if (at(u) == ',' && at(u + 1) == ' ')
      u += 2;
    else if (at(u) == ' ')
      u += 1;
    else
      return end;
    for (const char *kw : {"apt", "apartment", "suite", "ste", "unit", "#"}) {
      if (!lower_equals_at(s, n, u, kw))
        continue;
      const std::size_t v = u + std::strlen(kw);
      for (std::size_t sp = at(v) == ' ' ? 2 : 1; sp-- > 0;) {
        const std::size_t x = v + sp;
        std::size_t run = 0;
        while (run < 8 && (alnum_at(x + run) || at(x + run) == '-'))
          ++run;
        for (std::size_t c = run; c >= 1; --c)
          if (word_at(x + c - 1) != word_at(x + c))
            return x + c;
      }
    }
    return end;
  }
  return 0;
}

// The state codes of the ZIP pattern, as a set of letter pairs.
struct StateCodes {
  std::uint32_t second[26] = {}; // bit b of second[a]: state code a, b
  StateCodes() {
    const std::string_view list = STATES; // "(?:AL|AK|...|DC)"
    for (std::size_t i = 3; i + 1 < list.size(); i += 3)
      second[list[i] - 'A'] |= 1u << (list[i + 1] - 'A');
  }
  bool has(unsigned char a, unsigned char b) const {
    const unsigned x = a - 'A', y = b - 'A';
    return x < 26 && y < 26 && ((second[x] >> y) & 1u) != 0;
  }
};
const StateCodes kStateCodes;

// The end of the match of a fixed-shape pattern (SSN 3-2-4, phone 3-3-4
// or "(415) 555-2671", card, numeric month-day-year date, month-name-first
// date, ZIP after a state code, street address) anchored at p of s[0, n),
// found without RE2, trying the pattern's alternatives in RE2's
// (leftmost-first) order: 0 if it has none there; kNoShortcut if the
// pattern is not one of these or its match at p may take another shape
// (RE2 decides then). RE2's \b is ASCII (kWord).
// detail::fixed_match_agrees checks it against RE2.
std::size_t fixed_match(const unsigned char *s, std::size_t n, int k,
                        std::size_t p) {
  auto at = [&](std::size_t i) -> unsigned char { return i < n ? s[i] : 0; };
  auto digit_at = [&](std::size_t i) { return (cls(at(i)) & kDigit) != 0; };
  auto word_at = [&](std::size_t i) { return (cls(at(i)) & kWord) != 0; };
  if (k == kAddressP)
    return address_match(s, n, p);
  auto phone_sep = [&](std::size_t i) {
    return at(i) == '-' || at(i) == '.' || at(i) == ' ';
  };
  if (k == kPhoneP && at(p) == '(') {
    // At '(' neither prefix (they start with '+' or '1') nor the \b\d{3}
    // form can start: \(\d{3}\) ?\d{3}[-. ]\d{4}\b or none (the space,
    // if there, is taken: without it a digit would have to follow ')').
    if (!(digit_at(p + 1) && digit_at(p + 2) && digit_at(p + 3) &&
          at(p + 4) == ')'))
      return 0;
    const std::size_t r = p + 5 + (at(p + 5) == ' ' ? 1 : 0);
    if (digit_at(r) && digit_at(r + 1) && digit_at(r + 2) && phone_sep(r + 3) &&
        digit_at(r + 4) && digit_at(r + 5) && digit_at(r + 6) &&
        digit_at(r + 7) && !word_at(r + 8))
      return r + 8;
    return 0;
  }
  if (p > 0 && (cls(s[p - 1]) & kWord))
    return kNoShortcut; // (the scan tries these at word starts)
  if (k == kZipState) {
    // \b<state>,? (\d{5}(?:-\d{4})?)\b
    if (!kStateCodes.has(at(p), at(p + 1)))
      return kNoShortcut;
    std::size_t r = p + 2;
    if (at(r) == ',' && at(r + 1) == ' ')
      r += 2;
    else if (at(r) == ' ')
      r += 1;
    else
      return 0;
    for (std::size_t i = r; i < r + 5; ++i)
      if (!digit_at(i))
        return 0;
    const std::size_t e = r + 5;
    if (at(e) == '-' && digit_at(e + 1) && digit_at(e + 2) && digit_at(e + 3) &&
        digit_at(e + 4) && !word_at(e + 5))
      return e + 5;
    return word_at(e) ? 0 : e;
  }
  if (k == kDateMonthFirst) {
    // (?i)\b<month>\.? (?:the )?\d{1,2}(?:st|nd|rd|th)?,? (?:of )?
    //   (?:19|20)\d{2}\b, every optional part tried taken first (greedy),
    // the month's longer spellings before the shorter ones.
    auto lower_is = [&](std::size_t i, const char *w) {
      return lower_equals_at(s, n, i, w);
    };
    struct Month {
      const char *head;
      const char *longer[2]; // longer spellings, longest first
    };
    static constexpr Month kMonthForms[] = {
        {"jan", {"january", nullptr}},  {"feb", {"february", nullptr}},
        {"mar", {"march", nullptr}},    {"apr", {"april", nullptr}},
        {"may", {nullptr, nullptr}},    {"jun", {"june", nullptr}},
        {"jul", {"july", nullptr}},     {"aug", {"august", nullptr}},
        {"sep", {"september", "sept"}}, {"oct", {"october", nullptr}},
        {"nov", {"november", nullptr}}, {"dec", {"december", nullptr}},
    };
    std::size_t lens[3];
    int nl = 0;
    for (const Month &m : kMonthForms) {
      if (!lower_is(p, m.head))
        continue;
      for (const char *w : m.longer)
        if (w != nullptr && lower_is(p, w))
          lens[nl++] = std::strlen(w);
      lens[nl++] = 3;
      break;
    }
    if (nl == 0)
      return kNoShortcut;
    for (int a = 0; a < nl; ++a) {
      const std::size_t m_end = p + lens[a];
      for (std::size_t dot = at(m_end) == '.' ? 1 : 0;; --dot) {
        std::size_t r = m_end + dot;
        if (at(r) == ' ') {
          ++r;
          for (std::size_t the = lower_is(r, "the ") ? 4 : 0;; the -= 4) {
            const std::size_t r2 = r + the;
            const std::size_t dmax =
                digit_at(r2) ? (digit_at(r2 + 1) ? 2 : 1) : 0;
            for (std::size_t dl = dmax; dl >= 1; --dl) {
              const std::size_t r3 = r2 + dl;
              const bool sfx = lower_is(r3, "st") || lower_is(r3, "nd") ||
                               lower_is(r3, "rd") || lower_is(r3, "th");
              for (std::size_t sl = sfx ? 2 : 0;; sl -= 2) {
                const std::size_t r4 = r3 + sl;
                for (std::size_t comma = at(r4) == ',' ? 1 : 0;; --comma) {
                  std::size_t r5 = r4 + comma;
                  if (at(r5) == ' ') {
                    ++r5;
                    for (std::size_t of = lower_is(r5, "of ") ? 3 : 0;;
                         of -= 3) {
                      const std::size_t y = r5 + of;
                      if ((lower_is(y, "19") || lower_is(y, "20")) &&
                          digit_at(y + 2) && digit_at(y + 3) && !word_at(y + 4))
                        return y + 4;
                      if (of == 0)
                        break;
                    }
                  }
                  if (comma == 0)
                    break;
                }
                if (sl == 0)
                  break;
              }
            }
            if (the == 0)
              break;
          }
        }
        if (dot == 0)
          break;
      }
    }
    return 0;
  }
  if (!digit_at(p))
    return kNoShortcut; // (the scan tries these at digit word starts)
  if (k == kSsnDashed) {
    // \b\d{3}[- ]\d{2}[- ]\d{4}\b
    auto sep = [&](std::size_t i) { return at(i) == '-' || at(i) == ' '; };
    if (digit_at(p + 1) && digit_at(p + 2) && sep(p + 3) && digit_at(p + 4) &&
        digit_at(p + 5) && sep(p + 6) && digit_at(p + 7) && digit_at(p + 8) &&
        digit_at(p + 9) && digit_at(p + 10) && !(cls(at(p + 11)) & kWord))
      return p + 11;
    return 0;
  }
  if (k == kPhoneP) {
    // (?:\+1[-. ]?|\b1[-. ])?(?:\(\d{3}\) ?|\b\d{3}[-. ])\d{3}[-. ]\d{4}\b at
    // three digits and a separator: neither prefix nor '(' can start
    // there, so the match is \d{3}[-. ]\d{3}[-. ]\d{4}\b or none.
    auto sep = [&](std::size_t i) {
      return at(i) == '-' || at(i) == '.' || at(i) == ' ';
    };
    if (!(digit_at(p + 1) && digit_at(p + 2) && sep(p + 3)))
      return kNoShortcut;
    if (digit_at(p + 4) && digit_at(p + 5) && digit_at(p + 6) && sep(p + 7) &&
        digit_at(p + 8) && digit_at(p + 9) && digit_at(p + 10) &&
        digit_at(p + 11) && !(cls(at(p + 12)) & kWord))
      return p + 12;
    return 0;
  }
  if (k == kDateMdy) {
    // \b(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|[12]\d|3[01])[/.-]
    //   (?:(?:19|20)\d{2}|\d{2})\b
    auto nz = [&](std::size_t i) { return at(i) >= '1' && at(i) <= '9'; };
    auto sep = [&](std::size_t i) {
      return at(i) == '/' || at(i) == '.' || at(i) == '-';
    };
    std::size_t months[3], days[4];
    int nm = 0, nd = 0;
    if (at(p) == '0' && nz(p + 1))
      months[nm++] = 2;
    if (nz(p))
      months[nm++] = 1;
    if (at(p) == '1' && at(p + 1) >= '0' && at(p + 1) <= '2')
      months[nm++] = 2;
    for (int a = 0; a < nm; ++a) {
      const std::size_t d0 = p + months[a] + 1;
      if (!sep(d0 - 1))
        continue;
      nd = 0;
      if (at(d0) == '0' && nz(d0 + 1))
        days[nd++] = 2;
      if (nz(d0))
        days[nd++] = 1;
      if ((at(d0) == '1' || at(d0) == '2') && digit_at(d0 + 1))
        days[nd++] = 2;
      if (at(d0) == '3' && (at(d0 + 1) == '0' || at(d0 + 1) == '1'))
        days[nd++] = 2;
      for (int b = 0; b < nd; ++b) {
        const std::size_t y0 = d0 + days[b] + 1;
        if (!sep(y0 - 1))
          continue;
        if (((at(y0) == '1' && at(y0 + 1) == '9') ||
             (at(y0) == '2' && at(y0 + 1) == '0')) &&
            digit_at(y0 + 2) && digit_at(y0 + 3) && !word_at(y0 + 4))
          return y0 + 4;
        if (digit_at(y0) && digit_at(y0 + 1) && !word_at(y0 + 2))
          return y0 + 2;
      }
    }
    return 0;
  }
  if (k == kCardP) {
    // \b\d(?:[ -]?\d){12,18}\b: each repetition is a digit, or a separator
    // then a digit (never both ways at one place); the greedy count backs
    // off until \b holds after the last digit.
    std::size_t ends[20];
    std::size_t digits = 1, r = p + 1;
    ends[1] = r;
    while (digits < 19) {
      if ((at(r) == ' ' || at(r) == '-') && digit_at(r + 1))
        r += 2;
      else if (digit_at(r))
        r += 1;
      else
        break;
      ends[++digits] = r;
    }
    for (std::size_t i = digits; i >= 13; --i)
      if (!(cls(at(ends[i])) & kWord))
        return ends[i];
    return 0;
  }
  return kNoShortcut;
}

// The account/member number pattern's match anchored at p of s[0, n),
// without RE2: its end (0: none; kNoShortcut: no keyword at p, RE2 decides)
// and the start of its group in *g. Every quantifier and optional word is
// tried in RE2's leftmost-first order (greedy: more first; alternatives
// left to right), so the first full match found is RE2's, groups included:
// (?i)\b<keyword>(?: (?:id|number|no|num|#))?(?: (?:number|no))?(?: is)?
//   [:#. ]{0,3}([a-z]{0,3}-?\d[\d-]{3,18}\d)\b
std::size_t account_match(const unsigned char *s, std::size_t n, std::size_t p,
                          std::size_t *g) {
  auto at = [&](std::size_t i) -> unsigned char { return i < n ? s[i] : 0; };
  auto digit_at = [&](std::size_t i) { return (cls(at(i)) & kDigit) != 0; };
  auto word_at = [&](std::size_t i) { return (cls(at(i)) & kWord) != 0; };
  auto letter_at = [&](std::size_t i) { return (cls(at(i)) & kLetter) != 0; };
  if (p > 0 && word_at(p - 1))
    return kNoShortcut;
  // "membership" before "member" ((?:ship)? is greedy); the others exclude
  // each other at one position.
  static constexpr const char *kWords[] = {
      "account",  "acct",      "membership",  "member", "subscriber",
      "policy",   "insurance", "health plan", "plan",   "group",
      "medicaid", "medicare",  "beneficiary"};
  static constexpr const char *kIds[] = {" id", " number", " no", " num", " #"};
  static constexpr const char *kNos[] = {" number", " no"};
  // The lengths the optional words can take at i, in RE2's order, then 0.
  auto options = [&](std::size_t i, const char *const *words, std::size_t count,
                     std::size_t(&out)[8]) {
    std::size_t k = 0;
    for (std::size_t w = 0; w < count; ++w)
      if (lower_equals_at(s, n, i, words[w]))
        out[k++] = std::strlen(words[w]);
    out[k++] = 0;
    return k;
  };
  std::size_t kw[8];
  std::size_t nk = 0;
  for (const char *w : kWords)
    if (lower_equals_at(s, n, p, w))
      kw[nk++] = std::strlen(w);
  if (nk == 0)
    return kNoShortcut;
  for (std::size_t a = 0; a < nk; ++a) {
    const std::size_t r1 = p + kw[a];
    std::size_t o2[8];
    const std::size_t n2 = options(r1, kIds, 5, o2);
    for (std::size_t b = 0; b < n2; ++b) {
      const std::size_t r2 = r1 + o2[b];
      std::size_t o3[8];
      const std::size_t n3 = options(r2, kNos, 2, o3);
      for (std::size_t c = 0; c < n3; ++c) {
        const std::size_t r3 = r2 + o3[c];
        const char *const kIs[] = {" is"};
        std::size_t o4[8];
        const std::size_t n4 = options(r3, kIs, 1, o4);
        for (std::size_t d = 0; d < n4; ++d) {
          const std::size_t r4 = r3 + o4[d];
          std::size_t pmax = 0;
          while (pmax < 3 && (at(r4 + pmax) == ':' || at(r4 + pmax) == '#' ||
                              at(r4 + pmax) == '.' || at(r4 + pmax) == ' '))
            ++pmax;
          for (std::size_t pl = pmax + 1; pl-- > 0;) {
            const std::size_t g0 = r4 + pl;
            std::size_t lmax = 0;
            while (lmax < 3 && letter_at(g0 + lmax))
              ++lmax;
            for (std::size_t ll = lmax + 1; ll-- > 0;) {
              const std::size_t r6 = g0 + ll;
              for (std::size_t h = at(r6) == '-' ? 2 : 1; h-- > 0;) {
                const std::size_t r7 = r6 + h;
                if (!digit_at(r7))
                  continue;
                const std::size_t r8 = r7 + 1;
                std::size_t mmax = 0;
                while (mmax < 18 &&
                       (digit_at(r8 + mmax) || at(r8 + mmax) == '-'))
                  ++mmax;
                for (std::size_t m = mmax + 1; m-- > 3;) {
                  const std::size_t r9 = r8 + m;
                  if (digit_at(r9) && !word_at(r9 + 1)) {
                    *g = g0;
                    return r9 + 1;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return 0;
}

// The URL pattern's first match inside the window s[a, r) the fast path
// scans it in (a: the start of a word "http"/"https" before "://" or "www"
// before '.'; r: the first white space, '<', '>', '"' or '\'' after it),
// without RE2: (?i)\b(?:https?://|www\.)[^\s<>"']+ matches at a up to r,
// as every byte in between is in the class, or nowhere in the window (the
// prefix alone: no later position starts one). Returns the match's end, 0
// for none, kNoShortcut where RE2 decides (non-ASCII bytes, which the class
// takes only as valid UTF-8, or another start).
std::size_t url_match(const unsigned char *s, std::size_t n, std::size_t a,
                      std::size_t r) {
  auto lower_is = [&](std::size_t i, const char *w) {
    return lower_equals_at(s, n, i, w);
  };
  if (a > 0 && (cls(s[a - 1]) & kWord))
    return kNoShortcut;
  const std::size_t prefix = lower_is(a, "https://")  ? 8
                             : lower_is(a, "http://") ? 7
                             : lower_is(a, "www.")    ? 4
                                                      : 0;
  if (prefix == 0 || r > n || r < a + prefix)
    return kNoShortcut;
  for (std::size_t i = a; i < r; ++i)
    if (s[i] >= 0x80 || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
        s[i] == '\r' || s[i] == '\f' || s[i] == '<' || s[i] == '>' ||
        s[i] == '"' || s[i] == '\'')
      return kNoShortcut;
  return r > a + prefix ? r : 0;
}

// The written e-mail pattern's next match in s[pos, r), found as RE2's
// unanchored search finds it, inside a window [l, r) of e-mail characters
// (letters, digits, '.', '_', '%', '+', '-', '@'; s[l - 1] and s[r], where
// they exist, are none) with l <= pos: false if none. The pattern,
// \b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b,
// has in such a window a local part that runs from its start to the first
// '@' (every other window character is in its class), so the leftmost
// match starts at the first \b before an '@' whose domain matches; the
// domain's labels are maximal runs (a shorter one leaves a label character
// where '.' must follow), and the greedy repetition backs off from the
// most labels to the first that a '.', two letters or more and \b end.
// detail::fixed_match_agrees checks it against RE2.
bool email_next(const unsigned char *s, std::size_t n, std::size_t pos,
                std::size_t r, std::size_t &mb, std::size_t &me) {
  auto word = [&](std::size_t i) { return i < n && (cls(s[i]) & kWord); };
  auto label = [&](std::size_t i) {
    return i < r && ((cls(s[i]) & (kLetter | kDigit)) || s[i] == '-');
  };
  auto alpha = [&](std::size_t i) { return i < r && (cls(s[i]) & kLetter); };
  std::size_t from = pos; // local parts start at or after from
  for (std::size_t a = pos; a < r; ++a) {
    if (s[a] != '@')
      continue;
    std::size_t st = from;
    while (st < a && (st > 0 && word(st - 1)) == word(st))
      ++st; // no \b at st
    from = a + 1;
    if (st == a)
      continue;
    std::size_t e = a + 1;
    while (label(e))
      ++e;
    if (e == a + 1)
      continue;
    bool found = false;
    for (;;) {
      if (e < r && s[e] == '.') {
        std::size_t t = e + 1;
        while (alpha(t))
          ++t;
        if (t - e > 2 && !word(t)) {
          me = t; // the most labels so far that the ending fits
          found = true;
        }
      }
      if (e < r && s[e] == '.' && label(e + 1)) {
        ++e;
        while (label(e))
          ++e;
      } else {
        break;
      }
    }
    if (found) {
      mb = st;
      return true;
    }
  }
  return false;
}

// Findings merged in original coordinates (normalised range kept for the
// canonical value used by HMAC tokens and mask_last4).
//
// Two equivalent ways to find the raw matches (before validation, scores
// and merging), giving the same candidates in the same order:
//  - reference: an RE2::Set over the whole normalised text says which
//    patterns occur; e-mail and URL patterns are scanned over the whole
//    text; the locator (all other patterns as one alternation) walks every
//    position where one of them matches and the occurring patterns are tried
//    there, anchored, each skipping positions inside its previous match.
//  - fast: one byte-level pass finds, for each pattern, a superset of the
//    positions where a match of it can start (every other pattern starts at
//    the start of a word, '+' or '('; cheap necessary conditions on the
//    digit run or keyword there, e.g. SSN "3 digits then '-' or ' '"), and
//    the pattern is tried there, anchored, with the same skipping rule. The
//    patterns a position is tried with come in index order, so candidates
//    arrive in the reference's (position, pattern) order. E-mail and URL
//    patterns are scanned only inside windows that contain every match they
//    can have ('@' runs of e-mail characters; runs without white space from
//    an "http"/"www" word). Equal outputs are checked over the synthetic
//    corpus and random inputs by RedactionFastPath tests and the fuzzer.
// (sc: the thread's scratch(), looked up once per call by the caller.)
void recognise(std::string_view text, const Policy &policy,
               const Options &options, Scratch &sc,
               std::vector<Candidate> &merged) {
  if (text.size() > options.max_bytes)
    throw Error(
        sqlstate::kProgramLimitExceeded,
        "redaction failed: input exceeds switchboard.redaction_max_bytes",
        "input is " + std::to_string(text.size()) + " bytes, limit " +
            std::to_string(options.max_bytes));
  const Recognizer &rec = recognizer(options.max_mem);
  // Per-thread buffers, reused from call to call (no allocation once they
  // are large enough); a large input gets its own.
  const bool small = text.size() <= kFastPathMaxBytes;
  spoken::Normalized own_norm;
  std::vector<Candidate> own_found;
  spoken::Normalized &norm = small ? sc.norm : own_norm;
  std::vector<Candidate> &found = small ? sc.found : own_found;
  found.clear();
  merged.clear();
  spoken::normalize_into(text, norm, false);
  const std::string_view nt = norm.changed ? std::string_view(norm.text) : text;

  if (nt.empty())
    return;
  const re2::StringPiece sp(nt.data(), nt.size());
  re2::StringPiece groups[2];
  std::vector<Candidate> *sink = &found;
  // The fast path's block masks of nt, once built (context_masked).
  const BlockMasks *text_masks = nullptr;
  // A match of pattern p: validate, score, keep.
  auto consider = [&](const PatternDef &p) {
    const re2::StringPiece g = groups[p.group];
    if (g.data() == nullptr || g.size() == 0)
      return;
    std::size_t b = static_cast<std::size_t>(g.data() - nt.data());
    std::size_t e = b + g.size();
    float score = p.base;
    if (!run_check(p, nt, b, e, score))
      return;
    const std::size_t pi = static_cast<std::size_t>(&p - kPatterns);
    const unsigned hits =
        p.ctx == nullptr && p.neg == nullptr ? 0u
        : text_masks != nullptr
            ? context_masked(nt, text_masks, b, e, p.ctx, p.neg,
                             kContextByLetter.ctx[pi], kContextByLetter.neg[pi],
                             p.before, p.after)
            : context(nt, b, e, p.ctx, p.neg, kContextFirsts.ctx[pi],
                      kContextFirsts.neg[pi], p.before, p.after);
    if (hits & 1u)
      score += p.boost;
    if (hits & 2u)
      score -= p.penalty;
    score = std::min(1.0f, std::max(0.0f, score));
    if (score + 1e-4f < policy[p.entity].threshold)
      return;
    sink->push_back(
        Candidate{p.entity, b, e, norm.orig_begin(b), norm.orig_end(e), score});
  };
  auto match_end = [&] {
    return static_cast<std::size_t>(groups[0].data() - nt.data()) +
           groups[0].size();
  };
  // Every match of scanned pattern idx inside [from, to), leftmost first,
  // resuming after each.
  auto scan = [&](int idx, std::size_t from, std::size_t to) {
    const PatternDef &p = kPatterns[idx];
    std::size_t pos = from;
    while (pos < to && rec.re(idx).Match(sp, pos, to, RE2::UNANCHORED, groups,
                                         p.group + 1)) {
      pos = std::max(match_end(), pos + 1);
      consider(p);
    }
  };

  const bool reference = options.reference_path || !fast_path_ok(nt);
  sc.last_path = reference ? MatchPath::Reference : MatchPath::Fast;
  if (reference) {
    // Patterns the set saw (and the policy wants); only these are tried.
    std::vector<int> located, scans;
    for (int idx : rec.prefilter(nt))
      if (policy[kPatterns[idx].entity].enabled)
        (scanned(kPatterns[idx]) ? scans : located).push_back(idx);
    for (int idx : scans)
      scan(idx, 0, nt.size());
    if (!located.empty()) {
      // The locator's leftmost match is the next position where one of the
      // patterns matches; each active pattern is tried there, anchored. A
      // pattern is not tried again inside its own previous match.
      std::vector<std::size_t> next(located.size(), 0);
      std::size_t pos = 0;
      while (
          pos < nt.size() &&
          rec.locator().Match(sp, pos, nt.size(), RE2::UNANCHORED, groups, 1)) {
        const std::size_t at =
            static_cast<std::size_t>(groups[0].data() - nt.data());
        for (std::size_t k = 0; k < located.size(); ++k) {
          if (at < next[k])
            continue;
          const PatternDef &p = kPatterns[located[k]];
          if (!rec.re(located[k])
                   .Match(sp, at, nt.size(), RE2::ANCHOR_START, groups,
                          p.group + 1))
            continue;
          next[k] = match_end();
          consider(p);
        }
        pos = at + 1;
        while (pos < nt.size() &&
               (static_cast<unsigned char>(nt[pos]) & 0xC0) == 0x80)
          ++pos;
      }
    }
  } else {
    rec.check();
    const unsigned char *s = reinterpret_cast<const unsigned char *>(nt.data());
    const std::size_t n = nt.size();
    auto at = [&](std::size_t i) -> unsigned char { return i < n ? s[i] : 0; };
    // Patterns the policy wants.
    std::uint32_t enabled = 0;
    for (std::size_t k = 0; k < kPatternCount; ++k)
      if (policy[kPatterns[k].entity].enabled)
        enabled |= bit(static_cast<int>(k));
    std::size_t next[kPatternCount] = {};
    std::vector<Candidate> &located = sc.located;
    std::vector<std::uint32_t> &url_starts = sc.url_starts, &ats = sc.ats;
    located.clear();
    url_starts.clear();
    ats.clear();
    sink = &located;
    bool spelled_dot = false;
    // Tries the patterns in mask at position p, in index order.
    auto try_at = [&](std::size_t p, std::uint32_t mask) {
      mask &= enabled;
      while (mask != 0) {
        const int k = __builtin_ctz(mask);
        mask &= mask - 1;
        if (p < next[k])
          continue;
        const PatternDef &pd = kPatterns[k];
        const std::size_t fixed =
            k == kSsnDashed || k == kPhoneP || k == kCardP || k == kDateMdy ||
                    k == kZipState || k == kDateMonthFirst || k == kAddressP
                ? fixed_match(s, n, k, p)
                : kNoShortcut;
        if (fixed != kNoShortcut) {
          if (fixed == 0)
            continue;
          groups[0] = re2::StringPiece(nt.data() + p, fixed - p);
          if (k == kZipState) { // the group: as below
            const std::size_t g = p + (s[p + 2] == ',' ? 4 : 3);
            groups[1] = re2::StringPiece(nt.data() + g, fixed - g);
          }
        } else if (k == kZipState) {
          // "IL 62704", "CA, 94105-1234": the group is all after the state,
          // the optional comma and the one space, so the DFA's match alone
          // gives it (a capture costs RE2 a second, slower engine).
          if (!rec.re(k).Match(sp, p, n, RE2::ANCHOR_START, groups, 1))
            continue;
          const std::size_t g = p + (s[p + 2] == ',' ? 4 : 3);
          groups[1] = re2::StringPiece(nt.data() + g, match_end() - g);
        } else if (std::size_t g = 0, e = k == kAccountP
                                              ? account_match(s, n, p, &g)
                                              : kNoShortcut;
                   e != kNoShortcut) {
          if (e == 0)
            continue;
          groups[0] = re2::StringPiece(nt.data() + p, e - p);
          groups[1] = re2::StringPiece(nt.data() + g, e - g);
        } else if (k == kAccountP) {
          // The number is the group: it starts at the match's first digit
          // (the words before it hold none), after an optional '-' and the
          // letters glued to it (at most three, after ' ', ':', '#' or '.').
          // Those letters are all the group's unless an optional word before
          // the group ("id", "no", "num", "is") could take the first of them
          // ("nos12345": " no", then "s12345"): then RE2 captures it.
          if (!rec.re(k).Match(sp, p, n, RE2::ANCHOR_START, groups, 1))
            continue;
          const std::size_t e = match_end();
          std::size_t g = p;
          while (g < e && !(cls(s[g]) & kDigit))
            ++g;
          if (g > p && s[g - 1] == '-')
            --g;
          std::size_t l = g;
          while (l > p && (cls(s[l - 1]) & kLetter))
            --l;
          auto starts_with = [&](const char *w) { // the letters, any case
            const std::size_t len = std::strlen(w);
            if (g - l < len)
              return false;
            for (std::size_t i = 0; i < len; ++i)
              if ((s[l + i] | 0x20) != w[i])
                return false;
            return true;
          };
          if (l > p && g - l <= 3 &&
              (s[l - 1] == ' ' || s[l - 1] == ':' || s[l - 1] == '#' ||
               s[l - 1] == '.') &&
              !starts_with("id") && !starts_with("no") && !starts_with("num") &&
              !starts_with("is")) {
            groups[1] = re2::StringPiece(nt.data() + l, e - l);
          } else if (!rec.re(k).Match(sp, p, n, RE2::ANCHOR_START, groups, 2)) {
            continue;
          }
        } else if (!rec.re(k).Match(sp, p, n, RE2::ANCHOR_START, groups,
                                    pd.group + 1)) {
          continue;
        }
        next[k] = match_end();
        consider(pd);
      }
    };
    // The bit masks of the text, 64 bytes a block (see the scan below).
    std::vector<BlockMasks> &masks = sc.masks;
    scan_masks(s, n, masks);
    // The end of the run of bytes at r (r <= n) whose bits are set in the
    // masks bits(j) gives for block j (bytes past the text have none).
    auto run_end = [&](std::size_t r, auto bits) {
      while (r < n) {
        const std::size_t j = r >> 6;
        const std::uint64_t rest = ~bits(masks[j]) >> (r & 63);
        if (rest != 0)
          return std::min(n,
                          r + static_cast<std::size_t>(__builtin_ctzll(rest)));
        r = (j + 1) << 6;
      }
      return n;
    };
    auto digits_of = [](const BlockMasks &m) { return m.digit; };
    auto letters_of = [](const BlockMasks &m) { return m.letter; };
    auto alnum_of = [](const BlockMasks &m) { return m.letter | m.digit; };
    // Length of the run of digits at r.
    auto digit_run = [&](std::size_t r) {
      return r < n ? run_end(r, digits_of) - r : 0;
    };
    const BlockMasks *const mk = masks.data();
    text_masks = mk;
    // Whether a street suffix (a whole run of letters, \b after) is the 2nd,
    // 3rd or 4th word after the space at q, a word running to the next
    // space over letters, digits, '.' and '\'' (a superset of the address
    // pattern's): a byte walk, for the numbers whose words run past the 64
    // bytes of masks visit_word reads.
    auto suffix_walk = [&](std::size_t r) {
      for (int t = 0; t < 4 && at(r) == ' '; ++t) {
        ++r;
        if (t >= 1) {
          const std::size_t m = run_end(r, letters_of) - r;
          if (m >= 2 && street_suffix_at(s + r, m) && !(cls(at(r + m)) & kWord))
            return true;
          if (t == 3)
            return false; // (where the 4th word ends is not needed)
        }
        for (;;) { // past the word
          r = run_end(r, alnum_of);
          if (r < n && (s[r] == '.' || s[r] == '\''))
            ++r;
          else
            break;
        }
      }
      return false;
    };
    // A word start (RE2's \b): every pattern but the e-mail and URL ones
    // starts at one; finds the patterns worth trying there.
    auto visit_word = [&](const std::size_t p, const bool colon_near) {
      const unsigned char c = s[p];
      const std::uint8_t k = cls(c);
      std::uint32_t mask = 0;
      if (colon_near) { // else no ':' ends a hex run of 1-4 here
        // IPv6: hex groups of 1-4 and colons, with "::" or 7 colons.
        std::size_t h = p;
        while (h < n && h - p <= 4 && (cls(s[h]) & kHex))
          ++h;
        if (h - p <= 4 && at(h) == ':') {
          std::size_t colons = 0;
          bool twice = false;
          for (std::size_t r = h; r < n && ((cls(s[r]) & kHex) || s[r] == ':');
               ++r)
            if (s[r] == ':') {
              ++colons;
              twice = twice || s[r - 1] == ':';
            }
          if (twice || colons >= 7)
            mask |= bit(kIpv6);
        }
      }
      // Mask f of the 64 bytes from p (bit i: byte p + i; none past the
      // text): the rules below read runs and separators off them.
      const unsigned o = static_cast<unsigned>(p & 63);
      const BlockMasks &m0 = mk[p >> 6], &m1 = mk[(p >> 6) + 1];
      auto win = [&](std::uint64_t BlockMasks::*f) {
        return (m0.*f >> o) | ((m1.*f << 1) << (63 - o));
      };
      if (k & kDigit) {
        const std::uint64_t dg = win(&BlockMasks::digit);
        // The digit run at offset i (1 <= i <= 8 below): exact when shorter
        // than 64 - i, at least 56 bytes long otherwise, so the comparisons
        // with small lengths below hold either way.
        auto drun = [dg](std::size_t i) {
          return static_cast<std::size_t>(__builtin_ctzll(~(dg >> i)));
        };
        const std::size_t d =
            dg == ~0ull ? digit_run(p)
                        : static_cast<std::size_t>(__builtin_ctzll(~dg));
        const std::size_t q = p + d;
        const unsigned char after = at(q);
        const bool sep_dsp = after == '-' || after == '.' || after == ' ';
        const bool sep_sdd = after == '/' || after == '.' || after == '-';
        // 3-2-4 with '-' or ' '.
        if (d == 3 && (after == '-' || after == ' ') && drun(4) == 2 &&
            (at(q + 3) == '-' || at(q + 3) == ' ') && drun(7) == 4)
          mask |= bit(kSsnDashed);
        if (d == 9)
          mask |= bit(kSsnBare);
        // Phones: "1-", or 3 digits, a separator, 3 digits, a separator.
        if ((d == 1 && c == '1' && sep_dsp) ||
            (d == 3 && sep_dsp && drun(4) == 3 &&
             (at(q + 4) == '-' || at(q + 4) == '.' || at(q + 4) == ' ') &&
             drun(8) == 4))
          mask |= bit(kPhoneP);
        if (d == 10 || d == 11)
          mask |= bit(kPhoneBare);
        if (d <= 2 && sep_sdd) {
          const std::size_t d2 = drun(d + 1);
          const unsigned char a2 = at(q + 1 + d2);
          if (d2 >= 1 && d2 <= 2 && (a2 == '/' || a2 == '.' || a2 == '-'))
            mask |= bit(kDateMdy);
        }
        if (d == 4 && sep_sdd && (c == '1' || c == '2')) {
          const std::size_t d2 = drun(5);
          const unsigned char a2 = at(q + 1 + d2);
          if (d2 >= 1 && d2 <= 2 && (a2 == '/' || a2 == '.' || a2 == '-'))
            mask |= bit(kDateYmd);
        }
        if (d <= 2) {
          // Day first: "3rd of march", "3 mar".
          std::size_t r = q;
          const char s1 = static_cast<char>(at(r) | 0x20),
                     s2 = static_cast<char>(at(r + 1) | 0x20);
          if ((s1 == 's' && s2 == 't') || (s1 == 'n' && s2 == 'd') ||
              (s1 == 'r' && s2 == 'd') || (s1 == 't' && s2 == 'h'))
            r += 2;
          if (at(r) == ' ') {
            ++r;
            if ((at(r) | 0x20) == 'o' && (at(r + 1) | 0x20) == 'f' &&
                at(r + 2) == ' ')
              r += 3;
            // (The word's length and first two letters rule out most
            // words before they are copied.)
            const std::size_t m = run_end(r, letters_of) - r;
            if (m >= 3 &&
                kKeywordIndex.maybe(static_cast<char>(s[r] | 0x20),
                                    static_cast<char>(s[r + 1] | 0x20), m)) {
              char w[16];
              for (std::size_t x = 0; x < m && x < 15; ++x)
                w[x] = static_cast<char>(s[r + x] | 0x20);
              if ((keyword_patterns(w, m, 0) & bit(kDateMonthFirst)) != 0)
                mask |= bit(kDateDayFirst);
            }
          }
        }
        if (d == 8)
          mask |= bit(kDateCompactP);
        if (d == 10 && (c == '1' || c == '2'))
          mask |= bit(kNpiP);
        if (d <= 6 && after == ' ' && (cls(at(q + 1)) & (kLetter | kDigit))) {
          // A street suffix as the 2nd to 4th word: in a match every byte
          // from the first word to the suffix is a word's (letters, digits,
          // '.', '\'') or a single space, so the suffix starts at one of
          // the first three word starts after a space past the first word
          // and before the first byte of neither kind.
          const std::uint64_t sp = win(&BlockMasks::space),
                              lt = win(&BlockMasks::letter);
          const std::uint64_t wd =
              lt | dg | win(&BlockMasks::period) | win(&BlockMasks::apos);
          const std::uint64_t bad = ~(sp | wd) & (~0ull << (d + 1));
          const std::uint64_t before_bad =
              bad != 0 ? (bad & (0 - bad)) - 1 : ~0ull;
          std::uint64_t starts =
              (sp << 1) & wd & before_bad & (~0ull << (d + 2));
          int tested = 0;
          bool found = false;
          for (; tested < 3 && starts != 0 && !found;
               ++tested, starts &= starts - 1) {
            const unsigned i = static_cast<unsigned>(__builtin_ctzll(starts));
            const std::size_t r = p + i;
            // (A run of letters reaching the window's end is measured in
            // the masks.)
            std::size_t m =
                static_cast<std::size_t>(__builtin_ctzll(~(lt >> i)));
            if (i + m >= 64)
              m = run_end(r, letters_of) - r;
            found = m >= 2 && street_suffix_at(s + r, m) &&
                    !(cls(at(r + m)) & kWord);
          }
          // Fewer than three words in a window without such a byte: the
          // words may go on past it.
          if (found || (tested < 3 && bad == 0 && suffix_walk(q)))
            mask |= bit(kAddressP);
        }
        if (d <= 3 && after == '.') {
          const std::size_t d2 = drun(d + 1);
          if (d2 >= 1 && d2 <= 3 && at(q + 1 + d2) == '.')
            mask |= bit(kIpv4);
        }
        if (d == 1 && c != '0' && (cls(after) & kUpper))
          mask |= bit(kMbi);
        // Cards: 13 or more digits, single spaces or dashes between them
        // (each followed by a digit). Past the window's 64 bytes the run
        // has 32 digits or more.
        if (d >= 13 ||
            ((after == ' ' || after == '-') && ((dg >> (d + 1)) & 1u) != 0)) {
          const std::uint64_t sep =
              win(&BlockMasks::space) | win(&BlockMasks::dash);
          const std::uint64_t run = ~(dg | (sep & (dg >> 1)));
          const std::uint64_t in_run = run != 0 ? (run & (0 - run)) - 1 : ~0ull;
          if (bit_count(dg & in_run) >= 13)
            mask |= bit(kCardP);
        }
      } else {
        const std::size_t q = run_end(p, letters_of);
        const std::size_t m = q - p;
        const unsigned char after = at(q);
        if ((k & kUpper) && c != 'U' && (cls(after) & kDigit)) {
          // ICD-10: letter, digit, digit/A/B, then a dot or up to 4 more.
          const unsigned char c2 = at(p + 2);
          if ((cls(c2) & kDigit) || c2 == 'A' || c2 == 'B') {
            std::size_t r = p;
            while (r < n && (cls(s[r]) & kWord))
              ++r;
            if (at(p + 3) == '.')
              mask |= bit(kIcdDotted);
            if (r - p <= 7)
              mask |= bit(kIcdBare);
          }
        }
        if (m == 2 && (k & kUpper) && (cls(s[p + 1]) & kUpper) &&
            (after == ',' || after == ' '))
          mask |= bit(kZipState);
        if (m >= 3 &&
            kKeywordIndex.maybe(static_cast<char>(c | 0x20),
                                static_cast<char>(s[p + 1] | 0x20), m)) {
          char w[16];
          for (std::size_t x = 0; x < m && x < 15; ++x)
            w[x] = static_cast<char>(s[p + x] | 0x20);
          // The first digit in the 64 bytes from p (every keyword's reach
          // is shorter), off the masks.
          const std::uint64_t digits = win(&BlockMasks::digit);
          if (digits != 0) {
            mask |= keyword_patterns(
                w, m, static_cast<std::size_t>(__builtin_ctzll(digits)));
            // "last" starts the last-four patterns only before " four" or
            // " 4" (any case): "last month" tries neither.
            const std::uint32_t last4 = bit(kLastFourSsn) | bit(kLastFourCard);
            if ((mask & last4) != 0 &&
                !(at(q) == ' ' &&
                  (at(q + 1) == '4' ||
                   ((at(q + 1) | 0x20) == 'f' && (at(q + 2) | 0x20) == 'o' &&
                    (at(q + 3) | 0x20) == 'u' && (at(q + 4) | 0x20) == 'r'))))
              mask &= ~last4;
          }
        }
        const char c0 = static_cast<char>(c | 0x20);
        if (m >= 3 && m <= 5 && (c0 == 'd' || c0 == 'h' || c0 == 'w')) {
          char w[5];
          for (std::size_t x = 0; x < m; ++x)
            w[x] = static_cast<char>(s[p + x] | 0x20);
          if (m == 3 && same(w, "dot", 3))
            spelled_dot = true;
          if ((m != 3 && same(w, "https", m) && after == ':' &&
               at(q + 1) == '/' && at(q + 2) == '/') ||
              (m == 3 && same(w, "www", 3) && after == '.'))
            url_starts.push_back(static_cast<std::uint32_t>(p));
        }
      }
      if ((mask & enabled) != 0) // (most visits find nothing to try)
        try_at(p, mask);
    };
    // The positions the scan visits, in increasing order, from bit masks of
    // 64-byte blocks: '+', '(' and '@'; word starts with a digit; word
    // starts with a letter that have a ':' within four bytes (IPv6) or after
    // "http"/"https", a '.' three bytes on ("www."), "dot", an upper-case
    // letter before an upper-case letter or digit (ZIP after a state code,
    // ICD-10), or - for a word of three letters or more whose first two
    // letters and length some keyword has - a digit within the keywords'
    // reach (40 bytes, 64 for "last"). At every other word start the byte
    // loop this replaces found an empty mask and recorded nothing, so
    // skipping it changes nothing.
    const std::size_t blocks = (n + 63) / 64;
    for (std::size_t j = 0; j < blocks; ++j) {
      const BlockMasks &m = masks[j], &nx = masks[j + 1];
      const std::uint64_t prev_word = j > 0 ? masks[j - 1].word >> 63 : 0;
      const std::uint64_t starts = m.word & ~((m.word << 1) | prev_word);
      // ':' at p + 1 .. p + 4 (IPv6: after a hex run of 1-4), or at p + 4 or
      // p + 5 after an 'h' ("http://", "https://").
      std::uint64_t colon_near = 0, colon45 = 0;
      for (int t = 1; t <= 4; ++t)
        colon_near |= (m.colon >> t) | (nx.colon << (64 - t));
      for (int t = 4; t <= 5; ++t)
        colon45 |= (m.colon >> t) | (nx.colon << (64 - t));
      const std::uint64_t period3 = (m.period >> 3) | (nx.period << 61);
      const std::uint64_t ud = m.upper | m.digit, nud = nx.upper | nx.digit;
      const std::uint64_t upper_next = m.upper & ((ud >> 1) | (nud << 63));
      const std::uint64_t strong =
          colon_near | (colon45 & m.aitch) | period3 | m.dot | upper_next;
      // A digit at p .. p + 39 (the reach of every keyword but "last"), or
      // at p .. p + 63 for a word starting with 'l'.
      std::uint64_t near64 = m.digit ? ~0ull >> __builtin_clzll(m.digit) : 0;
      if (nx.digit != 0) {
        const int t = __builtin_ctzll(nx.digit);
        if (t < 63)
          near64 |= ~0ull << (t + 1);
      }
      // (Digits of this block smeared down by up to 39 bits, and the first
      // digit of the next block, whose reach starts 39 bytes before it.)
      std::uint64_t d = m.digit;
      d |= d >> 1;
      d |= d >> 2;
      d |= d >> 4; // a digit at p .. p + 7
      const std::uint64_t d8 = d;
      d |= d >> 8;
      d |= d >> 16; // p .. p + 31
      std::uint64_t near40 = d | (d8 >> 32);
      if (nx.digit != 0) {
        const int t = __builtin_ctzll(nx.digit);
        if (t <= 38)
          near40 |= ~0ull << (25 + t);
      }
      // Keywords have three letters or more.
      const std::uint64_t three = m.letter &
                                  ((m.letter >> 1) | (nx.letter << 63)) &
                                  ((m.letter >> 2) | (nx.letter << 62));
      const std::uint64_t near = (near40 | (near64 & m.ell)) & three;
      // The words only a keyword could start: kept if some keyword has their
      // first two letters and length, and some their first three letters
      // (no branch per word: most fail). Three letters at p (near) make
      // s[p + 1] and s[p + 2] letters inside the text.
      std::uint64_t keywords = 0;
      for (std::uint64_t t = starts & near & m.kwpair & ~m.digit & ~strong;
           t != 0; t &= t - 1) {
        const int off = __builtin_ctzll(t);
        const std::size_t p = j * 64 + static_cast<std::size_t>(off);
        const std::uint64_t rest = ~m.letter >> off;
        // (31 for 31 letters or more: no keyword is that long.)
        const unsigned len =
            rest != 0
                ? std::min(31u, static_cast<unsigned>(__builtin_ctzll(rest)))
                : 31u;
        const unsigned a = static_cast<unsigned>((s[p] | 0x20) - 'a'),
                       b = static_cast<unsigned>((s[p + 1] | 0x20) - 'a'),
                       c = static_cast<unsigned>((s[p + 2] | 0x20) - 'a');
        // ("please" and "possible" share a keyword's first two letters and
        // length, not its third letter.)
        const std::uint32_t pass =
            (((kKeywordIndex.lens[a * 26 + b] >> len) & 1u) |
             static_cast<std::uint32_t>(rest == 0)) &
            (kKeywordIndex.third[a * 26 + b] >> c);
        keywords |= static_cast<std::uint64_t>(pass) << off;
      }
      std::uint64_t visit =
          m.punct | (starts & (m.digit | (strong & ~m.digit))) | keywords;
      while (visit != 0) {
        const std::size_t p =
            j * 64 + static_cast<std::size_t>(__builtin_ctzll(visit));
        const std::uint64_t one = visit & (0 - visit);
        visit &= visit - 1;
        const unsigned char c = s[p];
        if ((cls(c) & kWord) == 0) {
          if (c == '+')
            try_at(p, at(p + 1) == '1' ? bit(kPhoneP) | bit(kPhoneBare) : 0);
          else if (c == '(')
            try_at(p, (cls(at(p + 1)) & kDigit) ? bit(kPhoneP) : 0);
          else if (c == '@')
            ats.push_back(static_cast<std::uint32_t>(p));
          continue;
        }
        if ((keywords & one) != 0 && ~m.letter >> (p - j * 64) == 0) {
          // A word past the block: its length decides.
          std::size_t q = j * 64 + 64;
          while (q < n && (cls(s[q]) & kLetter))
            ++q;
          if (!kKeywordIndex.maybe(static_cast<char>(c | 0x20),
                                   static_cast<char>(s[p + 1] | 0x20), q - p))
            continue;
        }
        visit_word(p, (colon_near & one) != 0);
      }
    }
    // Scanned patterns first, as in the reference.
    sink = &found;
    if (enabled & bit(kEmailWritten)) {
      auto email_char = [](unsigned char ch) {
        return (cls(ch) & (kLetter | kDigit)) || ch == '.' || ch == '_' ||
               ch == '%' || ch == '+' || ch == '-' || ch == '@';
      };
      std::size_t done = 0;
      for (std::uint32_t a : ats) {
        if (a < done)
          continue;
        std::size_t l = a, r = a + 1;
        while (l > 0 && email_char(s[l - 1]))
          --l;
        while (r < n && email_char(s[r]))
          ++r;
        // scan(kEmailWritten, l, r), without RE2.
        std::size_t pos = l, mb = 0, me = 0;
        while (pos < r && email_next(s, n, pos, r, mb, me)) {
          groups[0] = re2::StringPiece(nt.data() + mb, me - mb);
          pos = std::max(me, pos + 1);
          consider(kPatterns[kEmailWritten]);
        }
        done = r;
      }
    }
    if ((enabled & bit(kEmailSpelled)) && spelled_dot)
      scan(kEmailSpelled, 0, n);
    if (enabled & bit(kUrlP)) {
      std::size_t done = 0;
      for (std::uint32_t a : url_starts) {
        if (a < done)
          continue;
        std::size_t r = a;
        while (r < n && s[r] != ' ' && s[r] != '\t' && s[r] != '\n' &&
               s[r] != '\r' && s[r] != '\f' && s[r] != '<' && s[r] != '>' &&
               s[r] != '"' && s[r] != '\'')
          ++r;
        const std::size_t e = url_match(s, n, a, r);
        if (e == kNoShortcut) {
          scan(kUrlP, a, r);
        } else if (e != 0) {
          groups[0] = re2::StringPiece(nt.data() + a, e - a);
          consider(kPatterns[kUrlP]);
        }
        done = r;
      }
    }
    found.insert(found.end(), located.begin(), located.end());
    // Keep the buffers small between calls (a few kB for transcripts).
    if (located.capacity() > 4096)
      std::vector<Candidate>().swap(located);
    if (ats.capacity() > 4096)
      std::vector<std::uint32_t>().swap(ats);
    if (url_starts.capacity() > 4096)
      std::vector<std::uint32_t>().swap(url_starts);
    if (masks.capacity() > 1024)
      std::vector<BlockMasks>().swap(masks);
  }
  // Merge overlapping findings: the union, labelled with the best score
  // (ties: the longer one).
  std::sort(found.begin(), found.end(),
            [](const Candidate &a, const Candidate &b) {
              return a.ob != b.ob ? a.ob < b.ob : a.oe > b.oe;
            });
  for (const Candidate &c : found) {
    if (!merged.empty() && c.ob < merged.back().oe) {
      Candidate &m = merged.back();
      const bool better = c.score > m.score ||
                          (c.score == m.score && (c.oe - c.ob) > (m.oe - m.ob));
      if (better) {
        m.entity = c.entity;
        m.score = c.score;
      }
      m.oe = std::max(m.oe, c.oe);
      m.nb = std::min(m.nb, c.nb);
      m.ne = std::max(m.ne, c.ne);
    } else {
      merged.push_back(c);
    }
  }
  if (small && norm.text.capacity() > (64u << 10))
    norm = spoken::Normalized();
  // The canonical values come from the normalised range nb/ne.
}

bool numeric_entity(Entity e) {
  switch (e) {
  case Entity::Email:
  case Entity::Url:
  case Entity::Address:
  case Entity::IpAddress:
  case Entity::Icd10:
    return false;
  default:
    return true;
  }
}

// A form-independent value: "415-22-1234" and "four one five two two ..."
// give the same canonical string.
std::string canonical(Entity e, std::string_view v) {
  std::string out;
  if (numeric_entity(e)) {
    for (char c : v)
      if ((c >= '0' && c <= '9') || is_alpha(c))
        out.push_back(
            static_cast<char>((c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c));
    if (e == Entity::Phone && out.size() == 11 && out[0] == '1')
      out.erase(0, 1);
    return out;
  }
  std::string low;
  for (char c : v)
    low.push_back(lower(c));
  if (e == Entity::Email) {
    auto replace = [&](const char *from, const char *to) {
      std::size_t at;
      while ((at = low.find(from)) != std::string::npos)
        low.replace(at, std::strlen(from), to);
    };
    replace(" at ", "@");
    replace(" dot ", ".");
    replace(" underscore ", "_");
    replace(" period ", ".");
  }
  for (char c : low)
    if (c != ' ' && c != '\t')
      out.push_back(c);
  return out;
}

std::string hmac_token(const std::string &key, Entity e,
                       const std::string &value) {
  static const int init = sodium_init();
  (void)init;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(
      &st, reinterpret_cast<const unsigned char *>(key.data()), key.size());
  const char *name = entity_name(e);
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char *>(name), std::strlen(name));
  const unsigned char colon = ':';
  crypto_auth_hmacsha256_update(&st, &colon, 1);
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char *>(value.data()), value.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 15]);
  }
  return out;
}

} // namespace

const char *entity_name(Entity e) {
  return kEntityNames[static_cast<std::size_t>(e)];
}

std::optional<Entity> entity_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kEntityCount; ++i)
    if (name == kEntityNames[i])
      return static_cast<Entity>(i);
  return std::nullopt;
}

const char *action_name(Action a) {
  switch (a) {
  case Action::Tag:
    return "tag";
  case Action::MaskLast4:
    return "mask_last4";
  case Action::Hmac:
    return "hmac";
  }
  return "tag";
}

std::optional<Action> action_from_name(std::string_view name) {
  if (name == "tag")
    return Action::Tag;
  if (name == "mask_last4")
    return Action::MaskLast4;
  if (name == "hmac")
    return Action::Hmac;
  return std::nullopt;
}

Policy parse_policy(std::string_view spec) {
  Policy policy;
  while (!spec.empty()) {
    std::size_t semi = spec.find(';');
    std::string_view item = spec.substr(0, semi);
    spec = semi == std::string_view::npos ? std::string_view()
                                          : spec.substr(semi + 1);
    if (item.empty())
      continue;
    std::size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    auto entity = entity_from_name(name);
    if (!entity)
      throw Error(sqlstate::kInvalidParameter, "unknown redaction entity",
                  "entities: SSN, CREDIT_CARD, PHONE, EMAIL, DATE, MRN, NPI, "
                  "ADDRESS, ZIP, IP_ADDRESS, URL, ACCOUNT_NUMBER, ICD10");
    EntityPolicy &ep = policy[*entity];
    if (eq == std::string_view::npos)
      continue;
    std::string_view rest = item.substr(eq + 1);
    std::size_t colon = rest.find(':');
    std::string_view act = rest.substr(0, colon);
    if (act == "off") {
      ep.enabled = false;
    } else {
      auto action = action_from_name(act);
      if (!action)
        throw Error(sqlstate::kInvalidParameter, "unknown redaction action",
                    "actions: tag, mask_last4, hmac, off");
      ep.action = *action;
    }
    if (colon != std::string_view::npos) {
      std::string num(rest.substr(colon + 1));
      char *endp = nullptr;
      const float t = std::strtof(num.c_str(), &endp);
      if (num.empty() || endp != num.c_str() + num.size() || !(t >= 0.f) ||
          t > 1.f)
        throw Error(sqlstate::kInvalidParameter,
                    "redaction threshold must be between 0 and 1");
      ep.threshold = t;
    }
  }
  return policy;
}

std::vector<Span> find_spans(std::string_view text, const Policy &policy,
                             const Options &options) {
  Scratch &sc = scratch();
  std::vector<Candidate> &found = sc.result;
  recognise(text, policy, options, sc, found);
  std::vector<Span> out;
  out.reserve(found.size());
  for (const Candidate &c : found)
    out.push_back(Span{c.entity, c.ob, c.oe, c.score});
  if (found.capacity() > 4096)
    std::vector<Candidate>().swap(found);
  return out;
}

// Room per finding whose action writes a value after the tag's name: " ****"
// and the last four characters, or ':' and the 16 hex digits of the token.
constexpr std::size_t kValueRoom = 24;
static_assert(5 + 4 <= kValueRoom && 1 + 16 <= kValueRoom,
              "kValueRoom bounds what MaskLast4 and Hmac append");

Written redact_into(std::string_view text, const Policy &policy,
                    const Options &options, OutputSpace &space) {
  Scratch &sc = scratch();
  std::vector<Candidate> &found = sc.result;
  if (found.capacity() > 4096)
    std::vector<Candidate>().swap(found); // left large by a failed call
  recognise(text, policy, options, sc, found);
  Written w;
  if (found.empty()) {
    w.data = space.room(text.size());
    if (!text.empty())
      std::memcpy(w.data, text.data(), text.size());
    w.length = text.size();
    return w;
  }
  // Canonical values come from the normalised text; recompute it only when
  // an action needs a value.
  bool need_values = false;
  for (const Candidate &c : found)
    need_values = need_values || policy[c.entity].action != Action::Tag;
  spoken::Normalized norm;
  std::string_view nt = text;
  if (need_values) {
    norm = spoken::normalize(text, false);
    if (norm.changed)
      nt = norm.text;
  }
  for (const Candidate &c : found)
    if (policy[c.entity].action == Action::Hmac && policy.hmac_key.empty())
      throw Error(sqlstate::kInvalidParameter,
                  "redaction policy uses hmac but no key was given");

  // A bound on the output's size (exact for tags; the unsigned sum wraps
  // back to the true, non-negative total).
  std::size_t bound = text.size();
  for (const Candidate &c : found)
    bound += kEntityNameLengths.len[static_cast<std::size_t>(c.entity)] + 2 +
             (policy[c.entity].action != Action::Tag ? kValueRoom : 0) -
             (c.oe - c.ob);
  char *const out = space.room(bound);
  char *o = out;
  auto put = [&](const char *p, std::size_t len) {
    std::memcpy(o, p, len);
    o += len;
  };
  std::size_t at = 0;
  for (const Candidate &c : found) {
    put(text.data() + at, c.ob - at);
    const std::size_t e = static_cast<std::size_t>(c.entity);
    w.counts[e]++;
    const Action action = policy[c.entity].action;
    *o++ = '[';
    put(entity_name(c.entity), kEntityNameLengths.len[e]);
    if (action != Action::Tag) {
      const std::string value =
          canonical(c.entity, nt.substr(c.nb, c.ne - c.nb));
      if (action == Action::MaskLast4) {
        put(" ****", 5);
        if (value.size() > 4)
          put(value.data() + value.size() - 4, 4);
      } else {
        const std::string token = hmac_token(policy.hmac_key, c.entity, value);
        *o++ = ':';
        put(token.data(), token.size());
      }
    }
    *o++ = ']';
    at = c.oe;
  }
  put(text.data() + at, text.size() - at);
  w.data = out;
  w.length = static_cast<std::size_t>(o - out);
  if (found.capacity() > 4096)
    std::vector<Candidate>().swap(found);
  return w;
}

namespace {
// OutputSpace for the std::string-returning API.
class StringSpace final : public OutputSpace {
public:
  explicit StringSpace(std::string &s) : s_(s) {}
  char *room(std::size_t bound) override {
    s_.resize(bound);
    return s_.data();
  }

private:
  std::string &s_;
};

// A Result from into(space), which writes through redact_into().
template <typename Into> Result as_result(Into &&into) {
  Result r;
  StringSpace space(r.text);
  const Written w = into(space);
  r.text.resize(w.length);
  r.counts = w.counts;
  r.masked = w.masked;
  return r;
}
} // namespace

Result redact(std::string_view text, const Policy &policy,
              const Options &options) {
  return as_result([&](OutputSpace &space) {
    return redact_into(text, policy, options, space);
  });
}

namespace {
template <typename Fn>
auto fail_closed(const Options &options, bool &masked, Fn &&fn)
    -> decltype(fn()) {
  masked = false;
  try {
    return fn();
  } catch (const Error &e) {
    if (options.on_failure == FailureMode::Error)
      throw;
  } catch (const std::bad_alloc &) {
    if (options.on_failure == FailureMode::Error)
      throw Error(sqlstate::kOutOfMemory, "redaction failed: out of memory");
  } catch (...) {
    if (options.on_failure == FailureMode::Error)
      throw Error(sqlstate::kInternal, "redaction failed: internal error");
  }
  masked = true;
  return decltype(fn())();
}
} // namespace

Written redact_into_checked(std::string_view text, const Policy &policy,
                            const Options &options, OutputSpace &space) {
  bool masked = false;
  Written w = fail_closed(options, masked, [&] {
    return redact_into(text, policy, options, space);
  });
  if (masked) {
    w = Written();
    const std::size_t len = std::strlen(kMasked);
    w.data = space.room(len);
    std::memcpy(w.data, kMasked, len);
    w.length = len;
    w.masked = true;
  }
  return w;
}

Result redact_checked(std::string_view text, const Policy &policy,
                      const Options &options) {
  return as_result([&](OutputSpace &space) {
    return redact_into_checked(text, policy, options, space);
  });
}

std::vector<Span> find_spans_checked(std::string_view text,
                                     const Policy &policy,
                                     const Options &options, bool &masked) {
  return fail_closed(options, masked,
                     [&] { return find_spans(text, policy, options); });
}

const char *engine_version() {
  static const std::string v = std::string(kVersion) + "+patterns.1";
  return v.c_str();
}

std::size_t utf8_chars(std::string_view text, std::size_t begin,
                       std::size_t end) {
  std::size_t n = 0;
  for (std::size_t i = begin; i < end && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      ++n;
  return n;
}

MatchPath last_match_path() { return scratch().last_path; }

namespace detail {
bool scan_masks_agree(std::string_view text) {
  // The text at the start of a zero-padded buffer, as scan_masks reads it.
  std::vector<unsigned char> buf(text.begin(), text.end());
  buf.resize(buf.size() + 80, 0);
  for (std::size_t b = 0; b < text.size(); b += 64) {
    const BlockMasks r = block_masks_scalar(buf.data() + b);
    std::vector<BlockMasks> got{block_masks_fn()(buf.data() + b)};
#if defined(__SSE2__)
    got.push_back(block_masks_simd(buf.data() + b));
#endif
#if defined(SWITCHBOARD_AVX2_DISPATCH)
    if (cpu_has_avx2())
      got.push_back(block_masks_avx2(buf.data() + b));
    if (cpu_has_fast_avx512bw())
      got.push_back(block_masks_avx512(buf.data() + b));
#endif
    for (const BlockMasks &a : got)
      if (std::memcmp(&a, &r, sizeof a) != 0)
        return false;
  }
  std::vector<BlockMasks> all;
  scan_masks(reinterpret_cast<const unsigned char *>(text.data()), text.size(),
             all);
  for (std::size_t j = 0; j * 64 < text.size(); ++j) {
    const BlockMasks r = block_masks_scalar(buf.data() + j * 64);
    if (std::memcmp(&all[j], &r, sizeof r) != 0)
      return false;
  }
  return true;
}
bool context_masked_agrees(std::string_view text) {
  std::vector<BlockMasks> masks;
  scan_masks(reinterpret_cast<const unsigned char *>(text.data()), text.size(),
             masks);
  for (std::size_t k = 0; k < kPatternCount; ++k) {
    const PatternDef &p = kPatterns[k];
    if (p.ctx == nullptr && p.neg == nullptr)
      continue;
    for (std::size_t b = 0; b <= text.size(); ++b)
      for (const std::size_t len : {0, 1, 5, 13}) {
        if (b + len > text.size())
          break;
        const unsigned want =
            context(text, b, b + len, p.ctx, p.neg, kContextFirsts.ctx[k],
                    kContextFirsts.neg[k], p.before, p.after);
        const unsigned got =
            context_masked(text, masks.data(), b, b + len, p.ctx, p.neg,
                           kContextByLetter.ctx[k], kContextByLetter.neg[k],
                           p.before, p.after);
        if (got != want)
          return false;
      }
  }
  return true;
}
bool fixed_match_agrees(std::string_view text, std::size_t *shortcuts) {
  // Only the fast path uses them: not on a text with U+017F or U+212A,
  // which RE2's case folding maps onto 's' and 'k' (fast_path_ok).
  if (!fast_path_ok(text))
    return true;
  const Recognizer &rec = recognizer(0);
  const unsigned char *s = reinterpret_cast<const unsigned char *>(text.data());
  const re2::StringPiece sp(text.data(), text.size());
  for (const int k : {int(kSsnDashed), int(kPhoneP), int(kCardP), int(kDateMdy),
                      int(kZipState), int(kDateMonthFirst), int(kAddressP)})
    for (std::size_t p = 0; p < text.size(); ++p) {
      const std::size_t e = fixed_match(s, text.size(), k, p);
      if (e == kNoShortcut)
        continue;
      if (shortcuts != nullptr)
        ++*shortcuts;
      re2::StringPiece g[2];
      const bool hit = rec.re(k).Match(sp, p, text.size(), RE2::ANCHOR_START, g,
                                       kPatterns[k].group + 1);
      if (hit != (e != 0))
        return false;
      if (hit &&
          static_cast<std::size_t>(g[0].data() - text.data()) + g[0].size() !=
              e)
        return false;
      // The ZIP's group: all after the state, the comma and the space.
      if (hit && k == kZipState &&
          static_cast<std::size_t>(g[1].data() - text.data()) !=
              p + (s[p + 2] == ',' ? 4 : 3))
        return false;
    }
  // The account/member number pattern, group included.
  for (std::size_t p = 0; p < text.size(); ++p) {
    std::size_t g = 0;
    const std::size_t e = account_match(s, text.size(), p, &g);
    if (e == kNoShortcut)
      continue;
    if (shortcuts != nullptr)
      ++*shortcuts;
    re2::StringPiece m[2];
    const bool hit =
        rec.re(kAccountP).Match(sp, p, text.size(), RE2::ANCHOR_START, m, 2);
    if (hit != (e != 0))
      return false;
    if (hit &&
        (static_cast<std::size_t>(m[0].data() - text.data()) + m[0].size() !=
             e ||
         static_cast<std::size_t>(m[1].data() - text.data()) != g))
      return false;
  }
  // The e-mail scan: the window around every '@', as the fast path takes
  // it, every match RE2's scan finds there.
  auto email_char = [](unsigned char ch) {
    return (cls(ch) & (kLetter | kDigit)) || ch == '.' || ch == '_' ||
           ch == '%' || ch == '+' || ch == '-' || ch == '@';
  };
  for (std::size_t a = 0, done = 0; a < text.size(); ++a) {
    if (s[a] != '@' || a < done)
      continue;
    std::size_t l = a, r = a + 1;
    while (l > 0 && email_char(s[l - 1]))
      --l;
    while (r < text.size() && email_char(s[r]))
      ++r;
    done = r;
    std::size_t pos = l, rpos = l, mb = 0, me = 0;
    for (;;) {
      const bool mine = pos < r && email_next(s, text.size(), pos, r, mb, me);
      re2::StringPiece g;
      const bool theirs =
          rpos < r &&
          rec.re(kEmailWritten).Match(sp, rpos, r, RE2::UNANCHORED, &g, 1);
      if (mine != theirs)
        return false;
      if (!mine)
        break;
      if (shortcuts != nullptr)
        ++*shortcuts;
      const std::size_t gb = static_cast<std::size_t>(g.data() - text.data());
      if (gb != mb || gb + g.size() != me)
        return false;
      pos = rpos = std::max(me, pos + 1);
    }
  }
  // The URL's window scan: every position, the window the scan gives it.
  for (std::size_t a = 0; a < text.size(); ++a) {
    if ((s[a] | 0x20) != 'h' && (s[a] | 0x20) != 'w')
      continue; // (no URL prefix: url_match leaves it to RE2)
    std::size_t r = a;
    while (r < text.size() && s[r] != ' ' && s[r] != '\t' && s[r] != '\n' &&
           s[r] != '\r' && s[r] != '\f' && s[r] != '<' && s[r] != '>' &&
           s[r] != '"' && s[r] != '\'')
      ++r;
    const std::size_t e = url_match(s, text.size(), a, r);
    if (e == kNoShortcut)
      continue;
    if (shortcuts != nullptr)
      ++*shortcuts;
    re2::StringPiece g;
    const bool hit = rec.re(kUrlP).Match(sp, a, r, RE2::UNANCHORED, &g, 1);
    if (hit != (e != 0))
      return false;
    if (hit &&
        (g.data() != text.data() + a ||
         static_cast<std::size_t>(g.data() - text.data()) + g.size() != e))
      return false;
  }
  return true;
}

bool keyword_pair_kept(std::string_view pair) {
  if (pair.size() != 2)
    return false;
  // Through the scan's own masks: a word starting with pair at offset 0.
  unsigned char buf[80] = {};
  buf[0] = static_cast<unsigned char>(pair[0]);
  buf[1] = static_cast<unsigned char>(pair[1]);
  return (block_masks_fn()(buf).kwpair & 1u) != 0 &&
         kKeywordPairs.pass(buf[0], buf[1]);
}
} // namespace detail

} // namespace redaction

std::string redact_text(std::string_view text) {
  try {
    redaction::Options options;
    options.on_failure = redaction::FailureMode::Mask;
    static const redaction::Policy defaults;
    return redaction::redact_checked(text, defaults, options).text;
  } catch (...) {
    return redaction::kMasked;
  }
}

} // namespace switchboard

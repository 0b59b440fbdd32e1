// PHI redaction engine: finds identifiers in free text (written and spoken
// forms) and replaces them. Pure C++, no PostgreSQL headers.
//
// One pass: the text is first run through the spoken-number normaliser
// (spoken_numbers.hpp); one scan of the normalised text (bit masks of
// 64-byte blocks, then the word starts that can matter) finds the
// positions where each pattern can start and the pattern runs there,
// anchored, as an individual RE2 (e-mail and URL patterns inside windows
// that hold all their matches); the result equals the reference path (an
// RE2::Set over the whole text says which patterns occur, a locator walks
// every matching position), which still serves large or special inputs and
// tests (Options::reference_path); validators (phi_validators.hpp) reject
// look-alikes; context words before and after a candidate raise or lower its
// score; spans below the policy threshold are dropped; overlapping spans are
// merged into one (the union, labelled with the strongest entity) so the output
// is never partly redacted. Compiled patterns are built once per process and
// shared.
//
// Fail closed: redact_checked() either returns a fully redacted text or,
// on any failure (input over the size limit, RE2 DFA out of memory, any
// exception), raises an Error or returns kMasked, per FailureMode.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

namespace redaction {

enum class Entity : std::uint8_t {
  Ssn,
  CreditCard,
  Phone,
  Email,
  Date,
  Mrn,
  Npi,
  Address,
  Zip,
  IpAddress,
  Url,
  AccountNumber,
  Icd10,
};
inline constexpr std::size_t kEntityCount = 13;

// "SSN", "CREDIT_CARD", ... (the tag without brackets).
const char *entity_name(Entity e);
std::optional<Entity> entity_from_name(std::string_view name);

enum class Action : std::uint8_t { Tag, MaskLast4, Hmac };
const char *action_name(Action a);
std::optional<Action> action_from_name(std::string_view name);

struct EntityPolicy {
  bool enabled = true;
  Action action = Action::Tag;
  float threshold = 0.5f;
};

struct Policy {
  std::array<EntityPolicy, kEntityCount> entities{};
  // Key for Action::Hmac (HMAC-SHA-256); required when any entity uses it.
  std::string hmac_key;
  const EntityPolicy &operator[](Entity e) const {
    return entities[static_cast<std::size_t>(e)];
  }
  EntityPolicy &operator[](Entity e) {
    return entities[static_cast<std::size_t>(e)];
  }
};

// Parses "SSN=tag:0.5;ICD10=off;PHONE=mask_last4;EMAIL=hmac:0.7" on top of
// the defaults (every entity on, tag, threshold 0.5). Raises Error 22023 on
// an unknown entity or action, or a threshold outside [0, 1].
Policy parse_policy(std::string_view spec);

// A finding: byte offsets [begin, end) into the original text.
struct Span {
  Entity entity;
  std::size_t begin;
  std::size_t end;
  float score;
};

enum class FailureMode : std::uint8_t { Error, Mask };

struct Options {
  std::size_t max_bytes = 32u << 20; // switchboard.redaction_max_bytes
  // RE2 memory budget; 0 = the engine default. Tests set a tiny value to
  // force the DFA out-of-memory path.
  std::int64_t max_mem = 0;
  FailureMode on_failure = FailureMode::Error;
  // Test hook: find matches with the whole-text RE2::Set and locator pass
  // instead of the fast path (the two must give identical results).
  bool reference_path = false;
};

// The value returned instead of a text when redaction failed in Mask mode.
inline constexpr const char *kMasked = "[REDACTED]";

struct Result {
  std::string text;
  std::array<std::uint32_t, kEntityCount> counts{};
  bool masked = false; // true when the failure path returned kMasked
};

// Which matcher the calling thread's latest find_spans ran: the fast path
// (a byte scan picks the positions where anchored patterns are tried) or the
// reference path (whole-text RE2::Set and locator: over-size texts, the two
// non-ASCII characters RE2 folds onto ASCII letters, Options::reference_path).
enum class MatchPath : std::uint8_t { Fast, Reference };
MatchPath last_match_path();

namespace detail {
// Test hook: the fast path's block masks (SSE2 where the target has it,
// AVX2 and AVX-512BW where the CPU has them) equal the byte-at-a-time ones
// over text, block by block and as the scan builds them (a zero-padded
// tail).
bool scan_masks_agree(std::string_view text);
// Test hook: the scan's keyword-pair filter keeps a word starting with the
// two bytes of pair (any case): true for the first two letters of every
// keyword the scan knows.
bool keyword_pair_kept(std::string_view pair);
// Test hook: at every position of text, the fast path's RE2-free matches
// (fixed_match: SSN 3-2-4, phones, card, month/day/year and month-name
// dates, ZIP after a state code with its group, street address;
// account_match with its group) equal RE2's anchored match there, the URL's
// match in its scan window (url_match) RE2's first match in that window,
// and the written e-mail's matches in the window around each '@'
// (email_next) RE2's scan's, wherever they answer; counts the answers into
// *shortcuts (if given).
bool fixed_match_agrees(std::string_view text, std::size_t *shortcuts);
// Test hook: the fast path's context windows (sentence ends and word starts
// read off its block masks) find the same context words as the reference
// path's byte loops, for every pattern with context words, around spans of
// 0, 1, 5 and 13 bytes at every position of text.
bool context_masked_agrees(std::string_view text);
} // namespace detail

// Findings after thresholds and merging, sorted by begin. Throws on failure
// (Error 54000 input too large, 53200 DFA out of memory).
std::vector<Span> find_spans(std::string_view text, const Policy &policy,
                             const Options &options = {});

// Redacts text. Throws like find_spans.
Result redact(std::string_view text, const Policy &policy,
              const Options &options = {});

// Memory for redact_into(): room(bound) returns space for bound bytes (the
// redacted text is never longer), or throws std::bad_alloc. The SQL
// boundary hands out a palloc'd text, so the output is written once, in
// place, instead of into a std::string that is then copied.
class OutputSpace {
public:
  virtual char *room(std::size_t bound) = 0;

protected:
  ~OutputSpace() = default;
};

// What redact_into() wrote: length bytes at data (from room()).
struct Written {
  char *data = nullptr;
  std::size_t length = 0;
  std::array<std::uint32_t, kEntityCount> counts{};
  bool masked = false; // true when the failure path wrote kMasked
};

// redact() into space: room() is called once (and once more for kMasked
// after a failure in Mask mode). Throws like find_spans.
Written redact_into(std::string_view text, const Policy &policy,
                    const Options &options, OutputSpace &space);

// Fail-closed wrapper: never returns unredacted text. In Mask mode any
// failure yields {kMasked, masked = true}; in Error mode it throws an Error
// whose message names the failure, never the text.
Result redact_checked(std::string_view text, const Policy &policy,
                      const Options &options);
Written redact_into_checked(std::string_view text, const Policy &policy,
                            const Options &options, OutputSpace &space);
std::vector<Span> find_spans_checked(std::string_view text,
                                     const Policy &policy,
                                     const Options &options, bool &masked);

// Version of the pattern set; goes into redaction reports.
const char *engine_version();

// Byte offset -> 0-based character index for UTF-8 text (continuation bytes
// 0x80-0xBF do not start a character).
std::size_t utf8_chars(std::string_view text, std::size_t begin,
                       std::size_t end);

} // namespace redaction

// Default-policy redaction for other engines (e.g. the audit trail's free-text
// columns). Fail closed: on any failure it returns redaction::kMasked.
std::string redact_text(std::string_view text);

} // namespace switchboard

// Audit trail engine: the canonical, version-stable encoding of an audit entry
// and its BLAKE2b hash chain. Pure C++ (no PostgreSQL headers) so the unit
// tests and fuzzers reach it.
//
// Canonical encoding, version 1 (never change it; add a version 2 instead):
//   "SBAUDIT\x01" then the fields of Entry in declaration order, each as
//     'N'                      null
//     'I' int64 big-endian     integers (seq, id, row_count, txid, created_at)
//     'U' 16 bytes             uuids
//     'S' u32 length, bytes    text
//     'J' u32 length, bytes    a JSON value in canonical form (below)
//   canonical JSON: 'n' null, 't' true, 'f' false,
//     'd' u32 length, number   numbers as [-]digits"e"exponent with no leading
//                              or trailing zeros in digits ("0" for zero), so
//                              1.50, 1.5 and 15e-1 encode alike
//     's' u32 length, bytes    strings, escapes resolved to UTF-8
//     'a' u32 count, values    arrays
//     'o' u32 count, pairs     objects, keys sorted bytewise, the last of
//                              duplicate keys kept (as jsonb does)
// The hash of an entry is BLAKE2b-256(prev_hash || canonical entry); the
// first entry of an org chains from 32 zero bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::audit {

using Hash = std::array<std::uint8_t, 32>;
using Uuid16 = std::array<std::uint8_t, 16>;

inline constexpr std::size_t kMaxJsonDepth = 1000;

// The canonical form of one JSON text (RFC 8259; a lone surrogate or \u0000
// is rejected as jsonb does). Throws switchboard::Error 22023 when malformed.
std::string canonical_json(std::string_view json);
// Appends the canonical form of `json` to out.
void append_canonical_json(std::string &out, std::string_view json);
// A JSON number (RFC 8259 grammar) normalised as described above. Throws
// switchboard::Error 22023 when it is not a JSON number.
std::string canonical_number(std::string_view number);

// Building blocks for encoders that start from typed values rather than JSON
// text (the trigger builds each row's canonical form from its columns): the
// output is byte-identical to canonical_json() of the equivalent JSON text
// (pinned by the unit tests). None of them throws or allocates beyond `out`,
// so they are safe between PostgreSQL calls. Out needs
// append(const char *, std::size_t).
namespace canon {
// The longest canonical_decimal() output for an input of n bytes.
constexpr std::size_t decimal_capacity(std::size_t n) { return n + 24; }
// The canonical form of a plain decimal number as PostgreSQL's integer and
// numeric output functions print it ([-]digits[.digits], no exponent), written
// to out (decimal_capacity(text.size()) bytes); returns its length, or 0 when
// text is not such a number. Equals canonical_number(text).
std::size_t decimal(std::string_view text, char *out) noexcept;

inline void be32(char *p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>((v >> 24) & 0xff);
  p[1] = static_cast<char>((v >> 16) & 0xff);
  p[2] = static_cast<char>((v >> 8) & 0xff);
  p[3] = static_cast<char>(v & 0xff);
}
template <class Out>
void tagged(Out &out, char tag, const char *p, std::size_t n) {
  char h[5];
  h[0] = tag;
  be32(h + 1, static_cast<std::uint32_t>(n));
  out.append(h, 5);
  out.append(p, n);
}
// An object of `count` members; then each member as key() and a value, in
// bytewise ascending key order without duplicates (the caller's job).
template <class Out> void object(Out &out, std::uint32_t count) {
  char h[5];
  h[0] = 'o';
  be32(h + 1, count);
  out.append(h, 5);
}
template <class Out> void key(Out &out, const char *p, std::size_t n) {
  char h[4];
  be32(h, static_cast<std::uint32_t>(n));
  out.append(h, 4);
  out.append(p, n);
}
template <class Out> void string(Out &out, const char *p, std::size_t n) {
  tagged(out, 's', p, n);
}
// `canonical` is a canonical number (canonical_number() / decimal()).
template <class Out>
void number(Out &out, const char *canonical, std::size_t n) {
  tagged(out, 'd', canonical, n);
}
template <class Out> void boolean(Out &out, bool b) {
  out.append(b ? "t" : "f", 1);
}
template <class Out> void null(Out &out) { out.append("n", 1); }
} // namespace canon

// One audit entry. JSON fields hold JSON text, or, when json_is_canonical,
// their canonical form already (built from typed values with canon::; then
// they are taken as is). string_views must outlive the call that encodes the
// entry.
struct Entry {
  Uuid16 org_id{};
  std::int64_t seq = 0;
  std::int64_t id = 0;
  std::string_view table_name;
  std::string_view op;
  std::optional<std::string_view> record_pk;
  std::optional<Uuid16> actor_user_id;
  std::optional<std::string_view> actor_role;
  std::string_view session_user;
  std::string_view current_user;
  std::optional<std::string_view> reason;
  std::optional<std::string_view> old_values;
  std::optional<std::string_view> new_values;
  std::optional<std::int64_t> row_count;
  std::int64_t txid = 0;
  // microseconds since 2000-01-01 00:00 UTC (PostgreSQL's epoch)
  std::int64_t created_at_us = 0;
  bool json_is_canonical = false;
};

std::string canonical_entry(const Entry &e);
// Appends canonical_entry(e) to out.
void append_canonical_entry(std::string &out, const Entry &e);

Hash genesis_hash();
Hash chain_hash(const Hash &prev, std::string_view canonical);
// chain_hash over canonical_entry(e) (encoded into a reused buffer).
Hash entry_hash(const Hash &prev, const Entry &e);

std::string to_hex(const Hash &h);

// Walks one org's chain in seq order and reports the first entry that breaks
// it: a seq that is not the next one (deleted or reordered entry), a
// prev_hash that is not the previous entry's hash, or a hash that does not
// match the entry's content (edited entry).
class ChainVerifier {
public:
  ChainVerifier() : ChainVerifier(0, genesis_hash()) {}
  ChainVerifier(std::int64_t last_seq, const Hash &last_hash)
      : expected_seq_(last_seq + 1), expected_prev_(last_hash) {}

  // Feeds the next stored entry; stored hashes of the wrong size are invalid.
  // Returns false once the chain is broken (at this entry or before).
  bool feed(std::int64_t id, std::int64_t seq, std::string_view stored_prev,
            std::string_view stored_hash, const Hash &recomputed_hash);
  // The expected prev hash of the next entry (the recomputation input).
  const Hash &expected_prev() const { return expected_prev_; }
  bool valid() const { return !first_invalid_id_.has_value() && !broken_; }
  std::int64_t checked() const { return checked_; }
  std::optional<std::int64_t> first_invalid_id() const {
    return first_invalid_id_;
  }
  std::int64_t last_seq() const { return expected_seq_ - 1; }
  // Marks the chain invalid without an entry (e.g. its tail is missing).
  void mark_broken() { broken_ = true; }

private:
  std::int64_t expected_seq_;
  Hash expected_prev_;
  std::int64_t checked_ = 0;
  std::optional<std::int64_t> first_invalid_id_;
  bool broken_ = false;
};

} // namespace switchboard::audit

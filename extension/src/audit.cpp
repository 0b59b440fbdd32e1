#include "switchboard/audit.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "switchboard/error.hpp"

namespace switchboard::audit {

namespace {

[[noreturn]] void bad_json(const char *what) {
  throw Error(sqlstate::kInvalidParameter,
              std::string("invalid json for the audit encoding: ") + what);
}

void put_u32(std::string &out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i)
    b[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  out.append(b, 4);
}

void put_i64(std::string &out, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i)
    b[i] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  out.append(b, 8);
}

void put_len_bytes(std::string &out, char tag, std::string_view bytes) {
  if (bytes.size() > 0xffffffffu)
    throw Error(sqlstate::kProgramLimitExceeded, "audit value too large");
  out.push_back(tag);
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes.data(), bytes.size());
}

void append_utf8(std::string &out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
public:
  explicit Parser(std::string_view in) : in_(in) {}

  void document(std::string &out) {
    skip_ws();
    value(out, 0);
    skip_ws();
    if (pos_ != in_.size())
      bad_json("trailing characters");
  }

private:
  std::string_view in_;
  std::size_t pos_ = 0;

  void skip_ws() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' ||
                                 in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }
  bool eof() const { return pos_ >= in_.size(); }
  char peek() const { return in_[pos_]; }

  void literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word)
      bad_json("unknown literal");
    pos_ += word.size();
  }

  void value(std::string &out, std::size_t depth) {
    if (depth > kMaxJsonDepth)
      bad_json("nested too deeply");
    if (eof())
      bad_json("unexpected end");
    char c = peek();
    switch (c) {
    case '{':
      object(out, depth + 1);
      return;
    case '[':
      array(out, depth + 1);
      return;
    case '"':
      out.push_back('s');
      string_with_len(out);
      return;

    case 't':
      literal("true");
      out.push_back('t');
      return;
    case 'f':
      literal("false");
      out.push_back('f');
      return;
    case 'n':
      literal("null");
      out.push_back('n');
      return;
    default:
      if (c == '-' || is_digit(c)) {
        std::size_t start = pos_;
        if (peek() == '-')
          ++pos_;
        while (!eof() && (is_digit(peek()) || peek() == '.' || peek() == 'e' ||
                          peek() == 'E' || peek() == '+' || peek() == '-'))
          ++pos_;
        put_len_bytes(out, 'd',
                      canonical_number(in_.substr(start, pos_ - start)));
        return;
      }
      bad_json("unexpected character");
    }
  }

  void array(std::string &out, std::size_t depth) {
    ++pos_; // [
    std::string body;
    std::uint32_t count = 0;
    skip_ws();
    if (!eof() && peek() == ']') {
      ++pos_;
    } else {
      for (;;) {
        skip_ws();
        value(body, depth);
        ++count;
        skip_ws();
        if (eof())
          bad_json("unterminated array");
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == ']') {
          ++pos_;
          break;
        }
        bad_json("expected , or ]");
      }
    }
    out.push_back('a');
    put_u32(out, count);
    out += body;
  }

  // Members are encoded into one buffer, each as u32 key length, key, value
  // (the output layout); when the keys already come in strictly ascending
  // bytewise order (no duplicates) the buffer is the body as is, else the
  // members are stably sorted and deduplicated (of duplicate keys the last
  // one wins, as in jsonb).
  void object(std::string &out, std::size_t depth) {
    ++pos_; // {
    struct Member {
      std::size_t key; // offset of the key bytes in body
      std::size_t key_len;
      std::size_t end; // end of the value in body
    };
    std::string body;
    std::vector<Member> members;
    bool ordered = true;
    skip_ws();
    if (!eof() && peek() == '}') {
      ++pos_;
    } else {
      for (;;) {
        skip_ws();
        if (eof() || peek() != '"')
          bad_json("expected a key");
        std::size_t key = body.size() + 4;
        std::size_t key_len = string_with_len(body);
        skip_ws();
        if (eof() || peek() != ':')
          bad_json("expected :");
        ++pos_;
        skip_ws();
        value(body, depth);
        if (ordered && !members.empty()) {
          const Member &p = members.back();
          if (std::string_view(body.data() + p.key, p.key_len) >=
              std::string_view(body.data() + key, key_len))
            ordered = false;
        }
        members.push_back(Member{key, key_len, body.size()});
        skip_ws();
        if (eof())
          bad_json("unterminated object");
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == '}') {
          ++pos_;
          break;
        }
        bad_json("expected , or }");
      }
    }
    out.push_back('o');
    if (ordered) {
      put_u32(out, static_cast<std::uint32_t>(members.size()));
      out += body;
      return;
    }
    auto key_of = [&](const Member &m) {
      return std::string_view(body.data() + m.key, m.key_len);
    };
    std::stable_sort(members.begin(), members.end(),
                     [&](const Member &a, const Member &b) {
                       return key_of(a) < key_of(b);
                     });
    std::vector<Member> unique;
    unique.reserve(members.size());
    for (const auto &m : members) {
      if (!unique.empty() && key_of(unique.back()) == key_of(m))
        unique.back() = m;
      else
        unique.push_back(m);
    }
    put_u32(out, static_cast<std::uint32_t>(unique.size()));
    for (const auto &m : unique) {
      std::size_t start = m.key - 4; // the key's length prefix
      out.append(body, start, m.end - start);
    }
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > in_.size())
      bad_json("short unicode escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        bad_json("bad unicode escape");
    }
    return v;
  }

  // Appends u32 length and the decoded string; returns the length.
  std::size_t string_with_len(std::string &out) {
    std::size_t at = out.size();
    put_u32(out, 0);
    string(out);
    std::size_t len = out.size() - at - 4;
    if (len > 0xffffffffu)
      throw Error(sqlstate::kProgramLimitExceeded, "audit value too large");
    for (int i = 0; i < 4; ++i)
      out[at + i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
    return len;
  }

  void string(std::string &out) {
    ++pos_; // opening quote
    for (;;) {
      // a run of plain characters at once
      std::size_t run = pos_;
      while (run < in_.size() && in_[run] != '"' && in_[run] != '\\' &&
             static_cast<unsigned char>(in_[run]) >= 0x20)
        ++run;
      if (run > pos_) {
        out.append(in_.data() + pos_, run - pos_);
        pos_ = run;
      }
      if (eof())
        bad_json("unterminated string");
      char c = in_[pos_++];
      if (c == '"')
        return;
      if (static_cast<unsigned char>(c) < 0x20)
        bad_json("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (eof())
        bad_json("unterminated escape");
      char e = in_[pos_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(e);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t cp = hex4();
        if (cp == 0)
          bad_json("\\u0000 is not allowed");
        if (cp >= 0xdc00 && cp <= 0xdfff)
          bad_json("lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (pos_ + 2 > in_.size() || in_[pos_] != '\\' ||
              in_[pos_ + 1] != 'u')
            bad_json("lone high surrogate");
          pos_ += 2;
          std::uint32_t lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff)
            bad_json("bad surrogate pair");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        append_utf8(out, cp);
        break;
      }
      default:
        bad_json("unknown escape");
      }
    }
  }
};

} // namespace

std::string canonical_number(std::string_view n) {
  std::size_t i = 0;
  bool negative = false;
  if (i < n.size() && n[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits; // integer and fraction digits, no point
  std::int64_t exp = 0;
  std::size_t int_start = i;
  while (i < n.size() && is_digit(n[i]))
    digits.push_back(n[i++]);
  std::size_t int_len = i - int_start;
  if (int_len == 0 || (int_len > 1 && n[int_start] == '0'))
    bad_json("malformed number");
  if (i < n.size() && n[i] == '.') {
    ++i;
    std::size_t frac_start = i;
    while (i < n.size() && is_digit(n[i]))
      digits.push_back(n[i++]);
    if (i == frac_start)
      bad_json("malformed number");
    exp -= static_cast<std::int64_t>(i - frac_start);
  }
  if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < n.size() && (n[i] == '+' || n[i] == '-'))
      eneg = n[i++] == '-';
    std::size_t exp_start = i;
    std::int64_t e = 0;
    while (i < n.size() && is_digit(n[i])) {
      if (e > 100000000)
        bad_json("number exponent out of range");
      e = e * 10 + (n[i++] - '0');
    }
    if (i == exp_start)
      bad_json("malformed number");
    exp += eneg ? -e : e;
  }
  if (i != n.size())
    bad_json("malformed number");
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos)
    return "0";
  std::size_t last = digits.find_last_not_of('0');
  exp += static_cast<std::int64_t>(digits.size() - 1 - last);
  std::string out;
  if (negative)
    out.push_back('-');
  out.append(digits, first, last - first + 1);
  out.push_back('e');
  out += std::to_string(exp);
  return out;
}

void append_canonical_json(std::string &out, std::string_view json) {
  Parser(json).document(out);
}

std::string canonical_json(std::string_view json) {
  std::string out;
  append_canonical_json(out, json);
  return out;
}

std::size_t canon::decimal(std::string_view n, char *out) noexcept {
  std::size_t i = 0, o = 0;
  bool negative = false;
  if (i < n.size() && n[i] == '-') {
    negative = true;
    ++i;
  }
  std::size_t int_start = i;
  while (i < n.size() && is_digit(n[i]))
    ++i;
  std::size_t int_end = i;
  if (int_end == int_start || (int_end - int_start > 1 && n[int_start] == '0'))
    return 0;
  std::size_t frac_start = i, frac_end = i;
  if (i < n.size() && n[i] == '.') {
    frac_start = ++i;
    while (i < n.size() && is_digit(n[i]))
      ++i;
    frac_end = i;
    if (frac_end == frac_start)
      return 0;
  }
  if (i != n.size())
    return 0;
  // the digits are int part then fraction part; find the first and last
  // non-zero digit across both
  auto digit_at = [&](std::size_t k) {
    std::size_t nint = int_end - int_start;
    return k < nint ? n[int_start + k] : n[frac_start + (k - nint)];
  };
  std::size_t ndigits = (int_end - int_start) + (frac_end - frac_start);
  std::size_t first = 0;
  while (first < ndigits && digit_at(first) == '0')
    ++first;
  if (first == ndigits) {
    out[0] = '0';
    return 1;
  }
  std::size_t last = ndigits - 1;
  while (digit_at(last) == '0')
    --last;
  std::int64_t exp = -static_cast<std::int64_t>(frac_end - frac_start) +
                     static_cast<std::int64_t>(ndigits - 1 - last);
  if (negative)
    out[o++] = '-';
  for (std::size_t k = first; k <= last; ++k)
    out[o++] = digit_at(k);
  out[o++] = 'e';
  char tmp[24];
  std::size_t t = 0;
  std::uint64_t mag = exp < 0 ? static_cast<std::uint64_t>(-exp)
                              : static_cast<std::uint64_t>(exp);
  do {
    tmp[t++] = static_cast<char>('0' + mag % 10);
    mag /= 10;
  } while (mag != 0);
  if (exp < 0)
    out[o++] = '-';
  while (t > 0)
    out[o++] = tmp[--t];
  return o;
}

void append_canonical_entry(std::string &out, const Entry &e) {
  out.append("SBAUDIT\x01", 8);
  auto uuid = [&](const Uuid16 &u) {
    out.push_back('U');
    out.append(reinterpret_cast<const char *>(u.data()), u.size());
  };
  auto integer = [&](std::int64_t v) {
    out.push_back('I');
    put_i64(out, v);
  };
  auto text = [&](std::string_view s) { put_len_bytes(out, 'S', s); };
  auto opt_text = [&](const std::optional<std::string_view> &s) {
    if (s)
      text(*s);
    else
      out.push_back('N');
  };
  auto opt_json = [&](const std::optional<std::string_view> &j) {
    if (!j) {
      out.push_back('N');
      return;
    }
    if (e.json_is_canonical) {
      put_len_bytes(out, 'J', *j);
      return;
    }
    // encoded in place; its length patched in after
    out.push_back('J');
    std::size_t at = out.size();
    put_u32(out, 0);
    append_canonical_json(out, *j);
    std::size_t len = out.size() - at - 4;
    if (len > 0xffffffffu)
      throw Error(sqlstate::kProgramLimitExceeded, "audit value too large");
    for (int i = 0; i < 4; ++i)
      out[at + i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  };
  uuid(e.org_id);
  integer(e.seq);
  integer(e.id);
  text(e.table_name);
  text(e.op);
  opt_json(e.record_pk);
  if (e.actor_user_id)
    uuid(*e.actor_user_id);
  else
    out.push_back('N');
  opt_text(e.actor_role);
  text(e.session_user);
  text(e.current_user);
  opt_text(e.reason);
  opt_json(e.old_values);
  opt_json(e.new_values);
  if (e.row_count)
    integer(*e.row_count);
  else
    out.push_back('N');
  integer(e.txid);
  integer(e.created_at_us);
}

std::string canonical_entry(const Entry &e) {
  std::string out;
  out.reserve(128 + e.table_name.size() +
              (e.old_values ? e.old_values->size() : 0) +
              (e.new_values ? e.new_values->size() : 0));
  append_canonical_entry(out, e);
  return out;
}

Hash genesis_hash() { return Hash{}; }

Hash chain_hash(const Hash &prev, std::string_view canonical) {
  Hash out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, prev.data(), prev.size());
  crypto_generichash_update(
      &st, reinterpret_cast<const unsigned char *>(canonical.data()),
      canonical.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

Hash entry_hash(const Hash &prev, const Entry &e) {
  // one buffer per thread, reused: no allocation per entry once it has grown
  thread_local std::string scratch;
  scratch.clear();
  append_canonical_entry(scratch, e);
  Hash h = chain_hash(prev, scratch);
  if (scratch.capacity() > (std::size_t{1} << 20)) {
    scratch.clear();
    scratch.shrink_to_fit(); // do not keep a huge entry's buffer
  }
  return h;
}

std::string to_hex(const Hash &h) {
  static const char *digits = "0123456789abcdef";
  std::string out;
  out.reserve(h.size() * 2);
  for (auto b : h) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

bool ChainVerifier::feed(std::int64_t id, std::int64_t seq,
                         std::string_view stored_prev,
                         std::string_view stored_hash,
                         const Hash &recomputed_hash) {
  if (first_invalid_id_)
    return false;
  ++checked_;
  bool ok = seq == expected_seq_ &&
            stored_prev.size() == expected_prev_.size() &&
            std::memcmp(stored_prev.data(), expected_prev_.data(),
                        expected_prev_.size()) == 0 &&
            stored_hash.size() == recomputed_hash.size() &&
            std::memcmp(stored_hash.data(), recomputed_hash.data(),
                        recomputed_hash.size()) == 0;
  if (!ok) {
    first_invalid_id_ = id;
    return false;
  }
  ++expected_seq_;
  expected_prev_ = recomputed_hash;
  return true;
}

} // namespace switchboard::audit

// The trigger's direct canonical encoder (canon::, built from typed column
// values) against the text path (canonical_json of the JSON text, which
// verify_audit_chain uses): both must give the same bytes, hence the same
// hashes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "switchboard/audit.hpp"
#include "audit_sample_entry.hpp"
#include "switchboard/error.hpp"

using namespace switchboard::audit;

namespace {

std::string decimal_of(std::string_view text) {
  std::string out(canon::decimal_capacity(text.size()), '\0');
  out.resize(canon::decimal(text, out.data()));
  return out;
}

// JSON text of a string, escaped as PostgreSQL's escape_json does.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out.push_back(c);
      }
    }
  }
  return out + "\"";
}

struct Member {
  std::string key;
  char kind; // s string, d number (decimal text), t, f, n
  std::string value;
};

// Both paths for one flat object.
std::string direct(std::vector<Member> ms) {
  std::sort(ms.begin(), ms.end(),
            [](const Member &a, const Member &b) { return a.key < b.key; });
  std::string out;
  canon::object(out, static_cast<std::uint32_t>(ms.size()));
  for (const auto &m : ms) {
    canon::key(out, m.key.data(), m.key.size());
    switch (m.kind) {
    case 's':
      canon::string(out, m.value.data(), m.value.size());
      break;
    case 'd': {
      std::string d = decimal_of(m.value);
      EXPECT_FALSE(d.empty()) << m.value;
      canon::number(out, d.data(), d.size());
      break;
    }
    case 't':
    case 'f':
      canon::boolean(out, m.kind == 't');
      break;
    default:
      canon::null(out);
    }
  }
  return out;
}

std::string text_path(const std::vector<Member> &ms) {
  std::string json = "{";
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i)
      json += ",";
    json += json_string(ms[i].key) + ":";
    switch (ms[i].kind) {
    case 's':
      json += json_string(ms[i].value);
      break;
    case 'd':
      json += ms[i].value;
      break;
    case 't':
      json += "true";
      break;
    case 'f':
      json += "false";
      break;
    default:
      json += "null";
    }
  }
  return canonical_json(json + "}");
}

} // namespace

TEST(AuditCanonDirect, DecimalEqualsCanonicalNumber) {
  for (const char *n : {"0",
                        "-0",
                        "0.000",
                        "1000",
                        "1.50",
                        "-0.01",
                        "7",
                        "-7",
                        "10",
                        "100.0",
                        "123456789012345678901234567890",
                        "9223372036854775807",
                        "-9223372036854775808",
                        "0.00000000000000000001",
                        "1.000000000001",
                        "-120",
                        "32767",
                        "-32768",
                        "2147483647",
                        "5.5",
                        "0.5",
                        "100.001"})
    EXPECT_EQ(decimal_of(n), canonical_number(n)) << n;
  // not plain decimals: 0, and canonical_number refuses most of them too
  for (const char *bad : {"", "-", "01", "1.", ".5", "+1", "1x", "--1", "1.2.3",
                          "NaN", "Infinity", " 1", "1e3"})
    EXPECT_EQ(decimal_of(bad), "") << bad;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string n;
    if (rng() % 2)
      n.push_back('-');
    int ni = 1 + static_cast<int>(rng() % 20);
    n.push_back(static_cast<char>('1' + rng() % 9));
    for (int k = 1; k < ni; ++k)
      n.push_back(static_cast<char>('0' + (rng() % 3 == 0 ? 0 : rng() % 10)));
    if (rng() % 3 == 0)
      n = n.substr(0, n[0] == '-' ? 1 : 0) + "0";
    if (rng() % 2) {
      n.push_back('.');
      int nf = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < nf; ++k)
        n.push_back(static_cast<char>('0' + (rng() % 3 == 0 ? 0 : rng() % 10)));
    }
    ASSERT_EQ(decimal_of(n), canonical_number(n)) << n;
  }
}

TEST(AuditCanonDirect, ObjectsEqualTheTextPath) {
  std::vector<Member> row = {
      {"id", 's', "a0000000-0000-0000-0000-0000000000c1"},
      {"org_id", 's', "11111111-1111-1111-1111-111111111111"},
      {"phone", 's', "+14155550101"},
      {"first_name", 's', "Zo\xc3\xab \"the\" \\ 'x'\n\ttab\x01\x1f"},
      {"last_name", 'n', ""},
      {"email", 's', "[excluded]"},
      {"visits", 'd', "0"},
      {"balance", 'd', "-12.3400"},
      {"big", 'd', "123456789012345678901234567890.000"},
      {"active", 't', ""},
      {"deleted", 'f', ""},
      {"created_at", 's', "2026-11-23T20:40:00.123456+00:00"},
      {"\xc3\xa9t\xc3\xa9", 's', "unicode key"},
      {"A", 's', "upper sorts before lower"},
      {"a_b", 's', ""},
      {"ab", 'd', "1.50"},
  };
  EXPECT_EQ(direct(row), text_path(row));
  EXPECT_EQ(direct({}), text_path({}));
  EXPECT_EQ(direct({{"id", 's', "x"}}), text_path({{"id", 's', "x"}}));
}

TEST(AuditCanonDirect, CanonicalEntryEqualsTextEntry) {
  // the same entry, JSON given as text and as its canonical form: same hash,
  // and still the pinned one (tests/unit/audit_chain_test.cpp)
  Entry e = switchboard::audit::testing::sample_entry();
  Hash text_hash = entry_hash(genesis_hash(), e);
  EXPECT_EQ(to_hex(text_hash),
            "cb701aa0b208dcc0df1cd6059d034250376b941af55a748e89f2bc16e3361d33");

  std::string pk = direct({{"id", 's', "a0000000-0000-0000-0000-0000000000c1"},
                           {"org_id", 's', "x"}});
  std::string oldv = direct({{"phone", 's', "+14155550101"}});
  std::string newv = direct({{"phone", 's', "+14155550199"}});
  Entry c = e;
  c.json_is_canonical = true;
  c.record_pk = pk;
  c.old_values = oldv;
  c.new_values = newv;
  EXPECT_EQ(canonical_entry(c), canonical_entry(e));
  EXPECT_EQ(entry_hash(genesis_hash(), c), text_hash);
  // and the flag matters: canonical bytes are not JSON text
  Entry wrong = c;
  wrong.json_is_canonical = false;
  EXPECT_THROW(entry_hash(genesis_hash(), wrong), switchboard::Error);
}

TEST(AuditCanonDirect, ReusedBufferGivesTheSameHash) {
  // entry_hash reuses one buffer: a big entry then a small one must not leak
  // bytes from the first into the second
  Entry small;
  small.table_name = "t";
  small.op = "INSERT";
  small.session_user = "u";
  small.current_user = "u";
  small.new_values = R"({"a":1})";
  Hash h1 = entry_hash(genesis_hash(), small);
  std::string big = "{\"a\":\"" + std::string(3 << 20, 'x') + "\"}";
  Entry large = small;
  large.new_values = big;
  Hash hb = entry_hash(genesis_hash(), large);
  EXPECT_NE(hb, h1);
  EXPECT_EQ(entry_hash(genesis_hash(), small), h1);
  EXPECT_EQ(chain_hash(genesis_hash(), canonical_entry(small)), h1);
}

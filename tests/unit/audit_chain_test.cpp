#include <gtest/gtest.h>

#include <string>

#include "switchboard/audit.hpp"
#include "switchboard/error.hpp"
#include "audit_sample_entry.hpp"

using namespace switchboard::audit;

using switchboard::audit::testing::sample_entry;

TEST(AuditCanonical, NumbersNormaliseByValue) {
  EXPECT_EQ(canonical_number("0"), "0");
  EXPECT_EQ(canonical_number("-0"), "0");
  EXPECT_EQ(canonical_number("0.000"), "0");
  EXPECT_EQ(canonical_number("1000"), "1e3");
  EXPECT_EQ(canonical_number("1e3"), "1e3");
  EXPECT_EQ(canonical_number("1.50"), "15e-1");
  EXPECT_EQ(canonical_number("1.5"), "15e-1");
  EXPECT_EQ(canonical_number("15E-1"), "15e-1");
  EXPECT_EQ(canonical_number("-0.01"), "-1e-2");
  EXPECT_EQ(canonical_number("123456789012345678901234567890"),
            "12345678901234567890123456789e1");
  for (const char *bad : {"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x",
                          "--1", "1.2.3", "1e999999999999"})
    EXPECT_THROW(canonical_number(bad), switchboard::Error) << bad;
}

TEST(AuditCanonical, JsonIsIndependentOfTextForm) {
  // jsonb's text form reorders keys, drops duplicates and rewrites numbers;
  // the canonical form must not care.
  EXPECT_EQ(canonical_json(R"({"b": 1, "a": [true, null, "x"]})"),
            canonical_json(R"({"a":[true,null,"x"],"b":1.0})"));
  EXPECT_EQ(canonical_json(R"({"a":1,"a":2})"), canonical_json(R"({"a":2})"));
  EXPECT_EQ(canonical_json(R"("\u00e9\n\/")"),
            canonical_json("\"\xc3\xa9\\n/\""));
  EXPECT_EQ(canonical_json(R"("\ud83d\ude00")"),
            canonical_json("\"\xf0\x9f\x98\x80\""));
  EXPECT_NE(canonical_json(R"({"a":"1"})"), canonical_json(R"({"a":1})"));
  EXPECT_NE(canonical_json(R"(["a","b"])"), canonical_json(R"(["b","a"])"));
  EXPECT_NE(canonical_json(R"({"ab":"c"})"), canonical_json(R"({"a":"bc"})"));
  EXPECT_NE(canonical_json("null"), canonical_json("\"null\""));
}

TEST(AuditCanonical, RejectsMalformedJson) {
  for (const char *bad :
       {"", "{", "[1,]", "{\"a\"}", "{\"a\":}", "\"abc", "tru", "nul", "[1 2]",
        "{} {}", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\x\"",
        "{'a':1}", "\"a\tb\""})
    EXPECT_THROW(canonical_json(bad), switchboard::Error) << bad;
  std::string deep(kMaxJsonDepth + 5, '[');
  deep += std::string(kMaxJsonDepth + 5, ']');
  EXPECT_THROW(canonical_json(deep), switchboard::Error);
}

TEST(AuditCanonical, EncodingIsPinned) {
  // A change in this value means old chains no longer verify: never let it
  // happen silently (add a new encoding version instead).
  Entry e = sample_entry();
  Hash h = entry_hash(genesis_hash(), e);
  EXPECT_EQ(to_hex(h),
            "cb701aa0b208dcc0df1cd6059d034250376b941af55a748e89f2bc16e3361d33");
  EXPECT_EQ(to_hex(chain_hash(genesis_hash(), "")),
            // BLAKE2b-256 of 32 zero bytes
            "89eb0d6a8a691dae2cd15ed0369931ce0a949ecafa5c3f93f8121833646e15c3");
}

TEST(AuditCanonical, EveryFieldIsBound) {
  Entry base = sample_entry();
  Hash h0 = entry_hash(genesis_hash(), base);
  auto differs = [&](Entry e) { return entry_hash(genesis_hash(), e) != h0; };
  Entry e = base;
  e.org_id[15] = 1;
  EXPECT_TRUE(differs(e));
  e = base;
  e.seq = 2;
  EXPECT_TRUE(differs(e));
  e = base;
  e.id = 43;
  EXPECT_TRUE(differs(e));
  e = base;
  e.table_name = "contact";
  EXPECT_TRUE(differs(e));
  e = base;
  e.op = "DELETE";
  EXPECT_TRUE(differs(e));
  e = base;
  e.record_pk.reset();
  EXPECT_TRUE(differs(e));
  e = base;
  e.actor_user_id.reset();
  EXPECT_TRUE(differs(e));
  e = base;
  e.actor_role = "service_role";
  EXPECT_TRUE(differs(e));
  e = base;
  e.session_user = "x";
  EXPECT_TRUE(differs(e));
  e = base;
  e.current_user = "x";
  EXPECT_TRUE(differs(e));
  e = base;
  e.reason = "";
  EXPECT_TRUE(differs(e));
  e = base;
  e.old_values = R"({"phone":"+14155550100"})";
  EXPECT_TRUE(differs(e));
  e = base;
  e.new_values.reset();
  EXPECT_TRUE(differs(e));
  e = base;
  e.row_count = 0;
  EXPECT_TRUE(differs(e));
  e = base;
  e.txid = 1235;
  EXPECT_TRUE(differs(e));
  e = base;
  e.created_at_us += 1;
  EXPECT_TRUE(differs(e));
  // text form of the JSON does not matter
  e = base;
  e.old_values = R"({ "phone" : "+14155550101" })";
  EXPECT_FALSE(differs(e));
  // the previous hash is bound too
  Hash other{};
  other[0] = 1;
  EXPECT_NE(entry_hash(other, base), h0);
}

TEST(AuditChain, VerifierFindsTheBrokenEntry) {
  // build a chain of 5 entries
  std::vector<Entry> entries;
  std::vector<Hash> hashes;
  std::vector<Hash> prevs;
  Hash prev = genesis_hash();
  for (int i = 1; i <= 5; ++i) {
    Entry e = sample_entry();
    e.seq = i;
    e.id = 100 + i;
    entries.push_back(e);
    prevs.push_back(prev);
    prev = entry_hash(prev, e);
    hashes.push_back(prev);
  }
  auto sv = [](const Hash &h) {
    return std::string_view(reinterpret_cast<const char *>(h.data()), h.size());
  };
  auto run = [&](const std::vector<int> &order, int edited) {
    ChainVerifier v;
    for (int idx : order) {
      Entry e = entries[idx];
      if (idx == edited)
        e.new_values = R"({"phone":"+10000000000"})";
      Hash recomputed = entry_hash(prevs[idx], e);
      if (!v.feed(e.id, e.seq, sv(prevs[idx]), sv(hashes[idx]), recomputed))
        break;
    }
    return v;
  };
  ChainVerifier ok = run({0, 1, 2, 3, 4}, -1);
  EXPECT_TRUE(ok.valid());
  EXPECT_EQ(ok.checked(), 5);
  EXPECT_EQ(ok.last_seq(), 5);
  // edited entry 3 (id 103)
  ChainVerifier edited = run({0, 1, 2, 3, 4}, 2);
  EXPECT_FALSE(edited.valid());
  EXPECT_EQ(edited.first_invalid_id(), 103);
  // deleted entry 3: entry 4 is the first that does not follow
  ChainVerifier deleted = run({0, 1, 3, 4}, -1);
  EXPECT_EQ(deleted.first_invalid_id(), 104);
  // reordered: 4 before 3
  ChainVerifier reordered = run({0, 1, 3, 2, 4}, -1);
  EXPECT_EQ(reordered.first_invalid_id(), 104);
  // a stored hash of the wrong size
  ChainVerifier v;
  EXPECT_FALSE(v.feed(1, 1, sv(genesis_hash()), "short", hashes[0]));
  EXPECT_EQ(v.first_invalid_id(), 1);
  // resuming from a checkpoint
  ChainVerifier resumed(2, hashes[1]);
  for (int idx : {2, 3, 4})
    EXPECT_TRUE(resumed.feed(entries[idx].id, entries[idx].seq, sv(prevs[idx]),
                             sv(hashes[idx]),
                             entry_hash(prevs[idx], entries[idx])));
  EXPECT_TRUE(resumed.valid());
  EXPECT_EQ(resumed.checked(), 3);
}

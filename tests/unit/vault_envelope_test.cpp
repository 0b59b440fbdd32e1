#include <gtest/gtest.h>

#include <sodium.h>

#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "switchboard/vault.hpp"

namespace v = switchboard::vault;
using switchboard::Error;
using switchboard::Uuid;

namespace {

Uuid make_uuid(std::uint8_t seed) {
  Uuid u{};
  for (std::size_t i = 0; i < u.size(); ++i)
    u[i] = static_cast<std::uint8_t>(seed * 17 + i);
  return u;
}

std::array<std::uint8_t, 32> make_key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(seed + i * 3);
  return k;
}

v::Binding binding(std::uint8_t org = 1, const char *provider = "twilio",
                   const char *label = "default", std::uint8_t row = 9) {
  return v::Binding{make_uuid(org), provider, label, make_uuid(row)};
}

v::Keyring ring_with(std::initializer_list<std::uint32_t> versions) {
  v::Keyring ring;
  for (auto ver : versions)
    ring.add(ver, make_key(static_cast<std::uint8_t>(ver)).data());
  return ring;
}

const std::uint8_t *bytes(const std::string &s) {
  return reinterpret_cast<const std::uint8_t *>(s.data());
}

std::string sqlstate_of(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e.sqlstate();
  }
  return "none";
}

} // namespace

TEST(VaultEnvelope, RoundTripsAndHasTheDocumentedLayout) {
  auto ring = ring_with({1, 2});
  std::string env = v::seal(ring, binding(), "AC1234-auth-token-xyz");
  ASSERT_EQ(env.size(), v::kHeaderBytes + 21 + v::kTagBytes);
  EXPECT_EQ(static_cast<std::uint8_t>(env[0]), v::kFormatV1);
  // newest version (2) encrypts, big-endian
  EXPECT_EQ(env[1], 0);
  EXPECT_EQ(env[2], 0);
  EXPECT_EQ(env[3], 0);
  EXPECT_EQ(env[4], 2);
  EXPECT_EQ(env.find("AC1234"), std::string::npos);
  auto out = v::open(ring, binding(), bytes(env), env.size());
  EXPECT_EQ(out.view(), "AC1234-auth-token-xyz");
}

TEST(VaultEnvelope, FreshNonceEveryTime) {
  auto ring = ring_with({1});
  std::string a = v::seal(ring, binding(), "same secret");
  std::string b = v::seal(ring, binding(), "same secret");
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(5, 24), b.substr(5, 24));
}

TEST(VaultEnvelope, PinnedVectorStaysDecryptable) {
  // A fixed key, nonce and binding: if the AD encoding or the KDF ever
  // changed, stored credentials would stop decrypting. This pins both.
  auto key = make_key(7);
  std::array<std::uint8_t, 24> nonce{};
  for (std::size_t i = 0; i < nonce.size(); ++i)
    nonce[i] = static_cast<std::uint8_t>(i);
  std::string env = v::seal_with(key.data(), 7, binding(), "pin", nonce.data());
  const std::string pinned = "0100000007000102030405060708090a0b0c0d0e0f1011"
                             "1213141516170aa25fffbef4fe0dd452ba91fe386fd62f"
                             "b6cb";
  EXPECT_EQ(v::to_hex(bytes(env), env.size()), pinned);
  std::string stored;
  for (std::size_t i = 0; i < pinned.size(); i += 2)
    stored.push_back(
        static_cast<char>(std::stoi(pinned.substr(i, 2), nullptr, 16)));
  v::Keyring ring;
  ring.add(7, key.data());
  EXPECT_EQ(v::open(ring, binding(), bytes(stored), stored.size()).view(),
            "pin");
  // Same inputs, same bytes (deterministic given the nonce).
  EXPECT_EQ(env, v::seal_with(key.data(), 7, binding(), "pin", nonce.data()));
  EXPECT_EQ(v::to_hex(bytes(env), 5), "0100000007");
  EXPECT_EQ(v::to_hex(bytes(env) + 5, 24),
            "000102030405060708090a0b0c0d0e0f1011121314151617");
}

TEST(VaultEnvelope, SwappedBindingFailsWithCorruptState) {
  auto ring = ring_with({1});
  std::string env = v::seal(ring, binding(1, "twilio", "default", 9), "tok");
  for (const auto &b :
       {binding(2, "twilio", "default", 9), binding(1, "vapi", "default", 9),
        binding(1, "twilio", "backup", 9),
        binding(1, "twilio", "default", 8)}) {
    EXPECT_EQ(sqlstate_of([&] { v::open(ring, b, bytes(env), env.size()); }),
              "XX001");
  }
}

TEST(VaultEnvelope, TamperedBytesFail) {
  auto ring = ring_with({1});
  std::string env = v::seal(ring, binding(), "a-secret-value");
  for (std::size_t i = v::kHeaderBytes - v::kNonceBytes; i < env.size(); ++i) {
    std::string bad = env;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(
        sqlstate_of([&] { v::open(ring, binding(), bytes(bad), bad.size()); }),
        "XX001")
        << "byte " << i;
  }
}

TEST(VaultEnvelope, WrongOrMissingKeyVersion) {
  auto ring1 = ring_with({1});
  std::string env = v::seal(ring1, binding(), "a-secret-value");
  // version byte changed to 2: AD mismatch if 2 exists, missing otherwise
  std::string bumped = env;
  bumped[4] = 2;
  EXPECT_EQ(sqlstate_of([&] {
              v::open(ring1, binding(), bytes(bumped), bumped.size());
            }),
            "55000");
  auto ring12 = ring_with({1, 2});
  EXPECT_EQ(sqlstate_of([&] {
              v::open(ring12, binding(), bytes(bumped), bumped.size());
            }),
            "XX001");
  // a different key under the same version number
  v::Keyring other;
  other.add(1, make_key(99).data());
  EXPECT_EQ(
      sqlstate_of([&] { v::open(other, binding(), bytes(env), env.size()); }),
      "XX001");
}

TEST(VaultEnvelope, ParserRejectsMalformedInput) {
  v::EnvelopeView view;
  EXPECT_EQ(v::parse_envelope(nullptr, 0, view), v::ParseStatus::kTooShort);
  std::string env(v::kMinEnvelopeBytes, '\0');
  env[0] = 1;
  env[4] = 1;
  EXPECT_EQ(v::parse_envelope(bytes(env), env.size(), view),
            v::ParseStatus::kOk);
  EXPECT_EQ(view.plaintext_len(), 1u);
  EXPECT_EQ(v::parse_envelope(bytes(env), env.size() - 1, view),
            v::ParseStatus::kTooShort);
  std::string fmt = env;
  fmt[0] = 2;
  EXPECT_EQ(v::parse_envelope(bytes(fmt), fmt.size(), view),
            v::ParseStatus::kUnknownFormat);
  std::string ver0 = env;
  ver0[4] = 0;
  EXPECT_EQ(v::parse_envelope(bytes(ver0), ver0.size(), view),
            v::ParseStatus::kBadKeyVersion);
  std::string high = env;
  high[1] = static_cast<char>(0x80);
  EXPECT_EQ(v::parse_envelope(bytes(high), high.size(), view),
            v::ParseStatus::kBadKeyVersion);
  std::string huge(v::kMaxEnvelopeBytes + 1, '\0');
  huge[0] = 1;
  huge[4] = 1;
  EXPECT_EQ(v::parse_envelope(bytes(huge), huge.size(), view),
            v::ParseStatus::kTooLong);
  EXPECT_EQ(sqlstate_of([&] { v::parse_envelope_or_throw(bytes(fmt), 3); }),
            "XX001");
}

TEST(VaultEnvelope, SecretLimits) {
  auto ring = ring_with({1});
  EXPECT_EQ(sqlstate_of([&] { v::seal(ring, binding(), ""); }), "22023");
  std::string max(v::kMaxSecretBytes, 'x');
  std::string env = v::seal(ring, binding(), max);
  EXPECT_EQ(v::open(ring, binding(), bytes(env), env.size()).view(), max);
  std::string big(65536, 'x');
  EXPECT_EQ(sqlstate_of([&] { v::seal(ring, binding(), big); }), "22001");
  // binary-safe
  std::string bin("a\0b\xff", 4);
  env = v::seal(ring, binding(), bin);
  EXPECT_EQ(v::open(ring, binding(), bytes(env), env.size()).view(), bin);
}

TEST(VaultAssociatedData, BindsEveryFieldUnambiguously) {
  auto base = v::associated_data(1, 1, binding(1, "twilio", "default", 9));
  EXPECT_NE(base, v::associated_data(1, 2, binding(1, "twilio", "default", 9)));
  EXPECT_NE(base, v::associated_data(2, 1, binding(1, "twilio", "default", 9)));
  EXPECT_NE(base, v::associated_data(1, 1, binding(2, "twilio", "default", 9)));
  EXPECT_NE(base, v::associated_data(1, 1, binding(1, "twilio", "default", 8)));
  // length prefixes: moving bytes between provider and label changes the AD
  EXPECT_NE(v::associated_data(1, 1, binding(1, "ab", "c", 9)),
            v::associated_data(1, 1, binding(1, "a", "bc", 9)));
  EXPECT_EQ(sqlstate_of([&] {
              v::associated_data(1, 1, binding(1, "", "default", 9));
            }),
            "22023");
  std::string long_label(129, 'l');
  EXPECT_EQ(sqlstate_of([&] {
              v::associated_data(1, 1,
                                 binding(1, "twilio", long_label.c_str(), 9));
            }),
            "22023");
}

TEST(VaultKdf, PerOrgKeysDifferAndAreStable) {
  auto root = make_key(5);
  std::array<std::uint8_t, 32> a{}, a2{}, b{}, c{};
  v::derive_org_key(root.data(), make_uuid(1), a.data());
  v::derive_org_key(root.data(), make_uuid(1), a2.data());
  v::derive_org_key(root.data(), make_uuid(2), b.data());
  // differs only in the low 64 bits of the org id
  Uuid low = make_uuid(1);
  low[15] ^= 1;
  v::derive_org_key(root.data(), low, c.data());
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(0, std::memcmp(a.data(), root.data(), 32));
  // an org's ciphertext does not open with another org's key (via binding)
  auto ring = ring_with({1});
  std::string env = v::seal(ring, binding(1), "x-secret");
  EXPECT_EQ(sqlstate_of([&] {
              v::open_with(ring.root_key(1), 1, binding(2), bytes(env),
                           env.size());
            }),
            "XX001");
}

TEST(VaultEnvelope, ScratchOpenIsWipedOnRequest) {
  auto ring = ring_with({1});
  std::string env = v::seal(ring, binding(), "scratch-secret");
  std::string_view plain =
      v::open_scratch(ring, binding(), bytes(env), env.size());
  EXPECT_EQ(plain, "scratch-secret");
  const char *where = plain.data();
  v::wipe_scratch();
  EXPECT_EQ(std::string(where, 14), std::string(14, '\0'));
  // resealing straight from the scratch view keeps the plaintext
  plain = v::open_scratch(ring, binding(), bytes(env), env.size());
  std::string again = v::seal(ring, binding(), plain);
  v::wipe_scratch();
  EXPECT_EQ(v::open(ring, binding(), bytes(again), again.size()).view(),
            "scratch-secret");
}

TEST(VaultEnvelope, ScratchWipeOfAViewClearsExactlyItsBytes) {
  auto ring = ring_with({1});
  std::string env = v::seal(ring, binding(), "a-longer-scratch-secret-0001");
  std::string_view plain =
      v::open_scratch(ring, binding(), bytes(env), env.size());
  ASSERT_EQ(plain, "a-longer-scratch-secret-0001");
  const char *where = plain.data();
  v::wipe_scratch(plain);
  EXPECT_EQ(std::string(where, plain.size()), std::string(plain.size(), '\0'));
  // a shorter secret opened later leaves no tail of the longer one
  std::string env2 = v::seal(ring, binding(), "short-secret");
  plain = v::open_scratch(ring, binding(), bytes(env2), env2.size());
  EXPECT_EQ(plain, "short-secret");
  v::wipe_scratch(plain);
  EXPECT_EQ(std::string(where, 28), std::string(28, '\0'));
  // a view outside the scratch wipes all of it
  plain = v::open_scratch(ring, binding(), bytes(env), env.size());
  v::wipe_scratch(std::string_view("not in the scratch"));
  EXPECT_EQ(std::string(where, 28), std::string(28, '\0'));
}

TEST(VaultKdf, CachedOrgKeysEqualFreshDerivations) {
  auto ring = ring_with({1, 2});
  for (std::uint8_t org = 0; org < 40; ++org) // more orgs than some slots
    for (std::uint32_t ver : {1u, 2u}) {
      std::array<std::uint8_t, 32> fresh{};
      v::derive_org_key(ring.root_key(ver), make_uuid(org), fresh.data());
      EXPECT_EQ(0, std::memcmp(ring.org_key(ver, make_uuid(org)), fresh.data(),
                               fresh.size()));
    }
  EXPECT_NE(0, std::memcmp(ring.org_key(1, make_uuid(1)),
                           ring.org_key(2, make_uuid(1)), 32));
  EXPECT_EQ(sqlstate_of([&] { ring.org_key(3, make_uuid(1)); }), "55000");
}

TEST(VaultNonces, StreamGivesDistinctNoncesAndRefillsEvery64) {
  std::set<std::string> seen;
  const std::uint64_t before = v::nonce_refills();
  std::uint8_t n[v::kNonceBytes];
  for (int i = 0; i < 64 * 100; ++i) {
    v::next_nonce(n);
    seen.insert(std::string(reinterpret_cast<const char *>(n), sizeof(n)));
  }
  EXPECT_EQ(seen.size(), 6400u);
  // one refill per 64 nonces (one syscall-free ChaCha20 block each), give
  // or take the block the counter started in
  const std::uint64_t refills = v::nonce_refills() - before;
  EXPECT_GE(refills, 100u);
  EXPECT_LE(refills, 101u);
}

TEST(VaultNonces, ReseedingStartsAnotherStream) {
  // after a fork the child reseeds (pid check): its nonces are not the
  // parent's. Simulated by forcing the reseed twice from the same point.
  std::uint8_t a[v::kNonceBytes], b[v::kNonceBytes];
  v::reseed_nonces_for_test();
  v::next_nonce(a);
  v::reseed_nonces_for_test();
  v::next_nonce(b);
  EXPECT_NE(std::string(reinterpret_cast<const char *>(a), sizeof(a)),
            std::string(reinterpret_cast<const char *>(b), sizeof(b)));
  EXPECT_NE(std::string(reinterpret_cast<const char *>(a), sizeof(a)),
            std::string(sizeof(a), '\0'));
}

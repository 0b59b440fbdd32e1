#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "switchboard/vault.hpp"

namespace v = switchboard::vault;
using switchboard::Error;

namespace {

// base64 of 32 bytes 0x00..0x1f and of 32 bytes 0x20..0x3f
const char *kKey1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const char *kKey2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

std::string sqlstate_and_message(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return std::string(e.sqlstate()) + " " + e.what();
  }
  return "none";
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sb-vault-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    (void)std::system(cmd.c_str());
  }
  std::string write(const std::string &name, const std::string &text,
                    mode_t mode) {
    std::string file = path + "/" + name;
    std::ofstream(file) << text;
    ::chmod(file.c_str(), mode);
    return file;
  }
};

} // namespace

TEST(VaultKeyring, ParsesVersionsCommentsAndBlankLines) {
  auto ring = v::Keyring::parse(std::string("# root keys\n\n2:") + kKey2 +
                                "\r\n  1:" + kKey1 + "  \n");
  EXPECT_EQ(ring.newest_version(), 2u);
  EXPECT_EQ(ring.versions(), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(ring.root_key(1)[0], 0x00);
  EXPECT_EQ(ring.root_key(1)[31], 0x1f);
  EXPECT_EQ(ring.root_key(2)[0], 0x20);
  EXPECT_FALSE(ring.has(3));
  EXPECT_EQ(sqlstate_and_message([&] { ring.root_key(3); }),
            "55000 key version 3 is not in the keyring");
}

TEST(VaultKeyring, RejectsBadLinesWithoutEchoingThem) {
  const std::string secretish = "Zm9vYmFy"; // 6 bytes: too short
  auto msg = sqlstate_and_message([&] {
    v::Keyring::parse("1:" + std::string(kKey1) + "\n3:" + secretish);
  });
  EXPECT_EQ(msg, "F0000 keyring line 2 does not hold a base64 32-byte key");
  EXPECT_EQ(msg.find(secretish), std::string::npos);
  EXPECT_EQ(sqlstate_and_message([] { v::Keyring::parse(""); }),
            "F0000 keyring holds no key");
  EXPECT_EQ(sqlstate_and_message([] { v::Keyring::parse("# only\n\n"); }),
            "F0000 keyring holds no key");
  EXPECT_EQ(sqlstate_and_message(
                [] { v::Keyring::parse(std::string("x:") + kKey1); }),
            "F0000 keyring line 1 has a version that is not a number");
  EXPECT_EQ(sqlstate_and_message(
                [] { v::Keyring::parse(std::string("0:") + kKey1); }),
            "F0000 keyring line 1 has a version outside 1..2147483647");
  EXPECT_EQ(sqlstate_and_message(
                [] { v::Keyring::parse(std::string("2147483648:") + kKey1); }),
            "F0000 keyring line 1 has a version outside 1..2147483647");
  EXPECT_EQ(sqlstate_and_message([] { v::Keyring::parse(kKey1); }),
            "F0000 keyring line 1 is not version:base64-key");
  EXPECT_EQ(sqlstate_and_message([] {
              v::Keyring::parse(std::string("1:") + kKey1 + "\n1:" + kKey2);
            }),
            "F0000 keyring line 2 repeats key version 1");
  // 33 bytes
  EXPECT_EQ(sqlstate_and_message([] {
              v::Keyring::parse(
                  "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g");
            }),
            "F0000 keyring line 1 does not hold a base64 32-byte key");
}

TEST(VaultKeyring, FingerprintsArePublicStableAndDistinct) {
  auto ring = v::Keyring::parse(std::string("1:") + kKey1 + "\n2:" + kKey2);
  auto f1 = ring.fingerprint_of(1);
  auto f2 = ring.fingerprint_of(2);
  EXPECT_NE(f1, f2);
  EXPECT_EQ(f1, v::fingerprint(ring.root_key(1)));
  std::string hex = v::to_hex(f1.data(), f1.size());
  EXPECT_EQ(hex.size(), 32u);
  // the fingerprint is not the key or a prefix of it
  EXPECT_NE(hex.substr(0, 8), "00010203");
  // same key text, same fingerprint (another server, a restore)
  auto again = v::Keyring::parse(std::string("1:") + kKey1);
  EXPECT_EQ(again.fingerprint_of(1), f1);
}

TEST(VaultKeyring, FileChecks) {
  TempDir dir;
  std::string good =
      dir.write("keyring", std::string("1:") + kKey1 + "\n", 0600);
  EXPECT_EQ(v::load_keyring_file(good, "/nonexistent-pgdata").newest_version(),
            1u);
  std::string open_file =
      dir.write("keyring-644", std::string("1:") + kKey1 + "\n", 0644);
  EXPECT_EQ(sqlstate_and_message(
                [&] { v::load_keyring_file(open_file, "/nonexistent"); }),
            "F0000 the keyring file is accessible by group or others");
  EXPECT_EQ(sqlstate_and_message([&] { v::load_keyring_file(good, dir.path); }),
            "F0000 the keyring file lies inside the data directory");
  EXPECT_EQ(sqlstate_and_message([&] { v::load_keyring_file("", "/x"); }),
            "F0000 no keyring configured");
  EXPECT_EQ(
      sqlstate_and_message([&] { v::load_keyring_file("keyring", "/x"); }),
      "F0000 switchboard.keyring_file must be an absolute path");
  EXPECT_EQ(sqlstate_and_message(
                [&] { v::load_keyring_file(dir.path + "/missing", "/x"); }),
            "F0000 could not open the keyring file");
  EXPECT_EQ(sqlstate_and_message([&] { v::load_keyring_file(dir.path, "/x"); }),
            "F0000 the keyring file is not a regular file");
  std::string empty = dir.write("empty", "", 0600);
  EXPECT_EQ(sqlstate_and_message([&] { v::load_keyring_file(empty, "/x"); }),
            "F0000 the keyring file is empty or larger than 64 KiB");
}

TEST(VaultSecureBuffer, MovesAndTruncates) {
  v::SecureBuffer a(8);
  std::memcpy(a.data(), "abcdefgh", 8);
  v::SecureBuffer b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.view(), "abcdefgh");
  b.truncate(3);
  EXPECT_EQ(b.view(), "abc");
  b.truncate(10);
  EXPECT_EQ(b.size(), 3u);
  v::SecureBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "abc");
}

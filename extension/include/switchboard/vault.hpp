// The credential vault's pure C++ core: the envelope, its associated data,
// per-org key derivation and the root keyring. No PostgreSQL headers; the
// boundary (src/pg/vault_sql.cpp) feeds it bytes and turns its errors into
// SQL errors.
//
// Envelope, version 1 (all integers big-endian):
//   byte  0       format (0x01)
//   bytes 1..4    root key version (uint32, >= 1)
//   bytes 5..28   random nonce (24 bytes)
//   bytes 29..    XChaCha20-Poly1305 ciphertext of the secret + 16-byte tag
// Associated data (never stored, rebuilt from the row on every open):
//   "switchboard/vault/v1" || format || key version || "org_credentials.secret"
//   || org uuid || u16 len || provider || u16 len || label || row uuid
// Data key = crypto_kdf(crypto_kdf(root, hi64(org), "sbvorg-h"), lo64(org),
// "sbvorg-l"): one key per full 128-bit org id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/error.hpp"
#include "switchboard/lock_key.hpp"

namespace switchboard::vault {

inline constexpr std::uint8_t kFormatV1 = 0x01;
inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 24;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kHeaderBytes = 1 + 4 + kNonceBytes;
inline constexpr std::size_t kMinEnvelopeBytes = kHeaderBytes + kTagBytes + 1;
inline constexpr std::size_t kMaxSecretBytes = 16384;
inline constexpr std::size_t kMaxEnvelopeBytes =
    kHeaderBytes + kMaxSecretBytes + kTagBytes;
inline constexpr std::size_t kMaxNameBytes = 128;
inline constexpr std::size_t kFingerprintBytes = 16;
inline constexpr std::size_t kMaxKeyringBytes = 65536;
inline constexpr std::uint32_t kMaxKeyVersion = 2147483647u;

namespace sqlstate {
// a keyring or key version problem the operator must fix
inline constexpr const char *kConfig = "F0000";
// a key version that the keyring does not hold
inline constexpr const char *kKeyMissing = "55000";
// a stored envelope that is malformed or does not authenticate for its row
inline constexpr const char *kCorrupt = "XX001";
} // namespace sqlstate

// Calls sodium_init once; throws when libsodium cannot start.
void ensure_sodium();

// Memory from sodium_malloc: guarded, locked (mlock), wiped on release.
class SecureBuffer {
public:
  SecureBuffer() = default;
  explicit SecureBuffer(std::size_t size);
  ~SecureBuffer();
  SecureBuffer(SecureBuffer &&other) noexcept;
  SecureBuffer &operator=(SecureBuffer &&other) noexcept;
  SecureBuffer(const SecureBuffer &) = delete;
  SecureBuffer &operator=(const SecureBuffer &) = delete;

  std::uint8_t *data() noexcept { return data_; }
  const std::uint8_t *data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char *>(data_), size_};
  }
  // Shrinks the visible size (the allocation stays and is wiped on release).
  void truncate(std::size_t n) noexcept {
    if (n < size_)
      size_ = n;
  }

private:
  std::uint8_t *data_ = nullptr;
  std::size_t size_ = 0;
};

// What a ciphertext is bound to.
struct Binding {
  Uuid org{};
  std::string_view provider;
  std::string_view label;
  Uuid row{};
};

enum class ParseStatus {
  kOk,
  kTooShort,
  kTooLong,
  kUnknownFormat,
  kBadKeyVersion,
};
const char *describe(ParseStatus s);

// A parsed envelope; pointers into the caller's bytes.
struct EnvelopeView {
  std::uint8_t format = 0;
  std::uint32_t key_version = 0;
  const std::uint8_t *nonce = nullptr;
  const std::uint8_t *ciphertext = nullptr; // ciphertext followed by the tag
  std::size_t ciphertext_len = 0;           // includes the tag
  std::size_t plaintext_len() const { return ciphertext_len - kTagBytes; }
};

// Never throws; never reads past data + len.
ParseStatus parse_envelope(const std::uint8_t *data, std::size_t len,
                           EnvelopeView &out) noexcept;
// Throws Error(kCorrupt) with a detail that names the defect (never bytes).
EnvelopeView parse_envelope_or_throw(const std::uint8_t *data, std::size_t len);

// The canonical associated data. Throws Error(22023) for names that are empty
// or longer than kMaxNameBytes.
std::string associated_data(std::uint8_t format, std::uint32_t key_version,
                            const Binding &binding);

// The org's data key under one root key, into out (kKeyBytes, ideally locked).
// A fresh random envelope nonce (kNonceBytes) from the per-process nonce
// stream; nonce_refills() counts its refills (64 nonces each) and
// reseed_nonces_for_test() makes the next call reseed, as after a fork.
void next_nonce(std::uint8_t *out);
std::uint64_t nonce_refills();
void reseed_nonces_for_test();

void derive_org_key(const std::uint8_t *root_key, const Uuid &org,
                    std::uint8_t *out);

// Public fingerprint of a root key: keyed BLAKE2b of a fixed label. Reveals
// nothing about the key, identifies it across servers and restores.
std::array<std::uint8_t, kFingerprintBytes>
fingerprint(const std::uint8_t *root_key);
std::string to_hex(const std::uint8_t *data, std::size_t len);

// A set of numbered root keys; the highest version encrypts, all decrypt.
class Keyring {
public:
  // Text format: one "version:base64(32 bytes)" per line; blank lines and
  // lines starting with '#' are ignored. Throws Error(kConfig) naming the line
  // number, never its content.
  static Keyring parse(std::string_view text);

  bool empty() const noexcept { return entries_.empty(); }
  std::uint32_t newest_version() const;
  bool has(std::uint32_t version) const noexcept;
  // Throws Error(kKeyMissing) when the version is not in the keyring.
  const std::uint8_t *root_key(std::uint32_t version) const;
  std::array<std::uint8_t, kFingerprintBytes>
  fingerprint_of(std::uint32_t version) const;
  std::vector<std::uint32_t> versions() const;

  // Adds a key (for tests and tooling). Throws on a duplicate version.
  void add(std::uint32_t version, const std::uint8_t *key);

  // The org's data key under a version, derived once and cached in locked
  // memory (a direct-mapped cache of kOrgKeySlots keys, wiped with the ring).
  const std::uint8_t *org_key(std::uint32_t version, const Uuid &org) const;

private:
  static constexpr std::size_t kOrgKeySlots = 256;
  struct Slot {
    std::uint32_t version = 0;
    Uuid org{};
    bool used = false;
  };
  mutable SecureBuffer org_keys_;
  mutable std::vector<Slot> slots_;

  struct Entry {
    std::uint32_t version = 0;
    SecureBuffer key;
    std::array<std::uint8_t, kFingerprintBytes> fp{};
  };
  const Entry *find(std::uint32_t version) const noexcept;
  std::vector<Entry> entries_; // sorted by version
};

// Reads and parses a keyring file. Refuses (Error kConfig) a relative path, a
// file that is not a regular file, is readable or writable by group or other,
// or lies inside data_dir (PGDATA: it would travel with every base backup).
Keyring load_keyring_file(const std::string &path, const std::string &data_dir);

// Builds an envelope. nonce: kNonceBytes, or nullptr for a fresh random one.
// Throws Error(22001) for a secret over kMaxSecretBytes, Error(22023) for an
// empty one.
std::string seal_with(const std::uint8_t *root_key, std::uint32_t key_version,
                      const Binding &binding, std::string_view plaintext,
                      const std::uint8_t *nonce = nullptr);
// Seals under the newest key of the ring.
std::string seal(const Keyring &ring, const Binding &binding,
                 std::string_view plaintext);
// Opens into per-thread locked scratch memory without allocating: the view is
// valid until the next seal/open on this thread; call wipe_scratch() once it
// has been copied out.
std::string_view open_scratch(const Keyring &ring, const Binding &binding,
                              const std::uint8_t *envelope, std::size_t len);
void wipe_scratch() noexcept;
// Wipes only the bytes of a view open_scratch returned (a hot path need not
// clear the whole 16 KiB); a view that is not in the scratch wipes it all.
void wipe_scratch(std::string_view opened) noexcept;
// Opens an envelope; the plaintext lives in locked memory.
SecureBuffer open(const Keyring &ring, const Binding &binding,
                  const std::uint8_t *envelope, std::size_t len);
// Opens with one given root key (the key version must match the header).
SecureBuffer open_with(const std::uint8_t *root_key, std::uint32_t key_version,
                       const Binding &binding, const std::uint8_t *envelope,
                       std::size_t len);

} // namespace switchboard::vault

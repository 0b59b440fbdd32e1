// The credential vault's pure C++ core (see vault.hpp for the formats).
#include "switchboard/vault.hpp"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

namespace switchboard::vault {

namespace {

constexpr char kAdDomain[] = "switchboard/vault/v1";
constexpr char kAdColumn[] = "org_credentials.secret";
constexpr char kKdfCtxHigh[crypto_kdf_CONTEXTBYTES + 1] = "sbvorg-h";
constexpr char kKdfCtxLow[crypto_kdf_CONTEXTBYTES + 1] = "sbvorg-l";
constexpr char kFingerprintLabel[] = "switchboard vault key fingerprint v1";

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kKeyBytes == crypto_kdf_KEYBYTES);

void put_u32(std::string &out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_name(std::string &out, std::string_view name, const char *what) {
  if (name.empty() || name.size() > kMaxNameBytes)
    throw Error(switchboard::sqlstate::kInvalidParameter,
                std::string(what) + " must be 1 to 128 bytes long");
  out.push_back(static_cast<char>((name.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(name.size() & 0xff));
  out.append(name.data(), name.size());
}

std::uint64_t load_u64(const std::uint8_t *p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' ||
                        s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

[[noreturn]] void keyring_error(std::string message, std::string detail = {}) {
  throw Error(sqlstate::kConfig, std::move(message), std::move(detail),
              "see the operations section of docs/vault.md");
}

class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

std::string real_path(const std::string &p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr)
    return {};
  return buf;
}

// Per-thread locked scratch memory, allocated once: sodium_malloc costs
// several system calls (mmap, mprotect, mlock), too many for every call.
// Layout: [0, 32) derivation intermediate, [32, 64) data key,
// [64, 64 + kMaxSecretBytes) plaintext.
constexpr std::size_t kScratchMid = 0;
constexpr std::size_t kScratchKey = kKeyBytes;
constexpr std::size_t kScratchPlain = 2 * kKeyBytes;

SecureBuffer &scratch() {
  static thread_local SecureBuffer buf(2 * kKeyBytes + kMaxSecretBytes);
  return buf;
}

// Wipes the data key (and intermediate) when a seal/open leaves its scope.
struct KeyWipe {
  ~KeyWipe() { sodium_memzero(scratch().data(), 2 * kKeyBytes); }
};

} // namespace

void wipe_scratch() noexcept {
  SecureBuffer &b = scratch();
  sodium_memzero(b.data(), b.size());
}

void wipe_scratch(std::string_view opened) noexcept {
  SecureBuffer &b = scratch();
  const auto *begin = b.data() + kScratchPlain;
  const auto *end = b.data() + b.size();
  const auto *p = reinterpret_cast<const std::uint8_t *>(opened.data());
  if (p != nullptr && p >= begin && p <= end &&
      opened.size() <= static_cast<std::size_t>(end - p)) {
    sodium_memzero(const_cast<std::uint8_t *>(p), opened.size());
    return;
  }
  wipe_scratch();
}

void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0)
    throw Error(switchboard::sqlstate::kInternal, "libsodium failed to start");
}

// Envelope nonces: a per-process ChaCha20 keystream (the CSPRNG construction
// of libsodium's own randombytes_internal) keyed by 32 bytes from the OS,
// refilled 64 nonces at a time. Random 192-bit nonces as before, without a
// getrandom() system call per seal (a quarter of a seal's cost). The stream is
// reseeded when the process id changes, so a forked process never repeats
// its parent's nonces. Nonces are public (they travel in the envelope); the
// seed only decides them, it protects no secret.
namespace {
struct NonceStream {
  std::uint8_t seed[crypto_stream_chacha20_ietf_KEYBYTES];
  std::uint8_t counter[crypto_stream_chacha20_ietf_NONCEBYTES];
  std::uint8_t block[64 * kNonceBytes];
  std::size_t used = sizeof(block);
  pid_t pid = 0;
  std::uint64_t refills = 0;
};
NonceStream &nonce_stream() {
  static NonceStream s;
  return s;
}
} // namespace

void next_nonce(std::uint8_t *out) {
  ensure_sodium();
  NonceStream &s = nonce_stream();
  const pid_t pid = getpid();
  if (s.pid != pid) {
    randombytes_buf(s.seed, sizeof(s.seed));
    std::memset(s.counter, 0, sizeof(s.counter));
    s.used = sizeof(s.block);
    s.pid = pid;
  }
  if (s.used + kNonceBytes > sizeof(s.block)) {
    crypto_stream_chacha20_ietf(s.block, sizeof(s.block), s.counter, s.seed);
    sodium_increment(s.counter, sizeof(s.counter));
    s.used = 0;
    ++s.refills;
  }
  std::memcpy(out, s.block + s.used, kNonceBytes);
  sodium_memzero(s.block + s.used, kNonceBytes);
  s.used += kNonceBytes;
}

std::uint64_t nonce_refills() { return nonce_stream().refills; }

void reseed_nonces_for_test() { nonce_stream().pid = 0; }

SecureBuffer::SecureBuffer(std::size_t size) {
  ensure_sodium();
  data_ = static_cast<std::uint8_t *>(sodium_malloc(size ? size : 1));
  if (data_ == nullptr)
    throw std::bad_alloc();
  size_ = size;
}

SecureBuffer::~SecureBuffer() {
  if (data_ != nullptr)
    sodium_free(data_); // wipes, unlocks and frees
}

SecureBuffer::SecureBuffer(SecureBuffer &&other) noexcept
    : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecureBuffer &SecureBuffer::operator=(SecureBuffer &&other) noexcept {
  if (this != &other) {
    if (data_ != nullptr)
      sodium_free(data_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

const char *describe(ParseStatus s) {
  switch (s) {
  case ParseStatus::kOk:
    return "ok";
  case ParseStatus::kTooShort:
    return "the envelope is truncated";
  case ParseStatus::kTooLong:
    return "the envelope is longer than any secret the vault accepts";
  case ParseStatus::kUnknownFormat:
    return "the envelope has an unknown format byte";
  case ParseStatus::kBadKeyVersion:
    return "the envelope names key version 0 or one above 2147483647";
  }
  return "unknown";
}

ParseStatus parse_envelope(const std::uint8_t *data, std::size_t len,
                           EnvelopeView &out) noexcept {
  if (data == nullptr || len < 1)
    return ParseStatus::kTooShort;
  if (data[0] != kFormatV1)
    return ParseStatus::kUnknownFormat;
  if (len < kMinEnvelopeBytes)
    return ParseStatus::kTooShort;
  if (len > kMaxEnvelopeBytes)
    return ParseStatus::kTooLong;
  std::uint32_t version =
      (std::uint32_t(data[1]) << 24) | (std::uint32_t(data[2]) << 16) |
      (std::uint32_t(data[3]) << 8) | std::uint32_t(data[4]);
  if (version == 0 || version > kMaxKeyVersion)
    return ParseStatus::kBadKeyVersion;
  out.format = data[0];
  out.key_version = version;
  out.nonce = data + 5;
  out.ciphertext = data + kHeaderBytes;
  out.ciphertext_len = len - kHeaderBytes;
  return ParseStatus::kOk;
}

EnvelopeView parse_envelope_or_throw(const std::uint8_t *data,
                                     std::size_t len) {
  EnvelopeView v;
  ParseStatus s = parse_envelope(data, len, v);
  if (s != ParseStatus::kOk)
    throw Error(sqlstate::kCorrupt, "credential envelope is malformed",
                describe(s));
  return v;
}

std::string associated_data(std::uint8_t format, std::uint32_t key_version,
                            const Binding &b) {
  std::string ad;
  ad.reserve(sizeof kAdDomain + sizeof kAdColumn + 5 + 32 + 4 +
             b.provider.size() + b.label.size());
  ad.append(kAdDomain, sizeof kAdDomain - 1);
  ad.push_back(static_cast<char>(format));
  put_u32(ad, key_version);
  ad.append(kAdColumn, sizeof kAdColumn - 1);
  ad.append(reinterpret_cast<const char *>(b.org.data()), b.org.size());
  put_name(ad, b.provider, "provider");
  put_name(ad, b.label, "label");
  ad.append(reinterpret_cast<const char *>(b.row.data()), b.row.size());
  return ad;
}

void derive_org_key(const std::uint8_t *root_key, const Uuid &org,
                    std::uint8_t *out) {
  ensure_sodium();
  std::uint8_t *mid = scratch().data() + kScratchMid;
  int rc = crypto_kdf_derive_from_key(mid, kKeyBytes, load_u64(org.data()),
                                      kKdfCtxHigh, root_key);
  if (rc == 0)
    rc = crypto_kdf_derive_from_key(out, kKeyBytes, load_u64(org.data() + 8),
                                    kKdfCtxLow, mid);
  sodium_memzero(mid, kKeyBytes);
  if (rc != 0)
    throw Error(switchboard::sqlstate::kInternal, "key derivation failed");
}

std::array<std::uint8_t, kFingerprintBytes>
fingerprint(const std::uint8_t *root_key) {
  ensure_sodium();
  std::array<std::uint8_t, kFingerprintBytes> fp{};
  crypto_generichash(fp.data(), fp.size(),
                     reinterpret_cast<const unsigned char *>(kFingerprintLabel),
                     sizeof kFingerprintLabel - 1, root_key, kKeyBytes);
  return fp;
}

std::string to_hex(const std::uint8_t *data, std::size_t len) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

// ---- Keyring ---------------------------------------------------------------

Keyring Keyring::parse(std::string_view text) {
  ensure_sodium();
  Keyring ring;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line =
        trim(text.substr(0, nl == std::string_view::npos ? text.size() : nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#')
      continue;
    std::string where = "keyring line " + std::to_string(line_no);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10)
      keyring_error(where + " is not version:base64-key");
    std::uint64_t version = 0;
    for (std::size_t i = 0; i < colon; ++i) {
      char c = line[i];
      if (c < '0' || c > '9')
        keyring_error(where + " has a version that is not a number");
      version = version * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (version == 0 || version > kMaxKeyVersion)
      keyring_error(where + " has a version outside 1..2147483647");
    std::string_view b64 = trim(line.substr(colon + 1));
    SecureBuffer key(kKeyBytes + 1);
    std::size_t key_len = 0;
    const char *end = nullptr;
    if (sodium_base642bin(key.data(), key.size(), b64.data(), b64.size(),
                          nullptr, &key_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64.data() + b64.size() || key_len != kKeyBytes)
      keyring_error(where + " does not hold a base64 32-byte key",
                    "generate one with: head -c 32 /dev/urandom | base64");
    if (ring.has(static_cast<std::uint32_t>(version)))
      keyring_error(where + " repeats key version " + std::to_string(version));
    ring.add(static_cast<std::uint32_t>(version), key.data());
  }
  if (ring.empty())
    keyring_error("keyring holds no key");
  return ring;
}

void Keyring::add(std::uint32_t version, const std::uint8_t *key) {
  if (version == 0 || version > kMaxKeyVersion)
    throw Error(sqlstate::kConfig, "key version outside 1..2147483647");
  if (has(version))
    throw Error(sqlstate::kConfig,
                "key version " + std::to_string(version) + " is repeated");
  Entry e;
  e.version = version;
  e.key = SecureBuffer(kKeyBytes);
  std::memcpy(e.key.data(), key, kKeyBytes);
  e.fp = fingerprint(key);
  auto pos = std::lower_bound(
      entries_.begin(), entries_.end(), version,
      [](const Entry &a, std::uint32_t v) { return a.version < v; });
  entries_.insert(pos, std::move(e));
}

const Keyring::Entry *Keyring::find(std::uint32_t version) const noexcept {
  auto pos = std::lower_bound(
      entries_.begin(), entries_.end(), version,
      [](const Entry &a, std::uint32_t v) { return a.version < v; });
  if (pos == entries_.end() || pos->version != version)
    return nullptr;
  return &*pos;
}

std::uint32_t Keyring::newest_version() const {
  if (entries_.empty())
    throw Error(sqlstate::kConfig, "keyring holds no key");
  return entries_.back().version;
}

bool Keyring::has(std::uint32_t version) const noexcept {
  return find(version) != nullptr;
}

const std::uint8_t *Keyring::root_key(std::uint32_t version) const {
  const Entry *e = find(version);
  if (e == nullptr)
    throw Error(sqlstate::kKeyMissing,
                "key version " + std::to_string(version) +
                    " is not in the keyring",
                "the credential was sealed under a root key this server does "
                "not hold",
                "add that version back to the file named by "
                "switchboard.keyring_file and reload");
  return e->key.data();
}

std::array<std::uint8_t, kFingerprintBytes>
Keyring::fingerprint_of(std::uint32_t version) const {
  const Entry *e = find(version);
  if (e == nullptr)
    root_key(version); // throws the standard error
  return e->fp;
}

std::vector<std::uint32_t> Keyring::versions() const {
  std::vector<std::uint32_t> out;
  out.reserve(entries_.size());
  for (const auto &e : entries_)
    out.push_back(e.version);
  return out;
}

const std::uint8_t *Keyring::org_key(std::uint32_t version,
                                     const Uuid &org) const {
  const std::uint8_t *root = root_key(version); // throws when missing
  if (org_keys_.size() == 0) {
    org_keys_ = SecureBuffer(kOrgKeySlots * kKeyBytes);
    slots_.assign(kOrgKeySlots, Slot{});
  }
  std::size_t h = version;
  for (std::uint8_t b : org)
    h = h * 131 + b;
  std::size_t i = h % kOrgKeySlots;
  std::uint8_t *key = org_keys_.data() + i * kKeyBytes;
  Slot &slot = slots_[i];
  if (!slot.used || slot.version != version || slot.org != org) {
    slot.used = false;
    derive_org_key(root, org, key);
    slot = Slot{version, org, true};
  }
  return key;
}

Keyring load_keyring_file(const std::string &path,
                          const std::string &data_dir) {
  if (path.empty())
    keyring_error("no keyring configured",
                  "set switchboard.keyring_file to the absolute path of the "
                  "root keyring file");
  if (path.front() != '/')
    keyring_error("switchboard.keyring_file must be an absolute path");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    int err = errno;
    keyring_error("could not open the keyring file",
                  "file \"" + path + "\": " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    keyring_error("the keyring file is not a regular file",
                  "file \"" + path + "\"");
  if (!data_dir.empty()) {
    std::string real_file = real_path(path);
    std::string real_data = real_path(data_dir);
    if (!real_data.empty() &&
        (real_file == real_data ||
         real_file.compare(0, real_data.size() + 1, real_data + "/") == 0))
      keyring_error("the keyring file lies inside the data directory",
                    "a keyring in PGDATA travels with every base backup and "
                    "copy of the cluster; move it out");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    keyring_error("the keyring file is accessible by group or others",
                  "file \"" + path + "\"; run chmod 600 on it");
  if (st.st_size <= 0 ||
      static_cast<std::size_t>(st.st_size) > kMaxKeyringBytes)
    keyring_error("the keyring file is empty or larger than 64 KiB");
  SecureBuffer text(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      keyring_error("could not read the keyring file", "file \"" + path + "\"");
    got += static_cast<std::size_t>(n);
  }
  return Keyring::parse(text.view());
}

// ---- seal / open -----------------------------------------------------------

namespace {

// Seals with a data key (or, when data_key is null, one derived from
// root_key into scratch).
std::string seal_core(const std::uint8_t *data_key,
                      const std::uint8_t *root_key, std::uint32_t key_version,
                      const Binding &binding, std::string_view plaintext,
                      const std::uint8_t *nonce) {
  ensure_sodium();
  if (plaintext.empty())
    throw Error(switchboard::sqlstate::kInvalidParameter,
                "secret must not be empty");
  if (plaintext.size() > kMaxSecretBytes)
    throw Error(switchboard::sqlstate::kStringTooLong,
                "secret is longer than 16384 bytes");
  if (key_version == 0 || key_version > kMaxKeyVersion)
    throw Error(sqlstate::kConfig, "key version outside 1..2147483647");
  std::string ad = associated_data(kFormatV1, key_version, binding);
  std::string env(kHeaderBytes + plaintext.size() + kTagBytes, '\0');
  auto *p = reinterpret_cast<std::uint8_t *>(env.data());
  p[0] = kFormatV1;
  p[1] = static_cast<std::uint8_t>(key_version >> 24);
  p[2] = static_cast<std::uint8_t>(key_version >> 16);
  p[3] = static_cast<std::uint8_t>(key_version >> 8);
  p[4] = static_cast<std::uint8_t>(key_version);
  if (nonce != nullptr)
    std::memcpy(p + 5, nonce, kNonceBytes);
  else
    next_nonce(p + 5);
  KeyWipe wipe;
  const std::uint8_t *key = data_key;
  if (key == nullptr) {
    derive_org_key(root_key, binding.org, scratch().data() + kScratchKey);
    key = scratch().data() + kScratchKey;
  }
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      p + kHeaderBytes, &clen,
      reinterpret_cast<const unsigned char *>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char *>(ad.data()),
      ad.size(), nullptr, p + 5, key);
  env.resize(kHeaderBytes + static_cast<std::size_t>(clen));
  return env;
}

std::string_view open_core(const std::uint8_t *data_key,
                           const std::uint8_t *root_key,
                           std::uint32_t key_version, const Binding &binding,
                           const std::uint8_t *envelope, std::size_t len) {
  ensure_sodium();
  EnvelopeView v = parse_envelope_or_throw(envelope, len);
  if (v.key_version != key_version)
    throw Error(sqlstate::kKeyMissing,
                "credential envelope names another key version");
  std::string ad = associated_data(v.format, v.key_version, binding);
  KeyWipe wipe;
  std::uint8_t *plain = scratch().data() + kScratchPlain;
  const std::uint8_t *key = data_key;
  if (key == nullptr) {
    derive_org_key(root_key, binding.org, scratch().data() + kScratchKey);
    key = scratch().data() + kScratchKey;
  }
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain, &mlen, nullptr, v.ciphertext, v.ciphertext_len,
          reinterpret_cast<const unsigned char *>(ad.data()), ad.size(),
          v.nonce, key) != 0)
    throw Error(sqlstate::kCorrupt, "credential does not decrypt for this row",
                "the envelope was altered or belongs to another org, "
                "provider, label or row",
                "store the secret again with set_credential");
  return {reinterpret_cast<const char *>(plain),
          static_cast<std::size_t>(mlen)};
}

} // namespace

std::string seal_with(const std::uint8_t *root_key, std::uint32_t key_version,
                      const Binding &binding, std::string_view plaintext,
                      const std::uint8_t *nonce) {
  return seal_core(nullptr, root_key, key_version, binding, plaintext, nonce);
}

std::string seal(const Keyring &ring, const Binding &binding,
                 std::string_view plaintext) {
  std::uint32_t v = ring.newest_version();
  return seal_core(ring.org_key(v, binding.org), nullptr, v, binding, plaintext,
                   nullptr);
}

std::string_view open_scratch_with(const std::uint8_t *root_key,
                                   std::uint32_t key_version,
                                   const Binding &binding,
                                   const std::uint8_t *envelope,
                                   std::size_t len) {
  return open_core(nullptr, root_key, key_version, binding, envelope, len);
}

std::string_view open_scratch(const Keyring &ring, const Binding &binding,
                              const std::uint8_t *envelope, std::size_t len) {
  EnvelopeView v = parse_envelope_or_throw(envelope, len);
  return open_core(ring.org_key(v.key_version, binding.org), nullptr,
                   v.key_version, binding, envelope, len);
}

namespace {
SecureBuffer copy_out(std::string_view plain) {
  SecureBuffer out(plain.size());
  std::memcpy(out.data(), plain.data(), plain.size());
  wipe_scratch();
  return out;
}
} // namespace

SecureBuffer open_with(const std::uint8_t *root_key, std::uint32_t key_version,
                       const Binding &binding, const std::uint8_t *envelope,
                       std::size_t len) {
  return copy_out(
      open_scratch_with(root_key, key_version, binding, envelope, len));
}

SecureBuffer open(const Keyring &ring, const Binding &binding,
                  const std::uint8_t *envelope, std::size_t len) {
  return copy_out(open_scratch(ring, binding, envelope, len));
}

} // namespace switchboard::vault

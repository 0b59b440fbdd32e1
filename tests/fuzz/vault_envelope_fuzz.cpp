// libFuzzer target for the vault's parsers: the envelope parser and opener
// (the bytes of org_credentials.secret are attacker-controlled for anyone who
// can write the table or a backup) and the keyring parser. Decryption
// failures must be clean switchboard::Error exceptions, never a crash, an
// out-of-bounds read or a success on forged bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "switchboard/vault.hpp"

namespace v = switchboard::vault;

namespace {

const v::Keyring &ring() {
  static v::Keyring *r = [] {
    auto *k = new v::Keyring();
    std::uint8_t key[v::kKeyBytes];
    for (std::size_t i = 0; i < sizeof key; ++i)
      key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    k->add(1, key);
    key[0] ^= 0xff;
    k->add(2, key);
    return k;
  }();
  return *r;
}

v::Binding binding() {
  v::Binding b;
  for (std::size_t i = 0; i < b.org.size(); ++i) {
    b.org[i] = static_cast<std::uint8_t>(0x11 * (i % 3));
    b.row[i] = static_cast<std::uint8_t>(0x22 + i);
  }
  b.provider = "twilio";
  b.label = "default";
  return b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  // 1. The envelope parser: bounds and invariants.
  v::EnvelopeView view;
  if (v::parse_envelope(data, size, view) == v::ParseStatus::kOk) {
    if (view.key_version == 0 || view.key_version > v::kMaxKeyVersion ||
        view.ciphertext_len <= v::kTagBytes ||
        view.ciphertext + view.ciphertext_len != data + size ||
        view.nonce != data + 5)
      std::abort();
  }
  // 2. Opening arbitrary bytes: only clean errors. A forged envelope that
  // authenticates would be a break of Poly1305: abort if it ever happens.
  try {
    v::SecureBuffer out = v::open(ring(), binding(), data, size);
    std::abort();
  } catch (const switchboard::Error &) {
  }
  // 3. Round trip: any non-empty input up to the limit seals and opens back.
  if (size > 0 && size <= v::kMaxSecretBytes) {
    std::string_view plain(reinterpret_cast<const char *>(data), size);
    std::string env = v::seal(ring(), binding(), plain);
    v::SecureBuffer back =
        v::open(ring(), binding(),
                reinterpret_cast<const std::uint8_t *>(env.data()), env.size());
    if (back.view() != plain)
      std::abort();
    // flipping any one byte must fail
    env[size % env.size()] ^= 0x01;
    try {
      v::open(ring(), binding(),
              reinterpret_cast<const std::uint8_t *>(env.data()), env.size());
      std::abort();
    } catch (const switchboard::Error &) {
    }
  }
  // 4. The keyring parser over arbitrary text.
  try {
    v::Keyring k = v::Keyring::parse(
        std::string_view(reinterpret_cast<const char *>(data), size));
    if (k.empty() || !k.has(k.newest_version()))
      std::abort();
  } catch (const switchboard::Error &) {
  }
  return 0;
}

#include "switchboard/lock_key.hpp"

#include <sodium.h>

#include <cstring>

namespace switchboard {

namespace {
std::int32_t to_int32(const unsigned char *p) {
  // Little-endian read of 4 bytes, independent of the host's byte order.
  std::uint32_t v = std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) |
                    (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24);
  std::int32_t out;
  std::memcpy(&out, &v, sizeof out);
  return out;
}
constexpr std::string_view kDomain = "switchboard.lock.v1";
} // namespace

std::int32_t lock_namespace(std::string_view scope) {
  unsigned char digest[8];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof digest);
  crypto_generichash_update(
      &st, reinterpret_cast<const unsigned char *>(kDomain.data()),
      kDomain.size());
  crypto_generichash_update(
      &st, reinterpret_cast<const unsigned char *>(scope.data()), scope.size());
  crypto_generichash_final(&st, digest, sizeof digest);
  std::int32_t ns = to_int32(digest);
  return ns == 0 ? 1 : ns;
}

LockKey lock_key(std::string_view scope, const Uuid &org, const Uuid &entity) {
  unsigned char digest[8];
  unsigned char len =
      static_cast<unsigned char>(scope.size() > 255 ? 255 : scope.size());
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof digest);
  crypto_generichash_update(
      &st, reinterpret_cast<const unsigned char *>(kDomain.data()),
      kDomain.size());
  crypto_generichash_update(&st, &len, 1);
  crypto_generichash_update(
      &st, reinterpret_cast<const unsigned char *>(scope.data()), len);
  crypto_generichash_update(&st, org.data(), org.size());
  crypto_generichash_update(&st, entity.data(), entity.size());
  crypto_generichash_final(&st, digest, sizeof digest);
  return LockKey{lock_namespace(scope), to_int32(digest)};
}

} // namespace switchboard

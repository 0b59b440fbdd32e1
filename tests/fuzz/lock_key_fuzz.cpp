// libFuzzer target: lock_key() accepts any scope bytes and ids without
// undefined behaviour, and is a pure function of its input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "switchboard/lock_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  if (size < 32)
    return 0;
  switchboard::Uuid org, entity;
  std::memcpy(org.data(), data, 16);
  std::memcpy(entity.data(), data + 16, 16);
  std::string_view scope(reinterpret_cast<const char *>(data + 32), size - 32);
  auto a = switchboard::lock_key(scope, org, entity);
  auto b = switchboard::lock_key(scope, org, entity);
  if (a.space != b.space || a.object != b.object || a.space == 0)
    __builtin_trap();
  return 0;
}

// Advisory-lock keys in PostgreSQL's two-int4 form. The first int is the
// namespace (derived from a scope name such as "booking"), the second is
// derived from (org, entity). Both come from BLAKE2b over a fixed byte layout,
// so they are the same in every process, on every platform and in every
// version of the extension (unlike hashtext(), whose output is not promised).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace switchboard {

using Uuid = std::array<std::uint8_t, 16>;

struct LockKey {
  std::int32_t space;
  std::int32_t object;
};

// The namespace int for a scope name; never 0 so it cannot meet the
// single-bigint form's upper half for small keys.
std::int32_t lock_namespace(std::string_view scope);

// The key for (scope, org, entity). Distinct entities can collide only with
// probability 2^-32 per pair; a collision makes two requests wait for each
// other, never lets two conflicting requests run at once.
LockKey lock_key(std::string_view scope, const Uuid &org, const Uuid &entity);

} // namespace switchboard

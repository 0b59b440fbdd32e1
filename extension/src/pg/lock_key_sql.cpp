// switchboard.lock_key(scope text, org uuid, entity uuid) returns int[]
#include "boundary.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/uuid.h"
}

#include "switchboard/lock_key.hpp"

namespace {
switchboard::Uuid uuid_arg(FunctionCallInfo fcinfo, int argno) {
  switchboard::Uuid out;
  pg_uuid_t *u = PG_GETARG_UUID_P(argno);
  memcpy(out.data(), u->data, out.size());
  return out;
}
} // namespace

SWITCHBOARD_FUNCTION(sb_lock_key) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
    throw switchboard::Error(switchboard::sqlstate::kInvalidParameter,
                             "lock_key arguments must not be null");
  std::string scope = switchboard::pg::text_arg(fcinfo, 0);
  if (scope.empty() || scope.size() > 63)
    throw switchboard::Error(switchboard::sqlstate::kInvalidParameter,
                             "lock scope must be 1 to 63 bytes long");
  switchboard::LockKey key =
      switchboard::lock_key(scope, uuid_arg(fcinfo, 1), uuid_arg(fcinfo, 2));
  return switchboard::pg::pg_call([&] {
    Datum elems[2] = {Int32GetDatum(key.space), Int32GetDatum(key.object)};
    return PointerGetDatum(
        construct_array(elems, 2, INT4OID, sizeof(int32), true, TYPALIGN_INT));
  });
}

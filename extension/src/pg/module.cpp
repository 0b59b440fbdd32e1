// Module entry: magic block, _PG_init, and the functions that describe the
// extension itself (version, the guard's self-test).
#include "boundary.hpp"

extern "C" {
#include "utils/guc.h"
}

#include <new>
#include <stdexcept>

#include "switchboard/version.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace switchboard::pg {
void define_all_gucs();
}

void _PG_init(void) {
  switchboard::pg::define_all_gucs();
  MarkGUCPrefixReserved("switchboard");
}

// switchboard.version() returns text: the version of the loaded module.
SWITCHBOARD_FUNCTION(sb_version) {
  (void)fcinfo;
  return switchboard::pg::text_datum(switchboard::kVersion);
}

// switchboard._guard_selftest(kind text) returns text. Throws the C++
// exception named by `kind` from inside an entry point, so the regress suite
// can prove that each becomes a clean SQL error and the backend survives.
SWITCHBOARD_FUNCTION(sb_guard_selftest) {
  if (PG_ARGISNULL(0))
    throw switchboard::Error(switchboard::sqlstate::kNullValueNotAllowed,
                             "kind must not be null");
  std::string kind = switchboard::pg::text_arg(fcinfo, 0);
  std::string held = "a live C++ object that must be destroyed";
  (void)held;
  if (kind == "ok")
    return switchboard::pg::text_datum("ok");
  if (kind == "invalid_parameter")
    throw switchboard::Error(
        switchboard::sqlstate::kInvalidParameter, "selftest invalid parameter",
        "raised by the guard self-test", "pass kind => 'ok'");
  if (kind == "bad_alloc")
    throw std::bad_alloc();
  if (kind == "runtime_error")
    throw std::runtime_error("secret-looking text that must not leak");
  if (kind == "unknown")
    throw 42;
  if (kind == "postgres_error")
    // A PostgreSQL error raised while C++ objects are alive, through pg_call.
    switchboard::pg::pg_call([] {
      ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO),
                      errmsg("division by zero inside pg_call")));
    });
  throw switchboard::Error(switchboard::sqlstate::kInvalidParameter,
                           "unknown selftest kind",
                           "kinds: ok, invalid_parameter, bad_alloc, "
                           "runtime_error, unknown, postgres_error");
}

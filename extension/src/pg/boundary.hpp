// The thin PostgreSQL boundary. Only files under src/pg include this.
//
// House rules (see DESIGN.md): PostgreSQL headers live inside extern "C";
// every SQL-callable function is declared with SWITCHBOARD_FUNCTION, whose
// body runs inside capture_errors(); the error is raised with ereport only
// after the catch, once no C++ object is alive. PostgreSQL calls that can
// elog(ERROR) while C++ objects are alive go through pg_call(), which turns
// the PostgreSQL error into a C++ exception instead of a longjmp.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

#include <functional>
#include <string>
#include <type_traits>

#include "switchboard/error.hpp"
#include "switchboard/guard.hpp"

namespace switchboard::pg {

// Raises `report` as a PostgreSQL ERROR. Never returns.
[[noreturn]] void raise(const ErrorReport &report);

// Runs fn() inside PG_TRY. A PostgreSQL error becomes a switchboard::Error that
// keeps the original SQLSTATE, message, detail and hint.
void call_guarded(const std::function<void()> &fn);

template <typename Fn> auto pg_call(Fn &&fn) -> decltype(fn()) {
  if constexpr (std::is_void_v<decltype(fn())>) {
    call_guarded([&] { fn(); });
  } else {
    decltype(fn()) result{};
    call_guarded([&] { result = fn(); });
    return result;
  }
}

// Text argument as std::string (detoasted under pg_call).
std::string text_arg(FunctionCallInfo fcinfo, int argno);
// A palloc'd text datum from bytes.
Datum text_datum(const std::string &s);
Datum bytea_datum(const std::string &s);

// Custom GUCs: each engine's boundary file registers a callback that _PG_init
// runs, so adding an engine never edits module.cpp.
struct GucRegistrar {
  explicit GucRegistrar(void (*define)());
};

} // namespace switchboard::pg

// Declares a SQL-callable function `name`; the block that follows is its body,
// which sees `fcinfo` and returns a Datum.
#define SWITCHBOARD_FUNCTION(name)                                             \
  static Datum name##_body(FunctionCallInfo fcinfo);                           \
  extern "C" {                                                                 \
  PG_FUNCTION_INFO_V1(name);                                                   \
  }                                                                            \
  extern "C" Datum name(PG_FUNCTION_ARGS) {                                    \
    ::switchboard::ErrorReport sb_report_;                                     \
    Datum sb_result_ = (Datum)0;                                               \
    if (!::switchboard::capture_errors(                                        \
            [&] { sb_result_ = name##_body(fcinfo); }, sb_report_))            \
      ::switchboard::pg::raise(sb_report_);                                    \
    return sb_result_;                                                         \
  }                                                                            \
  static Datum name##_body(FunctionCallInfo fcinfo)

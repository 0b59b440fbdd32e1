#include "boundary.hpp"

#include <vector>

namespace switchboard::pg {

void raise(const ErrorReport &r) {
  ereport(ERROR,
          (errcode(MAKE_SQLSTATE(r.sqlstate[0], r.sqlstate[1], r.sqlstate[2],
                                 r.sqlstate[3], r.sqlstate[4])),
           errmsg_internal("%s", r.message),
           r.detail[0] ? errdetail_internal("%s", r.detail) : 0,
           r.hint[0] ? errhint("%s", r.hint) : 0));
  pg_unreachable();
}

void call_guarded(const std::function<void()> &fn) {
  MemoryContext ctx = CurrentMemoryContext;
  ErrorData *volatile edata = nullptr;
  PG_TRY();
  { fn(); }
  PG_CATCH();
  {
    MemoryContextSwitchTo(ctx);
    edata = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (edata == nullptr)
    return;
  const char *state = unpack_sql_state(edata->sqlerrcode);
  std::string message = edata->message ? edata->message : "";
  std::string detail = edata->detail ? edata->detail : "";
  std::string hint = edata->hint ? edata->hint : "";
  FreeErrorData(edata);
  throw Error(state, std::move(message), std::move(detail), std::move(hint));
}

std::string text_arg(FunctionCallInfo fcinfo, int argno) {
  std::string out;
  pg_call([&] {
    text *t = PG_GETARG_TEXT_PP(argno);
    out.assign(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  });
  return out;
}

Datum text_datum(const std::string &s) {
  return pg_call([&] {
    return PointerGetDatum(cstring_to_text_with_len(s.data(), s.size()));
  });
}

Datum bytea_datum(const std::string &s) {
  return pg_call([&] {
    bytea *b = static_cast<bytea *>(palloc(VARHDRSZ + s.size()));
    SET_VARSIZE(b, VARHDRSZ + s.size());
    memcpy(VARDATA(b), s.data(), s.size());
    return PointerGetDatum(b);
  });
}

static std::vector<void (*)()> &guc_definitions() {
  static std::vector<void (*)()> defs;
  return defs;
}

GucRegistrar::GucRegistrar(void (*define)()) {
  guc_definitions().push_back(define);
}

void define_all_gucs() {
  for (auto define : guc_definitions())
    define();
}

} // namespace switchboard::pg

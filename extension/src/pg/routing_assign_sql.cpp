// public.assign_conversation(p_conversation_id uuid) returns uuid, in C.
//
// Strict rotation holds the queue's lock from the cursor read to commit, so
// every microsecond spent after the lock is paid once per assignment by the
// whole queue: with 16 callers the queue runs at 1 / (critical section).
// The PL/pgSQL version spent a good part of that section in the interpreter
// (a SECURITY DEFINER and two SET clauses to restore on exit, a loop query
// plus one locking query per candidate). Here the section is four prepared
// statements: the lock, the conversation row with the cursor, one query that
// walks the agents in rotation order and locks the first eligible one, and
// the UPDATE (whose BEFORE trigger makes the exact capacity count).
//
// Same contract, same lock order (scope lock, conversation row, agent row),
// same errors as the PL/pgSQL version it replaces (functions/routing.sql).
// The function is SECURITY DEFINER without a SET clause: every name in the
// SQL below is schema-qualified, operators included, so a caller's
// search_path cannot change what it runs.
#include "boundary.hpp"
#include "spi_plans.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/uuid.h"

// switchboard.current_org_id() (claims_sql.cpp)
Datum sb_current_org_id(PG_FUNCTION_ARGS);
}

#include <cstring>

#include "switchboard/lock_key.hpp"

namespace switchboard::pg {
void routing_triggers_prepare(); // routing_triggers_sql.cpp
}

namespace {

struct Conv {
  bool found = false;
  bool status_null = true;
  char status[16] = {};
  bool has_queue = false;
  pg_uuid_t queue{};
  bool has_agent = false;
  pg_uuid_t agent{};
  bool has_cursor = false;
  pg_uuid_t cursor{};
};

SPIPlanPtr plan_find, plan_get, plan_org, plan_access, plan_lock_conv,
    plan_pick, plan_update;

SPIPlanPtr keep(const char *sql, int nargs, Oid *types) {
  return switchboard::pg::keep_generic_plan("routing", sql, nargs, types);
}

void prepare_plans() {
  if (plan_update != nullptr)
    return;
  Oid u1[1] = {UUIDOID};
  Oid u2[2] = {UUIDOID, UUIDOID};
  Oid u3[3] = {UUIDOID, UUIDOID, UUIDOID};
  Oid u4[4] = {UUIDOID, UUIDOID, UUIDOID, UUIDOID};
  // the caller's own conversation (or, without claims, the only one with
  // this id): LIMIT 2 tells "one" from "ambiguous"
  plan_find =
      keep("SELECT c.org_id, c.status, c.queue_id, c.assigned_agent_id "
           "FROM public.conversations c "
           "WHERE c.id OPERATOR(pg_catalog.=) $1 "
           "AND ($2 IS NULL OR c.org_id OPERATOR(pg_catalog.=) $2) LIMIT 2",
           2, u2);
  plan_org = keep("SELECT switchboard.routing_conversation_org($1)", 1, u1);
  plan_get = keep("SELECT c.status, c.queue_id, c.assigned_agent_id "
                  "FROM public.conversations c "
                  "WHERE c.org_id OPERATOR(pg_catalog.=) $1 "
                  "AND c.id OPERATOR(pg_catalog.=) $2",
                  2, u2);
  plan_access = keep("SELECT switchboard.assert_org_access($1, "
                     "'{owner,admin,agent}'::pg_catalog.text[])",
                     1, u1);
  // the conversation row and the rotation cursor (the agent of the scope's
  // latest auto history row, written by the previous lock holder) at once
  plan_lock_conv =
      keep("SELECT c.status, c.queue_id, c.assigned_agent_id, "
           "(SELECT h.agent_id FROM public.conversation_assignments h "
           "WHERE h.org_id OPERATOR(pg_catalog.=) $1 "
           "AND h.scope_id OPERATOR(pg_catalog.=) $3 "
           "AND h.reason OPERATOR(pg_catalog.=) 'auto'::pg_catalog.text "
           "ORDER BY h.id DESC LIMIT 1) "
           "FROM public.conversations c "
           "WHERE c.org_id OPERATOR(pg_catalog.=) $1 "
           "AND c.id OPERATOR(pg_catalog.=) $2 FOR NO KEY UPDATE OF c",
           3, u3);
  // The first eligible agent with lo < id <= hi, in id order, locked. The
  // scan walks the primary key in order and stops at the first agent that
  // passes, so only that agent's load is counted and only its row is locked
  // (an agent that looks full is passed over without its lock). A row
  // changed by a concurrent commit is re-checked on its latest version before
  // it is locked. The count here is a filter; the exact one is the BEFORE
  // trigger's, in the UPDATE, whose snapshot follows the row lock.
  plan_pick =
      keep("SELECT a.id FROM public.agents a "
           "WHERE a.org_id OPERATOR(pg_catalog.=) $1 "
           "AND ($3 IS NULL OR a.id OPERATOR(pg_catalog.>) $3) "
           "AND ($4 IS NULL OR a.id OPERATOR(pg_catalog.<=) $4) "
           "AND a.status OPERATOR(pg_catalog.=) 'available'::pg_catalog.text "
           "AND a.max_concurrent OPERATOR(pg_catalog.>) 0 "
           "AND ($2 IS NULL OR EXISTS (SELECT 1 FROM public.queue_members m "
           "WHERE m.org_id OPERATOR(pg_catalog.=) $1 "
           "AND m.queue_id OPERATOR(pg_catalog.=) $2 "
           "AND m.agent_id OPERATOR(pg_catalog.=) a.id)) "
           "AND (SELECT pg_catalog.count(*) FROM public.conversations c "
           "WHERE c.org_id OPERATOR(pg_catalog.=) $1 "
           "AND c.assigned_agent_id OPERATOR(pg_catalog.=) a.id "
           "AND c.status OPERATOR(pg_catalog.=) ANY "
           "('{open,pending}'::pg_catalog.text[])) "
           "OPERATOR(pg_catalog.<) a.max_concurrent "
           "ORDER BY a.id LIMIT 1 FOR NO KEY UPDATE OF a",
           4, u4);
  plan_update = keep("UPDATE public.conversations SET assigned_agent_id = $3 "
                     "WHERE org_id OPERATOR(pg_catalog.=) $1 "
                     "AND id OPERATOR(pg_catalog.=) $2",
                     3, u3);
}

Datum uuid_param(const pg_uuid_t *u) {
  return UUIDPGetDatum(const_cast<pg_uuid_t *>(u));
}

bool get_uuid(HeapTuple tup, TupleDesc desc, int col, pg_uuid_t *out) {
  bool isnull;
  Datum d = SPI_getbinval(tup, desc, col, &isnull);
  if (!isnull)
    memcpy(out->data, DatumGetUUIDP(d)->data, UUID_LEN);
  return !isnull;
}

void get_status(HeapTuple tup, TupleDesc desc, int col, Conv *c) {
  bool isnull;
  Datum d = SPI_getbinval(tup, desc, col, &isnull);
  c->status_null = isnull;
  c->status[0] = '\0';
  if (!isnull)
    text_to_cstring_buffer(DatumGetTextPP(d), c->status, sizeof(c->status));
}

// status, queue_id, assigned_agent_id (and the cursor when asked) of the
// first SPI row, from column `first` on
void read_conv(int first, bool with_cursor, Conv *c) {
  HeapTuple t = SPI_tuptable->vals[0];
  TupleDesc d = SPI_tuptable->tupdesc;
  get_status(t, d, first, c);
  c->has_queue = get_uuid(t, d, first + 1, &c->queue);
  c->has_agent = get_uuid(t, d, first + 2, &c->agent);
  if (with_cursor)
    c->has_cursor = get_uuid(t, d, first + 3, &c->cursor);
}

bool is_active(const Conv &c) {
  return !c.status_null &&
         (strcmp(c.status, "open") == 0 || strcmp(c.status, "pending") == 0);
}

void set_reason(const char *value) {
  set_config_option("switchboard_routing.reason", value, PGC_USERSET,
                    PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

// The next eligible agent with lo < id <= hi (either bound may be absent),
// locked; false when there is none.
bool pick(const pg_uuid_t &org, const Conv &conv, const pg_uuid_t *lo,
          const pg_uuid_t *hi, pg_uuid_t *out) {
  Datum args[4] = {
      uuid_param(&org), conv.has_queue ? uuid_param(&conv.queue) : (Datum)0,
      lo ? uuid_param(lo) : (Datum)0, hi ? uuid_param(hi) : (Datum)0};
  char nulls[4] = {' ', conv.has_queue ? ' ' : 'n', lo ? ' ' : 'n',
                   hi ? ' ' : 'n'};
  if (SPI_execute_plan(plan_pick, args, nulls, false, 1) != SPI_OK_SELECT)
    elog(ERROR, "routing: agent pick failed");
  if (SPI_processed == 0)
    return false;
  return get_uuid(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, out);
}

// Gives the locked conversation to the next eligible agent of its rotation.
// The history row the conversation trigger writes advances the cursor.
bool assign_locked(const pg_uuid_t &org, const pg_uuid_t &conv_id,
                   const Conv &conv, pg_uuid_t *agent) {
  // first the agents after the cursor, then from the start up to it
  const pg_uuid_t *cursor = conv.has_cursor ? &conv.cursor : nullptr;
  pg_uuid_t lo{};
  bool have_lo = cursor != nullptr;
  if (have_lo)
    lo = *cursor;
  bool wrapped = false;
  for (;;) {
    const pg_uuid_t *hi = wrapped ? cursor : nullptr;
    if (!pick(org, conv, have_lo ? &lo : nullptr, hi, agent)) {
      if (wrapped || cursor == nullptr)
        return false;
      wrapped = true;
      have_lo = false;
      continue;
    }
    // With the reason 'auto' the BEFORE trigger leaves the row untouched
    // (no error) when its exact count finds the agent full, and the
    // rotation goes on to the next agent.
    set_reason("auto");
    Datum args[3] = {uuid_param(&org), uuid_param(&conv_id), uuid_param(agent)};
    if (SPI_execute_plan(plan_update, args, nullptr, false, 0) != SPI_OK_UPDATE)
      elog(ERROR, "routing: assignment update failed");
    bool done = SPI_processed == 1;
    set_reason("");
    if (done)
      return true;
    lo = *agent;
    have_lo = true;
  }
}

Datum assign_conversation(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("p_conversation_id is required")));
  pg_uuid_t conv_id;
  memcpy(conv_id.data, PG_GETARG_UUID_P(0)->data, UUID_LEN);

  // the caller's org from the claims (NULL for the backend)
  LOCAL_FCINFO(claims_fcinfo, 0);
  InitFunctionCallInfoData(*claims_fcinfo, nullptr, 0, InvalidOid, nullptr,
                           nullptr);
  Datum claims = sb_current_org_id(claims_fcinfo);
  bool has_claims_org = !claims_fcinfo->isnull;
  pg_uuid_t claims_org{};
  if (has_claims_org)
    memcpy(claims_org.data, DatumGetUUIDP(claims)->data, UUID_LEN);

  if (SPI_connect() != SPI_OK_CONNECT)
    elog(ERROR, "routing: SPI_connect failed");
  // a new backend plans here, before the lock: these statements and the
  // conversations triggers' (which run inside the critical section)
  prepare_plans();
  switchboard::pg::routing_triggers_prepare();

  pg_uuid_t org{};
  Conv conv;
  {
    Datum args[2] = {uuid_param(&conv_id),
                     has_claims_org ? uuid_param(&claims_org) : (Datum)0};
    char nulls[2] = {' ', has_claims_org ? ' ' : 'n'};
    if (SPI_execute_plan(plan_find, args, nulls, true, 2) != SPI_OK_SELECT)
      elog(ERROR, "routing: conversation lookup failed");
    if (SPI_processed == 1) {
      get_uuid(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &org);
      read_conv(2, false, &conv);
    } else {
      // not the caller's, unknown, or the same id in several orgs: the slow
      // path decides between not found, ambiguous and another org's
      if (SPI_execute_plan(plan_org, args, nullptr, true, 1) != SPI_OK_SELECT ||
          SPI_processed != 1 ||
          !get_uuid(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &org))
        elog(ERROR, "routing: conversation org lookup failed");
      Datum gargs[2] = {uuid_param(&org), uuid_param(&conv_id)};
      if (SPI_execute_plan(plan_get, gargs, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "routing: conversation lookup failed");
      if (SPI_processed == 1)
        read_conv(1, false, &conv);
    }
  }
  {
    Datum args[1] = {uuid_param(&org)};
    if (SPI_execute_plan(plan_access, args, nullptr, false, 1) != SPI_OK_SELECT)
      elog(ERROR, "routing: access check failed");
  }

  bool locked = false;
  pg_uuid_t locked_scope{};
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!conv.status_null && !is_active(conv))
      ereport(ERROR,
              (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
               errmsg("conversation is %s", conv.status),
               errhint("only open or pending conversations can be assigned")));
    if (conv.has_agent) {
      SPI_finish();
      pg_uuid_t *out = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
      *out = conv.agent;
      PG_RETURN_UUID_P(out);
    }
    // the critical section: scope lock, then the conversation row, then the
    // agent row (the global lock order), held until commit
    const pg_uuid_t &scope = conv.has_queue ? conv.queue : org;
    if (!locked || memcmp(locked_scope.data, scope.data, UUID_LEN) != 0) {
      locked_scope = scope;
      locked = true;
      switchboard::Uuid o, s;
      memcpy(o.data(), org.data, UUID_LEN);
      memcpy(s.data(), locked_scope.data, UUID_LEN);
      switchboard::LockKey k = switchboard::lock_key("routing", o, s);
      DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(k.space),
                          Int32GetDatum(k.object));
    }
    Datum args[3] = {uuid_param(&org), uuid_param(&conv_id),
                     uuid_param(&locked_scope)};
    if (SPI_execute_plan(plan_lock_conv, args, nullptr, false, 1) !=
        SPI_OK_SELECT)
      elog(ERROR, "routing: conversation lock failed");
    if (SPI_processed == 0)
      ereport(ERROR, (errcode(MAKE_SQLSTATE('P', '0', '0', '0', '2')),
                      errmsg("conversation not found")));
    conv = Conv();
    read_conv(1, true, &conv);
    const pg_uuid_t &now_scope = conv.has_queue ? conv.queue : org;
    if (is_active(conv) && !conv.has_agent &&
        memcmp(now_scope.data, locked_scope.data, UUID_LEN) == 0) {
      pg_uuid_t agent;
      bool done = assign_locked(org, conv_id, conv, &agent);
      SPI_finish();
      if (!done)
        PG_RETURN_NULL();
      pg_uuid_t *out = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
      *out = agent;
      PG_RETURN_UUID_P(out);
    }
    // the conversation changed (closed, assigned, or moved to another
    // queue) between the first read and the lock: decide again
  }
  ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                  errmsg("conversation keeps moving between queues; retry")));
  return (Datum)0;
}

} // namespace

// No C++ object is alive inside: a PostgreSQL error unwinds through
// pg_call's PG_TRY and is raised again with its SQLSTATE, detail and hint.
SWITCHBOARD_FUNCTION(sb_assign_conversation) {
  bool isnull = false;
  Datum result = switchboard::pg::pg_call([&] {
    Datum d = assign_conversation(fcinfo);
    isnull = fcinfo->isnull;
    return d;
  });
  fcinfo->isnull = isnull;
  return result;
}

// The two row triggers of public.conversations in C:
// switchboard.routing_conversation_before() (timestamps, SLA due time, the
// capacity backstop under the agent row lock) and
// switchboard.routing_conversation_after() (the assignment history).
//
// They fire on every conversation write, twice inside the routing critical
// section (the queue lock is held to commit). The PL/pgSQL versions paid a
// SECURITY DEFINER plus SET search_path switch and the interpreter on every
// call; here each trigger is one or two kept plans. Same behaviour, errors and
// lock order as the PL/pgSQL versions they replace (functions/routing.sql,
// restored by migrations/revert/routing_triggers_c.sql).
//
// Both functions are SECURITY DEFINER without a SET clause: every name in the
// SQL below is schema-qualified, operators and aggregates included, so a
// caller's search_path cannot change what it runs.
//
// The bodies hold only plain C data: SPI and ereport run directly (rule 3 of
// the boundary), so a PostgreSQL error reaches the caller unchanged (SQLSTATE,
// constraint and table names, context), as it did from PL/pgSQL.
#include "boundary.hpp"
#include "spi_plans.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

#include <cstring>

namespace {

// ------------------------------------------------------------------ columns

// The columns of public.conversations the triggers read or write, by name.
// Attribute numbers are cached and checked again (name, type, not dropped) on
// every use, so a rebuilt table is looked up afresh.
struct Column {
  const char *name;
  Oid type;
  int attnum;
};

enum ColumnId {
  kId,
  kOrgId,
  kStatus,
  kPriority,
  kQueueId,
  kAssignedAgentId,
  kAssignedAt,
  kCapacityOverrideAgentId,
  kSlaDueAt,
  kFirstResponseAt,
  kClosedAt,
  kCreatedAt,
  kUpdatedAt,
  kColumnCount
};

Column columns[kColumnCount] = {
    {"id", UUIDOID, 0},
    {"org_id", UUIDOID, 0},
    {"status", TEXTOID, 0},
    {"priority", TEXTOID, 0},
    {"queue_id", UUIDOID, 0},
    {"assigned_agent_id", UUIDOID, 0},
    {"assigned_at", TIMESTAMPTZOID, 0},
    {"capacity_override_agent_id", UUIDOID, 0},
    {"sla_due_at", TIMESTAMPTZOID, 0},
    {"first_response_at", TIMESTAMPTZOID, 0},
    {"closed_at", TIMESTAMPTZOID, 0},
    {"created_at", TIMESTAMPTZOID, 0},
    {"updated_at", TIMESTAMPTZOID, 0},
};

bool column_matches(TupleDesc desc, int attnum, const Column &c) {
  if (attnum <= 0 || attnum > desc->natts)
    return false;
  Form_pg_attribute a = TupleDescAttr(desc, attnum - 1);
  return !a->attisdropped && a->atttypid == c.type &&
         strcmp(NameStr(a->attname), c.name) == 0;
}

int attnum(TupleDesc desc, ColumnId id) {
  Column &c = columns[id];
  if (column_matches(desc, c.attnum, c))
    return c.attnum;
  int n = SPI_fnumber(desc, c.name);
  if (n <= 0 || TupleDescAttr(desc, n - 1)->attisdropped)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("record \"new\" has no field \"%s\"", c.name)));
  if (!column_matches(desc, n, c))
    ereport(ERROR,
            (errcode(ERRCODE_DATATYPE_MISMATCH),
             errmsg("routing trigger: column \"%s\" has an unexpected type",
                    c.name)));
  c.attnum = n;
  return n;
}

Datum get(HeapTuple tup, TupleDesc desc, ColumnId id, bool *isnull) {
  return heap_getattr(tup, attnum(desc, id), desc, isnull);
}

bool uuid_distinct(bool a_null, Datum a, bool b_null, Datum b) {
  if (a_null || b_null)
    return a_null != b_null;
  return memcmp(DatumGetUUIDP(a)->data, DatumGetUUIDP(b)->data, UUID_LEN) != 0;
}

bool text_is(Datum d, const char *s) {
  text *t = DatumGetTextPP(d);
  size_t n = strlen(s);
  return VARSIZE_ANY_EXHDR(t) == n && memcmp(VARDATA_ANY(t), s, n) == 0;
}

// text IS DISTINCT FROM text (deterministic collation: byte equality)
bool text_distinct(bool a_null, Datum a, bool b_null, Datum b) {
  if (a_null || b_null)
    return a_null != b_null;
  text *ta = DatumGetTextPP(a);
  text *tb = DatumGetTextPP(b);
  return VARSIZE_ANY_EXHDR(ta) != VARSIZE_ANY_EXHDR(tb) ||
         memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) != 0;
}

bool is_active_status(Datum d) {
  return text_is(d, "open") || text_is(d, "pending");
}

// The changes a BEFORE trigger makes to NEW, applied at the end.
struct Changes {
  int cols[kColumnCount];
  Datum vals[kColumnCount];
  bool nulls[kColumnCount];
  int n;
};

void change(Changes *ch, TupleDesc desc, ColumnId id, Datum value,
            bool isnull) {
  int col = attnum(desc, id);
  for (int i = 0; i < ch->n; ++i)
    if (ch->cols[i] == col) {
      ch->vals[i] = value;
      ch->nulls[i] = isnull;
      return;
    }
  ch->cols[ch->n] = col;
  ch->vals[ch->n] = value;
  ch->nulls[ch->n] = isnull;
  ++ch->n;
}

// ------------------------------------------------------------------ plans

SPIPlanPtr plan_sla, plan_agent, plan_load, plan_history;

SPIPlanPtr keep(const char *sql, int nargs, Oid *types) {
  return switchboard::pg::keep_generic_plan("routing trigger", sql, nargs,
                                            types);
}

void prepare_before_plans() {
  if (plan_load != nullptr)
    return;
  Oid ut[2] = {UUIDOID, TEXTOID};
  Oid uu[2] = {UUIDOID, UUIDOID};
  if (plan_sla == nullptr)
    plan_sla =
        keep("SELECT p.first_response_minutes FROM public.sla_policies p "
             "WHERE p.org_id OPERATOR(pg_catalog.=) $1 "
             "AND p.priority OPERATOR(pg_catalog.=) $2",
             2, ut);
  if (plan_agent == nullptr)
    plan_agent = keep("SELECT a.status, a.max_concurrent FROM public.agents a "
                      "WHERE a.org_id OPERATOR(pg_catalog.=) $1 "
                      "AND a.id OPERATOR(pg_catalog.=) $2 FOR NO KEY UPDATE",
                      2, uu);
  // served by the partial index conversations_agent_active_idx
  plan_load = keep("SELECT pg_catalog.count(*) FROM public.conversations c "
                   "WHERE c.org_id OPERATOR(pg_catalog.=) $1 "
                   "AND c.assigned_agent_id OPERATOR(pg_catalog.=) $2 "
                   "AND c.status OPERATOR(pg_catalog.=) ANY "
                   "('{open,pending}'::pg_catalog.text[])",
                   2, uu);
}

void prepare_after_plans() {
  if (plan_history != nullptr)
    return;
  Oid t[8] = {UUIDOID, UUIDOID, UUIDOID, UUIDOID,
              TEXTOID, UUIDOID, BOOLOID, TEXTOID};
  plan_history =
      keep("INSERT INTO public.conversation_assignments "
           "(org_id, conversation_id, agent_id, previous_agent_id, reason, "
           "scope_id, over_capacity, note, actor_user_id, actor_role) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
           "switchboard.current_user_id(), switchboard.caller_role())",
           8, t);
}

// Connects on first use (a trigger call that needs no query pays nothing).
// The flag is the caller's own: trigger calls may nest.
void spi_connect(bool *connected) {
  if (*connected)
    return;
  if (SPI_connect() != SPI_OK_CONNECT)
    elog(ERROR, "routing trigger: SPI_connect failed");
  *connected = true;
}

void spi_finish(bool *connected) {
  if (!*connected)
    return;
  *connected = false;
  if (SPI_finish() != SPI_OK_FINISH)
    elog(ERROR, "routing trigger: SPI_finish failed");
}

// current_setting(name, true) = value; a missing or empty setting is not
const char *guc_value(const char *name) {
  const char *v = GetConfigOption(name, true, false);
  return v == nullptr ? "" : v;
}

TriggerData *row_trigger(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("trigger functions can only be called as triggers")));
  TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
      !(TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
        TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("routing triggers fire for each row on INSERT or UPDATE")));
  return td;
}

// ------------------------------------------------------------------ BEFORE

Datum conversation_before(FunctionCallInfo fcinfo) {
  TriggerData *td = row_trigger(fcinfo);
  TupleDesc desc = RelationGetDescr(td->tg_relation);
  bool is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
  HeapTuple newtup = is_insert ? td->tg_trigtuple : td->tg_newtuple;
  HeapTuple oldtup = is_insert ? nullptr : td->tg_trigtuple;
  Datum now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  Changes ch;
  ch.n = 0;
  bool connected = false;

  change(&ch, desc, kUpdatedAt, now, false);
  bool status_null, closed_null;
  Datum status = get(newtup, desc, kStatus, &status_null);
  get(newtup, desc, kClosedAt, &closed_null);
  if (!status_null && text_is(status, "closed")) {
    if (closed_null)
      change(&ch, desc, kClosedAt, now, false);
  } else {
    change(&ch, desc, kClosedAt, (Datum)0, true);
  }

  bool org_null, priority_null;
  Datum org = get(newtup, desc, kOrgId, &org_null);
  Datum priority = get(newtup, desc, kPriority, &priority_null);
  bool priority_changed = is_insert;
  if (!is_insert) {
    bool old_null;
    Datum old = get(oldtup, desc, kPriority, &old_null);
    priority_changed = text_distinct(priority_null, priority, old_null, old);
  }
  if (priority_changed) {
    bool first_null;
    get(newtup, desc, kFirstResponseAt, &first_null);
    if (first_null) {
      bool minutes_null = true;
      int32 minutes = 0;
      // equality with NULL finds no policy: no need to ask
      if (!org_null && !priority_null) {
        spi_connect(&connected);
        prepare_before_plans();
        Datum args[2] = {org, priority};
        if (SPI_execute_plan(plan_sla, args, nullptr, false, 1) !=
            SPI_OK_SELECT)
          elog(ERROR, "routing trigger: SLA policy lookup failed");
        if (SPI_processed > 0) {
          Datum m = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
                                  1, &minutes_null);
          if (!minutes_null)
            minutes = DatumGetInt32(m);
        }
      }
      bool created_null;
      Datum created = get(newtup, desc, kCreatedAt, &created_null);
      if (minutes_null || created_null) {
        change(&ch, desc, kSlaDueAt, (Datum)0, true);
      } else {
        // created_at + make_interval(mins => minutes)
        Interval span;
        span.time =
            minutes * (static_cast<int64>(SECS_PER_MINUTE) * USECS_PER_SEC);
        span.day = 0;
        span.month = 0;
        Datum due = DirectFunctionCall2(timestamptz_pl_interval, created,
                                        PointerGetDatum(&span));
        change(&ch, desc, kSlaDueAt, due, false);
      }
    }
  }

  bool agent_null;
  Datum agent = get(newtup, desc, kAssignedAgentId, &agent_null);
  bool agent_changed = is_insert;
  if (!is_insert) {
    bool old_null;
    Datum old = get(oldtup, desc, kAssignedAgentId, &old_null);
    agent_changed = uuid_distinct(agent_null, agent, old_null, old);
  }
  if (agent_changed)
    change(&ch, desc, kAssignedAt, now, agent_null);
  // an override is granted for one agent and lapses when the agent changes
  bool override_null;
  Datum override_agent =
      get(newtup, desc, kCapacityOverrideAgentId, &override_null);
  if (uuid_distinct(override_null, override_agent, agent_null, agent)) {
    change(&ch, desc, kCapacityOverrideAgentId, (Datum)0, true);
    override_null = true;
  }

  bool reactivated = false;
  bool check_load = false;
  // NEW.assigned_agent_id IS NULL OR NEW.status NOT IN ('open', 'pending'):
  // a NULL status is not known to be inactive, so it goes on
  if (!agent_null && (status_null || is_active_status(status))) {
    if (agent_changed) {
      check_load = true;
    } else {
      bool old_null;
      Datum old_status = get(oldtup, desc, kStatus, &old_null);
      if (!old_null && !is_active_status(old_status)) {
        check_load = true;
        reactivated = true;
      }
    }
  }

  if (check_load) {
    // under REPEATABLE READ the count below would read the transaction's
    // old snapshot and miss concurrent assignments: refuse rather than
    // overshoot (SERIALIZABLE is safe: SSI aborts one of two writers that
    // count each other)
    if (XactIsoLevel == XACT_REPEATABLE_READ)
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("assigning conversations needs READ COMMITTED or "
                      "SERIALIZABLE isolation"),
               errhint("run the assignment in a READ COMMITTED transaction")));
    // the row lock makes the count exact: every other writer that adds load
    // to this agent holds the same lock until it commits, and the count's
    // fresh snapshot sees all of them. Equality with a NULL org finds no
    // agent: the foreign key reports it.
    bool found = false;
    bool offline = false, full = false;
    int64 load = 0;
    int32 max = 0;
    if (!org_null) {
      spi_connect(&connected);
      prepare_before_plans();
      Datum args[2] = {org, agent};
      if (SPI_execute_plan(plan_agent, args, nullptr, false, 1) !=
          SPI_OK_SELECT)
        elog(ERROR, "routing trigger: agent lock failed");
      if (SPI_processed > 0) {
        found = true;
        HeapTuple t = SPI_tuptable->vals[0];
        TupleDesc d = SPI_tuptable->tupdesc;
        bool a_status_null, max_null;
        Datum a_status = SPI_getbinval(t, d, 1, &a_status_null);
        Datum m = SPI_getbinval(t, d, 2, &max_null);
        offline = !a_status_null && text_is(a_status, "offline");
        if (SPI_execute_plan(plan_load, args, nullptr, false, 1) !=
                SPI_OK_SELECT ||
            SPI_processed != 1)
          elog(ERROR, "routing trigger: load count failed");
        bool load_null;
        load = DatumGetInt64(SPI_getbinval(
            SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &load_null));
        // v_load is an int in the PL/pgSQL version
        if (load > PG_INT32_MAX)
          ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                          errmsg("integer out of range")));
        if (!max_null) {
          max = DatumGetInt32(m);
          full = load >= max;
        }
      }
    }
    if (found && (offline || full) && override_null) {
      if (reactivated) {
        // reopening must not fail (an inbound message reopens a snoozed
        // conversation): the conversation goes back to the backlog instead
        set_config_option("switchboard_routing.reason", "release",
                          superuser() ? PGC_SUSET : PGC_USERSET, PGC_S_SESSION,
                          GUC_ACTION_LOCAL, true, 0, false);
        change(&ch, desc, kAssignedAgentId, (Datum)0, true);
        change(&ch, desc, kAssignedAt, (Datum)0, true);
      } else if (!is_insert &&
                 strcmp(guc_value("switchboard_routing.reason"), "auto") == 0) {
        // a rotation offering the conversation to this agent (routing sets
        // the reason): refused the same way, but the row is left as it was
        // and the rotation goes on to the next agent
        spi_finish(&connected);
        return PointerGetDatum(nullptr);
      } else if (offline) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("agent is offline"),
                        errhint("assign to an agent who is not offline")));
      } else {
        ereport(ERROR,
                (errcode(ERRCODE_EXCLUSION_VIOLATION),
                 errmsg("agent is at capacity"),
                 errdetail("the agent holds %d open or pending conversations "
                           "of max_concurrent %d",
                           static_cast<int>(load), max),
                 errhint("an owner or admin may assign past capacity with "
                         "manual_assign_conversation(..., "
                         "p_allow_over_capacity => true)")));
      }
    }
  }

  spi_finish(&connected);
  HeapTuple out =
      heap_modify_tuple_by_cols(newtup, desc, ch.n, ch.cols, ch.vals, ch.nulls);
  return PointerGetDatum(out);
}

// ------------------------------------------------------------------ AFTER

Datum conversation_after(FunctionCallInfo fcinfo) {
  TriggerData *td = row_trigger(fcinfo);
  TupleDesc desc = RelationGetDescr(td->tg_relation);
  bool is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
  HeapTuple newtup = is_insert ? td->tg_trigtuple : td->tg_newtuple;
  const char *reason_setting = guc_value("switchboard_routing.reason");

  bool agent_null, old_null = true;
  Datum agent = get(newtup, desc, kAssignedAgentId, &agent_null);
  Datum old_agent = (Datum)0;
  if (!is_insert)
    old_agent = get(td->tg_trigtuple, desc, kAssignedAgentId, &old_null);
  if (!uuid_distinct(agent_null, agent, old_null, old_agent))
    return PointerGetDatum(nullptr);

  const char *reason;
  if (agent_null)
    reason = "release";
  else if (strcmp(reason_setting, "auto") == 0)
    reason = "auto";
  else if (strcmp(reason_setting, "manual") == 0)
    reason = old_null ? "manual" : "reassign";
  else
    reason = old_null ? "manual" : "reassign";

  bool org_null, id_null, queue_null, override_null;
  Datum org = get(newtup, desc, kOrgId, &org_null);
  Datum id = get(newtup, desc, kId, &id_null);
  Datum queue = get(newtup, desc, kQueueId, &queue_null);
  get(newtup, desc, kCapacityOverrideAgentId, &override_null);
  bool is_auto = strcmp(reason, "auto") == 0;
  // CASE WHEN reason = 'auto' THEN coalesce(NEW.queue_id, NEW.org_id) END
  Datum scope = (Datum)0;
  bool scope_null = true;
  if (is_auto) {
    if (!queue_null) {
      scope = queue;
      scope_null = false;
    } else if (!org_null) {
      scope = org;
      scope_null = false;
    }
  }
  const char *note = guc_value("switchboard_routing.note");

  bool connected = false;
  spi_connect(&connected);
  prepare_after_plans();
  Datum args[8] = {org,
                   id,
                   agent,
                   old_agent,
                   CStringGetTextDatum(reason),
                   scope,
                   BoolGetDatum(!override_null),
                   note[0] != '\0' ? CStringGetTextDatum(note) : (Datum)0};
  char nulls[8] = {org_null ? 'n' : ' ',
                   id_null ? 'n' : ' ',
                   agent_null ? 'n' : ' ',
                   old_null ? 'n' : ' ',
                   ' ',
                   scope_null ? 'n' : ' ',
                   ' ',
                   note[0] != '\0' ? ' ' : 'n'};
  if (SPI_execute_plan(plan_history, args, nulls, false, 0) != SPI_OK_INSERT)
    elog(ERROR, "routing trigger: assignment history insert failed");
  spi_finish(&connected);
  return PointerGetDatum(nullptr);
}

} // namespace

namespace switchboard::pg {
// Prepares both triggers' plans (the caller is connected to SPI): a new
// backend's first assign_conversation calls it before taking the queue lock,
// so planning is not done inside the critical section.
void routing_triggers_prepare() {
  prepare_before_plans();
  prepare_after_plans();
}
} // namespace switchboard::pg

// No C++ object is alive in either body: PostgreSQL errors (raised here or
// by SPI) unwind straight to the caller, as they did from PL/pgSQL.
SWITCHBOARD_FUNCTION(sb_routing_conversation_before) {
  return conversation_before(fcinfo);
}

SWITCHBOARD_FUNCTION(sb_routing_conversation_after) {
  return conversation_after(fcinfo);
}

// Audit trail boundary: the statement-level trigger, the per-transaction
// buffer that is chained and written at commit, and the chain verifier.
//
// Why the buffer: a gap-free per-org chain needs one writer per org at a
// time. Taking the org's chain lock inside the trigger would hold it until
// commit and make every pair of concurrent writers in one org wait for each
// other (and deadlock with row locks taken later in the transaction). So the
// trigger only records entries in backend memory; at PRE_COMMIT (or
// PRE_PREPARE) the buffer takes the org's advisory lock, reads the chain
// head, hashes, inserts into audit_log and moves the head. The lock is held
// from that point to the commit record only, and different orgs never share
// it. switchboard.audit_flush() writes the buffer early (tests, huge
// transactions); the trigger does so itself past switchboard.audit_flush_rows.
//
// What keeps it cheap: for tables without a jsonb column the trigger builds
// each object's canonical encoding (the hash input) and its jsonb straight
// from the column values, with the key orders cached per table, and never
// makes JSON text (tables with a jsonb column keep the text path: JSON text
// hashed by the canonical encoder, jsonb built next to it). The flush opens
// audit_log's month partition, maps its columns and makes its insert slots
// before taking any lock, reads the head by an index lookup, writes the
// entries with table_multi_insert (as COPY does) and moves the head with a
// heap update of the row it read. The SPI statements remain as the fallback
// when audit_log or the heads table has triggers (or RLS, for the heads)
// that a direct write would skip; SPI is not even connected otherwise.
#include "boundary.hpp"
#include "spi_plans.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/execnodes.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "switchboard/audit.hpp"
#include "switchboard/lock_key.hpp"
#include "switchboard/redaction.hpp"
#include <string>

namespace {

using switchboard::pg::pg_call;
namespace sa = switchboard::audit;

// ---------------------------------------------------------------- settings

char *audit_reason = nullptr;
int audit_flush_rows = 50000;

// ------------------------------------------------------- table metadata cache

enum ColKind : char {
  kString = 's',      // output function, as a JSON string
  kBool = 'b',        // true / false
  kInteger = 'i',     // int2/int4/int8 as a JSON number
  kNumeric = 'n',     // numeric: a JSON number unless NaN/Infinity
  kJsonb = 'j',       // embedded as JSON
  kTimestamptz = 'T', // ISO 8601 in UTC, independent of the session TimeZone
  kDateTime = 'D',    // date/timestamp/time/timetz in ISO 8601
};

struct ColMeta {
  NameData name;
  Oid typid;
  Oid basetype;
  int16 typlen;
  bool typbyval;
  bool dropped;
  bool excluded;
  bool redact; // free text: stored through the redaction engine
  char kind;
  int name_len;
  FmgrInfo out;
};

struct TableMeta {
  Oid relid; // hash key
  bool valid;
  MemoryContext cxt;
  int natts;
  ColMeta *cols;
  AttrNumber org_attnum; // InvalidAttrNumber: no uuid org_id, nothing audited
  int npk;
  AttrNumber *pk;
  char *table_name;
  char *qualified_name;
  // direct: the canonical encoding is built from the column values (no JSON
  // text); false when a column's value is embedded JSON (jsonb), which takes
  // the text path of the canonical encoder
  bool direct;
  int nlive;           // non-dropped columns
  int *canon_order;    // them, by name bytewise (the canonical key order)
  int *jsonb_order;    // them, in jsonb's key order (length, then bytes)
  int *pk_canon_order; // the primary-key columns, the same two ways
  int *pk_jsonb_order;
  // a column's text can depend on search_path (regclass prints "t" or
  // "public.t"): the trigger pins search_path while it reads such a table
  bool pin_path;
};

HTAB *meta_cache = nullptr;
MemoryContext meta_root = nullptr;

// The audit tables' oids and audit_log's owner, looked up once per backend
// (five catalog lookups per commit otherwise); forgotten on any relcache
// invalidation of one of them (drop, rename, owner change).
struct LogOids {
  bool valid;
  Oid nsp, seqrel, logrel, headsrel, owner;
};
LogOids log_oids;
uint64 log_oids_gen = 0; // bumped by every invalidation that resets them

// audit_log's month partition this backend last wrote to: its created_at
// range [lo, hi) and its column map, so a commit opens it directly instead
// of routing through the root (ExecSetupPartitionTupleRouting,
// ExecFindPartition, a column map by name). Forgotten on any relcache
// invalidation of audit_log or of the partition (attach, detach, drop,
// ALTER), and checked again once the locks are held.
constexpr int kNLogCols = 18; // the audit_log columns the flush writes
struct MonthCache {
  bool valid;
  Oid root, part;
  TimestampTz lo, hi;
  int att[kNLogCols]; // kLogCols in the partition's layout
};
MonthCache month;

void relcache_callback(Datum, Oid relid) {
  if (relid == InvalidOid || relid == log_oids.seqrel ||
      relid == log_oids.logrel || relid == log_oids.headsrel) {
    log_oids.valid = false;
    ++log_oids_gen;
  }
  if (relid == InvalidOid || relid == month.root || relid == month.part)
    month.valid = false;
  if (meta_cache == nullptr)
    return;
  if (relid == InvalidOid) {
    HASH_SEQ_STATUS st;
    hash_seq_init(&st, meta_cache);
    TableMeta *m;
    while ((m = static_cast<TableMeta *>(hash_seq_search(&st))) != nullptr)
      m->valid = false;
    return;
  }
  auto *m = static_cast<TableMeta *>(
      hash_search(meta_cache, &relid, HASH_FIND, nullptr));
  if (m != nullptr)
    m->valid = false;
}

char kind_of(Oid typid) {
  switch (typid) {
  case BOOLOID:
    return kBool;
  case INT2OID:
  case INT4OID:
  case INT8OID:
    return kInteger;
  case NUMERICOID:
    return kNumeric;
  case JSONBOID:
    return kJsonb;
  case TIMESTAMPTZOID:
    return kTimestamptz;
  case DATEOID:
  case TIMESTAMPOID:
  case TIMEOID:
  case TIMETZOID:
    return kDateTime;
  default:
    return kString;
  }
}

// Types whose output function prints the same text under every
// search_path: the trigger runs without a SET clause (a GUC switch on every
// audited statement), so any other type (reg*, composites, ranges, types
// of extensions) makes it pin search_path = pg_catalog for the statement.
bool path_safe(Oid typid) {
  Oid base = getBaseType(typid);
  Oid elem = get_element_type(base);
  if (OidIsValid(elem))
    base = getBaseType(elem);
  switch (base) {
  case BOOLOID:
  case INT2OID:
  case INT4OID:
  case INT8OID:
  case NUMERICOID:
  case FLOAT4OID:
  case FLOAT8OID:
  case JSONBOID:
  case JSONOID:
  case TIMESTAMPTZOID:
  case TIMESTAMPOID:
  case DATEOID:
  case TIMEOID:
  case TIMETZOID:
  case INTERVALOID:
  case UUIDOID:
  case TEXTOID:
  case VARCHAROID:
  case BPCHAROID:
  case CHAROID:
  case NAMEOID:
  case BYTEAOID:
  case INETOID:
  case CIDROID:
    return true;
  default:
    return get_typtype(base) == TYPTYPE_ENUM;
  }
}

// Secrets are never audited, whatever enable_audit was told (hard rule).
bool always_excluded(Relation rel, const char *col) {
  if (strcmp(col, "secret") == 0)
    return true;
  (void)rel;
  return false;
}

TableMeta *get_meta(Relation rel, Trigger *trigger) {
  if (meta_cache == nullptr) {
    meta_root = AllocSetContextCreate(
        TopMemoryContext, "switchboard audit meta", ALLOCSET_SMALL_SIZES);
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(TableMeta);
    ctl.hcxt = meta_root;
    meta_cache = hash_create("switchboard audit tables", 64, &ctl,
                             HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  Oid relid = RelationGetRelid(rel);
  bool found;
  auto *m = static_cast<TableMeta *>(
      hash_search(meta_cache, &relid, HASH_ENTER, &found));
  if (found && m->valid)
    return m;
  if (!found)
    m->cxt = nullptr;
  if (m->cxt != nullptr)
    MemoryContextDelete(m->cxt);
  m->valid = false;
  m->cxt = AllocSetContextCreate(meta_root, "switchboard audit table",
                                 ALLOCSET_SMALL_SIZES);
  MemoryContext old = MemoryContextSwitchTo(m->cxt);
  TupleDesc desc = RelationGetDescr(rel);
  m->natts = desc->natts;
  m->cols =
      static_cast<ColMeta *>(palloc0(sizeof(ColMeta) * (desc->natts + 1)));
  m->org_attnum = InvalidAttrNumber;
  m->pin_path = false;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    ColMeta *c = &m->cols[i];
    c->dropped = att->attisdropped;
    if (c->dropped)
      continue;
    namestrcpy(&c->name, NameStr(att->attname));
    c->typid = att->atttypid;
    c->typlen = att->attlen;
    c->typbyval = att->attbyval;
    c->basetype = getBaseType(att->atttypid);
    c->kind = kind_of(c->basetype);
    Oid outfn;
    bool varlena;
    getTypeOutputInfo(att->atttypid, &outfn, &varlena);
    fmgr_info_cxt(outfn, &c->out, m->cxt);
    c->excluded = always_excluded(rel, NameStr(att->attname));
    // trigger arguments: "col" excludes a column, "redact:col" redacts it
    for (int a = 0; trigger != nullptr && a < trigger->tgnargs; ++a) {
      const char *arg = trigger->tgargs[a];
      if (strncmp(arg, "redact:", 7) == 0) {
        if (strcmp(arg + 7, NameStr(att->attname)) == 0)
          c->redact = true;
      } else if (strcmp(arg, NameStr(att->attname)) == 0) {
        c->excluded = true;
      }
    }
    if (strcmp(NameStr(att->attname), "org_id") == 0 &&
        att->atttypid == UUIDOID)
      m->org_attnum = att->attnum;
    if (!c->excluded && !path_safe(att->atttypid))
      m->pin_path = true;
  }
  Bitmapset *pk =
      RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
  m->npk = 0;
  m->pk = static_cast<AttrNumber *>(
      palloc0(sizeof(AttrNumber) * (bms_num_members(pk) + 1)));
  for (int x = -1; (x = bms_next_member(pk, x)) >= 0;) {
    AttrNumber attnum = x + FirstLowInvalidHeapAttributeNumber;
    if (attnum > 0)
      m->pk[m->npk++] = attnum;
  }
  // key orders, computed once: canonical (bytewise) and jsonb (length first)
  m->nlive = 0;
  m->direct = true;
  m->canon_order = static_cast<int *>(palloc0(sizeof(int) * (m->natts + 1)));
  m->jsonb_order = static_cast<int *>(palloc0(sizeof(int) * (m->natts + 1)));
  for (int i = 0; i < m->natts; ++i) {
    ColMeta *c = &m->cols[i];
    if (c->dropped)
      continue;
    c->name_len = static_cast<int>(strlen(NameStr(c->name)));
    m->canon_order[m->nlive] = i;
    m->jsonb_order[m->nlive] = i;
    ++m->nlive;
    if (c->kind == kJsonb && !c->excluded)
      m->direct = false;
  }
  for (int k = 0; k < m->npk; ++k)
    if (m->cols[m->pk[k] - 1].kind == kJsonb)
      m->direct = false;
  m->pk_canon_order = static_cast<int *>(palloc0(sizeof(int) * (m->npk + 1)));
  m->pk_jsonb_order = static_cast<int *>(palloc0(sizeof(int) * (m->npk + 1)));
  for (int k = 0; k < m->npk; ++k)
    m->pk_canon_order[k] = m->pk_jsonb_order[k] = m->pk[k] - 1;
  ColMeta *cols = m->cols;
  auto bytewise = [cols](int a, int b) {
    return strcmp(NameStr(cols[a].name), NameStr(cols[b].name)) < 0;
  };
  auto jsonb_wise = [cols](int a, int b) {
    if (cols[a].name_len != cols[b].name_len)
      return cols[a].name_len < cols[b].name_len;
    return memcmp(NameStr(cols[a].name), NameStr(cols[b].name),
                  cols[a].name_len) < 0;
  };
  std::sort(m->canon_order, m->canon_order + m->nlive, bytewise);
  std::sort(m->jsonb_order, m->jsonb_order + m->nlive, jsonb_wise);
  std::sort(m->pk_canon_order, m->pk_canon_order + m->npk, bytewise);
  std::sort(m->pk_jsonb_order, m->pk_jsonb_order + m->npk, jsonb_wise);
  const char *nsp = get_namespace_name(RelationGetNamespace(rel));
  const char *rname = RelationGetRelationName(rel);
  m->table_name = strcmp(nsp, "public") == 0 ? pstrdup(rname)
                                             : psprintf("%s.%s", nsp, rname);
  m->qualified_name = pstrdup(quote_qualified_identifier(nsp, rname));
  MemoryContextSwitchTo(old);
  m->valid = true;
  return m;
}

// ------------------------------------------------------ the pending buffer

struct PendingStmt {
  char *table_name;
  bool has_actor;
  pg_uuid_t actor;
  char *actor_role;
  char *session_user;
  char *current_user;
  char *reason;
};

struct PendingEntry {
  SubTransactionId subid;
  SubTransactionId flushed_subid; // Invalid: not written yet
  pg_uuid_t org;
  int32 stmt;
  char op;        // I U D T
  bool canonical; // pk/oldv/newv hold their canonical encoding, not JSON text
  char *pk;
  char *oldv;
  char *newv;
  uint32 pk_len; // their lengths
  uint32 old_len;
  uint32 new_len;
  Jsonb *pkj; // the same values as jsonb (NULL: parse the text)
  Jsonb *oldj;
  Jsonb *newj;
  int64 row_count; // TRUNCATE only, else -1
};

MemoryContext buf_cxt = nullptr;
// The entries' texts, canonical encodings and jsonb values: a generation
// context packs them end to end (an AllocSet rounds each chunk up to a power
// of two, ~1.5x the memory for a typical row, every page of it faulted in).
MemoryContext payload_cxt = nullptr;
PendingEntry *entries = nullptr;
int64 n_entries = 0;
int64 cap_entries = 0;
int64 n_unflushed = 0;
PendingStmt *stmts = nullptr;
int32 n_stmts = 0;
int32 cap_stmts = 0;

void reset_buffer() {
  entries = nullptr;
  stmts = nullptr;
  n_entries = cap_entries = n_unflushed = 0;
  n_stmts = cap_stmts = 0;
  if (buf_cxt != nullptr)
    MemoryContextReset(buf_cxt);
  if (payload_cxt != nullptr)
    MemoryContextReset(payload_cxt);
}

PendingEntry *new_entry() {
  if (n_entries == cap_entries) {
    int64 cap = cap_entries == 0 ? 64 : cap_entries * 2;
    if (static_cast<Size>(cap) * sizeof(PendingEntry) >= MaxAllocHugeSize)
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("too many audit entries in one transaction")));
    entries = entries == nullptr
                  ? static_cast<PendingEntry *>(MemoryContextAllocHuge(
                        buf_cxt, cap * sizeof(PendingEntry)))
                  : static_cast<PendingEntry *>(
                        repalloc_huge(entries, cap * sizeof(PendingEntry)));
    cap_entries = cap;
  }
  PendingEntry *e = &entries[n_entries++];
  memset(e, 0, sizeof *e);
  e->subid = GetCurrentSubTransactionId();
  e->flushed_subid = InvalidSubTransactionId;
  e->row_count = -1;
  ++n_unflushed;
  return e;
}

char *buf_copy(const char *s, int len) {
  char *out = static_cast<char *>(MemoryContextAlloc(payload_cxt, len + 1));
  memcpy(out, s, len);
  out[len] = '\0';
  return out;
}
char *buf_strdup(const char *s) {
  return s == nullptr ? nullptr : buf_copy(s, strlen(s));
}

bool is_uuid_text(const char *s, int len) {
  if (len != 36)
    return false;
  for (int i = 0; i < 36; ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !isxdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

// Actor of the current statement: claims.sub (PostgREST), the request's
// role, the session and current user, and the transaction-local reason.
int32 capture_statement(TableMeta *meta) {
  if (n_stmts == cap_stmts) {
    int32 cap = cap_stmts == 0 ? 16 : cap_stmts * 2;
    stmts = stmts == nullptr ? static_cast<PendingStmt *>(MemoryContextAlloc(
                                   buf_cxt, cap * sizeof(PendingStmt)))
                             : static_cast<PendingStmt *>(
                                   repalloc(stmts, cap * sizeof(PendingStmt)));
    cap_stmts = cap;
  }
  PendingStmt *s = &stmts[n_stmts];
  memset(s, 0, sizeof *s);
  s->table_name = buf_strdup(meta->table_name);
  const char *claims = GetConfigOption("request.jwt.claims", true, false);
  if (claims != nullptr && claims[0] != '\0') {
    MemoryContext cxt = CurrentMemoryContext;
    Jsonb *volatile jb = nullptr;
    PG_TRY();
    {
      jb = DatumGetJsonbP(
          DirectFunctionCall1(jsonb_in, CStringGetDatum(claims)));
    }
    PG_CATCH();
    {
      // malformed claims: the statement is still audited, without an actor
      MemoryContextSwitchTo(cxt);
      FlushErrorState();
      jb = nullptr;
    }
    PG_END_TRY();
    if (jb != nullptr && JB_ROOT_IS_OBJECT(jb)) {
      JsonbValue v;
      if (getKeyJsonValueFromContainer(&jb->root, "sub", 3, &v) != nullptr &&
          v.type == jbvString &&
          is_uuid_text(v.val.string.val, v.val.string.len)) {
        char *txt = pnstrdup(v.val.string.val, v.val.string.len);
        pg_uuid_t *u =
            DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(txt)));
        s->actor = *u;
        s->has_actor = true;
      }
    }
  }
  // the request's role as switchboard.caller_role() sees it: its SET ROLE
  // (PostgREST sets the claims' role), else the login role
  char *session_user = GetUserNameFromId(GetSessionUserId(), false);
  const char *role = GetConfigOption("role", false, false);
  s->actor_role = buf_strdup(
      role != nullptr && strcmp(role, "none") != 0 ? role : session_user);
  s->session_user = buf_strdup(session_user);
  s->current_user = buf_strdup(GetUserNameFromId(GetUserId(), false));
  if (audit_reason != nullptr && audit_reason[0] != '\0')
    s->reason = buf_strdup(audit_reason);
  return n_stmts++;
}

// ------------------------------------------------------------ JSON building

// The redaction engine's output for one value. Lives outside any stack frame
// so a PostgreSQL error (longjmp) can never skip its destructor, and every
// C++ exception is caught here: this runs inside pg_call.
std::string redacted_value;
const char *redact_value(const char *text) {
  try {
    redacted_value = switchboard::redact_text(text);
  } catch (...) {
    try {
      redacted_value.assign("[REDACTED]");
    } catch (...) {
      redacted_value.clear();
    }
  }
  return redacted_value.c_str();
}

// One JSON object built twice at once: as text (hashed by the canonical
// encoder, byte for byte what jsonb's text form gives back) and as jsonb (the
// column value written to audit_log, with no text parsing at the flush).
struct JOut {
  StringInfo buf;
  JsonbParseState *js;
  bool first;
};

void jout_begin(JOut *o, StringInfo buf) {
  o->buf = buf;
  o->js = nullptr;
  o->first = true;
  resetStringInfo(buf);
  appendStringInfoChar(buf, '{');
  pushJsonbValue(&o->js, WJB_BEGIN_OBJECT, nullptr);
}

void jout_key(JOut *o, ColMeta *c) {
  if (!o->first)
    appendStringInfoChar(o->buf, ',');
  o->first = false;
  escape_json(o->buf, NameStr(c->name));
  appendStringInfoChar(o->buf, ':');
  JsonbValue k;
  k.type = jbvString;
  k.val.string.val = NameStr(c->name);
  k.val.string.len = static_cast<int>(strlen(NameStr(c->name)));
  pushJsonbValue(&o->js, WJB_KEY, &k);
}

void jout_string(JOut *o, const char *str) {
  escape_json(o->buf, str);
  JsonbValue v;
  // a copy: str may live in a stack buffer or in the redaction engine's
  // reused string, and the jsonb is only built at jout_end
  v.type = jbvString;
  v.val.string.len = static_cast<int>(strlen(str));
  v.val.string.val = pnstrdup(str, v.val.string.len);
  pushJsonbValue(&o->js, WJB_VALUE, &v);
}

void jout_null(JOut *o) {
  appendStringInfoString(o->buf, "null");
  JsonbValue v;
  v.type = jbvNull;
  pushJsonbValue(&o->js, WJB_VALUE, &v);
}

const char *kExcluded = "[excluded]";

void jout_value(JOut *o, ColMeta *c, Datum d, bool isnull) {
  if (isnull) {
    jout_null(o);
    return;
  }
  JsonbValue v;
  switch (c->kind) {
  case kBool:
    appendStringInfoString(o->buf, DatumGetBool(d) ? "true" : "false");
    v.type = jbvBool;
    v.val.boolean = DatumGetBool(d);
    pushJsonbValue(&o->js, WJB_VALUE, &v);
    return;
  case kInteger: {
    appendStringInfoString(o->buf, OutputFunctionCall(&c->out, d));
    int64 i = c->basetype == INT2OID   ? DatumGetInt16(d)
              : c->basetype == INT4OID ? DatumGetInt32(d)
                                       : DatumGetInt64(d);
    v.type = jbvNumeric;
    v.val.numeric = int64_to_numeric(i);
    pushJsonbValue(&o->js, WJB_VALUE, &v);
    return;
  }
  case kNumeric: {
    char *s = OutputFunctionCall(&c->out, d);
    if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 ||
        strcmp(s, "-Infinity") == 0) {
      jout_string(o, s);
      return;
    }
    appendStringInfoString(o->buf, s);
    v.type = jbvNumeric;
    v.val.numeric = DatumGetNumeric(d);
    pushJsonbValue(&o->js, WJB_VALUE, &v);
    return;
  }
  case kJsonb: {
    Jsonb *jb = DatumGetJsonbP(d);
    JsonbToCString(o->buf, &jb->root, VARSIZE(jb));
    if (JB_ROOT_IS_SCALAR(jb)) {
      if (!JsonbExtractScalar(&jb->root, &v))
        elog(ERROR, "audit: malformed scalar jsonb");
    } else {
      v.type = jbvBinary;
      v.val.binary.data = &jb->root;
      v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
    }
    pushJsonbValue(&o->js, WJB_VALUE, &v);
    return;
  }
  case kTimestamptz: {
    char tmp[MAXDATELEN + 1];
    const int utc = 0;
    jout_string(o, JsonEncodeDateTime(tmp, d, TIMESTAMPTZOID, &utc));
    return;
  }
  case kDateTime: {
    char tmp[MAXDATELEN + 1];
    jout_string(o, JsonEncodeDateTime(tmp, d, c->basetype, nullptr));
    return;
  }
  default:
    if (c->redact)
      jout_string(o, redact_value(OutputFunctionCall(&c->out, d)));
    else
      jout_string(o, OutputFunctionCall(&c->out, d));
    return;
  }
}

// Ends the object: its text and its jsonb, both copied into the buffer.
void jout_end(JOut *o, char **text, Jsonb **jb) {
  appendStringInfoChar(o->buf, '}');
  *text = buf_copy(o->buf->data, o->buf->len);
  JsonbValue *res = pushJsonbValue(&o->js, WJB_END_OBJECT, nullptr);
  Jsonb *j = JsonbValueToJsonb(res); // in a 1 kB+ buffer: keep a tight copy
  *jb = static_cast<Jsonb *>(MemoryContextAlloc(payload_cxt, VARSIZE(j)));
  memcpy(*jb, j, VARSIZE(j));
}

// All columns of a row (INSERT, DELETE); excluded non-null values become a
// marker.
void row_json(StringInfo buf, TableMeta *m, TupleTableSlot *slot, char **text,
              Jsonb **jb) {
  JOut o;
  jout_begin(&o, buf);
  for (int i = 0; i < m->natts; ++i) {
    ColMeta *c = &m->cols[i];
    if (c->dropped)
      continue;
    jout_key(&o, c);
    if (c->excluded && !slot->tts_isnull[i])
      jout_string(&o, kExcluded);
    else
      jout_value(&o, c, slot->tts_values[i], slot->tts_isnull[i]);
  }
  jout_end(&o, text, jb);
}

void pk_json(StringInfo buf, TableMeta *m, TupleTableSlot *slot, char **text,
             Jsonb **jb) {
  if (m->npk == 0) {
    *text = nullptr;
    *jb = nullptr;
    return;
  }
  JOut o;
  jout_begin(&o, buf);
  for (int k = 0; k < m->npk; ++k) {
    int i = m->pk[k] - 1;
    ColMeta *c = &m->cols[i];
    jout_key(&o, c);
    jout_value(&o, c, slot->tts_values[i], slot->tts_isnull[i]);
  }
  jout_end(&o, text, jb);
}

// ------------------------------------------- the direct canonical encoder
//
// For tables without embedded JSON (no jsonb column), the trigger builds each
// object's canonical encoding straight from the column values, next to its
// jsonb, and never produces JSON text: byte for byte what the text path gives
// (canonical_json of jsonb's text form, as verify_audit_chain computes it;
// tests/unit/audit_canon_test.cpp and the pgTAP chain checks pin it).

// One column's value, computed once and written to both forms.
struct Val {
  char t; // 'n' null, 'b' boolean, 'd' number, 's' string
  bool b;
  const char *s; // 's': the string; 'd': its canonical number
  int len;
  Numeric num; // 'd': the value for jsonb
};

// The last timestamp of each column and its text: bulk writes often carry
// one value (a now() default) in every row.
struct TsCache {
  bool valid;
  Datum d;
  int len;
  char txt[MAXDATELEN + 1];
};

// Appends to a StringInfo without a call per append (many are 1-5 bytes).
struct StrOut {
  StringInfo s;
  void append(const char *p, std::size_t n) {
    if (static_cast<std::size_t>(s->maxlen - s->len) <= n)
      enlargeStringInfo(s, static_cast<int>(n));
    memcpy(s->data + s->len, p, n);
    s->len += static_cast<int>(n);
  }
};

const char kHex[] = "0123456789abcdef";

// Text of a value as its type's output function prints it, without the call
// for the common types; the result lives in the current (row) context.
void string_of(ColMeta *c, Datum d, Val *v) {
  switch (c->basetype) {
  case UUIDOID: {
    const pg_uuid_t *u = DatumGetUUIDP(d);
    char *out = static_cast<char *>(palloc(37));
    int o = 0;
    for (int i = 0; i < UUID_LEN; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[o++] = '-';
      out[o++] = kHex[u->data[i] >> 4];
      out[o++] = kHex[u->data[i] & 0xf];
    }
    out[o] = '\0';
    v->s = out;
    v->len = o;
    return;
  }
  case TEXTOID:
  case VARCHAROID:
  case BPCHAROID: {
    // textout/varcharout/bpcharout print the bytes as they are
    struct varlena *t = pg_detoast_datum_packed(
        reinterpret_cast<struct varlena *>(DatumGetPointer(d)));
    v->s = VARDATA_ANY(t);
    v->len = static_cast<int>(VARSIZE_ANY_EXHDR(t));
    return;
  }
  default: {
    char *out = OutputFunctionCall(&c->out, d);
    v->s = out;
    v->len = static_cast<int>(strlen(out));
  }
  }
}

void number_of(const char *text, int len, Val *v) {
  char *out = static_cast<char *>(
      palloc(sa::canon::decimal_capacity(static_cast<std::size_t>(len))));
  std::size_t n = sa::canon::decimal(
      std::string_view(text, static_cast<std::size_t>(len)), out);
  if (n == 0)
    elog(ERROR, "audit: unexpected number text \"%s\"", text);
  v->t = 'd';
  v->s = out;
  v->len = static_cast<int>(n);
}

// The value of column c as the text path would see it: excluded non-null
// values as the marker, the JSON kinds of kind_of(), redaction applied.
void value_of(ColMeta *c, Datum d, bool isnull, bool excluded, TsCache *tc,
              Val *v) {
  if (isnull) {
    v->t = 'n';
    return;
  }
  if (excluded) {
    v->t = 's';
    v->s = kExcluded;
    v->len = static_cast<int>(strlen(kExcluded));
    return;
  }
  switch (c->kind) {
  case kBool:
    v->t = 'b';
    v->b = DatumGetBool(d);
    return;
  case kInteger: {
    int64 i = c->basetype == INT2OID   ? DatumGetInt16(d)
              : c->basetype == INT4OID ? DatumGetInt32(d)
                                       : DatumGetInt64(d);
    char txt[MAXINT8LEN + 1];
    int len = pg_lltoa(i, txt);
    number_of(txt, len, v);
    v->num = int64_to_numeric(i);
    return;
  }
  case kNumeric: {
    char *txt = OutputFunctionCall(&c->out, d);
    if (strcmp(txt, "NaN") == 0 || strcmp(txt, "Infinity") == 0 ||
        strcmp(txt, "-Infinity") == 0) {
      v->t = 's';
      v->s = txt;
      v->len = static_cast<int>(strlen(txt));
      return;
    }
    number_of(txt, static_cast<int>(strlen(txt)), v);
    v->num = DatumGetNumeric(d);
    return;
  }
  case kTimestamptz:
  case kDateTime: {
    v->t = 's';
    if (c->typbyval && tc->valid && tc->d == d) {
      v->s = tc->txt;
      v->len = tc->len;
      return;
    }
    char tmp[MAXDATELEN + 1];
    const int utc = 0;
    const char *txt = c->kind == kTimestamptz
                          ? JsonEncodeDateTime(tmp, d, TIMESTAMPTZOID, &utc)
                          : JsonEncodeDateTime(tmp, d, c->basetype, nullptr);
    int len = static_cast<int>(strlen(txt));
    if (c->typbyval && len <= MAXDATELEN) {
      memcpy(tc->txt, txt, len + 1);
      tc->len = len;
      tc->d = d;
      tc->valid = true;
      v->s = tc->txt; // stable until the next row of this column
    } else {
      v->s = pnstrdup(txt, len);
    }
    v->len = len;
    return;
  }
  case kJsonb:
    elog(ERROR, "audit: a jsonb column on the direct path");
    return;
  default:
    v->t = 's';
    if (c->redact) {
      // a copy: the redaction engine reuses its output buffer
      const char *r = redact_value(OutputFunctionCall(&c->out, d));
      v->len = static_cast<int>(strlen(r));
      v->s = pnstrdup(r, v->len);
    } else {
      string_of(c, d, v);
    }
    return;
  }
}

void canon_member(StrOut &o, ColMeta *c, const Val &v) {
  sa::canon::key(o, NameStr(c->name), static_cast<std::size_t>(c->name_len));
  switch (v.t) {
  case 'n':
    sa::canon::null(o);
    return;
  case 'b':
    sa::canon::boolean(o, v.b);
    return;
  case 'd':
    sa::canon::number(o, v.s, static_cast<std::size_t>(v.len));
    return;
  default:
    sa::canon::string(o, v.s, static_cast<std::size_t>(v.len));
  }
}

// The jsonb of a flat object, written straight into the buffer the way
// convertToJsonb lays it out: the object header, the keys' then the values'
// JEntries (every JB_OFFSET_STRIDE'th one an end offset instead of a length),
// the keys in jsonb's order (length first, then bytes), then the key and
// value bytes, numerics padded to a 4-byte boundary from the datum's start.
// No JsonbValue tree, no sort, no copy (the pgTAP tests compare the result
// with what jsonb_in builds from its text).
Jsonb *direct_jsonb(TableMeta *m, const int *jsonb_order, int n,
                    const bool *use, int nused, const Val *vals) {
  Size size = VARHDRSZ + sizeof(uint32) + 2 * sizeof(JEntry) * nused;
  for (int k = 0; k < n; ++k) {
    int i = jsonb_order[k];
    if (use != nullptr && !use[i])
      continue;
    size += m->cols[i].name_len;
    if (vals[i].t == 's')
      size += vals[i].len;
    else if (vals[i].t == 'd')
      size += VARSIZE_ANY(vals[i].num) + 3;
  }
  char *buf = static_cast<char *>(MemoryContextAlloc(payload_cxt, size));
  uint32 header = static_cast<uint32>(nused) | JB_FOBJECT;
  memcpy(buf + VARHDRSZ, &header, sizeof header);
  Size jentries = VARHDRSZ + sizeof(uint32);
  Size pos = jentries + 2 * sizeof(JEntry) * nused;
  uint32 totallen = 0;
  auto put_entry = [&](int slot, uint32 type, uint32 len) {
    totallen += len;
    JEntry meta = type | len;
    if (slot % JB_OFFSET_STRIDE == 0)
      meta = type | totallen | JENTRY_HAS_OFF;
    memcpy(buf + jentries + sizeof(JEntry) * slot, &meta, sizeof meta);
  };
  int slot = 0;
  for (int k = 0; k < n; ++k) {
    int i = jsonb_order[k];
    if (use != nullptr && !use[i])
      continue;
    ColMeta *c = &m->cols[i];
    memcpy(buf + pos, NameStr(c->name), c->name_len);
    pos += c->name_len;
    put_entry(slot++, JENTRY_ISSTRING, static_cast<uint32>(c->name_len));
  }
  for (int k = 0; k < n; ++k) {
    int i = jsonb_order[k];
    if (use != nullptr && !use[i])
      continue;
    const Val &v = vals[i];
    switch (v.t) {
    case 'n':
      put_entry(slot++, JENTRY_ISNULL, 0);
      break;
    case 'b':
      put_entry(slot++, v.b ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE, 0);
      break;
    case 'd': {
      Size pad = INTALIGN(pos) - pos;
      memset(buf + pos, 0, pad);
      pos += pad;
      Size numlen = VARSIZE_ANY(v.num);
      memcpy(buf + pos, v.num, numlen);
      pos += numlen;
      put_entry(slot++, JENTRY_ISNUMERIC, static_cast<uint32>(pad + numlen));
      break;
    }
    default:
      memcpy(buf + pos, v.s, v.len);
      pos += v.len;
      put_entry(slot++, JENTRY_ISSTRING, static_cast<uint32>(v.len));
    }
    if (totallen > JENTRY_OFFLENMASK)
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("total size of jsonb object elements exceeds the "
                             "maximum of %d bytes",
                             JENTRY_OFFLENMASK)));
  }
  if (pos - VARHDRSZ > JENTRY_OFFLENMASK)
    ereport(ERROR,
            (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
             errmsg("total size of jsonb object elements exceeds the maximum "
                    "of %d bytes",
                    JENTRY_OFFLENMASK)));
  SET_VARSIZE(buf, pos);
  return reinterpret_cast<Jsonb *>(buf);
}

// One object from vals[] of the columns order[0..n) whose `use` flag is set
// (NULL: all): its canonical encoding and its jsonb, copied into the buffer.
void encode_object(StringInfo cbuf, TableMeta *m, const int *canon_order,
                   const int *jsonb_order, int n, const bool *use, int nused,
                   const Val *vals, char **canon, uint32 *len, Jsonb **jb) {
  resetStringInfo(cbuf);
  StrOut o{cbuf};
  sa::canon::object(o, static_cast<std::uint32_t>(nused));
  for (int k = 0; k < n; ++k) {
    int i = canon_order[k];
    if (use == nullptr || use[i])
      canon_member(o, &m->cols[i], vals[i]);
  }
  *canon = buf_copy(cbuf->data, cbuf->len);
  *len = static_cast<uint32>(cbuf->len);
  *jb = direct_jsonb(m, jsonb_order, n, use, nused, vals);
}

// Per trigger call: the column values of the row being encoded.
struct DirectWork {
  StringInfoData cbuf;
  Val *vals;  // natts
  Val *pvals; // natts: primary key (never excluded)
  Val *ovals; // natts: UPDATE's old values
  bool *use;  // natts
  TsCache *tc;
  TsCache *otc;
};

void direct_init(DirectWork *w, TableMeta *m) {
  initStringInfo(&w->cbuf);
  w->vals = static_cast<Val *>(palloc0(sizeof(Val) * (m->natts + 1)));
  w->pvals = static_cast<Val *>(palloc0(sizeof(Val) * (m->natts + 1)));
  w->ovals = static_cast<Val *>(palloc0(sizeof(Val) * (m->natts + 1)));
  w->use = static_cast<bool *>(palloc0(sizeof(bool) * (m->natts + 1)));
  w->tc = static_cast<TsCache *>(palloc0(sizeof(TsCache) * (m->natts + 1)));
  w->otc = static_cast<TsCache *>(palloc0(sizeof(TsCache) * (m->natts + 1)));
}

// row_vals: the row's values from the same slot (INSERT, DELETE), reused for
// the key columns that are not excluded; NULL: computed here.
void direct_pk(DirectWork *w, TableMeta *m, TupleTableSlot *slot,
               PendingEntry *e, const Val *row_vals) {
  if (m->npk == 0) {
    e->pk = nullptr;
    e->pkj = nullptr;
    return;
  }
  for (int k = 0; k < m->npk; ++k) {
    int i = m->pk[k] - 1;
    if (row_vals != nullptr && !m->cols[i].excluded)
      w->pvals[i] = row_vals[i];
    else
      value_of(&m->cols[i], slot->tts_values[i], slot->tts_isnull[i], false,
               &w->tc[i], &w->pvals[i]);
  }
  encode_object(&w->cbuf, m, m->pk_canon_order, m->pk_jsonb_order, m->npk,
                nullptr, m->npk, w->pvals, &e->pk, &e->pk_len, &e->pkj);
}

// INSERT (new row) or DELETE (old row): every column.
void direct_row(DirectWork *w, TableMeta *m, TupleTableSlot *slot,
                PendingEntry *e, bool ins) {
  for (int k = 0; k < m->nlive; ++k) {
    int i = m->canon_order[k];
    ColMeta *c = &m->cols[i];
    value_of(c, slot->tts_values[i], slot->tts_isnull[i], c->excluded,
             &w->tc[i], &w->vals[i]);
  }
  direct_pk(w, m, slot, e, w->vals);
  if (ins)
    encode_object(&w->cbuf, m, m->canon_order, m->jsonb_order, m->nlive,
                  nullptr, m->nlive, w->vals, &e->newv, &e->new_len, &e->newj);
  else
    encode_object(&w->cbuf, m, m->canon_order, m->jsonb_order, m->nlive,
                  nullptr, m->nlive, w->vals, &e->oldv, &e->old_len, &e->oldj);
}

bool values_equal(ColMeta *c, Datum a, bool anull, Datum b, bool bnull) {
  if (anull || bnull)
    return anull && bnull;
  if (datumIsEqual(a, b, c->typbyval, c->typlen))
    return true;
  if (c->typlen != -1)
    return false;
  // same value, different storage (compressed, external, short header)
  struct varlena *va = pg_detoast_datum_packed(
      reinterpret_cast<struct varlena *>(DatumGetPointer(a)));
  struct varlena *vb = pg_detoast_datum_packed(
      reinterpret_cast<struct varlena *>(DatumGetPointer(b)));
  return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
         memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
}

void set_org(PendingEntry *e, TableMeta *m, TupleTableSlot *slot) {
  int i = m->org_attnum - 1;
  if (slot->tts_isnull[i])
    memset(e->org.data, 0, UUID_LEN);
  else
    e->org = *DatumGetUUIDP(slot->tts_values[i]);
}

TupleTableSlot *start_read(Tuplestorestate *ts, TupleDesc desc) {
  int ptr = tuplestore_alloc_read_pointer(ts, 0);
  tuplestore_select_read_pointer(ts, ptr);
  tuplestore_rescan(ts);
  return MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
}

void ensure_buffer() {
  if (buf_cxt == nullptr)
    buf_cxt = AllocSetContextCreate(
        TopMemoryContext, "switchboard audit buffer", ALLOCSET_DEFAULT_SIZES);
  if (payload_cxt == nullptr)
    payload_cxt =
        GenerationContextCreate(TopMemoryContext, "switchboard audit values", 0,
                                8 * 1024, 8 * 1024 * 1024);
}

void record_truncate(TableMeta *m, int32 stmt) {
  Oid save_user;
  int save_sec;
  GetUserIdAndSecContext(&save_user, &save_sec);
  // count every org's rows, whatever the caller's RLS would show
  SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
                         save_sec | SECURITY_LOCAL_USERID_CHANGE);
  if (SPI_connect() != SPI_OK_CONNECT)
    elog(ERROR, "SPI_connect failed");
  char *sql = psprintf(
      "SELECT org_id, pg_catalog.count(*) FROM ONLY %s GROUP BY org_id "
      "ORDER BY org_id",
      m->qualified_name);
  if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
    elog(ERROR, "audit: counting rows for TRUNCATE failed");
  for (uint64 r = 0; r < SPI_processed; ++r) {
    bool null_org, null_n;
    Datum org = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1,
                              &null_org);
    Datum n =
        SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &null_n);
    PendingEntry *e = new_entry();
    if (null_org)
      memset(e->org.data, 0, UUID_LEN);
    else
      e->org = *DatumGetUUIDP(org);
    e->stmt = stmt;
    e->op = 'T';
    e->row_count = DatumGetInt64(n);
  }
  SPI_finish();
  SetUserIdAndSecContext(save_user, save_sec);
}

void audit_trigger_impl(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("audit_trigger must be called as a trigger")));
  TriggerData *td = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("audit_trigger must be a statement-level trigger")));
  Relation rel = td->tg_relation;
  TableMeta *m = get_meta(rel, td->tg_trigger);
  if (m->org_attnum == InvalidAttrNumber)
    return; // not a tenant table: there is no org chain to write to
  // as a SET clause would, for this table only (undone by an error's abort)
  int guc_level = -1;
  if (m->pin_path) {
    guc_level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog", PGC_USERSET,
                            PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  }
  ensure_buffer();
  int32 stmt = -1;
  TupleDesc desc = RelationGetDescr(rel);
  // work_cxt: buffers and slots of this call; row_cxt: per-row garbage
  MemoryContext work_cxt =
      AllocSetContextCreate(CurrentMemoryContext, "switchboard audit trigger",
                            ALLOCSET_DEFAULT_SIZES);
  MemoryContext row_cxt = AllocSetContextCreate(
      work_cxt, "switchboard audit row", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work_cxt);
  StringInfoData buf;
  initStringInfo(&buf);
  StringInfoData obuf;
  initStringInfo(&obuf);
  DirectWork dw;
  if (m->direct)
    direct_init(&dw, m);

  if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event)) {
    stmt = capture_statement(m);
    record_truncate(m, stmt);
  } else if (TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
             TRIGGER_FIRED_BY_DELETE(td->tg_event)) {
    bool ins = TRIGGER_FIRED_BY_INSERT(td->tg_event);
    Tuplestorestate *ts = ins ? td->tg_newtable : td->tg_oldtable;
    if (ts == nullptr)
      ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                      errmsg("audit_trigger needs a transition table"),
                      errhint("create it with switchboard.enable_audit()")));
    TupleTableSlot *slot = start_read(ts, desc);
    while (tuplestore_gettupleslot(ts, true, false, slot)) {
      if (stmt < 0)
        stmt = capture_statement(m);
      MemoryContextReset(row_cxt);
      MemoryContextSwitchTo(row_cxt);
      slot_getallattrs(slot);
      PendingEntry *e = new_entry();
      e->stmt = stmt;
      e->op = ins ? 'I' : 'D';
      set_org(e, m, slot);
      if (m->direct) {
        e->canonical = true;
        direct_row(&dw, m, slot, e, ins);
        MemoryContextSwitchTo(work_cxt);
        continue;
      }
      pk_json(&buf, m, slot, &e->pk, &e->pkj);
      if (ins)
        row_json(&buf, m, slot, &e->newv, &e->newj);
      else
        row_json(&buf, m, slot, &e->oldv, &e->oldj);
      MemoryContextSwitchTo(work_cxt);
    }
    ExecDropSingleTupleTableSlot(slot);
  } else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event)) {
    Tuplestorestate *ots = td->tg_oldtable, *nts = td->tg_newtable;
    if (ots == nullptr || nts == nullptr)
      ereport(ERROR,
              (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
               errmsg("audit_trigger needs old and new transition tables"),
               errhint("create it with switchboard.enable_audit()")));
    TupleTableSlot *os = start_read(ots, desc);
    TupleTableSlot *ns = start_read(nts, desc);
    for (;;) {
      bool have_old = tuplestore_gettupleslot(ots, true, false, os);
      bool have_new = tuplestore_gettupleslot(nts, true, false, ns);
      if (!have_old || !have_new)
        break;
      if (stmt < 0)
        stmt = capture_statement(m);
      MemoryContextReset(row_cxt);
      MemoryContextSwitchTo(row_cxt);
      slot_getallattrs(os);
      slot_getallattrs(ns);
      if (m->direct) {
        int nchanged = 0;
        for (int k = 0; k < m->nlive; ++k) {
          int i = m->canon_order[k];
          ColMeta *c = &m->cols[i];
          dw.use[i] = !values_equal(c, os->tts_values[i], os->tts_isnull[i],
                                    ns->tts_values[i], ns->tts_isnull[i]);
          if (!dw.use[i])
            continue;
          ++nchanged;
          value_of(c, os->tts_values[i], os->tts_isnull[i], c->excluded,
                   &dw.otc[i], &dw.ovals[i]);
          value_of(c, ns->tts_values[i], ns->tts_isnull[i], c->excluded,
                   &dw.tc[i], &dw.vals[i]);
        }
        if (nchanged > 0) {
          PendingEntry *e = new_entry();
          e->stmt = stmt;
          e->op = 'U';
          e->canonical = true;
          set_org(e, m, ns);
          encode_object(&dw.cbuf, m, m->canon_order, m->jsonb_order, m->nlive,
                        dw.use, nchanged, dw.ovals, &e->oldv, &e->old_len,
                        &e->oldj);
          encode_object(&dw.cbuf, m, m->canon_order, m->jsonb_order, m->nlive,
                        dw.use, nchanged, dw.vals, &e->newv, &e->new_len,
                        &e->newj);
          direct_pk(&dw, m, ns, e, nullptr);
        }
        MemoryContextSwitchTo(work_cxt);
        continue;
      }
      JOut no, oo;
      jout_begin(&no, &buf);
      jout_begin(&oo, &obuf);
      bool changed = false;
      for (int i = 0; i < m->natts; ++i) {
        ColMeta *c = &m->cols[i];
        if (c->dropped)
          continue;
        if (values_equal(c, os->tts_values[i], os->tts_isnull[i],
                         ns->tts_values[i], ns->tts_isnull[i]))
          continue;
        changed = true;
        jout_key(&oo, c);
        jout_key(&no, c);
        if (c->excluded) {
          if (os->tts_isnull[i])
            jout_null(&oo);
          else
            jout_string(&oo, kExcluded);
          if (ns->tts_isnull[i])
            jout_null(&no);
          else
            jout_string(&no, kExcluded);
        } else {
          jout_value(&oo, c, os->tts_values[i], os->tts_isnull[i]);
          jout_value(&no, c, ns->tts_values[i], ns->tts_isnull[i]);
        }
      }
      if (changed) {
        PendingEntry *e = new_entry();
        e->stmt = stmt;
        e->op = 'U';
        set_org(e, m, ns);
        jout_end(&oo, &e->oldv, &e->oldj);
        jout_end(&no, &e->newv, &e->newj);
        pk_json(&buf, m, ns, &e->pk, &e->pkj);
      }
      MemoryContextSwitchTo(work_cxt);
    }
    ExecDropSingleTupleTableSlot(os);
    ExecDropSingleTupleTableSlot(ns);
  }
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work_cxt);
  if (guc_level >= 0)
    AtEOXact_GUC(true, guc_level);
}

// -------------------------------------------------------------- the flush

struct DirectState;
DirectState *direct_open(Oid logrel, int64 n);

struct FlushState {
  int64 n;    // entries to write
  int64 *idx; // their positions in `entries`
  int norgs;
  pg_uuid_t *orgs; // sorted, distinct
  int *org_of;     // per entry: index into orgs
  bool *has_head;
  ItemPointerData *head_tid; // the head row version read under the lock
  HeapTuple *head_tup;       // and a copy of it
  bool heads_direct;         // heads moved by heap update, not SPI
  Oid heads_pk;              // their primary key
  bool spi;                  // connected to SPI (fallback statements only)
  Oid heads_oid;
  int64 *head_seq;
  uint8 *head_hash; // norgs * 32
  int64 *ids;
  int64 *seqs;
  uint8 *prev; // n * 32
  uint8 *hash; // n * 32
  int64 txid;
  TimestampTz created_at;
  Oid logrel;
  DirectState *direct;
  Oid save_user;
  int save_sec;
  MemoryContext cxt;
  MemoryContext old;
};

SPIPlanPtr plan_head_insert = nullptr;
SPIPlanPtr plan_head_update = nullptr;
SPIPlanPtr plan_insert = nullptr;
SPIPlanPtr plan_insert_head = nullptr;
SPIPlanPtr plan_one_head = nullptr;

SPIPlanPtr keep_plan(const char *sql, int nargs, Oid *types) {
  return switchboard::pg::keep_generic_plan("audit", sql, nargs, types);
}

void prepare_plans() {
  if (plan_head_insert != nullptr)
    return;
  Oid u[] = {UUIDOID, INT8OID, BYTEAOID};
  plan_head_insert = keep_plan("INSERT INTO switchboard.audit_chain_heads "
                               "(org_id, seq, hash) VALUES ($1, $2, $3)",
                               3, u);
  // by the row version flush_begin read (ctid, a TID scan whatever the
  // statistics say; a generic plan on org_id chose a seq scan of the heads)
  Oid ut[] = {UUIDOID, INT8OID, BYTEAOID, TIDOID};
  plan_head_update = keep_plan(
      "UPDATE switchboard.audit_chain_heads SET seq = $2, hash = $3, "
      "updated_at = pg_catalog.now() WHERE ctid OPERATOR(pg_catalog.=) $4 "
      "AND org_id OPERATOR(pg_catalog.=) $1",
      4, ut);
  Oid t[] = {INT8ARRAYOID,  UUIDARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
             TEXTARRAYOID,  TEXTARRAYOID, UUIDARRAYOID, TEXTARRAYOID,
             TEXTARRAYOID,  TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
             TEXTARRAYOID,  INT8ARRAYOID, INT8OID,      TIMESTAMPTZOID,
             BYTEAARRAYOID, BYTEAARRAYOID};
  const char *insert_sql =
      "INSERT INTO public.audit_log (id, org_id, seq, table_name, record_pk, "
      "op, "
      "actor_user_id, actor_role, session_user_name, current_user_name, "
      "reason, "
      "old_values, new_values, row_count, txid, created_at, prev_hash, hash) "
      "SELECT u.id, u.org_id, u.seq, u.table_name, u.pk::pg_catalog.jsonb, "
      "u.op, u.actor, "
      "u.role, "
      "u.su, u.cu, u.reason, u.oldv::pg_catalog.jsonb, "
      "u.newv::pg_catalog.jsonb, u.rc, $15, $16, "
      "u.prev, u.hash "
      "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
      "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
      "pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
      "pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
      "pg_catalog.unnest($12), pg_catalog.unnest($13), pg_catalog.unnest($14), "
      "pg_catalog.unnest($17), pg_catalog.unnest($18)) AS u(id, org_id, seq, "
      "table_name, pk, op, actor, role, su, cu, reason, oldv, newv, rc, prev, "
      "hash)";
  plan_insert = keep_plan(insert_sql, 18, t);
  // one org, head known: the insert and the head move in one statement
  Oid t2[21];
  memcpy(t2, t, sizeof t);
  t2[18] = INT8OID;
  t2[19] = BYTEAOID;
  t2[20] = UUIDOID;
  char *both = psprintf(
      "WITH ins AS (%s RETURNING 1) UPDATE switchboard.audit_chain_heads "
      "SET seq = $19, hash = $20, updated_at = pg_catalog.now() "
      "WHERE org_id OPERATOR(pg_catalog.=) $21",
      insert_sql);
  plan_insert_head = keep_plan(both, 21, t2);
  pfree(both);
  // the hot path of single-row transactions: one entry, no arrays
  Oid t1[21] = {INT8OID, UUIDOID,  INT8OID, TEXTOID,        TEXTOID,  TEXTOID,
                UUIDOID, TEXTOID,  TEXTOID, TEXTOID,        TEXTOID,  TEXTOID,
                TEXTOID, INT8OID,  INT8OID, TIMESTAMPTZOID, BYTEAOID, BYTEAOID,
                INT8OID, BYTEAOID, UUIDOID};
  plan_one_head = keep_plan(
      "WITH ins AS (INSERT INTO public.audit_log (id, org_id, seq, table_name, "
      "record_pk, op, actor_user_id, actor_role, session_user_name, "
      "current_user_name, reason, old_values, new_values, row_count, txid, "
      "created_at, prev_hash, hash) VALUES ($1, $2, $3, $4, "
      "$5::pg_catalog.jsonb, "
      "$6, $7, $8, $9, $10, $11, $12::pg_catalog.jsonb, $13::pg_catalog.jsonb, "
      "$14, $15, $16, $17, $18) RETURNING 1) "
      "UPDATE switchboard.audit_chain_heads SET seq = $19, hash = $20, "
      "updated_at = pg_catalog.now() "
      "WHERE org_id OPERATOR(pg_catalog.=) $21",
      21, t1);
}

int cmp_uuid(const void *a, const void *b) { return memcmp(a, b, UUID_LEN); }

// The org's chain lock key (two BLAKE2b computations), remembered for the
// orgs this backend wrote last.
switchboard::LockKey chain_lock_key(const pg_uuid_t &org) {
  struct Slot {
    bool valid;
    pg_uuid_t org;
    switchboard::LockKey key;
  };
  static Slot slots[64];
  Slot &s = slots[(org.data[15] ^ (org.data[14] << 3) ^ org.data[0]) & 63];
  if (s.valid && memcmp(s.org.data, org.data, UUID_LEN) == 0)
    return s.key;
  switchboard::Uuid u;
  memcpy(u.data(), org.data, UUID_LEN);
  s.key = switchboard::lock_key("audit_chain", u, u);
  s.org = org;
  s.valid = true;
  return s.key;
}

// Connects to SPI and prepares the fallback statements; call it in f->cxt.
void flush_spi(FlushState *f) {
  if (f->spi)
    return;
  if (SPI_connect() != SPI_OK_CONNECT)
    elog(ERROR, "SPI_connect failed");
  f->spi = true;
  prepare_plans();
  MemoryContextSwitchTo(f->cxt);
}

const char *op_name(char op) {
  switch (op) {
  case 'I':
    return "INSERT";
  case 'U':
    return "UPDATE";
  case 'D':
    return "DELETE";
  default:
    return "TRUNCATE";
  }
}

// Phase 1 (PostgreSQL): pick the entries, lock each org's chain (sorted, so
// two transactions never wait for each other in opposite orders), read the
// heads, allocate ids.
void flush_begin(FlushState *f) {
  memset(f, 0, sizeof *f);
  f->cxt = AllocSetContextCreate(
      TopTransactionContext, "switchboard audit flush", ALLOCSET_DEFAULT_SIZES);
  f->old = MemoryContextSwitchTo(f->cxt);
  f->idx = static_cast<int64 *>(
      palloc_extended(sizeof(int64) * (n_unflushed + 1), MCXT_ALLOC_HUGE));
  for (int64 i = 0; i < n_entries; ++i)
    if (entries[i].flushed_subid == InvalidSubTransactionId)
      f->idx[f->n++] = i;
  pg_uuid_t *all = static_cast<pg_uuid_t *>(
      palloc_extended(sizeof(pg_uuid_t) * (f->n + 1), MCXT_ALLOC_HUGE));
  for (int64 k = 0; k < f->n; ++k)
    all[k] = entries[f->idx[k]].org;
  qsort(all, f->n, sizeof(pg_uuid_t), cmp_uuid);
  f->orgs = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t) * (f->n + 1)));
  for (int64 k = 0; k < f->n; ++k)
    if (f->norgs == 0 || memcmp(&f->orgs[f->norgs - 1], &all[k], UUID_LEN) != 0)
      f->orgs[f->norgs++] = all[k];
  pfree(all);
  f->org_of = static_cast<int *>(
      palloc_extended(sizeof(int) * (f->n + 1), MCXT_ALLOC_HUGE));
  for (int64 k = 0; k < f->n; ++k) {
    auto *hit = static_cast<pg_uuid_t *>(bsearch(&entries[f->idx[k]].org,
                                                 f->orgs, f->norgs,
                                                 sizeof(pg_uuid_t), cmp_uuid));
    f->org_of[k] = static_cast<int>(hit - f->orgs);
  }
  f->has_head = static_cast<bool *>(palloc0(sizeof(bool) * (f->norgs + 1)));
  f->head_tid = static_cast<ItemPointerData *>(
      palloc0(sizeof(ItemPointerData) * (f->norgs + 1)));
  f->head_tup =
      static_cast<HeapTuple *>(palloc0(sizeof(HeapTuple) * (f->norgs + 1)));
  f->head_seq = static_cast<int64 *>(palloc0(sizeof(int64) * (f->norgs + 1)));
  f->head_hash = static_cast<uint8 *>(palloc0(32 * (f->norgs + 1)));
  f->ids = static_cast<int64 *>(
      palloc_extended(sizeof(int64) * (f->n + 1), MCXT_ALLOC_HUGE));
  f->seqs = static_cast<int64 *>(
      palloc_extended(sizeof(int64) * (f->n + 1), MCXT_ALLOC_HUGE));
  f->prev =
      static_cast<uint8 *>(palloc_extended(32 * (f->n + 1), MCXT_ALLOC_HUGE));
  f->hash =
      static_cast<uint8 *>(palloc_extended(32 * (f->n + 1), MCXT_ALLOC_HUGE));

  LogOids o = log_oids;
  if (!o.valid) {
    o.nsp = get_namespace_oid("switchboard", false);
    o.seqrel = get_relname_relid("audit_log_id_seq", o.nsp);
    o.logrel = get_relname_relid("audit_log", PG_PUBLIC_NAMESPACE);
    o.headsrel = get_relname_relid("audit_chain_heads", o.nsp);
    if (!OidIsValid(o.seqrel) || !OidIsValid(o.logrel) ||
        !OidIsValid(o.headsrel))
      ereport(
          ERROR,
          (errcode(ERRCODE_UNDEFINED_TABLE),
           errmsg("audit_log is not installed but audited changes are pending"),
           errhint("deploy the audit migration or drop the audit triggers")));
    // remembered only if no invalidation of these oids arrives meanwhile
    o.valid = false;
    log_oids = o;
    uint64 gen = log_oids_gen;
    HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(o.logrel));
    if (!HeapTupleIsValid(tup))
      elog(ERROR, "cache lookup failed for relation %u", o.logrel);
    o.owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    if (gen == log_oids_gen) {
      log_oids.owner = o.owner;
      log_oids.valid = true;
    }
  }
  Oid seqrel = o.seqrel;
  Oid logrel = o.logrel;
  Oid owner = o.owner;
  Oid headsrel = o.headsrel;
  f->logrel = logrel;

  GetUserIdAndSecContext(&f->save_user, &f->save_sec);
  SetUserIdAndSecContext(owner, f->save_sec | SECURITY_LOCAL_USERID_CHANGE |
                                    SECURITY_NOFORCE_RLS);
  // SPI only for the fallback statements (flush_spi): not on the direct path
  PushActiveSnapshot(GetTransactionSnapshot());

  // ids before the chain locks: everything after the first lock is on the
  // org's critical path until commit
  for (int64 k = 0; k < f->n; ++k)
    f->ids[k] = nextval_internal(seqrel, false);
  f->direct = direct_open(logrel, f->n);
  MemoryContextSwitchTo(f->cxt);
  // the heads, read through their primary key (org_id) without SPI
  // RowExclusiveLock now: move_head takes it again, without a shared-lock trip
  Relation heads = table_open(headsrel, RowExclusiveLock);
  f->heads_oid = headsrel;
  Oid heads_pk = RelationGetPrimaryKeyIndex(heads);
  f->heads_pk = heads_pk;
  AttrNumber seq_att = InvalidAttrNumber, hash_att = InvalidAttrNumber;
  for (int a = 0; a < RelationGetDescr(heads)->natts; ++a) {
    Form_pg_attribute att = TupleDescAttr(RelationGetDescr(heads), a);
    if (att->attisdropped)
      continue;
    if (strcmp(NameStr(att->attname), "seq") == 0 && att->atttypid == INT8OID)
      seq_att = att->attnum;
    else if (strcmp(NameStr(att->attname), "hash") == 0 &&
             att->atttypid == BYTEAOID)
      hash_att = att->attnum;
  }
  if (!OidIsValid(heads_pk) || seq_att == InvalidAttrNumber ||
      hash_att == InvalidAttrNumber)
    elog(ERROR, "audit: switchboard.audit_chain_heads is malformed");
  // a plain table with only its primary key: moved by a heap update below
  List *heads_idx = RelationGetIndexList(heads);
  f->heads_direct =
      heads->trigdesc == nullptr && !heads->rd_rel->relrowsecurity &&
      list_length(heads_idx) == 1 && linitial_oid(heads_idx) == heads_pk;
  list_free(heads_idx);
  for (int k = 0; k < f->norgs; ++k) {
    switchboard::LockKey key = chain_lock_key(f->orgs[k]);
    DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(key.space),
                        Int32GetDatum(key.object));
    // read the head as committed now (the previous holder has committed),
    // also under REPEATABLE READ: an index lookup with the latest snapshot
    CommandCounterIncrement();
    Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
    ScanKeyData skey;
    ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_UUID_EQ,
                UUIDPGetDatum(&f->orgs[k]));
    SysScanDesc scan =
        systable_beginscan(heads, heads_pk, true, snap, 1, &skey);
    HeapTuple ht = systable_getnext(scan);
    if (HeapTupleIsValid(ht)) {
      bool null_seq, null_hash;
      Datum seq = heap_getattr(ht, seq_att, RelationGetDescr(heads), &null_seq);
      Datum hd =
          heap_getattr(ht, hash_att, RelationGetDescr(heads), &null_hash);
      if (null_seq || null_hash)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("audit chain head has a malformed hash")));
      f->has_head[k] = true;
      f->head_tid[k] = ht->t_self;
      f->head_tup[k] = heap_copytuple(ht);
      f->head_seq[k] = DatumGetInt64(seq);
      bytea *h = DatumGetByteaPP(hd);
      if (VARSIZE_ANY_EXHDR(h) != 32)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("audit chain head has a malformed hash")));
      memcpy(f->head_hash + 32 * k, VARDATA_ANY(h), 32);
    }
    systable_endscan(scan);
    UnregisterSnapshot(snap);
    MemoryContextSwitchTo(f->cxt);
  }
  table_close(heads, NoLock);
  f->created_at = GetCurrentTimestamp();
  f->txid =
      static_cast<int64>(U64FromFullTransactionId(GetTopFullTransactionId()));
  for (int64 k = 0; k < f->n; ++k)
    f->seqs[k] = ++f->head_seq[f->org_of[k]];
}

Datum text_or_null(const char *s, bool *isnull) {
  *isnull = s == nullptr;
  return s == nullptr ? (Datum)0 : CStringGetTextDatum(s);
}

// The JSON text of one of an entry's JSON values (the SPI fallback casts it
// to jsonb): kept as is on the text path, jsonb's text form on the direct
// path (the same value).
Datum json_text_or_null(const PendingEntry *e, const char *s, Jsonb *jb,
                        bool *isnull) {
  if (s == nullptr || !e->canonical)
    return text_or_null(s, isnull);
  *isnull = false;
  return CStringGetTextDatum(JsonbToCString(nullptr, &jb->root, VARSIZE(jb)));
}

Datum bytes_datum(const uint8 *p) {
  bytea *b = static_cast<bytea *>(palloc(VARHDRSZ + 32));
  SET_VARSIZE(b, VARHDRSZ + 32);
  memcpy(VARDATA(b), p, 32);
  return PointerGetDatum(b);
}

Datum make_array(Datum *vals, bool *nulls, int n, Oid elemtype) {
  int16 len;
  bool byval;
  char align;
  get_typlenbyvalalign(elemtype, &len, &byval, &align);
  int dims[1] = {n};
  int lbs[1] = {1};
  return PointerGetDatum(construct_md_array(vals, nulls, 1, dims, lbs, elemtype,
                                            len, byval, align));
}

// The audit_log columns the flush writes, by name (the partition's own
// attribute numbers are looked up, so a partition with another layout works).
const char *const kLogCols[] = {"id",
                                "org_id",
                                "seq",
                                "table_name",
                                "record_pk",
                                "op",
                                "actor_user_id",
                                "actor_role",
                                "session_user_name",
                                "current_user_name",
                                "reason",
                                "old_values",
                                "new_values",
                                "row_count",
                                "txid",
                                "created_at",
                                "prev_hash",
                                "hash"};
static_assert(sizeof(kLogCols) / sizeof(kLogCols[0]) == kNLogCols,
              "kNLogCols counts kLogCols");

bool has_insert_triggers(TriggerDesc *t) {
  return t != nullptr &&
         (t->trig_insert_before_row || t->trig_insert_after_row ||
          t->trig_insert_instead_row || t->trig_insert_before_statement ||
          t->trig_insert_after_statement || t->trig_insert_new_table);
}

Datum jsonb_or_null(const char *s, Jsonb *jb, bool *isnull) {
  *isnull = s == nullptr;
  if (s == nullptr)
    return (Datum)0;
  if (jb != nullptr)
    return JsonbPGetDatum(jb);
  return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

// Writes the entries straight into the month's partition, as COPY does:
// partition routing once (every entry of a flush has the same created_at),
// table_multi_insert in batches, then the index entries. Returns false,
// before writing anything, when audit_log has INSERT triggers (then the
// SPI INSERT runs them).
// Executor state of the direct write, set up before the chain locks (opening
// audit_log, its month's partition and its index is off the org's critical
// path); the partition is routed again with the final created_at after them.
struct DirectState {
  EState *estate;
  ModifyTableState *mt;
  PartitionTupleRouting *proute;
  ResultRelInfo *rri;
  TupleTableSlot *rslot;
  int created_att; // created_at in the root's layout
  // prepared before the chain locks for the partition routed then (the
  // final route, after them, almost always gives the same one)
  ResultRelInfo *pre_part;
  bool pre_att_ok;
  int pre_att[kNLogCols]; // kLogCols in the partition's layout
  int pre_nslots;
  TupleTableSlot **pre_slots;
  // opened from the month cache: pre_part is the partition's own
  // ResultRelInfo (no routing state); entries outside [lo, hi) cannot be
  // written here and take the SPI statements
  bool month;
  TimestampTz lo, hi;
};

constexpr int kDirectBatch = 1000;

// kLogCols in the layout of prel; the index of a missing one, else -1.
int map_log_cols(Relation prel, int *att);

// Routes rslot by created_at (the partition key; other columns are null).
ResultRelInfo *route(DirectState *d, TimestampTz created_at) {
  TupleTableSlot *rslot = d->rslot;
  TupleDesc rdesc = rslot->tts_tupleDescriptor;
  ExecClearTuple(rslot);
  for (int a = 0; a < rdesc->natts; ++a) {
    rslot->tts_isnull[a] = true;
    rslot->tts_values[a] = (Datum)0;
  }
  rslot->tts_isnull[d->created_att] = false;
  rslot->tts_values[d->created_att] = TimestampTzGetDatum(created_at);
  ExecStoreVirtualTuple(rslot);
  return ExecFindPartition(d->mt, d->rri, d->proute, rslot, d->estate);
}

// The insert slots of the partition prel for a flush of n entries (at most
// one batch), in the current memory context.
void make_insert_slots(DirectState *d, Relation prel, int64 n) {
  d->pre_nslots = static_cast<int>(Min(kDirectBatch, n));
  d->pre_slots = static_cast<TupleTableSlot **>(
      palloc(sizeof(TupleTableSlot *) * (d->pre_nslots + 1)));
  for (int j = 0; j < d->pre_nslots; ++j)
    d->pre_slots[j] = table_slot_create(prel, nullptr);
}

// The created_at range of a month partition, from its bound; false for the
// default partition or any other kind of bound.
bool month_bounds(Oid part, TimestampTz *lo, TimestampTz *hi) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(part));
  if (!HeapTupleIsValid(tup))
    return false;
  bool isnull;
  Datum d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relpartbound, &isnull);
  bool ok = false;
  if (!isnull) {
    Node *n = static_cast<Node *>(stringToNode(TextDatumGetCString(d)));
    auto *spec = reinterpret_cast<PartitionBoundSpec *>(n);
    if (IsA(n, PartitionBoundSpec) && !spec->is_default &&
        spec->strategy == PARTITION_STRATEGY_RANGE &&
        list_length(spec->lowerdatums) == 1 &&
        list_length(spec->upperdatums) == 1) {
      auto bound = [](Node *x, TimestampTz none, TimestampTz *out) {
        auto *r = reinterpret_cast<PartitionRangeDatum *>(x);
        if (r->kind != PARTITION_RANGE_DATUM_VALUE) {
          *out = none;
          return true;
        }
        Const *c = reinterpret_cast<Const *>(r->value);
        if (c == nullptr || !IsA(c, Const) || c->constisnull ||
            c->consttype != TIMESTAMPTZOID)
          return false;
        *out = DatumGetTimestampTz(c->constvalue);
        return true;
      };
      ok =
          bound(static_cast<Node *>(linitial(spec->lowerdatums)), DT_NOBEGIN,
                lo) &&
          bound(static_cast<Node *>(linitial(spec->upperdatums)), DT_NOEND, hi);
    }
  }
  ReleaseSysCache(tup);
  return ok;
}

// The month partition of `now` opened straight from the cache; NULL when the
// cache does not hold it (or was invalidated while the locks were taken).
DirectState *month_open(Oid logrel, int64 n, TimestampTz now) {
  if (!month.valid || month.root != logrel || now < month.lo || now >= month.hi)
    return nullptr;
  // the locks an INSERT through the root takes
  LockRelationOid(logrel, RowExclusiveLock);
  // gone (dropped by hand since): the lock's invalidations have reset the
  // cache, and routing through the root finds the month
  Relation prel = try_relation_open(month.part, RowExclusiveLock);
  if (prel == nullptr)
    return nullptr;
  if (!month.valid || prel->rd_rel->relkind != RELKIND_RELATION ||
      !prel->rd_rel->relispartition || has_insert_triggers(prel->trigdesc)) {
    table_close(prel, NoLock);
    return nullptr;
  }
  auto *d = static_cast<DirectState *>(palloc0(sizeof(DirectState)));
  d->month = true;
  d->lo = month.lo;
  d->hi = month.hi;
  d->estate = CreateExecutorState();
  MemoryContext old = MemoryContextSwitchTo(d->estate->es_query_cxt);
  ResultRelInfo *rri = makeNode(ResultRelInfo);
  InitResultRelInfo(rri, prel, 0, nullptr, 0);
  ExecOpenIndices(rri, false);
  d->pre_part = rri;
  d->pre_att_ok = true;
  memcpy(d->pre_att, month.att, sizeof d->pre_att);
  make_insert_slots(d, prel, n);
  MemoryContextSwitchTo(old);
  return d;
}

// NULL: audit_log has INSERT triggers (or is not partitioned as expected);
// the SPI INSERT then runs them.
DirectState *direct_open(Oid logrel, int64 n) {
  const TimestampTz now = GetCurrentTimestamp();
  if (DirectState *d = month_open(logrel, n, now))
    return d;
  Relation root = table_open(logrel, RowExclusiveLock);
  if (root->rd_rel->relkind != RELKIND_PARTITIONED_TABLE ||
      has_insert_triggers(root->trigdesc)) {
    table_close(root, NoLock);
    return nullptr;
  }
  int created_att = -1;
  TupleDesc rdesc = RelationGetDescr(root);
  for (int a = 0; a < rdesc->natts; ++a)
    if (!TupleDescAttr(rdesc, a)->attisdropped &&
        strcmp(NameStr(TupleDescAttr(rdesc, a)->attname), "created_at") == 0)
      created_att = a;
  if (created_att < 0) {
    table_close(root, NoLock);
    return nullptr;
  }
  auto *d = static_cast<DirectState *>(palloc0(sizeof(DirectState)));
  d->created_att = created_att;
  d->estate = CreateExecutorState();
  MemoryContext old = MemoryContextSwitchTo(d->estate->es_query_cxt);
  RangeTblEntry *rte = makeNode(RangeTblEntry);
  rte->rtekind = RTE_RELATION;
  rte->relid = logrel;
  rte->relkind = root->rd_rel->relkind;
  rte->rellockmode = RowExclusiveLock;
  rte->requiredPerms = ACL_INSERT;
  ExecInitRangeTable(d->estate, list_make1(rte));
  d->rri = makeNode(ResultRelInfo);
  ExecInitResultRelation(d->estate, d->rri, 1);
  table_close(root, NoLock); // the range table holds it now
  d->mt = makeNode(ModifyTableState);
  d->mt->ps.plan = nullptr;
  d->mt->ps.state = d->estate;
  d->mt->operation = CMD_INSERT;
  d->mt->mt_nrels = 1;
  d->mt->resultRelInfo = d->rri;
  d->mt->rootResultRelInfo = d->rri;
  d->proute =
      ExecSetupPartitionTupleRouting(d->estate, d->rri->ri_RelationDesc);
  d->rslot = MakeSingleTupleTableSlot(rdesc, &TTSOpsVirtual);
  // this month's partition, opened now (routed again after the locks), its
  // column map and the insert slots
  ResultRelInfo *part = route(d, now);
  if (part->ri_RelationDesc->rd_rel->relkind == RELKIND_RELATION) {
    d->pre_part = part;
    d->pre_att_ok = map_log_cols(part->ri_RelationDesc, d->pre_att) < 0;
    // remembered for the next commits of this month
    TimestampTz lo, hi;
    if (d->pre_att_ok &&
        month_bounds(RelationGetRelid(part->ri_RelationDesc), &lo, &hi) &&
        now >= lo && now < hi) {
      month.root = logrel;
      month.part = RelationGetRelid(part->ri_RelationDesc);
      month.lo = lo;
      month.hi = hi;
      memcpy(month.att, d->pre_att, sizeof month.att);
      month.valid = true;
    }
    make_insert_slots(d, part->ri_RelationDesc, n);
  }
  MemoryContextSwitchTo(old);
  return d;
}

int map_log_cols(Relation prel, int *att) {
  TupleDesc pdesc = RelationGetDescr(prel);
  for (int c = 0; c < kNLogCols; ++c) {
    att[c] = -1;
    for (int a = 0; a < pdesc->natts; ++a) {
      Form_pg_attribute pa = TupleDescAttr(pdesc, a);
      if (!pa->attisdropped && strcmp(NameStr(pa->attname), kLogCols[c]) == 0)
        att[c] = a;
    }
    if (att[c] < 0)
      return c;
  }
  return -1;
}

void direct_close(DirectState *d) {
  for (int j = 0; j < d->pre_nslots; ++j)
    ExecDropSingleTupleTableSlot(d->pre_slots[j]);
  if (d->month) {
    ExecCloseIndices(d->pre_part);
    table_close(d->pre_part->ri_RelationDesc, NoLock);
    FreeExecutorState(d->estate);
    pfree(d);
    return;
  }
  ExecDropSingleTupleTableSlot(d->rslot);
  ExecCleanupTupleRouting(d->mt, d->proute);
  ExecCloseResultRelations(d->estate);
  ExecCloseRangeTableRelations(d->estate);
  FreeExecutorState(d->estate);
  pfree(d);
}

// Writes the entries straight into the month's partition, as COPY does
// (every entry of a flush has the same created_at, so one partition):
// table_multi_insert in batches, then the index entries. Returns false,
// before writing anything, when the SPI INSERT must do it.
bool direct_insert(FlushState *f, DirectState *d) {
  if (d == nullptr)
    return false;
  // opened from the month cache: only its own month can be written here
  if (d->month && (f->created_at < d->lo || f->created_at >= d->hi))
    return false;
  EState *estate = d->estate;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  ResultRelInfo *part = d->month ? d->pre_part : route(d, f->created_at);
  Relation prel = part->ri_RelationDesc;
  bool ok = !has_insert_triggers(part->ri_TrigDesc) &&
            prel->rd_rel->relkind == RELKIND_RELATION;
  if (ok) {
    TupleDesc pdesc = RelationGetDescr(prel);
    int att[kNLogCols];
    const bool pre = part == d->pre_part;
    if (pre && d->pre_att_ok) {
      memcpy(att, d->pre_att, sizeof att);
    } else {
      int missing = map_log_cols(prel, att);
      if (missing >= 0)
        elog(ERROR, "audit: audit_log has no column \"%s\"", kLogCols[missing]);
    }
    const bool check = pdesc->constr != nullptr;
    const int batch = kDirectBatch;
    int nslots = static_cast<int>(Min(batch, f->n));
    TupleTableSlot **slots = d->pre_slots;
    if (!pre || d->pre_nslots < nslots) {
      slots = static_cast<TupleTableSlot **>(
          palloc(sizeof(TupleTableSlot *) * nslots));
      for (int j = 0; j < nslots; ++j)
        slots[j] = table_slot_create(prel, nullptr);
    }
    CommandId cid = GetCurrentCommandId(true);
    // no bulk-insert ring: like INSERT ... SELECT, the pages stay in shared
    // buffers and the checkpointer writes them, not this commit
    BulkInsertState bis = nullptr;
    // the text columns shared by a statement's entries, built once per flush
    struct StmtText {
      bool built;
      Datum table, role, su, cu, reason;
      bool role_null, reason_null;
    };
    auto *st =
        static_cast<StmtText *>(palloc0(sizeof(StmtText) * (n_stmts + 1)));
    Datum op_text[4] = {0, 0, 0, 0}; // INSERT UPDATE DELETE TRUNCATE, on use
    MemoryContext bcxt = AllocSetContextCreate(
        CurrentMemoryContext, "audit batch", ALLOCSET_DEFAULT_SIZES);
    for (int64 start = 0; start < f->n; start += batch) {
      int n = static_cast<int>(Min(batch, f->n - start));
      MemoryContextReset(bcxt);
      MemoryContext prev = MemoryContextSwitchTo(bcxt);
      // the batch's prev_hash and hash values, as bytea, in one allocation
      const int bsize = MAXALIGN(VARHDRSZ + 32);
      char *hashes = static_cast<char *>(palloc(2 * bsize * n));
      for (int j = 0; j < n; ++j) {
        int64 k = start + j;
        PendingEntry *e = &entries[f->idx[k]];
        PendingStmt *s = &stmts[e->stmt];
        TupleTableSlot *sl = slots[j];
        ExecClearTuple(sl);
        Datum *v = sl->tts_values;
        bool *nl = sl->tts_isnull;
        for (int a = 0; a < pdesc->natts; ++a) {
          v[a] = (Datum)0;
          nl[a] = true;
        }
        Datum cv[kNLogCols];
        bool cn[kNLogCols];
        memset(cn, 0, sizeof cn);
        cv[0] = Int64GetDatum(f->ids[k]);
        cv[1] = UUIDPGetDatum(&e->org);
        cv[2] = Int64GetDatum(f->seqs[k]);
        StmtText *t = &st[e->stmt];
        if (!t->built) {
          MemoryContext bc = MemoryContextSwitchTo(estate->es_query_cxt);
          t->table = CStringGetTextDatum(s->table_name);
          t->role = text_or_null(s->actor_role, &t->role_null);
          t->su = CStringGetTextDatum(s->session_user);
          t->cu = CStringGetTextDatum(s->current_user);
          t->reason = text_or_null(s->reason, &t->reason_null);
          t->built = true;
          MemoryContextSwitchTo(bc);
        }
        cv[3] = t->table;
        cv[4] = jsonb_or_null(e->pk, e->pkj, &cn[4]);
        int opi = e->op == 'I' ? 0 : e->op == 'U' ? 1 : e->op == 'D' ? 2 : 3;
        if (op_text[opi] == 0) {
          MemoryContext bc = MemoryContextSwitchTo(estate->es_query_cxt);
          op_text[opi] = CStringGetTextDatum(op_name(e->op));
          MemoryContextSwitchTo(bc);
        }
        cv[5] = op_text[opi];
        cv[6] = UUIDPGetDatum(&s->actor);
        cn[6] = !s->has_actor;
        cv[7] = t->role;
        cn[7] = t->role_null;
        cv[8] = t->su;
        cv[9] = t->cu;
        cv[10] = t->reason;
        cn[10] = t->reason_null;
        cv[11] = jsonb_or_null(e->oldv, e->oldj, &cn[11]);
        cv[12] = jsonb_or_null(e->newv, e->newj, &cn[12]);
        cv[13] = Int64GetDatum(e->row_count);
        cn[13] = e->row_count < 0;
        cv[14] = Int64GetDatum(f->txid);
        cv[15] = TimestampTzGetDatum(f->created_at);
        bytea *pb = reinterpret_cast<bytea *>(hashes + 2 * bsize * j);
        bytea *hb = reinterpret_cast<bytea *>(hashes + (2 * j + 1) * bsize);
        SET_VARSIZE(pb, VARHDRSZ + 32);
        memcpy(VARDATA(pb), f->prev + 32 * k, 32);
        SET_VARSIZE(hb, VARHDRSZ + 32);
        memcpy(VARDATA(hb), f->hash + 32 * k, 32);
        cv[16] = PointerGetDatum(pb);
        cv[17] = PointerGetDatum(hb);
        for (int c = 0; c < kNLogCols; ++c) {
          v[att[c]] = cn[c] ? (Datum)0 : cv[c];
          nl[att[c]] = cn[c];
        }
        ExecStoreVirtualTuple(sl);
        if (check)
          ExecConstraints(part, sl, estate);
      }
      table_multi_insert(prel, slots, n, cid, 0, bis);
      if (part->ri_NumIndices > 0) {
        for (int j = 0; j < n; ++j) {
          List *recheck = ExecInsertIndexTuples(part, slots[j], estate, false,
                                                false, nullptr, NIL);
          list_free(recheck);
          ResetPerTupleExprContext(estate);
        }
      }
      MemoryContextSwitchTo(prev);
    }
    if (slots != d->pre_slots)
      for (int j = 0; j < nslots; ++j)
        ExecDropSingleTupleTableSlot(slots[j]);
    if (bis != nullptr)
      FreeBulkInsertState(bis);
    MemoryContextDelete(bcxt);
  }
  MemoryContextSwitchTo(old);
  return ok;
}

// The head of org k becomes (head_seq, head_hash): a heap update of the row
// version read under the chain lock (HOT unless the page is full; else its
// primary-key entry, as for a catalog row).
void move_head(FlushState *f, int k) {
  CommandCounterIncrement();
  Relation heads = table_open(f->heads_oid, RowExclusiveLock);
  TupleDesc desc = RelationGetDescr(heads);
  Datum *vals = static_cast<Datum *>(palloc0(sizeof(Datum) * desc->natts));
  bool *nulls = static_cast<bool *>(palloc0(sizeof(bool) * desc->natts));
  bool *repl = static_cast<bool *>(palloc0(sizeof(bool) * desc->natts));
  for (int a = 0; a < desc->natts; ++a) {
    Form_pg_attribute att = TupleDescAttr(desc, a);
    if (att->attisdropped)
      continue;
    const char *name = NameStr(att->attname);
    if (strcmp(name, "seq") == 0) {
      vals[a] = Int64GetDatum(f->head_seq[k]);
      repl[a] = true;
    } else if (strcmp(name, "hash") == 0) {
      vals[a] = bytes_datum(f->head_hash + 32 * k);
      repl[a] = true;
    } else if (strcmp(name, "updated_at") == 0 &&
               att->atttypid == TIMESTAMPTZOID) {
      vals[a] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
      repl[a] = true;
    }
  }
  HeapTuple tup = heap_modify_tuple(f->head_tup[k], desc, vals, nulls, repl);
  simple_heap_update(heads, &f->head_tid[k], tup);
  if (!HeapTupleIsHeapOnly(tup)) {
    // not a HOT update (the page was full): the new version's primary-key
    // entry, as CatalogTupleUpdate makes it (the heads have no other index)
    Relation idx = index_open(f->heads_pk, RowExclusiveLock);
    IndexInfo *ii = BuildIndexInfo(idx);
    Datum iv[INDEX_MAX_KEYS];
    bool in[INDEX_MAX_KEYS];
    for (int i = 0; i < ii->ii_NumIndexAttrs; ++i)
      iv[i] = heap_getattr(tup, ii->ii_IndexAttrNumbers[i], desc, &in[i]);
    index_insert(idx, iv, in, &tup->t_self, heads,
                 ii->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, ii);
    index_close(idx, NoLock);
  }
  table_close(heads, NoLock);
}

// Phase 3 (PostgreSQL): insert in batches, move the heads, clean up.
void flush_finish(FlushState *f) {
  const int64 batch = 5000;
  const bool direct = direct_insert(f, f->direct);
  if (f->direct != nullptr) {
    direct_close(f->direct);
    f->direct = nullptr;
  }
  bool need_spi = !direct;
  for (int k = 0; k < f->norgs; ++k)
    if (!(f->heads_direct && f->has_head[k]))
      need_spi = true;
  MemoryContextSwitchTo(f->cxt);
  if (need_spi)
    flush_spi(f);
  const bool single =
      !direct && f->norgs == 1 && f->has_head[0] && f->n <= batch;
  if (single && f->n == 1) {
    PendingEntry *e = &entries[f->idx[0]];
    PendingStmt *s = &stmts[e->stmt];
    Datum v[21];
    char nl[21];
    memset(nl, ' ', sizeof nl);
    bool isnull;
    v[0] = Int64GetDatum(f->ids[0]);
    v[1] = UUIDPGetDatum(&e->org);
    v[2] = Int64GetDatum(f->seqs[0]);
    v[3] = CStringGetTextDatum(s->table_name);
    v[4] = json_text_or_null(e, e->pk, e->pkj, &isnull);
    nl[4] = isnull ? 'n' : ' ';
    v[5] = CStringGetTextDatum(op_name(e->op));
    v[6] = UUIDPGetDatum(&s->actor);
    nl[6] = s->has_actor ? ' ' : 'n';
    v[7] = text_or_null(s->actor_role, &isnull);
    nl[7] = isnull ? 'n' : ' ';
    v[8] = CStringGetTextDatum(s->session_user);
    v[9] = CStringGetTextDatum(s->current_user);
    v[10] = text_or_null(s->reason, &isnull);
    nl[10] = isnull ? 'n' : ' ';
    v[11] = json_text_or_null(e, e->oldv, e->oldj, &isnull);
    nl[11] = isnull ? 'n' : ' ';
    v[12] = json_text_or_null(e, e->newv, e->newj, &isnull);
    nl[12] = isnull ? 'n' : ' ';
    v[13] = Int64GetDatum(e->row_count);
    nl[13] = e->row_count < 0 ? 'n' : ' ';
    v[14] = Int64GetDatum(f->txid);
    v[15] = TimestampTzGetDatum(f->created_at);
    v[16] = bytes_datum(f->prev);
    v[17] = bytes_datum(f->hash);
    v[18] = Int64GetDatum(f->head_seq[0]);
    v[19] = bytes_datum(f->head_hash);
    v[20] = UUIDPGetDatum(&f->orgs[0]);
    CommandCounterIncrement();
    if (SPI_execute_snapshot(plan_one_head, v, nl, GetLatestSnapshot(),
                             InvalidSnapshot, false, false,
                             0) != SPI_OK_UPDATE ||
        SPI_processed != 1)
      elog(ERROR, "audit: writing audit_log failed");
  }
  for (int64 start = 0; !direct && !(single && f->n == 1) && start < f->n;
       start += batch) {
    int n = static_cast<int>(Min(batch, f->n - start));
    MemoryContext bcxt =
        AllocSetContextCreate(f->cxt, "audit batch", ALLOCSET_DEFAULT_SIZES);
    MemoryContext prev = MemoryContextSwitchTo(bcxt);
    const int ncols = 16;
    Datum *v[ncols];
    bool *nl[ncols];
    for (int c = 0; c < ncols; ++c) {
      v[c] = static_cast<Datum *>(palloc(sizeof(Datum) * n));
      nl[c] = static_cast<bool *>(palloc0(sizeof(bool) * n));
    }
    for (int j = 0; j < n; ++j) {
      int64 k = start + j;
      PendingEntry *e = &entries[f->idx[k]];
      PendingStmt *s = &stmts[e->stmt];
      v[0][j] = Int64GetDatum(f->ids[k]);
      v[1][j] = UUIDPGetDatum(&e->org);
      v[2][j] = Int64GetDatum(f->seqs[k]);
      v[3][j] = CStringGetTextDatum(s->table_name);
      v[4][j] = json_text_or_null(e, e->pk, e->pkj, &nl[4][j]);
      v[5][j] = CStringGetTextDatum(op_name(e->op));
      v[6][j] = UUIDPGetDatum(&s->actor);
      nl[6][j] = !s->has_actor;
      v[7][j] = text_or_null(s->actor_role, &nl[7][j]);
      v[8][j] = CStringGetTextDatum(s->session_user);
      v[9][j] = CStringGetTextDatum(s->current_user);
      v[10][j] = text_or_null(s->reason, &nl[10][j]);
      v[11][j] = json_text_or_null(e, e->oldv, e->oldj, &nl[11][j]);
      v[12][j] = json_text_or_null(e, e->newv, e->newj, &nl[12][j]);
      v[13][j] = Int64GetDatum(e->row_count);
      nl[13][j] = e->row_count < 0;
      v[14][j] = bytes_datum(f->prev + 32 * k);
      v[15][j] = bytes_datum(f->hash + 32 * k);
    }
    Oid elem[ncols] = {INT8OID, UUIDOID, INT8OID,  TEXTOID, TEXTOID, TEXTOID,
                       UUIDOID, TEXTOID, TEXTOID,  TEXTOID, TEXTOID, TEXTOID,
                       TEXTOID, INT8OID, BYTEAOID, BYTEAOID};
    Datum args[18];
    for (int c = 0; c < 14; ++c)
      args[c] = make_array(v[c], nl[c], n, elem[c]);
    args[14] = Int64GetDatum(f->txid);
    args[15] = TimestampTzGetDatum(f->created_at);
    args[16] = make_array(v[14], nl[14], n, BYTEAOID);
    args[17] = make_array(v[15], nl[15], n, BYTEAOID);
    if (single) {
      // the common case (one org, one batch, existing head): one statement
      Datum all[21];
      memcpy(all, args, sizeof args);
      all[18] = Int64GetDatum(f->head_seq[0]);
      all[19] = bytes_datum(f->head_hash);
      all[20] = UUIDPGetDatum(&f->orgs[0]);
      CommandCounterIncrement();
      if (SPI_execute_snapshot(plan_insert_head, all, nullptr,
                               GetLatestSnapshot(), InvalidSnapshot, false,
                               false, 0) != SPI_OK_UPDATE ||
          SPI_processed != 1)
        elog(ERROR, "audit: writing audit_log failed");
    } else if (SPI_execute_plan(plan_insert, args, nullptr, false, 0) !=
               SPI_OK_INSERT) {
      elog(ERROR, "audit: writing audit_log failed");
    }
    MemoryContextSwitchTo(prev);
    MemoryContextDelete(bcxt);
  }
  for (int k = 0; !single && k < f->norgs; ++k) {
    // flush_hash left each org's newest hash in head_hash
    if (f->heads_direct && f->has_head[k]) {
      move_head(f, k);
      continue;
    }
    Datum args[4] = {UUIDPGetDatum(&f->orgs[k]), Int64GetDatum(f->head_seq[k]),
                     bytes_datum(f->head_hash + 32 * k),
                     PointerGetDatum(&f->head_tid[k])};
    CommandCounterIncrement();
    int rc = SPI_execute_snapshot(
        f->has_head[k] ? plan_head_update : plan_head_insert, args, nullptr,
        GetLatestSnapshot(), InvalidSnapshot, false, false, 0);
    if ((rc != SPI_OK_UPDATE && rc != SPI_OK_INSERT) || SPI_processed != 1)
      elog(ERROR, "audit: moving the chain head failed");
  }
  PopActiveSnapshot();
  if (f->spi)
    SPI_finish();
  SetUserIdAndSecContext(f->save_user, f->save_sec);
  MemoryContextSwitchTo(f->old);
  MemoryContextDelete(f->cxt);
  if (GetCurrentTransactionNestLevel() <= 1) {
    // written at top level: only a rollback of the whole transaction undoes it
    reset_buffer();
  } else {
    SubTransactionId sub = GetCurrentSubTransactionId();
    for (int64 i = 0; i < n_entries; ++i)
      if (entries[i].flushed_subid == InvalidSubTransactionId)
        entries[i].flushed_subid = sub;
    n_unflushed = 0;
  }
}

// Phase 2 (C++): hash each entry onto its org's chain.
void flush_hash(FlushState *f) {
  for (int64 k = 0; k < f->n; ++k) {
    PendingEntry *pe = &entries[f->idx[k]];
    PendingStmt *s = &stmts[pe->stmt];
    int o = f->org_of[k];
    sa::Entry e;
    memcpy(e.org_id.data(), pe->org.data, UUID_LEN);
    e.seq = f->seqs[k];
    e.id = f->ids[k];
    e.table_name = s->table_name;
    e.op = op_name(pe->op);
    // canonical bytes (direct path) or JSON text
    e.json_is_canonical = pe->canonical;
    auto json = [&](const char *p, uint32 len) {
      return pe->canonical ? std::string_view(p, len) : std::string_view(p);
    };
    if (pe->pk)
      e.record_pk = json(pe->pk, pe->pk_len);
    if (s->has_actor) {
      sa::Uuid16 a;
      memcpy(a.data(), s->actor.data, UUID_LEN);
      e.actor_user_id = a;
    }
    if (s->actor_role)
      e.actor_role = std::string_view(s->actor_role);
    e.session_user = s->session_user;
    e.current_user = s->current_user;
    if (s->reason)
      e.reason = std::string_view(s->reason);
    if (pe->oldv)
      e.old_values = json(pe->oldv, pe->old_len);
    if (pe->newv)
      e.new_values = json(pe->newv, pe->new_len);
    if (pe->row_count >= 0)
      e.row_count = pe->row_count;
    e.txid = f->txid;
    e.created_at_us = f->created_at;
    sa::Hash prev;
    memcpy(prev.data(), f->head_hash + 32 * o, 32);
    sa::Hash h = sa::entry_hash(prev, e);
    memcpy(f->prev + 32 * k, prev.data(), 32);
    memcpy(f->hash + 32 * k, h.data(), 32);
    memcpy(f->head_hash + 32 * o, h.data(), 32);
  }
}

int64 flush_pending() {
  if (n_unflushed == 0)
    return 0;
  FlushState f;
  pg_call([&] { flush_begin(&f); });
  flush_hash(&f);
  int64 n = f.n;
  pg_call([&] { flush_finish(&f); });
  return n;
}

// ------------------------------------------------- transaction callbacks

void xact_callback(XactEvent event, void *) {
  switch (event) {
  case XACT_EVENT_PRE_COMMIT:
  case XACT_EVENT_PRE_PREPARE:
    if (n_unflushed > 0) {
      switchboard::ErrorReport report;
      if (!switchboard::capture_errors([] { flush_pending(); }, report))
        switchboard::pg::raise(report);
    }
    break;
  case XACT_EVENT_COMMIT:
  case XACT_EVENT_ABORT:
  case XACT_EVENT_PREPARE:
  case XACT_EVENT_PARALLEL_COMMIT:
  case XACT_EVENT_PARALLEL_ABORT:
    reset_buffer();
    break;
  default:
    break;
  }
}

void subxact_callback(SubXactEvent event, SubTransactionId my_subid,
                      SubTransactionId, void *) {
  if (event != SUBXACT_EVENT_ABORT_SUB || n_entries == 0)
    return;
  // entries are appended in time order: those of the aborted subtransaction
  // and its children are exactly the suffix with subid >= my_subid
  int64 keep = n_entries;
  while (keep > 0 && entries[keep - 1].subid >= my_subid)
    --keep;
  n_entries = keep;
  // what was written inside the aborted subtransaction is undone: pending again
  n_unflushed = 0;
  for (int64 i = 0; i < n_entries; ++i) {
    if (entries[i].flushed_subid != InvalidSubTransactionId &&
        entries[i].flushed_subid >= my_subid)
      entries[i].flushed_subid = InvalidSubTransactionId;
    if (entries[i].flushed_subid == InvalidSubTransactionId)
      ++n_unflushed;
  }
}

void define_audit() {
  DefineCustomStringVariable(
      "switchboard.audit_reason",
      "Why the current transaction changes data; stored with its audit "
      "entries.",
      "Set it transaction-locally: SET LOCAL switchboard.audit_reason = '...'.",
      &audit_reason, nullptr, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("switchboard.audit_flush_rows",
                          "Pending audit entries after which a statement "
                          "writes them before commit.",
                          nullptr, &audit_flush_rows, 50000, 1000, 100000000,
                          PGC_USERSET, 0, nullptr, nullptr, nullptr);
  CacheRegisterRelcacheCallback(relcache_callback, (Datum)0);
  RegisterXactCallback(xact_callback, nullptr);
  RegisterSubXactCallback(subxact_callback, nullptr);
}

switchboard::pg::GucRegistrar audit_registrar(define_audit);

} // namespace

// switchboard.audit_trigger() returns trigger: AFTER INSERT/UPDATE/DELETE
// FOR EACH STATEMENT with transition tables, BEFORE TRUNCATE FOR EACH
// STATEMENT.
SWITCHBOARD_FUNCTION(sb_audit_trigger) {
  pg_call([&] { audit_trigger_impl(fcinfo); });
  if (n_unflushed >= audit_flush_rows && GetCurrentTransactionNestLevel() <= 1)
    flush_pending();
  return PointerGetDatum(nullptr);
}

// switchboard.audit_flush() returns bigint: chains and writes this
// transaction's pending audit entries now; returns how many.
SWITCHBOARD_FUNCTION(sb_audit_flush) {
  (void)fcinfo;
  int64 n = flush_pending();
  return Int64GetDatum(n);
}

// switchboard._audit_verify_chain(p_org_id uuid, p_start_seq bigint,
//   p_start_hash bytea, p_head_seq bigint, p_head_hash bytea)
//   returns table(valid boolean, checked bigint, first_invalid_id bigint)
// Walks the org's entries after p_start_seq in seq order. The caller passes
// the chain's start (genesis or a retention checkpoint) and the head.
namespace {
struct VerifyRow {
  int64 id, seq, txid, row_count;
  bool has_row_count, has_actor, prev_null, hash_null;
  TimestampTz created_at;
  pg_uuid_t org, actor;
  char *table_name, *op, *pk, *actor_role, *su, *cu, *reason, *oldv, *newv;
  char *prev, *hash;
  int prev_len, hash_len;
};
struct VerifyBatch {
  int n;
  VerifyRow *rows;
};

char *value_or_null(HeapTuple t, TupleDesc d, int col) {
  return SPI_getvalue(t, d, col); // NULL for SQL NULL
}
} // namespace

namespace {
struct Bytes32 {
  int len;
  uint8 d[32];
};
Bytes32 bytes32_arg(FunctionCallInfo fcinfo, int argno) {
  return pg_call([&] {
    bytea *b = PG_GETARG_BYTEA_PP(argno);
    Bytes32 out;
    out.len = static_cast<int>(VARSIZE_ANY_EXHDR(b));
    memcpy(out.d, VARDATA_ANY(b), Min(out.len, 32));
    return out;
  });
}
} // namespace

SWITCHBOARD_FUNCTION(sb_audit_verify_chain) {
  for (int a = 0; a < 3; ++a)
    if (PG_ARGISNULL(a))
      throw switchboard::Error(
          switchboard::sqlstate::kNullValueNotAllowed,
          "p_org_id, p_start_seq and p_start_hash must not be null");
  pg_uuid_t org = *PG_GETARG_UUID_P(0);
  int64 start_seq = PG_GETARG_INT64(1);
  Bytes32 start_hash = bytes32_arg(fcinfo, 2);
  if (start_hash.len != 32)
    throw switchboard::Error(switchboard::sqlstate::kInvalidParameter,
                             "p_start_hash must be 32 bytes");
  bool has_head = !PG_ARGISNULL(3) && !PG_ARGISNULL(4);
  int64 head_seq = has_head ? PG_GETARG_INT64(3) : 0;
  Bytes32 head_hash{};
  if (has_head)
    head_hash = bytes32_arg(fcinfo, 4);
  sa::Hash start{};
  memcpy(start.data(), start_hash.d, 32);
  sa::ChainVerifier verifier(start_seq, start);

  Portal portal = pg_call([&] {
    if (SPI_connect() != SPI_OK_CONNECT)
      elog(ERROR, "SPI_connect failed");
    Oid types[2] = {UUIDOID, INT8OID};
    Datum args[2] = {UUIDPGetDatum(&org), Int64GetDatum(start_seq)};
    return SPI_cursor_open_with_args(
        "sb_audit_verify",
        "SELECT id, seq, table_name, op, record_pk::text, actor_user_id, "
        "actor_role, "
        "session_user_name, current_user_name, reason, old_values::text, "
        "new_values::text, "
        "row_count, txid, created_at, prev_hash, hash, org_id FROM "
        "public.audit_log "
        "WHERE org_id = $1 AND seq > $2 ORDER BY seq, id",
        2, types, args, nullptr, true, 0);
  });
  MemoryContext batch_cxt = pg_call([] {
    return AllocSetContextCreate(CurrentMemoryContext, "audit verify batch",
                                 ALLOCSET_DEFAULT_SIZES);
  });
  bool done = false;
  while (!done) {
    VerifyBatch b = pg_call([&] {
      MemoryContextReset(batch_cxt);
      SPI_cursor_fetch(portal, true, 1000);
      MemoryContext old = MemoryContextSwitchTo(batch_cxt);
      VerifyBatch out;
      out.n = static_cast<int>(SPI_processed);
      out.rows =
          static_cast<VerifyRow *>(palloc0(sizeof(VerifyRow) * (out.n + 1)));
      TupleDesc d = SPI_tuptable->tupdesc;
      for (int r = 0; r < out.n; ++r) {
        HeapTuple t = SPI_tuptable->vals[r];
        VerifyRow *row = &out.rows[r];
        bool isnull;
        row->id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
        row->seq = DatumGetInt64(SPI_getbinval(t, d, 2, &isnull));
        row->table_name = value_or_null(t, d, 3);
        row->op = value_or_null(t, d, 4);
        row->pk = value_or_null(t, d, 5);
        Datum a = SPI_getbinval(t, d, 6, &isnull);
        row->has_actor = !isnull;
        if (!isnull)
          row->actor = *DatumGetUUIDP(a);
        row->actor_role = value_or_null(t, d, 7);
        row->su = value_or_null(t, d, 8);
        row->cu = value_or_null(t, d, 9);
        row->reason = value_or_null(t, d, 10);
        row->oldv = value_or_null(t, d, 11);
        row->newv = value_or_null(t, d, 12);
        Datum rc = SPI_getbinval(t, d, 13, &isnull);
        row->has_row_count = !isnull;
        row->row_count = isnull ? 0 : DatumGetInt64(rc);
        row->txid = DatumGetInt64(SPI_getbinval(t, d, 14, &isnull));
        row->created_at = DatumGetTimestampTz(SPI_getbinval(t, d, 15, &isnull));
        Datum p = SPI_getbinval(t, d, 16, &row->prev_null);
        if (!row->prev_null) {
          bytea *pb = DatumGetByteaPP(p);
          row->prev_len = VARSIZE_ANY_EXHDR(pb);
          row->prev = static_cast<char *>(palloc(row->prev_len + 1));
          memcpy(row->prev, VARDATA_ANY(pb), row->prev_len);
        }
        Datum h = SPI_getbinval(t, d, 17, &row->hash_null);
        if (!row->hash_null) {
          bytea *hb = DatumGetByteaPP(h);
          row->hash_len = VARSIZE_ANY_EXHDR(hb);
          row->hash = static_cast<char *>(palloc(row->hash_len + 1));
          memcpy(row->hash, VARDATA_ANY(hb), row->hash_len);
        }
        row->org = *DatumGetUUIDP(SPI_getbinval(t, d, 18, &isnull));
      }
      MemoryContextSwitchTo(old);
      SPI_freetuptable(SPI_tuptable);
      return out;
    });
    if (b.n == 0)
      break;
    for (int r = 0; r < b.n; ++r) {
      VerifyRow *row = &b.rows[r];
      bool usable = !row->prev_null && !row->hash_null && row->prev_len == 32 &&
                    row->table_name && row->op && row->su && row->cu;
      sa::Hash recomputed{};
      if (usable) {
        sa::Entry e;
        memcpy(e.org_id.data(), row->org.data, UUID_LEN);
        e.seq = row->seq;
        e.id = row->id;
        e.table_name = row->table_name;
        e.op = row->op;
        if (row->pk)
          e.record_pk = std::string_view(row->pk);
        if (row->has_actor) {
          sa::Uuid16 a;
          memcpy(a.data(), row->actor.data, UUID_LEN);
          e.actor_user_id = a;
        }
        if (row->actor_role)
          e.actor_role = std::string_view(row->actor_role);
        e.session_user = row->su;
        e.current_user = row->cu;
        if (row->reason)
          e.reason = std::string_view(row->reason);
        if (row->oldv)
          e.old_values = std::string_view(row->oldv);
        if (row->newv)
          e.new_values = std::string_view(row->newv);
        if (row->has_row_count)
          e.row_count = row->row_count;
        e.txid = row->txid;
        e.created_at_us = row->created_at;
        sa::Hash prev;
        memcpy(prev.data(), row->prev, 32);
        recomputed = sa::entry_hash(prev, e);
      }
      std::string_view sp = row->prev_null
                                ? std::string_view()
                                : std::string_view(row->prev, row->prev_len);
      std::string_view sh = row->hash_null
                                ? std::string_view()
                                : std::string_view(row->hash, row->hash_len);
      if (!usable)
        sh = std::string_view(); // cannot match: reported at this entry
      if (!verifier.feed(row->id, row->seq, sp, sh, recomputed)) {
        done = true;
        break;
      }
    }
  }
  pg_call([&] {
    SPI_cursor_close(portal);
    SPI_finish();
  });
  // the newest entry must be the head: a missing tail is a break too
  if (verifier.valid() && has_head) {
    const sa::Hash &last = verifier.expected_prev();
    if (verifier.last_seq() != head_seq || head_hash.len != 32 ||
        memcmp(last.data(), head_hash.d, 32) != 0)
      verifier.mark_broken();
  }
  bool valid = verifier.valid();
  int64 checked = verifier.checked();
  std::optional<int64_t> bad = verifier.first_invalid_id();
  return pg_call([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "return type must be a row type");
    desc = BlessTupleDesc(desc);
    Datum values[3] = {BoolGetDatum(valid), Int64GetDatum(checked),
                       Int64GetDatum(bad ? *bad : 0)};
    bool nulls[3] = {false, false, !bad.has_value()};
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
  });
}

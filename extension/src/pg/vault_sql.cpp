// The credential vault's SQL boundary: the keyring GUC, the per-backend
// keyring cache, and the C entry points the vault's SQL functions call.
//
//   switchboard.keyring_file (PGC_SUSET, superuser-only to read)
//   switchboard.vault_seal(org, provider, label, row, secret) -> bytea
//   switchboard.vault_open(org, provider, label, row, envelope) -> text
//   switchboard.vault_reseal(org, provider, label, row, envelope) -> bytea
//   switchboard.vault_envelope_key_version(envelope) -> int (NULL: malformed)
//   switchboard.vault_keyring() -> table(version, fingerprint, newest)
//   switchboard.vault_check_keyring() -> void
//   public.reveal_credential(org, provider, label) -> text (SECURITY DEFINER)
#include "boundary.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "switchboard/vault.hpp"

namespace v = switchboard::vault;
using switchboard::Error;

namespace {

char *keyring_file_guc = nullptr;

void define_vault_gucs() {
  DefineCustomStringVariable(
      "switchboard.keyring_file",
      "Absolute path of the credential vault's root keyring file.",
      "One \"version:base64(32 random bytes)\" per line; the highest version "
      "encrypts, every version decrypts. Must be outside the data directory "
      "and readable by the server user only (mode 600).",
      &keyring_file_guc, "", PGC_SUSET, GUC_SUPERUSER_ONLY, nullptr, nullptr,
      nullptr);
}

switchboard::pg::GucRegistrar vault_gucs(define_vault_gucs);

// The backend's keyring: reloaded when the GUC names another file or the
// file changes (new inode, size, mtime or ctime), e.g. after rotation and
// SIGHUP; the file is stat()ed at most once per statement. Verified against
// switchboard.vault_keys once per load.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  long mtime_s = 0, mtime_ns = 0, ctime_s = 0, ctime_ns = 0;
  bool operator==(const FileIdentity &o) const {
    return dev == o.dev && ino == o.ino && size == o.size &&
           mtime_s == o.mtime_s && mtime_ns == o.mtime_ns &&
           ctime_s == o.ctime_s && ctime_ns == o.ctime_ns;
  }
};

struct KeyringCache {
  std::string path;
  FileIdentity identity;
  std::unique_ptr<v::Keyring> ring;
  bool verified = false;
  // the file is stat()ed at most once per statement
  TimestampTz checked_at_statement = 0;
};

KeyringCache &cache() {
  static KeyringCache c;
  return c;
}

bool identify(const std::string &path, FileIdentity &out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return false;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  out.size = st.st_size;
  out.mtime_s = st.st_mtim.tv_sec;
  out.mtime_ns = st.st_mtim.tv_nsec;
  out.ctime_s = st.st_ctim.tv_sec;
  out.ctime_ns = st.st_ctim.tv_nsec;
  return true;
}

// Registered fingerprints, copied out of SPI as plain data.
struct RegisteredKey {
  std::uint32_t version;
  std::array<std::uint8_t, v::kFingerprintBytes> fp;
  bool fp_ok;
};

std::vector<RegisteredKey> registered_keys() {
  // Plain C data only while PostgreSQL may longjmp.
  RegisteredKey *rows = nullptr;
  int n = 0;
  switchboard::pg::pg_call([&] {
    if (SPI_connect() != SPI_OK_CONNECT)
      elog(ERROR, "vault: SPI_connect failed");
    int rc = SPI_execute(
        "SELECT k.version, k.fingerprint FROM switchboard.vault_keys k "
        "WHERE k.retired_at IS NULL",
        true, 0);
    if (rc != SPI_OK_SELECT)
      elog(ERROR, "vault: reading switchboard.vault_keys failed");
    n = static_cast<int>(SPI_processed);
    // SPI_palloc: outlives SPI_finish (plain palloc here would not)
    rows = static_cast<RegisteredKey *>(
        SPI_palloc(sizeof(RegisteredKey) * (n > 0 ? n : 1)));
    memset(rows, 0, sizeof(RegisteredKey) * (n > 0 ? n : 1));
    for (int i = 0; i < n; ++i) {
      HeapTuple tup = SPI_tuptable->vals[i];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull = false;
      Datum ver = SPI_getbinval(tup, desc, 1, &isnull);
      rows[i].version =
          isnull ? 0 : static_cast<std::uint32_t>(DatumGetInt32(ver));
      Datum fp = SPI_getbinval(tup, desc, 2, &isnull);
      if (!isnull) {
        bytea *b = DatumGetByteaPP(fp);
        if (VARSIZE_ANY_EXHDR(b) == v::kFingerprintBytes) {
          memcpy(rows[i].fp.data(), VARDATA_ANY(b), v::kFingerprintBytes);
          rows[i].fp_ok = true;
        }
      }
    }
    SPI_finish();
  });
  std::vector<RegisteredKey> out(rows, rows + n);
  switchboard::pg::pg_call([&] { pfree(rows); });
  return out;
}

bool vault_keys_exists() {
  return switchboard::pg::pg_call([] {
    Oid ns = get_namespace_oid("switchboard", true);
    return OidIsValid(ns) && OidIsValid(get_relname_relid("vault_keys", ns));
  });
}

// A wrong keyring must say so once, clearly, instead of failing row by row.
void verify(const v::Keyring &ring) {
  if (!vault_keys_exists())
    return;
  std::vector<RegisteredKey> keys = registered_keys();
  bool any_shared = false;
  for (const auto &k : keys) {
    if (!k.fp_ok || !ring.has(k.version))
      continue;
    auto fp = ring.fingerprint_of(k.version);
    if (fp != k.fp)
      throw Error(
          v::sqlstate::kConfig, "keyring does not match",
          "key version " + std::to_string(k.version) +
              " of the keyring file has fingerprint " +
              v::to_hex(fp.data(), fp.size()) + ", this database expects " +
              v::to_hex(k.fp.data(), k.fp.size()),
          "point switchboard.keyring_file at the keyring this database was "
          "encrypted with (see switchboard.vault_keys)");
    any_shared = true;
  }
  if (!keys.empty() && !any_shared)
    throw Error(v::sqlstate::kConfig, "keyring does not match",
                "the keyring file holds none of the key versions this "
                "database uses",
                "point switchboard.keyring_file at the keyring this database "
                "was encrypted with (see switchboard.vault_keys)");
}

const v::Keyring &keyring(bool verified) {
  KeyringCache &c = cache();
  const char *guc = keyring_file_guc ? keyring_file_guc : "";
  TimestampTz statement = GetCurrentStatementStartTimestamp();
  if (c.ring && c.checked_at_statement == statement && c.path == guc) {
    if (verified && !c.verified) {
      verify(*c.ring);
      c.verified = true;
    }
    return *c.ring;
  }
  std::string path = guc;
  FileIdentity id;
  bool found = !path.empty() && identify(path, id);
  c.checked_at_statement = 0;
  if (!c.ring || c.path != path || !found || !(c.identity == id)) {
    c.ring.reset(); // wipes the old keys
    c.verified = false;
    std::string data_dir = DataDir ? DataDir : "";
    c.ring = std::make_unique<v::Keyring>(v::load_keyring_file(path, data_dir));
    c.path = path;
    c.identity = id;
  }
  c.checked_at_statement = statement;
  if (verified && !c.verified) {
    verify(*c.ring);
    c.verified = true;
  }
  return *c.ring;
}

switchboard::Uuid uuid_arg(FunctionCallInfo fcinfo, int argno) {
  switchboard::Uuid out;
  pg_uuid_t *u = PG_GETARG_UUID_P(argno);
  memcpy(out.data(), u->data, out.size());
  return out;
}

struct Bytes {
  const std::uint8_t *data = nullptr;
  std::size_t len = 0;
};

Bytes bytea_arg(FunctionCallInfo fcinfo, int argno) {
  Bytes out;
  switchboard::pg::pg_call([&] {
    bytea *b = PG_GETARG_BYTEA_PP(argno);
    out.data = reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(b));
    out.len = VARSIZE_ANY_EXHDR(b);
  });
  return out;
}

void require(FunctionCallInfo fcinfo, int argno, const char *name) {
  if (PG_ARGISNULL(argno))
    throw Error(switchboard::sqlstate::kNullValueNotAllowed,
                std::string(name) + " must not be null");
}

// Arguments 0..3 of every sealing/opening function: org, provider, label, row.
struct BindingArgs {
  std::string provider, label;
  v::Binding binding;
};

void binding_args(FunctionCallInfo fcinfo, BindingArgs &out) {
  require(fcinfo, 0, "org id");
  require(fcinfo, 1, "provider");
  require(fcinfo, 2, "label");
  require(fcinfo, 3, "row id");
  out.provider = switchboard::pg::text_arg(fcinfo, 1);
  out.label = switchboard::pg::text_arg(fcinfo, 2);
  out.binding.org = uuid_arg(fcinfo, 0);
  out.binding.provider = out.provider;
  out.binding.label = out.label;
  out.binding.row = uuid_arg(fcinfo, 3);
}

// Opens an envelope into the scratch buffer, copies the plaintext into a text
// datum and wipes the scratch whether or not the copy succeeds.
Datum open_to_text(const v::Keyring &ring, const v::Binding &binding,
                   const std::uint8_t *env, std::size_t len) {
  std::string_view plain = v::open_scratch(ring, binding, env, len);
  Datum out = (Datum)0;
  try {
    out = switchboard::pg::pg_call([&] {
      return PointerGetDatum(cstring_to_text_with_len(
          plain.data(), static_cast<int>(plain.size())));
    });
  } catch (...) {
    v::wipe_scratch(plain);
    throw;
  }
  v::wipe_scratch(plain);
  return out;
}

} // namespace

// vault_seal(org uuid, provider text, label text, row uuid, secret text)
SWITCHBOARD_FUNCTION(sb_vault_seal) {
  BindingArgs b;
  binding_args(fcinfo, b);
  require(fcinfo, 4, "secret");
  Bytes secret;
  switchboard::pg::pg_call([&] {
    text *t = PG_GETARG_TEXT_PP(4);
    secret.data = reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(t));
    secret.len = VARSIZE_ANY_EXHDR(t);
  });
  const v::Keyring &ring = keyring(true);
  std::string env =
      v::seal(ring, b.binding,
              std::string_view(reinterpret_cast<const char *>(secret.data),
                               secret.len));
  return switchboard::pg::bytea_datum(env);
}

// vault_open(org uuid, provider text, label text, row uuid, envelope bytea)
SWITCHBOARD_FUNCTION(sb_vault_open) {
  BindingArgs b;
  binding_args(fcinfo, b);
  require(fcinfo, 4, "envelope");
  Bytes env = bytea_arg(fcinfo, 4);
  v::parse_envelope_or_throw(env.data, env.len);
  const v::Keyring &ring = keyring(true);
  return open_to_text(ring, b.binding, env.data, env.len);
}

// vault_reseal(org, provider, label, row, envelope): the same secret sealed
// under the newest key; the plaintext never becomes a SQL value.
SWITCHBOARD_FUNCTION(sb_vault_reseal) {
  BindingArgs b;
  binding_args(fcinfo, b);
  require(fcinfo, 4, "envelope");
  Bytes env = bytea_arg(fcinfo, 4);
  v::parse_envelope_or_throw(env.data, env.len);
  const v::Keyring &ring = keyring(true);
  std::string out;
  try {
    out = v::seal(ring, b.binding,
                  v::open_scratch(ring, b.binding, env.data, env.len));
  } catch (...) {
    v::wipe_scratch();
    throw;
  }
  v::wipe_scratch();
  return switchboard::pg::bytea_datum(out);
}

// vault_envelope_key_version(envelope bytea) -> int; NULL when malformed.
SWITCHBOARD_FUNCTION(sb_vault_envelope_key_version) {
  if (PG_ARGISNULL(0)) {
    fcinfo->isnull = true;
    return (Datum)0;
  }
  Bytes env = bytea_arg(fcinfo, 0);
  v::EnvelopeView view;
  if (v::parse_envelope(env.data, env.len, view) != v::ParseStatus::kOk) {
    fcinfo->isnull = true;
    return (Datum)0;
  }
  return Int32GetDatum(static_cast<std::int32_t>(view.key_version));
}

// vault_keyring() -> table(version int, fingerprint bytea, newest boolean)
// The loaded keyring without checking it against the database, so an
// operator can see what a mismatching file holds.
SWITCHBOARD_FUNCTION(sb_vault_keyring) {
  const v::Keyring &ring = keyring(false);
  std::vector<std::uint32_t> versions = ring.versions();
  std::uint32_t newest = ring.newest_version();
  std::vector<std::array<std::uint8_t, v::kFingerprintBytes>> fps;
  for (auto ver : versions)
    fps.push_back(ring.fingerprint_of(ver));
  switchboard::pg::pg_call([&] {
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsinfo =
        reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (std::size_t i = 0; i < versions.size(); ++i) {
      bytea *fp = static_cast<bytea *>(palloc(VARHDRSZ + v::kFingerprintBytes));
      SET_VARSIZE(fp, VARHDRSZ + v::kFingerprintBytes);
      memcpy(VARDATA(fp), fps[i].data(), v::kFingerprintBytes);
      Datum values[3] = {Int32GetDatum(static_cast<std::int32_t>(versions[i])),
                         PointerGetDatum(fp),
                         BoolGetDatum(versions[i] == newest)};
      bool nulls[3] = {false, false, false};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
  return (Datum)0;
}

// vault_check_keyring() -> void: loads the keyring and compares it with
// switchboard.vault_keys; raises "keyring does not match" when it differs.
SWITCHBOARD_FUNCTION(sb_vault_check_keyring) {
  (void)fcinfo;
  KeyringCache &c = cache();
  keyring(false);
  c.verified = false; // always re-check on request
  keyring(true);
  PG_RETURN_VOID();
}

namespace {

// The row reveal_credential decrypts, copied out of SPI as plain data (the
// envelope is ciphertext: nothing to wipe).
struct CredentialRow {
  bool found = false;
  bool has_envelope = false;
  switchboard::Uuid id{};
  std::string envelope;
};

// One kept plan, every name and operator qualified: the C function runs
// without SET search_path.
SPIPlanPtr reveal_plan = nullptr;

CredentialRow fetch_credential(Datum org, Datum provider, Datum label) {
  CredentialRow row;
  // plain C data only while PostgreSQL may longjmp
  bool found = false;
  pg_uuid_t id{};
  bytea *env = nullptr;
  switchboard::pg::pg_call([&] {
    if (SPI_connect() != SPI_OK_CONNECT)
      elog(ERROR, "vault: SPI_connect failed");
    if (reveal_plan == nullptr) {
      Oid types[3] = {UUIDOID, TEXTOID, TEXTOID};
      SPIPlanPtr p =
          SPI_prepare("SELECT c.id, c.secret FROM public.org_credentials c "
                      "WHERE c.org_id OPERATOR(pg_catalog.=) $1 "
                      "AND c.provider OPERATOR(pg_catalog.=) $2 "
                      "AND c.label OPERATOR(pg_catalog.=) $3",
                      3, types);
      if (p == nullptr)
        elog(ERROR, "vault: could not prepare the credential query");
      SPI_keepplan(p);
      reveal_plan = p;
    }
    Datum args[3] = {org, provider, label};
    if (SPI_execute_plan(reveal_plan, args, nullptr, true, 1) != SPI_OK_SELECT)
      elog(ERROR, "vault: reading public.org_credentials failed");
    if (SPI_processed == 1) {
      HeapTuple tup = SPI_tuptable->vals[0];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull = true;
      Datum d = SPI_getbinval(tup, desc, 1, &isnull);
      if (!isnull) {
        id = *DatumGetUUIDP(d);
        Datum e = SPI_getbinval(tup, desc, 2, &isnull);
        if (!isnull) {
          // SPI_palloc: outlives SPI_finish
          bytea *b = DatumGetByteaPP(e);
          Size n = VARSIZE_ANY_EXHDR(b);
          env = static_cast<bytea *>(SPI_palloc(VARHDRSZ + n));
          SET_VARSIZE(env, VARHDRSZ + n);
          memcpy(VARDATA(env), VARDATA_ANY(b), n);
        }
        found = true;
      }
    }
    SPI_finish();
  });
  row.found = found;
  memcpy(row.id.data(), id.data, row.id.size());
  if (env != nullptr) {
    row.has_envelope = true;
    row.envelope.assign(VARDATA(env), VARSIZE(env) - VARHDRSZ);
    switchboard::pg::pg_call([&] { pfree(env); });
  }
  return row;
}

// The hot path of reveal_credential: one probe of the unique index
// org_credentials_one_per_label (org_id, provider, label) and one heap fetch
// under the statement's snapshot, as the kept SPI plan would do, without SPI
// or the executor. The table and index OIDs and the attribute numbers are
// looked up once per backend and forgotten on any relcache invalidation of
// either. It runs only where the plan would see exactly the same rows: the
// function's owner (the current user of the SECURITY DEFINER call) has SELECT
// on the table and row-level security does not apply to it; anything else
// (or a table that no longer looks as expected) takes the SPI path.
struct DirectScan {
  bool looked_up = false;
  Oid rel = InvalidOid;
  Oid index = InvalidOid;
  AttrNumber att_org = 0, att_provider = 0, att_label = 0, att_id = 0,
             att_secret = 0;
};
DirectScan direct;
bool direct_callback = false;

void direct_invalidate(Datum, Oid relid) {
  if (relid == InvalidOid || relid == direct.rel || relid == direct.index)
    direct.looked_up = false;
}

// Runs under pg_call (may elog); plain C data only.
void direct_lookup() {
  if (!direct_callback) {
    CacheRegisterRelcacheCallback(direct_invalidate, (Datum)0);
    direct_callback = true;
  }
  direct = DirectScan{};
  Oid ns = get_namespace_oid("public", true);
  if (OidIsValid(ns)) {
    direct.rel = get_relname_relid("org_credentials", ns);
    direct.index = get_relname_relid("org_credentials_one_per_label", ns);
  }
  if (OidIsValid(direct.rel)) {
    direct.att_org = get_attnum(direct.rel, "org_id");
    direct.att_provider = get_attnum(direct.rel, "provider");
    direct.att_label = get_attnum(direct.rel, "label");
    direct.att_id = get_attnum(direct.rel, "id");
    direct.att_secret = get_attnum(direct.rel, "secret");
  }
  direct.looked_up = true;
}

// The envelope is ciphertext (nothing to wipe); one buffer per backend. A
// stored envelope longer than the buffer cannot pass the table's CHECK; were
// one there, only its head is copied and the parser rejects its length.
std::uint8_t direct_envelope[v::kMaxEnvelopeBytes + 1];

enum class Direct { kNotApplicable, kNotFound, kFound };

// Runs under pg_call. On kFound: *id, *has_envelope, *env_len (the true
// length; min(len, sizeof direct_envelope) bytes are in direct_envelope).
Direct direct_fetch(Datum org, Datum provider, Datum label, pg_uuid_t *id,
                    bool *has_envelope, std::size_t *env_len) {
  if (!direct.looked_up)
    direct_lookup();
  if (!OidIsValid(direct.rel) || !OidIsValid(direct.index) ||
      direct.att_org <= 0 || direct.att_provider <= 0 ||
      direct.att_label <= 0 || direct.att_id <= 0 || direct.att_secret <= 0 ||
      !ActiveSnapshotSet())
    return Direct::kNotApplicable;
  if (pg_class_aclcheck(direct.rel, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
      check_enable_rls(direct.rel, InvalidOid, true) == RLS_ENABLED)
    return Direct::kNotApplicable;
  // the lock accepts pending invalidations: a table or index dropped (and
  // perhaps recreated) since the lookup is noticed here and the SPI path,
  // which plans afresh, serves this call
  Relation heap = try_table_open(direct.rel, AccessShareLock);
  if (heap == nullptr) {
    direct.looked_up = false;
    return Direct::kNotApplicable;
  }
  if (!direct.looked_up) {
    table_close(heap, AccessShareLock);
    return Direct::kNotApplicable;
  }
  Relation irel = index_open(direct.index, AccessShareLock);
  Form_pg_index ix = irel->rd_index;
  TupleDesc hdesc = RelationGetDescr(heap);
  bool usable =
      ix->indrelid == direct.rel && ix->indisvalid && ix->indisunique &&
      irel->rd_rel->relam == BTREE_AM_OID && ix->indnkeyatts == 3 &&
      RelationGetIndexExpressions(irel) == NIL &&
      RelationGetIndexPredicate(irel) == NIL &&
      ix->indkey.values[0] == direct.att_org &&
      ix->indkey.values[1] == direct.att_provider &&
      ix->indkey.values[2] == direct.att_label &&
      TupleDescAttr(hdesc, direct.att_org - 1)->atttypid == UUIDOID &&
      TupleDescAttr(hdesc, direct.att_provider - 1)->atttypid == TEXTOID &&
      TupleDescAttr(hdesc, direct.att_label - 1)->atttypid == TEXTOID &&
      TupleDescAttr(hdesc, direct.att_id - 1)->atttypid == UUIDOID &&
      TupleDescAttr(hdesc, direct.att_secret - 1)->atttypid == BYTEAOID &&
      irel->rd_opcintype[0] == UUIDOID && irel->rd_opcintype[1] == TEXTOID &&
      irel->rd_opcintype[2] == TEXTOID &&
      // the query compares under the columns' collations
      irel->rd_indcollation[1] ==
          TupleDescAttr(hdesc, direct.att_provider - 1)->attcollation &&
      irel->rd_indcollation[2] ==
          TupleDescAttr(hdesc, direct.att_label - 1)->attcollation;
  if (!usable) {
    index_close(irel, AccessShareLock);
    table_close(heap, AccessShareLock);
    return Direct::kNotApplicable;
  }
  ScanKeyData keys[3];
  ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                         irel->rd_indcollation[0], F_UUID_EQ, org);
  ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                         irel->rd_indcollation[1], F_TEXTEQ, provider);
  ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
                         irel->rd_indcollation[2], F_TEXTEQ, label);
  IndexScanDesc scan = index_beginscan(heap, irel, GetActiveSnapshot(), 3, 0);
  index_rescan(scan, keys, 3, nullptr, 0);
  TupleTableSlot *slot = table_slot_create(heap, nullptr);
  Direct result = Direct::kNotFound;
  if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
    bool isnull = true;
    Datum d = slot_getattr(slot, direct.att_id, &isnull);
    if (!isnull) {
      *id = *DatumGetUUIDP(d);
      result = Direct::kFound;
      Datum e = slot_getattr(slot, direct.att_secret, &isnull);
      *has_envelope = !isnull;
      if (!isnull) {
        bytea *b = DatumGetByteaPP(e);
        Size n = VARSIZE_ANY_EXHDR(b);
        *env_len = n;
        memcpy(direct_envelope, VARDATA_ANY(b),
               n < sizeof direct_envelope ? n : sizeof direct_envelope);
        if (reinterpret_cast<Pointer>(b) != DatumGetPointer(e))
          pfree(b);
      }
    }
  }
  ExecDropSingleTupleTableSlot(slot);
  index_endscan(scan);
  index_close(irel, NoLock);
  table_close(heap, NoLock);
  return result;
}

// Raises the error the PL/pgSQL version raised for a NULL, unknown or
// malformed provider or label (switchboard.vault_check_names); returns when
// the names are valid.
void check_names(FunctionCallInfo fcinfo) {
  switchboard::pg::pg_call([&] {
    if (SPI_connect() != SPI_OK_CONNECT)
      elog(ERROR, "vault: SPI_connect failed");
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum args[2] = {PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
    char nulls[3] = {PG_ARGISNULL(1) ? 'n' : ' ', PG_ARGISNULL(2) ? 'n' : ' ',
                     '\0'};
    if (SPI_execute_with_args("SELECT switchboard.vault_check_names($1, $2)", 2,
                              types, args, nulls, true, 1) != SPI_OK_SELECT)
      elog(ERROR, "vault: checking the credential names failed");
    SPI_finish();
  });
}

} // namespace

// public.reveal_credential(p_org_id uuid, p_provider text, p_label text
// DEFAULT 'default') -> text, SECURITY DEFINER: the backend's hot path, in C
// so that a reveal costs one lookup and one decrypt. The same rules and
// errors as the PL/pgSQL version it replaces: service_role or a superuser
// (the request's role, not the definer), else 42501; p_org_id required
// (22023); a missing row is 22004/22023 for bad names, else P0002.
SWITCHBOARD_FUNCTION(sb_vault_reveal_credential) {
  bool allowed = switchboard::pg::pg_call([] {
    Oid role = GetOuterUserId();
    return superuser_arg(role) || role == get_role_oid("service_role", true);
  });
  if (!allowed)
    throw Error(switchboard::sqlstate::kInsufficientPrivilege,
                "only the backend (service_role) may reveal credentials");
  if (PG_ARGISNULL(0))
    throw Error(switchboard::sqlstate::kInvalidParameter,
                "p_org_id is required for service_role callers");
  // provider and label as views of the (detoasted) arguments: no copies
  std::string_view provider, label("default");
  Datum label_datum = (Datum)0;
  switchboard::pg::pg_call([&] {
    if (!PG_ARGISNULL(1)) {
      text *t = PG_GETARG_TEXT_PP(1);
      provider = std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    }
    if (PG_ARGISNULL(2)) {
      label_datum = PointerGetDatum(cstring_to_text("default"));
    } else {
      text *t = PG_GETARG_TEXT_PP(2);
      label = std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
      label_datum = PointerGetDatum(t);
    }
  });
  bool found = false, has_envelope = false;
  v::Binding binding;
  const std::uint8_t *env = nullptr;
  std::size_t env_len = 0;
  CredentialRow row; // the SPI path's copy, when it is taken
  if (!PG_ARGISNULL(1)) {
    pg_uuid_t id{};
    Direct d = switchboard::pg::pg_call([&] {
      return direct_fetch(PG_GETARG_DATUM(0),
                          PointerGetDatum(PG_GETARG_TEXT_PP(1)), label_datum,
                          &id, &has_envelope, &env_len);
    });
    if (d == Direct::kNotApplicable) {
      row =
          fetch_credential(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), label_datum);
      found = row.found;
      has_envelope = row.has_envelope;
      binding.row = row.id;
      env = reinterpret_cast<const std::uint8_t *>(row.envelope.data());
      env_len = row.envelope.size();
    } else {
      found = d == Direct::kFound;
      memcpy(binding.row.data(), id.data, binding.row.size());
      env = direct_envelope;
    }
  }
  if (!found) {
    // say why: a bad provider or label (22004/22023), else not found
    check_names(fcinfo);
    throw Error(switchboard::sqlstate::kNotFound, "credential not found",
                "the org has no " + std::string(provider) +
                    " credential labelled " + std::string(label));
  }
  if (!has_envelope)
    throw Error(switchboard::sqlstate::kNullValueNotAllowed,
                "envelope must not be null");
  memcpy(binding.org.data(), PG_GETARG_UUID_P(0)->data, binding.org.size());
  binding.provider = provider;
  binding.label = label;
  v::parse_envelope_or_throw(env, env_len);
  const v::Keyring &ring = keyring(true);
  return open_to_text(ring, binding, env, env_len);
}

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
#include "boundary.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
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
  std::string_view plain = v::open_scratch(ring, b.binding, env.data, env.len);
  Datum out = (Datum)0;
  try {
    out = switchboard::pg::pg_call([&] {
      return PointerGetDatum(cstring_to_text_with_len(
          plain.data(), static_cast<int>(plain.size())));
    });
  } catch (...) {
    v::wipe_scratch();
    throw;
  }
  v::wipe_scratch();
  return out;
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

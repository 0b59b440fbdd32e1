// switchboard.current_org_id() and switchboard.current_user_id(): the
// PostgREST claims GUC read in C. Policies evaluate these once per statement;
// a SQL version pays for JSON parsing, a regex and a search_path switch every
// time. The last raw claims string is parsed once and its two ids cached, so
// a transaction that sets its claims once parses them once.
#include "boundary.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"
}

#include <cstring>
#include <string>

namespace {

struct ClaimsCache {
  bool valid = false;
  std::string raw;
  bool has_org = false;
  bool has_sub = false;
  pg_uuid_t org{};
  pg_uuid_t sub{};
};

ClaimsCache cache;

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Canonical 8-4-4-4-12 form only: anything else reads as "no id".
bool parse_uuid(const char *s, int len, pg_uuid_t *out) {
  if (len != 36)
    return false;
  int byte = 0;
  for (int i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
      ++i;
      continue;
    }
    int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out->data[byte++] = static_cast<unsigned char>(hi * 16 + lo);
    i += 2;
  }
  return byte == UUID_LEN;
}

bool string_member(JsonbContainer *container, const char *key, pg_uuid_t *out) {
  JsonbValue v;
  if (getKeyJsonValueFromContainer(container, key, strlen(key), &v) ==
          nullptr ||
      v.type != jbvString)
    return false;
  return parse_uuid(v.val.string.val, v.val.string.len, out);
}

// Brings the cache in line with the current GUC value. Called only where no
// C++ object needs unwinding if jsonb_in raises (bad JSON is the caller's
// error and is reported as such).
void refresh_claims() {
  const char *raw = GetConfigOption("request.jwt.claims", true, false);
  if (raw == nullptr)
    raw = "";
  if (cache.valid && cache.raw == raw)
    return;
  ClaimsCache fresh;
  fresh.raw = raw;
  if (raw[0] != '\0') {
    switchboard::pg::pg_call([&] {
      Datum d = DirectFunctionCall1(jsonb_in, CStringGetDatum(raw));
      Jsonb *jb = DatumGetJsonbP(d);
      if (JB_ROOT_IS_OBJECT(jb)) {
        fresh.has_sub = string_member(&jb->root, "sub", &fresh.sub);
        JsonbValue meta;
        if (getKeyJsonValueFromContainer(&jb->root, "app_metadata", 12,
                                         &meta) != nullptr &&
            meta.type == jbvBinary &&
            JsonContainerIsObject(meta.val.binary.data))
          fresh.has_org =
              string_member(meta.val.binary.data, "org_id", &fresh.org);
      }
      pfree(jb);
    });
  }
  fresh.valid = true;
  cache = std::move(fresh);
}

Datum uuid_datum(const pg_uuid_t &u) {
  return switchboard::pg::pg_call([&] {
    pg_uuid_t *out = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
    *out = u;
    return UUIDPGetDatum(out);
  });
}

} // namespace

SWITCHBOARD_FUNCTION(sb_current_org_id) {
  refresh_claims();
  if (!cache.has_org)
    PG_RETURN_NULL();
  return uuid_datum(cache.org);
}

SWITCHBOARD_FUNCTION(sb_current_user_id) {
  refresh_claims();
  if (!cache.has_sub)
    PG_RETURN_NULL();
  return uuid_datum(cache.sub);
}

namespace {

// Reads the member role of (org, user) from public.org_members (created by
// the migrations) through one kept plan. The query qualifies every name and
// operator, so search_path cannot redirect it. Runs with the privileges of the
// SECURITY DEFINER function that calls it, so org_members' own policies (which
// call current_org_role) do not recurse. Returns a palloc'd text or 0.
Datum lookup_member_role(pg_uuid_t org, pg_uuid_t user) {
  Datum role = (Datum)0;
  switchboard::pg::pg_call([&] {
    static SPIPlanPtr plan = nullptr;
    SPI_connect();
    if (plan == nullptr) {
      Oid types[2] = {UUIDOID, UUIDOID};
      SPIPlanPtr p = SPI_prepare("SELECT m.role FROM public.org_members m "
                                 "WHERE m.org_id OPERATOR(pg_catalog.=) $1 "
                                 "AND m.user_id OPERATOR(pg_catalog.=) $2",
                                 2, types);
      if (p == nullptr)
        elog(ERROR, "could not prepare the member role query");
      SPI_keepplan(p);
      plan = p;
    }
    Datum args[2] = {UUIDPGetDatum(&org), UUIDPGetDatum(&user)};
    if (SPI_execute_plan(plan, args, nullptr, true, 1) == SPI_OK_SELECT &&
        SPI_processed == 1) {
      bool isnull = true;
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
                              &isnull);
      if (!isnull)
        role = SPI_datumTransfer(d, false, -1);
    }
    SPI_finish();
  });
  return role;
}

} // namespace

// switchboard.current_org_role(): the caller's role in its claims org.
SWITCHBOARD_FUNCTION(sb_current_org_role) {
  refresh_claims();
  if (!cache.has_org || !cache.has_sub)
    PG_RETURN_NULL();
  Datum role = lookup_member_role(cache.org, cache.sub);
  if (role == (Datum)0)
    PG_RETURN_NULL();
  return role;
}

namespace {
// The role of the request: its SET ROLE, else the login role. Unlike
// current_user this does not change inside SECURITY DEFINER functions.
Oid request_role() { return GetOuterUserId(); }
} // namespace

// switchboard.caller_role() returns text
SWITCHBOARD_FUNCTION(sb_caller_role) {
  (void)fcinfo;
  return switchboard::pg::pg_call([] {
    return CStringGetTextDatum(GetUserNameFromId(request_role(), false));
  });
}

namespace {
bool request_is_service() {
  return switchboard::pg::pg_call([] {
    Oid role = request_role();
    return superuser_arg(role) || role == get_role_oid("service_role", true);
  });
}
} // namespace

// switchboard.is_service() returns boolean: service_role or a superuser.
SWITCHBOARD_FUNCTION(sb_is_service) {
  (void)fcinfo;
  PG_RETURN_BOOL(request_is_service());
}

// switchboard.assert_org_access(p_org_id uuid, p_roles text[]) returns uuid:
// the one check every API function makes before touching tenant data.
// service_role/superuser: p_org_id is required and returned. authenticated:
// NULL means the caller's org, another org is 42501, and the caller must be a
// member with one of p_roles (NULL: any member role).
SWITCHBOARD_FUNCTION(sb_assert_org_access) {
  using switchboard::Error;
  namespace sqlstate = switchboard::sqlstate;
  bool has_org_arg = !PG_ARGISNULL(0);
  pg_uuid_t org_arg{};
  if (has_org_arg)
    org_arg = *PG_GETARG_UUID_P(0);
  if (request_is_service()) {
    if (!has_org_arg)
      throw Error(sqlstate::kInvalidParameter,
                  "p_org_id is required for service_role callers");
    return uuid_datum(org_arg);
  }
  refresh_claims();
  if (!cache.has_org)
    throw Error(sqlstate::kInsufficientPrivilege,
                "no tenant claims: request.jwt.claims must carry "
                "app_metadata.org_id");
  if (has_org_arg && memcmp(org_arg.data, cache.org.data, UUID_LEN) != 0)
    throw Error(sqlstate::kInsufficientPrivilege,
                "not allowed to act on another org");
  Datum role = cache.has_sub ? lookup_member_role(cache.org, cache.sub) : 0;
  if (role == (Datum)0)
    throw Error(sqlstate::kInsufficientPrivilege,
                "caller is not a member of the org");
  if (!PG_ARGISNULL(1)) {
    std::string member;
    std::string allowed;
    bool ok = false;
    switchboard::pg::pg_call([&] {
      member = TextDatumGetCString(role);
      ArrayType *roles = PG_GETARG_ARRAYTYPE_P(1);
      Datum *elems;
      bool *nulls;
      int n;
      deconstruct_array(roles, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls,
                        &n);
      for (int i = 0; i < n; ++i) {
        if (nulls[i])
          continue;
        char *r = TextDatumGetCString(elems[i]);
        if (member == r)
          ok = true;
        if (!allowed.empty())
          allowed += ", ";
        allowed += r;
      }
    });
    if (!ok)
      throw Error(sqlstate::kInsufficientPrivilege,
                  "member role " + member + " may not do this", "",
                  "allowed roles: " + allowed);
  }
  return uuid_datum(cache.org);
}

-- Audit trail storage: the append-only, month-partitioned audit_log, the
-- per-org chain heads and the checkpoints. Written only by the C++ trigger's
-- commit-time flush (as the table owner); nobody may UPDATE, DELETE or
-- TRUNCATE it, the owner included.

CREATE SEQUENCE switchboard.audit_log_id_seq AS bigint;
COMMENT ON SEQUENCE switchboard.audit_log_id_seq IS 'ids of audit_log entries (global; the per-org order is audit_log.seq)';
REVOKE ALL ON SEQUENCE switchboard.audit_log_id_seq FROM PUBLIC;

CREATE TABLE public.audit_log (
  id bigint NOT NULL,
  org_id uuid NOT NULL,
  seq bigint NOT NULL,
  table_name text NOT NULL,
  record_pk jsonb,
  op text NOT NULL,
  actor_user_id uuid,
  actor_role text,
  session_user_name text NOT NULL,
  current_user_name text NOT NULL,
  reason text,
  old_values jsonb,
  new_values jsonb,
  row_count bigint,
  txid bigint NOT NULL,
  created_at timestamptz NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  -- one index only: each org's chain grows at its right edge, so inserts
  -- take btree's rightmost fast path (a jsonb index on record_pk tripled the
  -- cost of bulk writes; add one if history lookups of big orgs need it)
  PRIMARY KEY (org_id, seq, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.audit_log IS
  'append-only audit trail: one row per changed row, written in the same transaction, hash-chained per org; partitioned by month';
COMMENT ON COLUMN public.audit_log.id IS 'global entry id (switchboard.audit_log_id_seq)';
COMMENT ON COLUMN public.audit_log.seq IS 'position in the org''s chain: 1, 2, 3 ... without gaps, in commit order';
COMMENT ON COLUMN public.audit_log.table_name IS 'the changed table (schema-qualified unless public)';
COMMENT ON COLUMN public.audit_log.record_pk IS 'primary-key values of the changed row as a JSON object (never OIDs)';
COMMENT ON COLUMN public.audit_log.op IS 'INSERT, UPDATE, DELETE or TRUNCATE';
COMMENT ON COLUMN public.audit_log.actor_user_id IS 'claims.sub of the request, NULL without claims';
COMMENT ON COLUMN public.audit_log.actor_role IS 'the request''s database role (its SET ROLE, else the login role)';
COMMENT ON COLUMN public.audit_log.session_user_name IS 'session_user of the writing connection';
COMMENT ON COLUMN public.audit_log.current_user_name IS 'current_user when the change was made (the owner inside SECURITY DEFINER functions)';
COMMENT ON COLUMN public.audit_log.reason IS 'switchboard.audit_reason of the transaction (SET LOCAL), if any';
COMMENT ON COLUMN public.audit_log.old_values IS 'DELETE: the old row; UPDATE: the changed columns'' old values; excluded columns read "[excluded]"';
COMMENT ON COLUMN public.audit_log.new_values IS 'INSERT: the new row; UPDATE: the changed columns'' new values; excluded columns read "[excluded]"';
COMMENT ON COLUMN public.audit_log.row_count IS 'TRUNCATE: how many rows of this org the table held';
COMMENT ON COLUMN public.audit_log.txid IS 'txid_current() of the writing transaction';
COMMENT ON COLUMN public.audit_log.created_at IS 'when the entry was chained (the commit of its transaction, or an explicit audit_flush)';
COMMENT ON COLUMN public.audit_log.prev_hash IS 'hash of the org''s previous entry (32 zero bytes before the first)';
COMMENT ON COLUMN public.audit_log.hash IS 'BLAKE2b-256(prev_hash || canonical encoding of this entry)';

CREATE TABLE public.audit_log_default PARTITION OF public.audit_log DEFAULT;
COMMENT ON TABLE public.audit_log_default IS 'audit entries outside the monthly partitions (see switchboard.audit_ensure_partitions)';

-- (no CHECK constraints: this row moves on every audited commit and the C++
-- writer is the only one that writes it)
CREATE TABLE switchboard.audit_chain_heads (
  org_id uuid PRIMARY KEY,
  seq bigint NOT NULL,
  hash bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE switchboard.audit_chain_heads IS
  'the newest (seq, hash) of each org''s audit chain; moved under the org''s advisory lock at commit';

CREATE TABLE switchboard.audit_checkpoints (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  kind text NOT NULL CHECK (kind IN ('export', 'retention')),
  note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_checkpoints_org_idx ON switchboard.audit_checkpoints (org_id, kind, seq);
COMMENT ON TABLE switchboard.audit_checkpoints IS
  'sealed (org, seq, hash) points of the audit chains: exported copies, and the last entry of each month dropped by retention';
COMMENT ON INDEX switchboard.audit_checkpoints_org_idx IS 'latest checkpoint of an org and kind';
REVOKE ALL ON switchboard.audit_chain_heads, switchboard.audit_checkpoints FROM PUBLIC;

-- The guard: refuses UPDATE, DELETE and TRUNCATE for every role, the owner
-- and superusers included (only disabling triggers gets past it, and the hash
-- chain reports what was changed then).
CREATE FUNCTION switchboard.audit_append_only() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, lower(TG_OP)
    USING ERRCODE = '42501', HINT = 'old months are removed only by switchboard.audit_drop_months()';
END
$$;
COMMENT ON FUNCTION switchboard.audit_append_only() IS 'guard trigger of the audit tables: refuses UPDATE, DELETE and TRUNCATE';
REVOKE ALL ON FUNCTION switchboard.audit_append_only() FROM PUBLIC;

CREATE TRIGGER audit_append_only_row BEFORE UPDATE OR DELETE ON public.audit_log
  FOR EACH ROW EXECUTE FUNCTION switchboard.audit_append_only();
CREATE TRIGGER audit_append_only_stmt BEFORE UPDATE OR DELETE OR TRUNCATE ON public.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_append_only();
CREATE TRIGGER audit_append_only_stmt BEFORE UPDATE OR DELETE OR TRUNCATE ON public.audit_log_default
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_append_only();
CREATE TRIGGER audit_append_only_row BEFORE UPDATE OR DELETE ON switchboard.audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION switchboard.audit_append_only();
CREATE TRIGGER audit_append_only_stmt BEFORE UPDATE OR DELETE OR TRUNCATE ON switchboard.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_append_only();

-- Reading: owners and admins of the org; service_role (BYPASSRLS) reads all.
-- Nobody is granted INSERT/UPDATE/DELETE/TRUNCATE: the flush writes as owner.
ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON public.audit_log FOR SELECT TO authenticated
  USING (org_id = (SELECT switchboard.current_org_id())
         AND (SELECT switchboard.current_org_role()) IN ('owner', 'admin'));
COMMENT ON POLICY audit_read ON public.audit_log IS 'owners and admins read their own org''s audit entries; agents and viewers do not';
REVOKE ALL ON public.audit_log FROM PUBLIC;
REVOKE ALL ON public.audit_log_default FROM PUBLIC;
GRANT SELECT ON public.audit_log TO authenticated, service_role;

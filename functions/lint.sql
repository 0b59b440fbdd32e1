-- switchboard.schema_lint(): the checks supabase/splinter makes, plus the
-- tenant-key checks it misses. Each row is one violation; none means clean.

CREATE TABLE IF NOT EXISTS switchboard.lint_exceptions (
  check_name text NOT NULL,
  object_name text NOT NULL,
  reason text NOT NULL CHECK (length(reason) > 0),
  PRIMARY KEY (check_name, object_name)
);
COMMENT ON TABLE switchboard.lint_exceptions IS
  'violations that are intended, with the reason (e.g. a SECURITY DEFINER function meant for anon)';

CREATE OR REPLACE FUNCTION switchboard.schema_lint()
  RETURNS TABLE (check_name text, object_name text, detail text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
WITH
own_schemas AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname IN ('public', 'switchboard')
),
-- functions we own: in our schemas, and not members of another extension
funcs AS (
  SELECT p.oid, p.oid::regprocedure::text AS name, p.prosecdef, p.proconfig, p.proacl, p.proowner, p.prolang
  FROM pg_proc p JOIN own_schemas n ON n.oid = p.pronamespace
  WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      AND e.extname <> 'switchboard')
),
tables AS (
  SELECT c.oid, c.oid::regclass::text AS name, c.relkind, c.relispartition,
         c.relrowsecurity, c.relforcerowsecurity,
         (SELECT a.attnum FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped) AS org_attnum
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
),
violations AS (
  SELECT 'function_search_path_mutable' AS check_name, f.name AS object_name,
         'function does not pin search_path (add SET search_path = pg_catalog, public, pg_temp)' AS detail
  FROM funcs f
  WHERE NOT EXISTS (SELECT 1 FROM unnest(f.proconfig) c WHERE c LIKE 'search\_path=%')
    -- C functions of the extension run no SQL by name lookup (house rule), and a
    -- SET clause would cost a GUC switch per call on the hottest paths
    AND f.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
  UNION ALL
  SELECT 'security_definer_exposed', f.name,
         format('SECURITY DEFINER function executable by %s', coalesce(nullif(r.rolname, ''), 'PUBLIC'))
  FROM funcs f
  CROSS JOIN LATERAL aclexplode(coalesce(f.proacl, acldefault('f', f.proowner))) a
  LEFT JOIN pg_roles r ON r.oid = a.grantee
  WHERE f.prosecdef AND a.privilege_type = 'EXECUTE'
    AND (a.grantee = 0 OR r.rolname = 'anon')
  UNION ALL
  SELECT 'view_without_security_invoker', c.oid::regclass::text,
         'view runs with its owner''s rights; set security_invoker = true'
  FROM pg_class c JOIN own_schemas n ON n.oid = c.relnamespace
  WHERE c.relkind = 'v'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
    AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true']
                     OR c.reloptions @> ARRAY['security_invoker=on'], false)
  UNION ALL
  SELECT 'table_without_org_id', t.name, 'every table in public is a tenant table and needs org_id uuid not null'
  FROM tables t WHERE t.org_attnum IS NULL
  UNION ALL
  SELECT 'rls_not_forced', t.name,
         CASE WHEN NOT t.relrowsecurity THEN 'row level security is disabled'
              ELSE 'row level security is not forced (table owner bypasses it)' END
  FROM tables t
  WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
    -- a partition without its own RLS is fine only if no API role can reach it directly
    AND NOT (t.relispartition
             AND NOT has_table_privilege('authenticated', t.oid, 'SELECT,INSERT,UPDATE,DELETE')
             AND NOT has_table_privilege('anon', t.oid, 'SELECT,INSERT,UPDATE,DELETE'))
  UNION ALL
  SELECT 'rls_without_policy', t.name, 'row level security is enabled but the table has no policy'
  FROM tables t
  WHERE t.relrowsecurity AND NOT t.relispartition
    AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid)
  UNION ALL
  SELECT 'constraint_without_org_id', format('%s.%s', t.name, con.conname),
         format('%s constraint does not include org_id', CASE con.contype WHEN 'p' THEN 'primary key'
           WHEN 'u' THEN 'unique' WHEN 'x' THEN 'exclusion' ELSE 'foreign key' END)
  FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid
  WHERE t.org_attnum IS NOT NULL AND con.contype IN ('p', 'u', 'x', 'f')
    AND NOT (t.org_attnum = ANY (con.conkey))
    AND NOT (t.name = 'public.organizations' AND con.contype = 'p')
    AND con.conparentid = 0
  UNION ALL
  SELECT 'missing_comment', f.name, 'function has no COMMENT'
  FROM funcs f WHERE obj_description(f.oid, 'pg_proc') IS NULL
  UNION ALL
  SELECT 'missing_comment', c.oid::regclass::text,
         CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END || ' has no COMMENT'
  FROM pg_class c JOIN own_schemas n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
    AND obj_description(c.oid, 'pg_class') IS NULL
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'no_index_leading_org_id', t.name, 'no index whose first column is org_id'
  FROM tables t
  WHERE t.org_attnum IS NOT NULL AND NOT t.relispartition
    AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indkey[0] = t.org_attnum)
)
SELECT v.check_name, v.object_name, v.detail
FROM violations v
WHERE NOT EXISTS (SELECT 1 FROM switchboard.lint_exceptions x
                  WHERE x.check_name = v.check_name AND x.object_name = v.object_name)
ORDER BY 1, 2
$$;
COMMENT ON FUNCTION switchboard.schema_lint() IS
  'schema lint: mutable search_path, exposed SECURITY DEFINER, views without security_invoker, tenant tables without forced RLS or policies, keys without org_id, no leading org_id index, objects without COMMENT';

-- Verify switchboard:vault on pg
SELECT id, org_id, provider, label, secret, secret_hint, key_version, metadata FROM public.org_credentials WHERE false;
SELECT version, fingerprint, retired_at FROM switchboard.vault_keys WHERE false;
SELECT 1/count(*) FROM pg_class WHERE oid = 'public.org_credentials'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1/(NOT has_column_privilege('authenticated', 'public.org_credentials', 'secret', 'SELECT'))::int;
SELECT 'public.set_credential(uuid, text, text, text, jsonb)'::regprocedure,
       'public.reveal_credential(uuid, text, text)'::regprocedure,
       'public.delete_credential(uuid, text, text)'::regprocedure,
       'switchboard.rotate_credentials(int)'::regprocedure,
       'public.list_credentials(uuid)'::regprocedure,
       'switchboard.vault_migrate_legacy(regclass, name, text, name, name, int, boolean)'::regprocedure;

-- Verify switchboard:vault_rotation_safety on pg
SELECT 1/count(*) FROM pg_proc
WHERE oid = 'switchboard.vault_retire_key(int)'::regprocedure AND prosrc LIKE '%transaction_isolation%';
SELECT 1/count(*) FROM pg_proc
WHERE oid = 'public.set_credential(uuid,text,text,text,jsonb)'::regprocedure AND prosrc LIKE '%is retired%';

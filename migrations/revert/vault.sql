-- Revert switchboard:vault from pg
BEGIN;
DROP FUNCTION switchboard.vault_migrate_legacy(regclass, name, text, name, name, int, boolean);
DROP FUNCTION switchboard.vault_retire_key(int);
DROP FUNCTION switchboard.vault_status();
DROP VIEW switchboard.vault_rotation_progress;
DROP FUNCTION switchboard.rotate_credentials(int);
DROP FUNCTION switchboard.vault_require_service();
DROP FUNCTION public.list_credentials(uuid);
DROP VIEW public.org_credentials_masked;
DROP FUNCTION public.delete_credential(uuid, text, text);
DROP FUNCTION public.reveal_credential(uuid, text, text);
DROP FUNCTION public.set_credential(uuid, text, text, text, jsonb);
DROP FUNCTION switchboard.vault_store(uuid, text, text, text, jsonb, uuid);
DROP FUNCTION switchboard.vault_check_names(text, text);
DROP FUNCTION switchboard.vault_providers();
DROP TABLE switchboard.vault_keys;
DROP TABLE public.org_credentials;
DELETE FROM switchboard.lint_exceptions
WHERE check_name = 'function_search_path_mutable'
  AND object_name IN ('switchboard.vault_seal(uuid,text,text,uuid,text)', 'switchboard.vault_open(uuid,text,text,uuid,bytea)',
                      'switchboard.vault_envelope_key_version(bytea)');
-- restore the extension function's default privileges changed by the deploy
REVOKE EXECUTE ON FUNCTION switchboard.vault_keyring() FROM service_role;
COMMIT;

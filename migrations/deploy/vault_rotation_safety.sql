-- Deploy switchboard:vault_rotation_safety to pg
-- requires: vault
-- functions/vault_rotation_safety.sql: retire/rotate/set are safe
-- against each other (no row under a retired key), set_credential in one function.
BEGIN;
\ir ../../functions/vault_rotation_safety.sql
COMMIT;

-- Deploy switchboard:vault to pg
-- The credential vault: org_credentials, key fingerprints, and the API.
BEGIN;
\ir ../../policies/vault.sql
\ir ../../functions/vault.sql
COMMIT;

-- Revert switchboard:extensions from pg
BEGIN;
DROP EXTENSION IF EXISTS switchboard CASCADE;
DROP SCHEMA IF EXISTS switchboard CASCADE;
DROP EXTENSION IF EXISTS btree_gist;
DROP EXTENSION IF EXISTS pgcrypto;
DROP SCHEMA IF EXISTS extensions;
COMMIT;

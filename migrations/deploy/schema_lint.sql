-- Deploy switchboard:schema_lint to pg
BEGIN;
\ir ../../functions/lint.sql
COMMIT;

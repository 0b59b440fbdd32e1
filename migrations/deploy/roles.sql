-- Deploy switchboard:roles to pg
BEGIN;
\ir ../../policies/roles.sql
COMMIT;

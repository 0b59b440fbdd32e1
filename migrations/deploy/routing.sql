-- Deploy switchboard:routing to pg
-- requires: tenancy_tables
BEGIN;
\ir ../../policies/routing.sql
\ir ../../functions/routing.sql
COMMIT;

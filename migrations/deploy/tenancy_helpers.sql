-- Deploy switchboard:tenancy_helpers to pg
BEGIN;
\ir ../../functions/tenancy.sql
COMMIT;

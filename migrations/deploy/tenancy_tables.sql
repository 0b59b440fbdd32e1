-- Deploy switchboard:tenancy_tables to pg
BEGIN;
\ir ../../policies/tenancy.sql
COMMIT;

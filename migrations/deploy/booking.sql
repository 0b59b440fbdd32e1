-- Deploy switchboard:booking to pg
-- requires: tenancy_tables
BEGIN;
\ir ../../policies/booking.sql
\ir ../../functions/booking.sql
COMMIT;

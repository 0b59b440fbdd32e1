-- Deploy switchboard:routing_assign_c to pg
-- requires: routing
BEGIN;
\ir ../../functions/routing_assign_c.sql
COMMIT;

-- Deploy switchboard:routing_triggers_c to pg
-- requires: routing
BEGIN;
\ir ../../functions/routing_triggers_c.sql
COMMIT;

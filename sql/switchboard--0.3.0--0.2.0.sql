-- Switchboard 0.3.0 -> 0.2.0: the downgrade run by the Sqitch revert of
-- audit_trigger_no_guc (puts back what 0.2.0 declared).
\echo Use "ALTER EXTENSION switchboard UPDATE TO '0.2.0'" to load this file. \quit

-- == audit ==
ALTER FUNCTION switchboard.audit_trigger() SET search_path = pg_catalog;
-- == end audit ==

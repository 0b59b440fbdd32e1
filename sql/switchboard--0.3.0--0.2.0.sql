-- Switchboard 0.3.0 -> 0.2.0: the downgrade run by the Sqitch revert of
-- audit_trigger_no_guc (puts back what 0.2.0 declared).
\echo Use "ALTER EXTENSION switchboard UPDATE TO '0.2.0'" to load this file. \quit

-- == audit ==
ALTER FUNCTION switchboard.audit_trigger() SET search_path = pg_catalog;
-- == end audit ==

-- == redaction ==
ALTER FUNCTION switchboard.redact(text) SET search_path = pg_catalog;
ALTER FUNCTION switchboard.phi_spans(text) SET search_path = pg_catalog;
ALTER FUNCTION switchboard._redact_policy(text, text, bytea) SET search_path = pg_catalog;
ALTER FUNCTION switchboard._phi_spans_policy(text, text) SET search_path = pg_catalog;
ALTER FUNCTION switchboard.redaction_engine_version() SET search_path = pg_catalog;
-- == end redaction ==

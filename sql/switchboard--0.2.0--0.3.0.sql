-- Switchboard 0.2.0 -> 0.3.0.
-- Each engine appends one delimited section; sections never edit each other.
\echo Use "ALTER EXTENSION switchboard UPDATE TO '0.3.0'" to load this file. \quit

-- == audit ==
-- The statement trigger runs without a SET clause: fmgr switched search_path
-- (a GUC nest level, a search-path recomputation) on every audited
-- statement. Its own SQL qualifies every name, operators included, and it
-- pins search_path itself, for the statement, on a table with a column
-- whose text depends on it (regclass and the like).
ALTER FUNCTION switchboard.audit_trigger() RESET search_path;
-- == end audit ==

-- == redaction ==
-- The engine's entry points run no SQL and look up no name: without a SET
-- clause fmgr calls them directly instead of switching search_path (a GUC
-- nest level and a search-path recomputation) on every transcript.
ALTER FUNCTION switchboard.redact(text) RESET search_path;
ALTER FUNCTION switchboard.phi_spans(text) RESET search_path;
ALTER FUNCTION switchboard._redact_policy(text, text, bytea) RESET search_path;
ALTER FUNCTION switchboard._phi_spans_policy(text, text) RESET search_path;
ALTER FUNCTION switchboard.redaction_engine_version() RESET search_path;
-- == end redaction ==

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

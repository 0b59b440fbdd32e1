-- The redaction engine's SQL entry points (extension 0.3.0) have no SET
-- clause: fmgr calls them without a search_path switch per transcript. They
-- run no SQL and look up no name, so a caller's search_path, however
-- hostile, cannot change what they return.
BEGIN;
SELECT plan(5);

SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = 'switchboard'::regnamespace AND l.lanname = 'c' AND p.proconfig IS NULL
              AND p.proname IN ('redact', 'phi_spans', '_redact_policy', '_phi_spans_policy', 'redaction_engine_version')),
          ARRAY['switchboard._phi_spans_policy(text,text)', 'switchboard._redact_policy(text,text,bytea)',
                'switchboard.phi_spans(text)', 'switchboard.redact(text)', 'switchboard.redaction_engine_version()'],
          'the five redaction entry points are C functions without a SET clause');

CREATE TEMP TABLE expected AS
SELECT switchboard.redact('my social is four one five, two two, one two three four, call 415-555-2671') AS r,
       (SELECT array_agg(s.entity || ':' || s.start_pos || ':' || s.length ORDER BY s.start_pos)
          FROM switchboard.phi_spans('dob 03/04/1961, card 4111 1111 1111 1111') s) AS spans;

-- look-alikes ahead of pg_catalog: text concatenation and equality that lie
CREATE SCHEMA tap_red_evil;
CREATE FUNCTION tap_red_evil.cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''evil''::text';
CREATE OPERATOR tap_red_evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_red_evil.cat);
CREATE FUNCTION tap_red_evil.yes(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_red_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_red_evil.yes);
-- what the functions return under it, kept for after (pgTAP's own functions
-- would not survive these look-alikes)
SET LOCAL search_path = tap_red_evil, public, pg_catalog;
CREATE TEMP TABLE hostile AS
SELECT switchboard.redact('my social is four one five, two two, one two three four, call 415-555-2671') AS r,
       (SELECT array_agg(s.entity OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) s.start_pos
                         OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) s.length ORDER BY s.start_pos)
          FROM switchboard.phi_spans('dob 03/04/1961, card 4111 1111 1111 1111') s) AS spans,
       'a' || 'b' AS probe;
RESET search_path;
SELECT is((SELECT probe FROM pg_temp.hostile), 'evil', 'the look-alike || was in effect');
SELECT is((SELECT r FROM pg_temp.hostile), (SELECT r FROM pg_temp.expected),
          'redact returns the same text under a hostile search_path');
SELECT is((SELECT spans FROM pg_temp.hostile), (SELECT spans FROM pg_temp.expected),
          'phi_spans returns the same spans under a hostile search_path');
SELECT ok((SELECT r FROM pg_temp.expected) !~ '415|four one five', 'and that text holds neither the SSN nor the phone');

SELECT * FROM finish();
ROLLBACK;

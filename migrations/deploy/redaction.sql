-- Deploy switchboard:redaction to pg
-- PHI redaction: policy table, HMAC keys, call_logs and its redacting trigger.
BEGIN;
\ir ../../policies/redaction.sql
\ir ../../functions/redaction.sql
COMMIT;

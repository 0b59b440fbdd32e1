-- Revert switchboard:schema_lint from pg
BEGIN;
DROP FUNCTION switchboard.schema_lint();
DROP TABLE switchboard.lint_exceptions;
COMMIT;

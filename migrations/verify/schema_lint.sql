-- Verify switchboard:schema_lint on pg
SELECT count(*) FROM switchboard.schema_lint();

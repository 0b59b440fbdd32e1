-- Deploy switchboard:extensions to pg
BEGIN;
CREATE SCHEMA IF NOT EXISTS extensions;
COMMENT ON SCHEMA extensions IS 'contrib extensions (pgcrypto, btree_gist), kept out of public';
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS switchboard;
DO $$
BEGIN
  IF (SELECT extversion FROM pg_extension WHERE extname = 'switchboard')
     <> (SELECT default_version FROM pg_available_extensions WHERE name = 'switchboard') THEN
    ALTER EXTENSION switchboard UPDATE;
  END IF;
END $$;
COMMIT;

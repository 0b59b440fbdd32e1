-- Verify switchboard:extensions on pg
SELECT 1/count(*) FROM pg_extension WHERE extname = 'switchboard';
SELECT 1/count(*) FROM pg_extension WHERE extname = 'pgcrypto';
SELECT 1/count(*) FROM pg_extension WHERE extname = 'btree_gist';
SELECT switchboard.version();

-- Revert switchboard:tenancy_tables from pg
BEGIN;
DROP TABLE public.contacts;
DROP TABLE public.org_members;
DROP TABLE public.organizations;
COMMIT;

-- Verify switchboard:tenancy_tables on pg
SELECT id, name, timezone FROM public.organizations WHERE false;
SELECT org_id, user_id, role FROM public.org_members WHERE false;
SELECT id, org_id, phone, first_name, last_name, email FROM public.contacts WHERE false;
SELECT 1/count(*) FROM pg_class WHERE oid = 'public.contacts'::regclass AND relrowsecurity AND relforcerowsecurity;

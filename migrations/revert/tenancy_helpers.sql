-- Revert switchboard:tenancy_helpers from pg
BEGIN;
DROP FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]);
REVOKE ALL ON FUNCTION switchboard.assert_org_access(uuid, text[]) FROM authenticated, service_role;
DROP FUNCTION switchboard.is_valid_timezone(text);
REVOKE ALL ON FUNCTION switchboard.current_org_role() FROM authenticated, service_role;
DROP FUNCTION switchboard.current_claims();
COMMIT;

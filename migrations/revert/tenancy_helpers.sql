-- Revert switchboard:tenancy_helpers from pg
BEGIN;
DROP FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]);
DROP FUNCTION switchboard.assert_org_access(uuid, text[]);
DROP FUNCTION switchboard.is_valid_timezone(text);
DROP FUNCTION switchboard.is_service();
DROP FUNCTION switchboard.caller_role();
REVOKE ALL ON FUNCTION switchboard.current_org_role() FROM authenticated, service_role;
DROP FUNCTION switchboard.current_claims();
COMMIT;

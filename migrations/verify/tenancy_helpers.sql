-- Verify switchboard:tenancy_helpers on pg
SELECT switchboard.current_claims(), switchboard.current_org_id(), switchboard.current_user_id(),
       switchboard.is_service(), switchboard.caller_role();
SELECT 'switchboard.current_org_role()'::regprocedure;
SELECT 'switchboard.apply_tenant_policies(regclass, text[], text[])'::regprocedure;
SELECT 'switchboard.assert_org_access(uuid, text[])'::regprocedure;

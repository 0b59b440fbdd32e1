-- Revert switchboard:rls_role_gate from pg: the released policy form, and
-- apply_tenant_policies as the released functions/tenancy.sql defines it.
BEGIN;
SELECT switchboard._rewrite_policy_exprs(
  '^\((\w+) = \( SELECT switchboard\.current_org_id\(\) AS current_org_id\s+WHERE \(switchboard\.current_org_role\(\) (= ANY \(.*\)|IS NOT NULL)\)\)\)$',
  '((\1 = (SELECT switchboard.current_org_id())) AND ((SELECT switchboard.current_org_role()) \2))') AS rewritten \gset
DROP FUNCTION switchboard._rewrite_policy_exprs(text, text);
\ir ../../functions/tenancy.sql
COMMIT;

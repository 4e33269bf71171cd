-- Row-level security evaluates its tenant set once per query, not once per row.
-- `tenant_id = ANY (okr_tenant_ids())` re-parsed the uuid[] setting for every row of a
-- sequential scan (1,000 grants x 1,000 rows took over a second); wrapped in a sub-select
-- the planner computes it once (an InitPlan). Same rule, same semantics.
DO $$
DECLARE
    r   record;
    col text;
BEGIN
    FOR r IN SELECT tablename FROM pg_policies
              WHERE schemaname = 'public' AND policyname = 'tenant_isolation' LOOP
        col := CASE WHEN r.tablename = 'tenants' THEN 'id' ELSE 'tenant_id' END;
        EXECUTE format(
            'ALTER POLICY tenant_isolation ON %I USING (%I = ANY ((SELECT okr_tenant_ids())::uuid[]))'
            ' WITH CHECK (%I = ANY ((SELECT okr_tenant_ids())::uuid[]))', r.tablename, col, col);
    END LOOP;
END
$$;

-- Where a tenant's log stood at an instant, found by halving rather than by walking.
--
-- The log is in time order (0009): the events recorded at or before an instant are a
-- prefix of it, so the last of them is found in log2(head) lookups of the key, about 20
-- for a million events. As-of an instant, and the trail's and history's time filters, took
-- it by walking the key from the head (or the start) and reading each row's stamp: 1.5-4 ms
-- for 10,000 events, linear beyond. SECURITY INVOKER: it sees what row-level security lets
-- the caller see, and a tenant the caller may not see stands at 0.
--
-- A log written before 0009 may be out of order, where the server's clock stepped back
-- (its stamps cannot be mended: the hash chain covers them). Those tenants are found here
-- once (appends keep order since) and kept in disordered_logs; for them the function
-- answers NULL, and the callers compare stamps as they did before, walking.
CREATE TABLE disordered_logs (tenant_id uuid PRIMARY KEY);
-- Every tenant's stamps are read once here: a migrating login that owns the tables without
-- being a superuser is bound by FORCE (0001), and no setting admits every tenant.
ALTER TABLE events NO FORCE ROW LEVEL SECURITY;
INSERT INTO disordered_logs
SELECT DISTINCT tenant_id FROM (
    SELECT tenant_id, recorded_at < lag(recorded_at) OVER (
               PARTITION BY tenant_id ORDER BY position) AS back
      FROM events
) stamps WHERE back;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE disordered_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE disordered_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON disordered_logs USING (tenant_id = ANY (okr_tenant_ids()));
GRANT SELECT ON disordered_logs TO okr_app;

CREATE FUNCTION okr_position_at(p_tenant uuid, p_at timestamptz) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    low  bigint := 0;  -- recorded at or before p_at (0: before the first event)
    high bigint;       -- the last that may be
    mid  bigint;
    stamp timestamptz;
BEGIN
    IF p_at IS NULL OR EXISTS (SELECT FROM disordered_logs d WHERE d.tenant_id = p_tenant) THEN
        RETURN NULL;  -- no bound: no instant, or a log whose stamps must be read one by one
    END IF;
    SELECT h.position INTO high FROM tenant_heads h WHERE h.tenant_id = p_tenant;
    IF high IS NULL THEN
        RETURN 0;
    END IF;
    WHILE low < high LOOP
        mid := (low + high + 1) / 2;
        SELECT e.recorded_at INTO stamp FROM events e
         WHERE e.tenant_id = p_tenant AND e.position = mid;
        IF stamp <= p_at THEN  -- a missing row (a damaged log) counts as after
            low := mid;
        ELSE
            high := mid - 1;
        END IF;
    END LOOP;
    RETURN low;
END
$$;
REVOKE ALL ON FUNCTION okr_position_at(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_position_at(uuid, timestamptz) TO okr_app;

-- An erase takes the accounts of everyone its log names who reaches nothing else, not only
-- of its members at the time: a member removed before the erase kept their account, name
-- and email (an acceptance test's finding). Who the log names is in its payloads, which
-- may be encrypted with a key the database never sees: the caller reads them and passes
-- their ids (services.app.access, `p_named`). An id of anyone who still reaches something
-- (a membership, a consultancy, a platform admin) is kept whatever the caller passes.
-- Otherwise the same function as 0015's.

DROP FUNCTION okr_erase_tenant(uuid, text);

CREATE FUNCTION okr_erase_tenant(p_tenant uuid, p_by text, p_named uuid[])
RETURNS SETOF erased_tenants
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    gone     tenants%ROWTYPE;
    people   uuid[];
    left_out bigint;
    head     bigint := 0;
    last     bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    tbl      text;
BEGIN
    -- row-level security admits this tenant alone (a login that owns the tables is bound too)
    PERFORM set_config('okr.tenant_ids', '{' || p_tenant::text || '}', true);
    IF NOT pg_try_advisory_xact_lock_shared(x'6F6B725F72656275'::bigint) THEN  -- "okr_rebu"
        RAISE EXCEPTION 'a full rebuild of the read models is running'
            USING ERRCODE = 'lock_not_available';
    END IF;
    -- projectors and one-tenant rebuilds of this tenant finish first (worker.TENANT_LOCK_KEY)
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text, 7013));
    SELECT * INTO gone FROM tenants WHERE id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF gone.status <> 'suspended' THEN
        RAISE EXCEPTION 'the tenant must be suspended before it is erased'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT coalesce(array_agg(m.user_id), '{}') || coalesce(p_named, '{}') INTO people
      FROM memberships m WHERE m.tenant_id = p_tenant;
    -- its people's rows, locked: a membership being made elsewhere for one of them (which
    -- locks the user's row) commits first and is seen below, and two erases sharing a
    -- person follow each other, so the second sees that person belongs nowhere
    PERFORM FROM users u WHERE u.id = ANY (people) ORDER BY u.id FOR UPDATE;
    -- a first append still in flight made the head row: wait for it, and lock the head
    INSERT INTO tenant_heads (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
    SELECT h.position, h.chain_hash INTO head, last FROM tenant_heads h
     WHERE h.tenant_id = p_tenant FOR UPDATE;
    FOR tbl IN
        SELECT c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'tenant_id' AND NOT a.attisdropped
         ORDER BY c.relname
    LOOP
        EXECUTE format('DELETE FROM public.%I WHERE tenant_id = $1', tbl) USING p_tenant;
    END LOOP;
    -- answers kept for a retry outside the tenant (its making, its suspension) that name it:
    -- a retry is told it is gone (a deleted answer would let a retried making make another)
    UPDATE platform_idempotency_keys k
       SET status = 410, headers = '[["content-type", "application/problem+json"]]',
           body = convert_to(json_build_object(
               'type', '/problems/gone', 'title', 'Gone', 'status', 410,
               'detail', 'the tenant this request made or changed was erased',
               'errors', json_build_array(json_build_object(
                   'field', 'Idempotency-Key', 'rule', 'erased',
                   'message', 'the tenant was erased')))::text, 'UTF8')
     WHERE position(convert_to(p_tenant::text, 'UTF8') IN coalesce(k.body, '')) > 0;
    DELETE FROM tenants WHERE id = p_tenant;
    -- its people who reach nothing else now: their accounts, sessions and sign-in attempts
    -- (the definer reads every membership: its own policy, 0002, or a superuser's)
    WITH alone AS (
        SELECT u.id, u.email FROM users u
         WHERE u.id = ANY (people) AND NOT u.is_platform_admin
           AND NOT EXISTS (SELECT FROM memberships m WHERE m.user_id = u.id)
           AND NOT EXISTS (SELECT FROM consultancy_members c WHERE c.user_id = u.id)
    ), attempts AS (
        DELETE FROM login_attempts a USING alone WHERE a.email = alone.email
    ), accounts AS (
        DELETE FROM users u USING alone WHERE u.id = alone.id RETURNING 1
    )
    SELECT count(*) INTO left_out FROM accounts;
    RETURN QUERY
        INSERT INTO erased_tenants (id, consultancy_id, name, slug, erased_by, events,
                                    head_hash, people)
        VALUES (p_tenant, gone.consultancy_id, gone.name, gone.slug, p_by, coalesce(head, 0),
                coalesce(last, '\x0000000000000000000000000000000000000000000000000000000000000000'),
                left_out)
        RETURNING *;
END
$$;

REVOKE ALL ON FUNCTION okr_erase_tenant(uuid, text, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_erase_tenant(uuid, text, uuid[]) TO okr_app;

-- Mends of 0013 and 0014 (a review's findings), and what a migrating login that owns the
-- tables without being a superuser needs.
--
-- okr_erase_tenant, restated with three changes:
-- * it locks its people's user rows before it decides who reaches nothing else: a
--   membership made elsewhere at that moment (a consultancy's new admin) was deleted with
--   the account, and two erases sharing a person each left that person's account behind;
-- * it makes (or waits for) the tenant's head row before locking it: a first append still
--   in flight, with no head row to wait on, committed after the erase;
-- * a platform idempotency answer that names the tenant becomes a 410 rather than going:
--   a retried making of the tenant made another one.
--
-- okr_tenant_positions (0003) reads every tenant's head as its definer: a login that owns
-- tenant_heads without being a superuser is bound by FORCE, and failed there (the
-- application's session may hold an empty okr.tenant_ids). Its definer now reads every
-- head by a policy of its own, as 0002 gave it the tenants, memberships and API keys.

DO $$
BEGIN
    EXECUTE format('CREATE POLICY definer_read ON tenant_heads FOR SELECT TO %I USING (true)',
                   current_user);
END
$$;

CREATE OR REPLACE FUNCTION okr_erase_tenant(p_tenant uuid, p_by text) RETURNS SETOF erased_tenants
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
    SELECT coalesce(array_agg(m.user_id), '{}') INTO people FROM memberships m
     WHERE m.tenant_id = p_tenant;
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

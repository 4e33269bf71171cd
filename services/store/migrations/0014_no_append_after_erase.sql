-- No append to an erased tenant's log. An append that waited for the head row while the
-- tenant was erased (okr_erase_tenant, 0013, deletes the row under its lock) found no row
-- once the erase committed, made a new one and began a new log at position 1: a write that
-- raced an erase left events, a head, snapshots and read-model rows of the erased tenant
-- (an acceptance test's finding). The tombstone is read after the head's lock, so such an
-- append sees it and fails (SQLSTATE P0002, no_data_found), as does any later one.
-- Otherwise the same function as 0009's: signatures, results, hashes and locks unchanged.

CREATE OR REPLACE FUNCTION okr_append(
    p_tenant uuid, p_grants text, p_stream_ids uuid[], p_versions integer[],
    p_topics text[], p_states bytea[], p_actor text, p_correlation uuid, p_notify boolean,
    p_recorded_at timestamptz DEFAULT NULL
) RETURNS TABLE (first_position bigint, last_position bigint, recorded_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    n        integer := cardinality(p_stream_ids);
    head     bigint;
    head_tid tid;
    chain    bytea;
    last_ts  timestamptz;
    now_ts   timestamptz;
    micros   bigint;
    hashes   bytea[] := '{}';
    tenant_b bytea := uuid_send(p_tenant);
    actor_b  bytea := convert_to(p_actor, 'UTF8');
    moment_b bytea;  -- recorded_at and correlation id: the same for every event of the call
    topic_b  bytea;
    i        integer;
BEGIN
    p_grants := set_config('okr.tenant_ids', p_grants, true);
    SELECT h.ctid, h.position, h.chain_hash, h.recorded_at INTO head_tid, head, chain, last_ts
      FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO tenant_heads (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
        SELECT h.ctid, h.position, h.chain_hash, h.recorded_at INTO head_tid, head, chain, last_ts
          FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    END IF;
    IF EXISTS (SELECT FROM erased_tenants e WHERE e.id = p_tenant) THEN  -- (after the lock)
        RAISE EXCEPTION 'tenant % was erased', p_tenant USING ERRCODE = 'no_data_found';
    END IF;
    now_ts := greatest(clock_timestamp(), last_ts);  -- NULL (a first append): the clock
    IF p_recorded_at IS NOT NULL THEN
        IF p_recorded_at > now_ts OR p_recorded_at < last_ts THEN
            RAISE EXCEPTION 'imported recorded_at % outside [%, %]', p_recorded_at, last_ts, now_ts
                USING ERRCODE = '22008';
        END IF;
        now_ts := p_recorded_at;
    END IF;
    micros := (extract(epoch FROM now_ts) * 1000000)::bigint;
    -- The bytes of okr_event_digest (migrations/0001, services/store/chain.py).
    moment_b := int8send(micros) || uuid_send(p_correlation);
    actor_b := int4send(octet_length(actor_b)) || actor_b;
    FOR i IN 1..n LOOP
        topic_b := convert_to(p_topics[i], 'UTF8');
        chain := sha256(chain || tenant_b || int8send(head + i) || uuid_send(p_stream_ids[i])
                        || int4send(p_versions[i]) || moment_b
                        || int4send(octet_length(topic_b)) || topic_b || actor_b
                        || sha256(p_states[i]));
        hashes := hashes || chain;
    END LOOP;
    INSERT INTO events (tenant_id, position, stream_id, version, topic, state,
                        recorded_at, actor, correlation_id, hash)
    SELECT p_tenant, head + o, s, v, t, st, now_ts, p_actor, p_correlation, hs
      FROM unnest(p_stream_ids, p_versions, p_topics, p_states, hashes)
           WITH ORDINALITY AS u(s, v, t, st, hs, o);
    UPDATE tenant_heads SET position = head + n, chain_hash = chain, recorded_at = now_ts
     WHERE ctid = head_tid AND tenant_id = p_tenant;
    IF p_notify THEN
        PERFORM pg_notify('okr_events', p_tenant::text || ':' || (head + n)::text);
    END IF;
    first_position := head + 1;
    last_position := head + n;
    recorded_at := now_ts;
    RETURN NEXT;
END
$$;

-- The function also runs with pg_temp last in its search path (a temporary table named
-- tenants could stand in for the real one: a review's finding), deletes from the public
-- schema by name, and deletes the platform's idempotency answers that name the tenant
-- (its making's 201 was replayed for 24 hours after its erasure).
--
-- An erase takes the tenant's people too, those who reach nothing else once its memberships
-- are gone (no other membership, no consultancy, not a platform admin): their accounts,
-- refresh tokens and sign-in attempts. They could still sign in, to a portal with nothing
-- in it, and their names and emails stayed (the same acceptance test). The tombstone counts
-- them.

ALTER TABLE erased_tenants ADD COLUMN people bigint NOT NULL DEFAULT 0;

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
    -- answers kept for a retry outside the tenant (its making, its suspension) that name it
    DELETE FROM platform_idempotency_keys k
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


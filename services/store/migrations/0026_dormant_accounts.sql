-- A dormant account (one that reaches nothing now: a person their company removed) was
-- anyone's to take: okr_may_add_account (0020) let any client's admin add it, which showed
-- them the name the company had given it, let them make it a password link and choose its
-- password (the email bound to their scope for good: the company then got 409 inviting it
-- again), and an erase of their tenant took the account, though the company's history
-- names it.
--
-- So an account keeps where it was ever given a role: account_reach, a row per tenant that
-- made it a member and per consultancy that gave it a role, kept when the role goes, gone
-- with an erase of that tenant (or the account). An account that reaches nothing now is
-- added only by whoever manages all it ever reached (its company inviting it again), or a
-- platform admin; an erase leaves the account of anyone another tenant or a consultancy
-- reached. Accounts that reached nothing before this migration are known from the tenants'
-- history lines (rm_history, where it is there); one of those found nowhere is marked
-- unknown (both columns NULL): a platform admin alone adds it, and no erase takes it.

CREATE TABLE account_reach (
    user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reached_tenant       uuid,
    reached_consultancy  uuid,
    CHECK (num_nonnulls(reached_tenant, reached_consultancy) <= 1),
    UNIQUE NULLS NOT DISTINCT (user_id, reached_tenant, reached_consultancy)
);
CREATE INDEX account_reach_tenant ON account_reach (reached_tenant);
-- the application reaches it only through the functions below
REVOKE ALL ON account_reach FROM PUBLIC;

INSERT INTO account_reach (user_id, reached_tenant)
SELECT user_id, tenant_id FROM memberships ON CONFLICT DO NOTHING;
INSERT INTO account_reach (user_id, reached_consultancy)
SELECT user_id, consultancy_id FROM consultancy_members ON CONFLICT DO NOTHING;
DO $$
BEGIN
    IF to_regclass('rm_history') IS NOT NULL THEN
        EXECUTE $q$
            INSERT INTO account_reach (user_id, reached_tenant)
            SELECT DISTINCT u.id, h.tenant_id
              FROM rm_history h
             CROSS JOIN LATERAL (VALUES (h.actor), ((h.params::text)::jsonb ->> 'member')) a (who)
              JOIN users u ON 'user:' || u.id::text = a.who
              JOIN tenants t ON t.id = h.tenant_id
            ON CONFLICT DO NOTHING
        $q$;
    END IF;
END
$$;
INSERT INTO account_reach (user_id)
SELECT u.id FROM users u
 WHERE NOT u.is_platform_admin
   AND NOT EXISTS (SELECT FROM account_reach r WHERE r.user_id = u.id)
ON CONFLICT DO NOTHING;

-- A membership or a consultancy role given: the account was reached there.
CREATE FUNCTION okr_reach_kept() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'memberships' THEN
        INSERT INTO account_reach (user_id, reached_tenant) VALUES (NEW.user_id, NEW.tenant_id)
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO account_reach (user_id, reached_consultancy)
        VALUES (NEW.user_id, NEW.consultancy_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER memberships_reach_kept
    AFTER INSERT OR UPDATE OF tenant_id, user_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION okr_reach_kept();
CREATE TRIGGER consultancy_members_reach_kept
    AFTER INSERT OR UPDATE OF consultancy_id, user_id ON consultancy_members
    FOR EACH ROW EXECUTE FUNCTION okr_reach_kept();

-- Whether everything the account ever reached lies in a scope (okr_reach_within's, over
-- account_reach; p_tenants NULL: anywhere).
CREATE FUNCTION okr_reached_within(p_user uuid, p_tenants uuid[], p_consultancies uuid[])
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT p_tenants IS NULL OR NOT EXISTS (
        SELECT FROM account_reach r LEFT JOIN tenants t ON t.id = r.reached_tenant
         WHERE r.user_id = p_user
           AND NOT coalesce(r.reached_tenant = ANY (p_tenants), false)
           AND NOT coalesce(t.consultancy_id = ANY (coalesce(p_consultancies, '{}')), false)
           AND NOT coalesce(r.reached_consultancy = ANY (coalesce(p_consultancies, '{}')),
                            false))
$$;

-- 0020's, but an account that reaches nothing now is added only within all it ever reached.
CREATE OR REPLACE FUNCTION okr_may_add_account(p_user uuid, p_maker uuid, p_tenant uuid)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenants uuid[] := ARRAY[p_tenant];
    v_consultancies uuid[] := '{}';
    person users%ROWTYPE;
BEGIN
    IF p_maker IS NOT NULL THEN
        SELECT s.tenants, s.consultancies INTO v_tenants, v_consultancies
          FROM okr_maker_scope(p_maker) s;
        IF v_tenants IS NULL THEN
            RETURN true;  -- a platform admin's
        END IF;
    END IF;
    SELECT * INTO person FROM users WHERE id = p_user;
    IF NOT FOUND OR person.is_platform_admin THEN
        RETURN false;
    END IF;
    IF NOT (EXISTS (SELECT FROM memberships WHERE user_id = p_user)
            OR EXISTS (SELECT FROM consultancy_members WHERE user_id = p_user)) THEN
        RETURN okr_reached_within(p_user, v_tenants, v_consultancies);  -- dormant
    END IF;
    RETURN okr_reach_within(p_user, v_tenants, v_consultancies);
END
$$;

-- 0016's, but an account another tenant or a consultancy reached stays, and the erased
-- tenant's rows of account_reach go with it.
CREATE OR REPLACE FUNCTION okr_erase_tenant(p_tenant uuid, p_by text, p_named uuid[])
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
    DELETE FROM account_reach WHERE reached_tenant = p_tenant;
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
    -- its people who reach nothing else now, and whom no other tenant nor a consultancy
    -- ever reached: their accounts, sessions and sign-in attempts (the definer reads every
    -- membership: its own policy, 0002, or a superuser's)
    WITH alone AS (
        SELECT u.id, u.email FROM users u
         WHERE u.id = ANY (people) AND NOT u.is_platform_admin
           AND NOT EXISTS (SELECT FROM memberships m WHERE m.user_id = u.id)
           AND NOT EXISTS (SELECT FROM consultancy_members c WHERE c.user_id = u.id)
           AND NOT EXISTS (SELECT FROM account_reach r WHERE r.user_id = u.id)
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

REVOKE ALL ON FUNCTION okr_reach_kept(), okr_reached_within(uuid, uuid[], uuid[]) FROM PUBLIC;

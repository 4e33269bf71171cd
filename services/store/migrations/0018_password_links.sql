-- A person invited has an account without a password and could never sign in. Whoever
-- manages them makes a link (a one-time token, kept here hashed, for 7 days) and hands it
-- to them; they choose their password with it (POST /api/v1/auth/password, or the
-- portal's /welcome page).
--
-- This platform sends no mail: the maker of a link could use it themselves. So a link
-- binds the account to its maker's scope (the tenants where the maker manages people, the
-- consultancies they are an admin of, as they are when the link is spent):
--   * a link is made only for an account without a password, no platform admin's, that
--     reaches something and nothing beyond the maker's scope; it is spent only if that is
--     still so (the maker's rights are read again then);
--   * the password chosen with it holds the account to that scope for good, and to what
--     its maker still manages: a membership or consultancy role beyond either (another
--     consultancy inviting the same email; the maker's own tenant re-inviting it after
--     the maker was removed) is refused, as is making the account a platform admin; its
--     owner is invited under another email;
--   * any change of the account's reach voids its pending links.
-- Passwords never end under a session's feet: nothing here takes one back.

CREATE TABLE password_links (
    token_hash  bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    maker_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    made_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    claimed_at  timestamptz
);
CREATE INDEX password_links_user ON password_links (user_id);
CREATE INDEX password_links_maker ON password_links (maker_id);

-- The scope an account's password, chosen with a link, binds it to.
CREATE TABLE password_scopes (
    user_id              uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    maker_id             uuid        REFERENCES users (id) ON DELETE SET NULL,
    scope_tenants        uuid[],              -- NULL: anywhere (a platform admin's link)
    scope_consultancies  uuid[]      NOT NULL
);
-- the application role reaches both only through the functions below
REVOKE ALL ON password_links, password_scopes FROM PUBLIC;

-- Whether everything the user reaches lies in a scope: each membership's tenant is in
-- p_tenants or of a consultancy in p_consultancies, each consultancy role is in
-- p_consultancies (p_tenants NULL: anywhere).
CREATE FUNCTION okr_reach_within(p_user uuid, p_tenants uuid[], p_consultancies uuid[])
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT p_tenants IS NULL OR (
        NOT EXISTS (
            SELECT FROM memberships m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.user_id = p_user AND m.tenant_id <> ALL (p_tenants)
               AND t.consultancy_id <> ALL (coalesce(p_consultancies, '{}')))
        AND NOT EXISTS (
            SELECT FROM consultancy_members c
             WHERE c.user_id = p_user
               AND c.consultancy_id <> ALL (coalesce(p_consultancies, '{}'))))
$$;

-- The scope a maker's link binds to, as their rights are now: everything for an enabled
-- platform admin (tenants NULL); else the tenants where they manage people and the
-- consultancies they are an admin of (none for a disabled maker).
CREATE FUNCTION okr_maker_scope(p_maker uuid, OUT tenants uuid[], OUT consultancies uuid[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM users
                WHERE id = p_maker AND disabled_at IS NULL AND is_platform_admin) THEN
        tenants := NULL;
        consultancies := '{}';
        RETURN;
    END IF;
    SELECT coalesce(array_agg(g.tenant_id), '{}') INTO tenants
      FROM okr_user_grants(p_maker) g WHERE g.role IN ('client_admin', 'consultancy_admin');
    SELECT coalesce(array_agg(c.consultancy_id), '{}') INTO consultancies
      FROM consultancy_members c
      JOIN users u ON u.id = c.user_id AND u.disabled_at IS NULL
     WHERE c.user_id = p_maker AND c.role = 'consultancy_admin';
END
$$;

-- Whether a link of p_maker may set p_user's password now (its row locked by the caller).
CREATE FUNCTION okr_link_allowed(p_user uuid, p_maker uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    scope record;
BEGIN
    IF NOT (EXISTS (SELECT FROM memberships WHERE user_id = p_user)
            OR EXISTS (SELECT FROM consultancy_members WHERE user_id = p_user)) THEN
        RETURN false;  -- reaches nothing: nobody's to hand a link to
    END IF;
    SELECT * INTO scope FROM okr_maker_scope(p_maker);
    RETURN okr_reach_within(p_user, scope.tenants, scope.consultancies);
END
$$;

-- Make a link of p_maker's for p_user (its earlier links go): 'made', or why not:
-- 'has_password', 'beyond' (no such enabled account, a platform admin's, or one that
-- reaches nothing or beyond the maker's scope).
CREATE FUNCTION okr_make_password_link(
    p_user uuid, p_hash bytea, p_expires timestamptz, p_maker uuid
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    person users%ROWTYPE;
BEGIN
    -- both rows, in id order, as an erase locks people: no deadlock with one
    PERFORM FROM users WHERE id IN (p_user, p_maker) ORDER BY id FOR UPDATE;
    SELECT * INTO person FROM users WHERE id = p_user AND disabled_at IS NULL;
    IF NOT FOUND OR person.is_platform_admin OR NOT okr_link_allowed(p_user, p_maker) THEN
        RETURN 'beyond';
    ELSIF person.password_hash IS NOT NULL THEN
        RETURN 'has_password';
    END IF;
    DELETE FROM password_links WHERE user_id = p_user;
    INSERT INTO password_links (token_hash, user_id, maker_id, expires_at)
    VALUES (p_hash, p_user, p_maker, p_expires);
    RETURN 'made';
END
$$;

-- The email of the account a link would set a password of (NULL: none): the portal's page
-- says at once when a link no longer works, and shows its holder whose account it is.
CREATE FUNCTION okr_password_link_open(p_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.email FROM password_links l JOIN users u ON u.id = l.user_id
     WHERE l.token_hash = p_hash AND l.expires_at > now()
       AND u.disabled_at IS NULL AND u.password_hash IS NULL AND NOT u.is_platform_admin
$$;

-- The link's claim, before its password is hashed (a hash costs): true for one caller at
-- a time (a claim lapses after a minute, for a caller that died).
CREATE FUNCTION okr_claim_password_link(p_hash bytea) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE password_links l SET claimed_at = now()
      FROM users u
     WHERE l.token_hash = p_hash AND u.id = l.user_id AND l.expires_at > now()
       AND (l.claimed_at IS NULL OR l.claimed_at < now() - interval '1 minute')
       AND u.disabled_at IS NULL AND u.password_hash IS NULL AND NOT u.is_platform_admin;
    RETURN FOUND;
END
$$;

-- Spend a claimed link on a password (its hash, made by the application): the account's
-- id if the link may still set it (okr_link_allowed, the maker's rights as they are now),
-- NULL otherwise; every link of the account goes, and the account is bound to the maker's
-- scope. The account's row is locked first, as everywhere its reach or links change.
CREATE FUNCTION okr_take_password_link(p_hash bytea, p_password_hash text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    link password_links%ROWTYPE;
    scope record;
BEGIN
    SELECT * INTO link FROM password_links WHERE token_hash = p_hash;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM FROM users WHERE id IN (link.user_id, link.maker_id) ORDER BY id FOR UPDATE;
    DELETE FROM password_links
     WHERE token_hash = p_hash AND claimed_at IS NOT NULL AND expires_at > now();
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    DELETE FROM password_links WHERE user_id = link.user_id;
    IF NOT okr_link_allowed(link.user_id, link.maker_id) THEN
        RETURN NULL;
    END IF;
    UPDATE users SET password_hash = p_password_hash
     WHERE id = link.user_id AND disabled_at IS NULL AND password_hash IS NULL
       AND NOT is_platform_admin;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO scope FROM okr_maker_scope(link.maker_id);
    INSERT INTO password_scopes (user_id, maker_id, scope_tenants, scope_consultancies)
    VALUES (link.user_id, link.maker_id, scope.tenants, scope.consultancies)
    ON CONFLICT (user_id) DO UPDATE
       SET maker_id = EXCLUDED.maker_id,
           scope_tenants = EXCLUDED.scope_tenants,
           scope_consultancies = EXCLUDED.scope_consultancies;
    RETURN link.user_id;
END
$$;

-- Whether a bound account may reach what it reaches now: within the scope it was bound
-- to, and within what its link's maker manages now (nothing, once the maker is gone).
CREATE FUNCTION okr_bound_reach_holds(p_user uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bound password_scopes%ROWTYPE;
    now_managed record;
BEGIN
    SELECT * INTO bound FROM password_scopes WHERE user_id = p_user;
    IF NOT FOUND THEN
        RETURN true;
    END IF;
    SELECT * INTO now_managed FROM okr_maker_scope(bound.maker_id);
    RETURN okr_reach_within(p_user, bound.scope_tenants, bound.scope_consultancies)
       AND okr_reach_within(p_user, now_managed.tenants, now_managed.consultancies);
END
$$;

-- A membership or a consultancy role given (or moved): the account's pending links are
-- void, and one bound to a scope that does not hold what it would reach is refused.
CREATE FUNCTION okr_reach_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM password_links WHERE user_id = NEW.user_id;
    IF NOT okr_bound_reach_holds(NEW.user_id) THEN
        RAISE EXCEPTION 'the account is bound to the scope of the link its password was chosen with'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'password_scope';
    END IF;
    RETURN NULL;
END
$$;

-- A membership or a consultancy role taken away: the account's pending links are void (a
-- person removed before using theirs must not set a password with it); so are the links
-- its holder made, whose rights it took away.
CREATE FUNCTION okr_reach_ended() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM password_links WHERE user_id = OLD.user_id OR maker_id = OLD.user_id;
    RETURN NULL;
END
$$;

-- An account bound to a scope is never made a platform admin.
CREATE FUNCTION okr_platform_admin_made() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.is_platform_admin AND EXISTS (SELECT FROM password_scopes WHERE user_id = NEW.id)
    THEN
        RAISE EXCEPTION 'the account is bound to the scope of the link its password was chosen with'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'password_scope';
    END IF;
    DELETE FROM password_links WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_reach_changed
    AFTER INSERT OR UPDATE OF tenant_id, user_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION okr_reach_changed();
CREATE TRIGGER consultancy_members_reach_changed
    AFTER INSERT OR UPDATE OF consultancy_id, user_id, role ON consultancy_members
    FOR EACH ROW EXECUTE FUNCTION okr_reach_changed();
CREATE TRIGGER memberships_reach_ended
    AFTER DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION okr_reach_ended();
CREATE TRIGGER memberships_role_changed
    AFTER UPDATE OF role ON memberships
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION okr_reach_ended();
CREATE TRIGGER consultancy_members_reach_ended
    AFTER DELETE ON consultancy_members FOR EACH ROW EXECUTE FUNCTION okr_reach_ended();
CREATE TRIGGER consultancy_members_role_changed
    AFTER UPDATE OF role ON consultancy_members
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION okr_reach_ended();
CREATE TRIGGER users_platform_admin_made
    AFTER UPDATE OF is_platform_admin ON users
    FOR EACH ROW EXECUTE FUNCTION okr_platform_admin_made();

REVOKE ALL ON FUNCTION okr_reach_within(uuid, uuid[], uuid[]), okr_maker_scope(uuid),
    okr_link_allowed(uuid, uuid), okr_bound_reach_holds(uuid), okr_make_password_link(uuid, bytea, timestamptz, uuid),
    okr_claim_password_link(bytea), okr_take_password_link(bytea, text),
    okr_password_link_open(bytea), okr_reach_changed(), okr_reach_ended(),
    okr_platform_admin_made() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_make_password_link(uuid, bytea, timestamptz, uuid),
    okr_claim_password_link(bytea), okr_take_password_link(bytea, text),
    okr_password_link_open(bytea) TO okr_app;

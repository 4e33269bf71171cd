-- A person invited has an account without a password and could never sign in. Whoever
-- manages them makes a link (a one-time token, kept here hashed, for 7 days) and hands it
-- to them; they choose their password with it (POST /api/v1/auth/password, or the
-- portal's /welcome page).
--
-- This platform sends no mail: the maker of a link could use it themselves. So a link is
-- made only for an account that has no password, is no platform admin's, and reaches
-- nothing beyond the maker's scope (the tenants where they manage people, the
-- consultancies they are an admin of); it is checked again when the link is used; and a
-- password chosen with a link holds only within that scope: when the account is given a
-- membership or a consultancy role beyond it (an invitation of its email elsewhere), its
-- password, its pending links, its refresh tokens and every session it began before then
-- end (credentials_reset_at), so that whoever manages all of it makes a new link for its
-- owner. A change of its reach voids its pending links in any case.

ALTER TABLE users ADD COLUMN credentials_reset_at timestamptz;
GRANT SELECT (credentials_reset_at) ON users TO okr_app;

CREATE TABLE password_links (
    token_hash           bytea       PRIMARY KEY,
    user_id              uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    made_by              text        NOT NULL,
    made_at              timestamptz NOT NULL DEFAULT now(),
    expires_at           timestamptz NOT NULL,
    claimed_at           timestamptz,
    scope_tenants        uuid[],              -- NULL: anywhere (a platform admin's link)
    scope_consultancies  uuid[]      NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);

-- The scope a password chosen with a link holds within (none: chosen otherwise).
CREATE TABLE password_scopes (
    user_id              uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    scope_tenants        uuid[],
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
               AND t.consultancy_id <> ALL (p_consultancies))
        AND NOT EXISTS (
            SELECT FROM consultancy_members c
             WHERE c.user_id = p_user AND c.consultancy_id <> ALL (p_consultancies)))
$$;

-- Make a link for p_user within a scope (its earlier links go): 'made', or why not:
-- 'unknown' (no such enabled account), 'has_password', 'beyond' (a platform admin's
-- account, or one that reaches beyond the scope).
CREATE FUNCTION okr_make_password_link(
    p_user uuid, p_hash bytea, p_expires timestamptz, p_by text,
    p_tenants uuid[], p_consultancies uuid[]
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    person users%ROWTYPE;
BEGIN
    SELECT * INTO person FROM users WHERE id = p_user AND disabled_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'unknown';
    ELSIF person.password_hash IS NOT NULL THEN
        RETURN 'has_password';
    ELSIF person.is_platform_admin OR NOT okr_reach_within(p_user, p_tenants, p_consultancies)
    THEN
        RETURN 'beyond';
    END IF;
    DELETE FROM password_links WHERE user_id = p_user;
    INSERT INTO password_links
        (token_hash, user_id, made_by, expires_at, scope_tenants, scope_consultancies)
    VALUES (p_hash, p_user, p_by, p_expires, p_tenants, coalesce(p_consultancies, '{}'));
    RETURN 'made';
END
$$;

-- The link's claim, before its password is hashed (a hash costs): true for one caller at
-- a time (a claim lapses after a minute, for a caller that died), false for a link that
-- would set nothing (unknown, expired, claimed, or its account changed).
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

-- The email of the account a link would set a password of now (NULL: none; the portal's
-- page says at once, and shows the holder of the link which email they will sign in with).
CREATE FUNCTION okr_password_link_open(p_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.email FROM password_links l JOIN users u ON u.id = l.user_id
     WHERE l.token_hash = p_hash AND l.expires_at > now()
       AND u.disabled_at IS NULL AND u.password_hash IS NULL AND NOT u.is_platform_admin
$$;

-- Spend a claimed link on a password (its hash, made by the application): the account's
-- id, if the account is enabled, still without a password and within the link's scope
-- (NULL otherwise); every link of the account goes, and the password holds within the
-- link's scope. The account's row is locked first, as okr_make_password_link locks it.
CREATE FUNCTION okr_take_password_link(p_hash bytea, p_password_hash text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    link password_links%ROWTYPE;
BEGIN
    SELECT * INTO link FROM password_links WHERE token_hash = p_hash;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM FROM users WHERE id = link.user_id FOR UPDATE;
    DELETE FROM password_links WHERE token_hash = p_hash AND claimed_at IS NOT NULL
       AND expires_at > now();
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    DELETE FROM password_links WHERE user_id = link.user_id;
    IF NOT okr_reach_within(link.user_id, link.scope_tenants, link.scope_consultancies) THEN
        RETURN NULL;
    END IF;
    UPDATE users SET password_hash = p_password_hash
     WHERE id = link.user_id AND disabled_at IS NULL AND password_hash IS NULL
       AND NOT is_platform_admin;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO password_scopes (user_id, scope_tenants, scope_consultancies)
    VALUES (link.user_id, link.scope_tenants, link.scope_consultancies)
    ON CONFLICT (user_id) DO UPDATE
       SET scope_tenants = EXCLUDED.scope_tenants,
           scope_consultancies = EXCLUDED.scope_consultancies;
    RETURN link.user_id;
END
$$;

-- A membership or a consultancy role given (or moved): the account's pending links are
-- void, and a password chosen with a link whose scope does not hold what it reaches now
-- ends, with its refresh tokens and its sessions.
CREATE FUNCTION okr_reach_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    scope password_scopes%ROWTYPE;
BEGIN
    DELETE FROM password_links WHERE user_id = NEW.user_id;
    SELECT * INTO scope FROM password_scopes WHERE user_id = NEW.user_id;
    IF FOUND AND NOT okr_reach_within(NEW.user_id, scope.scope_tenants, scope.scope_consultancies)
    THEN
        UPDATE users SET password_hash = NULL, credentials_reset_at = now()
         WHERE id = NEW.user_id;
        UPDATE refresh_tokens SET revoked_at = now()
         WHERE user_id = NEW.user_id AND revoked_at IS NULL;
        DELETE FROM password_scopes WHERE user_id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;

-- A membership or a consultancy role taken away: the account's pending links are void (a
-- person removed before using theirs must not set a password with it).
CREATE FUNCTION okr_reach_ended() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM password_links WHERE user_id = OLD.user_id;
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
CREATE TRIGGER consultancy_members_reach_ended
    AFTER DELETE ON consultancy_members FOR EACH ROW EXECUTE FUNCTION okr_reach_ended();

REVOKE ALL ON FUNCTION okr_reach_within(uuid, uuid[], uuid[]),
    okr_make_password_link(uuid, bytea, timestamptz, text, uuid[], uuid[]),
    okr_claim_password_link(bytea), okr_take_password_link(bytea, text),
    okr_password_link_open(bytea), okr_reach_changed(), okr_reach_ended() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    okr_make_password_link(uuid, bytea, timestamptz, text, uuid[], uuid[]),
    okr_claim_password_link(bytea), okr_take_password_link(bytea, text),
    okr_password_link_open(bytea) TO okr_app;

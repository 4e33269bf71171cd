-- A person invited has an account without a password and could never sign in. Whoever
-- manages them makes a link (a one-time token, kept here hashed, for 7 days) and hands it
-- to them; they choose their password with it (POST /api/v1/auth/password, or the
-- portal's /welcome page). Only for an account that has no password yet, that is not a
-- platform admin, and whose every membership and consultancy role lies where the maker
-- manages people: a client admin cannot take over an account that reaches another client.
CREATE TABLE password_links (
    token_hash  bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    made_by     text        NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);
-- the application role reaches the links only through the two functions below
REVOKE ALL ON password_links FROM PUBLIC;

-- Make a link for p_user (its earlier links go): 'made', or why not: 'unknown' (no such
-- enabled account), 'has_password', 'platform_admin', 'reaches_elsewhere' (a membership
-- outside p_tenants, or a consultancy role outside p_consultancies; NULL: anywhere, for a
-- platform admin).
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
    ELSIF person.is_platform_admin THEN
        RETURN 'platform_admin';
    ELSIF p_tenants IS NOT NULL AND (
        EXISTS (SELECT FROM memberships m
                 WHERE m.user_id = p_user AND m.tenant_id <> ALL (p_tenants))
        OR EXISTS (SELECT FROM consultancy_members c
                    WHERE c.user_id = p_user
                      AND c.consultancy_id <> ALL (coalesce(p_consultancies, '{}'))))
    THEN
        RETURN 'reaches_elsewhere';
    END IF;
    DELETE FROM password_links WHERE user_id = p_user;
    INSERT INTO password_links (token_hash, user_id, made_by, expires_at)
    VALUES (p_hash, p_user, p_by, p_expires);
    RETURN 'made';
END
$$;

-- Spend a link on a password (its hash, made by the application): the account it was made
-- for, if the link is unexpired and the account enabled and still without a password (NULL
-- otherwise); every link of that account goes. One statement: a link is never spent
-- without its password being set.
CREATE FUNCTION okr_take_password_link(p_hash bytea, p_password_hash text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    taken uuid;
BEGIN
    DELETE FROM password_links WHERE token_hash = p_hash AND expires_at > now()
    RETURNING user_id INTO taken;
    IF taken IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM password_links WHERE user_id = taken;
    UPDATE users SET password_hash = p_password_hash
     WHERE id = taken AND disabled_at IS NULL AND password_hash IS NULL;
    RETURN CASE WHEN FOUND THEN taken END;
END
$$;

-- Whether a link would set a password now: asked before its password is hashed (a hash
-- costs, so a made-up link costs nothing) and when the portal shows its page.
CREATE FUNCTION okr_password_link_open(p_hash bytea) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT FROM password_links l JOIN users u ON u.id = l.user_id
         WHERE l.token_hash = p_hash AND l.expires_at > now()
           AND u.disabled_at IS NULL AND u.password_hash IS NULL)
$$;

REVOKE ALL ON FUNCTION okr_make_password_link(uuid, bytea, timestamptz, text, uuid[], uuid[]),
    okr_take_password_link(bytea, text), okr_password_link_open(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_make_password_link(uuid, bytea, timestamptz, text, uuid[], uuid[]),
    okr_take_password_link(bytea, text), okr_password_link_open(bytea) TO okr_app;

-- Who among a tenant's people can sign in: an admin sees, beside each member, whether their
-- account has a password and until when a link made for them works (an invited person
-- without either cannot sign in). The application role never reads password hashes, so
-- two definer functions say only that much.
CREATE FUNCTION okr_has_password(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT password_hash IS NOT NULL FROM users WHERE id = p_user
$$;

CREATE FUNCTION okr_password_link_expires(p_user uuid) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT max(expires_at) FROM password_links WHERE user_id = p_user AND expires_at > now()
$$;

REVOKE ALL ON FUNCTION okr_has_password(uuid), okr_password_link_expires(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_has_password(uuid), okr_password_link_expires(uuid) TO okr_app;

-- Adding an existing account to a tenant or a consultancy: an email is one account across
-- the platform, so inviting one that exists gave its owner a role without asking, told the
-- inviter its name and whether it had a password, and a password link made for it by the
-- people who manage it stopped working ("beyond"). Any client admin could do that to the
-- people of another client, or of another consultancy.
--
-- So an existing account is added only by someone who manages everything it reaches (the
-- scope a password link of theirs would bind to: okr_maker_scope), or that reaches nothing
-- (a person removed, invited again; an account bound by its link's password still holds
-- to its scope: 0018); a platform admin adds anyone. An API key (p_maker NULL) manages its
-- tenant alone.
CREATE FUNCTION okr_may_add_account(p_user uuid, p_maker uuid, p_tenant uuid)
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
        RETURN true;  -- reaches nothing (one removed, invited again): see 0018's binding
    END IF;
    RETURN okr_reach_within(p_user, v_tenants, v_consultancies);
END
$$;

REVOKE ALL ON FUNCTION okr_may_add_account(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_may_add_account(uuid, uuid, uuid) TO okr_app;

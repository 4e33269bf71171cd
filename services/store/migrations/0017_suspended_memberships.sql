-- The suspended tenants a user would reach were they active: a member of a suspended client
-- is told it is suspended (403 in the API, a page of its own in the portal) rather than that
-- it does not exist. The same memberships okr_user_grants counts, but of suspended tenants
-- only; a disabled user has none. Asked when a request is refused, and where the portal
-- lands a person (their companies' page says which of theirs is suspended).
CREATE FUNCTION okr_user_suspended_tenants(p_user uuid) RETURNS TABLE (tenant_id uuid, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, t.name
      FROM memberships m
      JOIN tenants t ON t.id = m.tenant_id
     WHERE m.user_id = p_user AND t.status = 'suspended'
       AND (m.role <> 'consultant' OR EXISTS (
            SELECT FROM consultancy_members c
             WHERE c.consultancy_id = t.consultancy_id AND c.user_id = p_user))
       AND EXISTS (SELECT FROM users u WHERE u.id = p_user AND u.disabled_at IS NULL)
     ORDER BY t.name, t.id
$$;

-- The unrevoked keys of suspended tenants with this public prefix: a key that is right but
-- whose tenant is suspended is told so (403), not that it is not a key (401), so that its
-- integration's people know whom to ask. Asked only when no live key matched.
CREATE FUNCTION okr_suspended_api_key_by_prefix(p_prefix text)
RETURNS TABLE (tenant_name text, secret_hash bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.name, k.secret_hash
      FROM api_keys k
      JOIN tenants t ON t.id = k.tenant_id
     WHERE k.prefix = p_prefix AND k.revoked_at IS NULL AND t.status = 'suspended'
$$;

REVOKE ALL ON FUNCTION okr_user_suspended_tenants(uuid),
    okr_suspended_api_key_by_prefix(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_user_suspended_tenants(uuid),
    okr_suspended_api_key_by_prefix(text) TO okr_app;

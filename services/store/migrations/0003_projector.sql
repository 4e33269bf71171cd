-- What the projector may see across tenants: ids and head positions, nothing else.
-- SECURITY DEFINER: the application role reads tenant_heads only under RLS.
CREATE FUNCTION okr_tenant_positions() RETURNS TABLE (tenant_id uuid, "position" bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT h.tenant_id, h.position FROM tenant_heads h
$$;
REVOKE ALL ON FUNCTION okr_tenant_positions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_tenant_positions() TO okr_app;

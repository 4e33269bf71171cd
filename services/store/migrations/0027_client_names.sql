-- The names of a consultancy's clients, for the check that two of them never share one
-- (tenants.directory.refuse_taken_name, which compares them as a person reads them). The
-- caller's row-level security admits only the client it makes or renames; it needs no more
-- of the others than their names.
CREATE FUNCTION okr_consultancy_client_names(p_consultancy uuid)
RETURNS TABLE (tenant_id uuid, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, t.name FROM tenants t WHERE t.consultancy_id = p_consultancy
$$;

REVOKE ALL ON FUNCTION okr_consultancy_client_names(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_consultancy_client_names(uuid) TO okr_app;

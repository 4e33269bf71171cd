-- Erasing a client tenant: every row of it, in every tenant table, goes at once and for good
-- (its log, snapshots, cipher key, read models, members, API keys, idempotency keys), and
-- a tombstone says which tenant was erased, by whom, when, and where its log stood.
--
-- The log is append-only for the application role (0001): only this definer function
-- deletes from it. It finds the tenant tables by their tenant_id column, so a read model
-- made later (the projector makes rm_* tables) is erased as well. The callers check who may
-- erase and that the tenant was suspended first (tenants/directory.py); the function checks
-- the suspension again, and that no full rebuild of the read models is running (a rebuild's
-- shadow tables could take rows of the tenant in after their deletion).

-- A platform table (no tenant_id column: no row-level security, the tenant is gone); the API
-- shows a consultancy its own.
CREATE TABLE erased_tenants (
    id             uuid        PRIMARY KEY,
    consultancy_id uuid        NOT NULL REFERENCES consultancies (id),
    name           text        NOT NULL,
    slug           text        NOT NULL,
    erased_by      text        NOT NULL CHECK (char_length(erased_by) BETWEEN 1 AND 200),
    erased_at      timestamptz NOT NULL DEFAULT now(),
    events         bigint      NOT NULL,
    head_hash      bytea       NOT NULL
);
CREATE INDEX erased_tenants_consultancy_idx ON erased_tenants (consultancy_id, erased_at);
GRANT SELECT ON erased_tenants TO okr_app;

CREATE FUNCTION okr_erase_tenant(p_tenant uuid, p_by text) RETURNS SETOF erased_tenants
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    gone     tenants%ROWTYPE;
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
    SELECT h.position, h.chain_hash INTO head, last FROM tenant_heads h
     WHERE h.tenant_id = p_tenant FOR UPDATE;
    FOR tbl IN
        SELECT c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
           AND a.attname = 'tenant_id' AND NOT a.attisdropped
         ORDER BY c.relname
    LOOP
        EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', tbl) USING p_tenant;
    END LOOP;
    DELETE FROM tenants WHERE id = p_tenant;
    RETURN QUERY
        INSERT INTO erased_tenants (id, consultancy_id, name, slug, erased_by, events,
                                    head_hash)
        VALUES (p_tenant, gone.consultancy_id, gone.name, gone.slug, p_by, coalesce(head, 0),
                coalesce(last, '\x0000000000000000000000000000000000000000000000000000000000000000'))
        RETURNING *;
END
$$;
REVOKE ALL ON FUNCTION okr_erase_tenant(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_erase_tenant(uuid, text) TO okr_app;

-- Idempotency keys of the HTTP API: the first response to a write, kept so that a retry with
-- the same Idempotency-Key gets it back and records nothing new.
--
-- A key belongs to one principal (actor) in one tenant: nobody can replay another's response.
-- status is NULL while the first request is still running (a concurrent retry answers 409).
-- Writes outside any tenant (creating a tenant, suspending one) use the platform table, keyed
-- by the principal alone; it holds no tenant_id and has no row-level security.

CREATE TABLE idempotency_keys (
    tenant_id    uuid        NOT NULL,
    actor        text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 200),
    key          text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash bytea       NOT NULL CHECK (octet_length(request_hash) = 32),
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, actor, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (tenant_id, created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys USING (tenant_id = ANY (okr_tenant_ids()))
    WITH CHECK (tenant_id = ANY (okr_tenant_ids()));

CREATE TABLE platform_idempotency_keys (
    actor        text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 200),
    key          text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash bytea       NOT NULL CHECK (octet_length(request_hash) = 32),
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX platform_idempotency_keys_created_idx ON platform_idempotency_keys (created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO okr_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_idempotency_keys TO okr_app;

-- Expired keys of every tenant, for a periodic purge (the definer sees all tenants: a login
-- that owns the table without being superuser is still bound by FORCE, hence its own policy).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY definer_purge ON idempotency_keys FOR ALL TO %I USING (true)',
                   current_user);
END
$$;

CREATE FUNCTION okr_purge_idempotency_keys(p_ttl interval) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH a AS (DELETE FROM idempotency_keys WHERE created_at < now() - p_ttl RETURNING 1),
         b AS (DELETE FROM platform_idempotency_keys WHERE created_at < now() - p_ttl RETURNING 1)
    SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)
$$;
REVOKE ALL ON FUNCTION okr_purge_idempotency_keys(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_purge_idempotency_keys(interval) TO okr_app;

-- The per-tenant event store: one table of events, every key led by tenant_id,
-- a head row per tenant that is both its gapless counter and its append lock,
-- snapshots of long streams, optional per-tenant cipher keys.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'okr_app') THEN
        CREATE ROLE okr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database of this cluster created it at the same moment
END
$$;

-- The tenant grant set of the current transaction. A missing or empty setting raises:
-- it never means "all tenants".
CREATE FUNCTION okr_tenant_ids() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT current_setting('okr.tenant_ids')::uuid[]
$$;

CREATE TABLE tenant_heads (
    tenant_id  uuid PRIMARY KEY,
    position   bigint NOT NULL DEFAULT 0,
    chain_hash bytea  NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
    recorded_at timestamptz
);

CREATE TABLE events (
    tenant_id      uuid        NOT NULL,
    position       bigint      NOT NULL,
    stream_id      uuid        NOT NULL,
    version        integer     NOT NULL,
    topic          text        NOT NULL,
    state          bytea       NOT NULL,
    recorded_at    timestamptz NOT NULL,
    actor          text        NOT NULL,
    correlation_id uuid        NOT NULL,
    hash           bytea       NOT NULL,
    PRIMARY KEY (tenant_id, position),
    CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, version)
);

CREATE TABLE snapshots (
    tenant_id uuid    NOT NULL,
    stream_id uuid    NOT NULL,
    version   integer NOT NULL,
    position  bigint  NOT NULL,
    topic     text    NOT NULL,
    state     bytea   NOT NULL,
    PRIMARY KEY (tenant_id, stream_id, version)
);

CREATE TABLE tenant_keys (
    tenant_id  uuid PRIMARY KEY,
    cipher_key text NOT NULL
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_heads', 'events', 'snapshots', 'tenant_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = ANY (okr_tenant_ids())) '
            'WITH CHECK (tenant_id = ANY (okr_tenant_ids()))', t);
    END LOOP;
END
$$;

-- Events are append-only for the application: no UPDATE, no DELETE.
GRANT SELECT, INSERT ON events TO okr_app;
GRANT SELECT, INSERT, UPDATE ON tenant_heads TO okr_app;
GRANT SELECT, INSERT, DELETE ON snapshots TO okr_app;
GRANT SELECT, INSERT, DELETE ON tenant_keys TO okr_app;

-- Canonical bytes of one event for the hash chain (mirrored in services/store/chain.py):
-- tenant, position, stream, version, recorded_at (µs since epoch), correlation id,
-- length-prefixed topic and actor, then sha256 of the stored state.
CREATE FUNCTION okr_event_digest(
    prev bytea, p_tenant uuid, p_position bigint, p_stream uuid, p_version integer,
    p_recorded_micros bigint, p_correlation uuid, p_topic text, p_actor text, p_state bytea
) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(
        prev
        || uuid_send(p_tenant) || int8send(p_position) || uuid_send(p_stream)
        || int4send(p_version) || int8send(p_recorded_micros) || uuid_send(p_correlation)
        || int4send(octet_length(convert_to(p_topic, 'UTF8'))) || convert_to(p_topic, 'UTF8')
        || int4send(octet_length(convert_to(p_actor, 'UTF8'))) || convert_to(p_actor, 'UTF8')
        || sha256(p_state)
    )
$$;

-- Appends the events of one command for one tenant: one statement, one round trip,
-- one transaction. p_grants is the acting principal's tenant set; it becomes the RLS
-- setting for this transaction, so writing outside it fails the policy check.
-- Writers of one tenant queue on its head row; positions are head+1..head+n, so the
-- tenant's log commits in position order with no gaps.
-- recorded_at is the database clock. Only an import of history (onboarding a client from
-- its spreadsheets, the demo) may pass p_recorded_at: never in the future, never before
-- the tenant's last recorded event, so each tenant's log stays in time order.
CREATE FUNCTION okr_append(
    p_tenant uuid, p_grants text, p_stream_ids uuid[], p_versions integer[],
    p_topics text[], p_states bytea[], p_actor text, p_correlation uuid, p_notify boolean,
    p_recorded_at timestamptz DEFAULT NULL
) RETURNS TABLE (first_position bigint, last_position bigint, recorded_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    n        integer := cardinality(p_stream_ids);
    head     bigint;
    chain    bytea;
    last_ts  timestamptz;
    now_ts   timestamptz;
    micros   bigint;
    hashes   bytea[] := '{}';
    i        integer;
BEGIN
    PERFORM set_config('okr.tenant_ids', p_grants, true);
    SELECT h.position, h.chain_hash, h.recorded_at INTO head, chain, last_ts
      FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO tenant_heads (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
        SELECT h.position, h.chain_hash, h.recorded_at INTO head, chain, last_ts
          FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    END IF;
    now_ts := clock_timestamp();
    IF p_recorded_at IS NOT NULL THEN
        IF p_recorded_at > now_ts OR p_recorded_at < last_ts THEN
            RAISE EXCEPTION 'imported recorded_at % outside [%, %]', p_recorded_at, last_ts, now_ts
                USING ERRCODE = '22008';
        END IF;
        now_ts := p_recorded_at;
    END IF;
    micros := (extract(epoch FROM now_ts) * 1000000)::bigint;
    FOR i IN 1..n LOOP
        chain := okr_event_digest(chain, p_tenant, head + i, p_stream_ids[i], p_versions[i],
                                  micros, p_correlation, p_topics[i], p_actor, p_states[i]);
        hashes := hashes || chain;
    END LOOP;
    INSERT INTO events (tenant_id, position, stream_id, version, topic, state,
                        recorded_at, actor, correlation_id, hash)
    SELECT p_tenant, head + o, s, v, t, st, now_ts, p_actor, p_correlation, hs
      FROM unnest(p_stream_ids, p_versions, p_topics, p_states, hashes)
           WITH ORDINALITY AS u(s, v, t, st, hs, o);
    UPDATE tenant_heads SET position = head + n, chain_hash = chain, recorded_at = now_ts
     WHERE tenant_id = p_tenant;
    IF p_notify THEN
        PERFORM pg_notify('okr_events', p_tenant::text || ':' || (head + n)::text);
    END IF;
    RETURN QUERY SELECT head + 1, head + n, now_ts;
END
$$;

-- Loads one stream in one statement: the latest usable snapshot (if any, at or below
-- p_max_position), then the events after it. kind = 's' for the snapshot row, 'e' for events.
CREATE FUNCTION okr_load_stream(
    p_tenant uuid, p_grants text, p_stream uuid, p_max_position bigint
) RETURNS TABLE (kind "char", version integer, topic text, state bytea, pos bigint)
LANGUAGE plpgsql AS $$
DECLARE
    snap_version  integer := 0;
    snap_topic    text;
    snap_state    bytea;
    snap_position bigint;
BEGIN
    PERFORM set_config('okr.tenant_ids', p_grants, true);
    SELECT s.version, s.topic, s.state, s.position
      INTO snap_version, snap_topic, snap_state, snap_position
      FROM snapshots s
     WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream AND s.position <= p_max_position
     ORDER BY s.version DESC LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT 's'::"char", snap_version, snap_topic, snap_state, snap_position;
    ELSE
        snap_version := 0;
    END IF;
    RETURN QUERY
        SELECT 'e'::"char", e.version, e.topic, e.state, e.position
          FROM events e
         WHERE e.tenant_id = p_tenant AND e.stream_id = p_stream
           AND e.version > snap_version AND e.position <= p_max_position
         ORDER BY e.version;
END
$$;

GRANT EXECUTE ON FUNCTION okr_tenant_ids(), okr_event_digest(bytea, uuid, bigint, uuid, integer,
    bigint, uuid, text, text, bytea) TO okr_app;
GRANT EXECUTE ON FUNCTION okr_append(uuid, text, uuid[], integer[], text[], bytea[], text, uuid,
    boolean, timestamptz) TO okr_app;
GRANT EXECUTE ON FUNCTION okr_load_stream(uuid, text, uuid, bigint) TO okr_app;

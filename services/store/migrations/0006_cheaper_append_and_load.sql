-- The same append and load, with less server work per call, and a load of several streams
-- in one round trip (a check-in reads its key result and the key result's cycle).
--
-- Measured on a single check-in (load key result, load cycle, append), ~1 ms of server CPU:
-- * okr_event_digest is declared IMMUTABLE but calls convert_to (STABLE), so the planner
--   never inlines it: every append parsed, analysed and planned its body again (the SQL
--   function executor keeps no plan across transactions), ~18 % of the append. The append
--   now computes the same bytes in its own expression, which plpgsql plans once per session.
--   okr_event_digest stays as it was (chain.py mirrors it; nothing else calls it).
-- * PERFORM runs a whole query through the executor; an assignment of the same expression
--   is a plpgsql "simple expression" (no executor start): `p_grants := set_config(...)`
--   sets the tenant grants as PERFORM did (set_config returns the value it set). Same for
--   the rows returned with RETURN NEXT instead of RETURN QUERY SELECT <values>.
-- * The head row locked FOR UPDATE is updated through its ctid (a TID scan) instead of a
--   second search of tenant_heads; the lock keeps that row version current until commit.
-- Signatures, results, hashes and locks are unchanged.

CREATE OR REPLACE FUNCTION okr_append(
    p_tenant uuid, p_grants text, p_stream_ids uuid[], p_versions integer[],
    p_topics text[], p_states bytea[], p_actor text, p_correlation uuid, p_notify boolean,
    p_recorded_at timestamptz DEFAULT NULL
) RETURNS TABLE (first_position bigint, last_position bigint, recorded_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    n        integer := cardinality(p_stream_ids);
    head     bigint;
    head_tid tid;
    chain    bytea;
    last_ts  timestamptz;
    now_ts   timestamptz;
    micros   bigint;
    hashes   bytea[] := '{}';
    tenant_b bytea := uuid_send(p_tenant);
    actor_b  bytea := convert_to(p_actor, 'UTF8');
    moment_b bytea;  -- recorded_at and correlation id: the same for every event of the call
    topic_b  bytea;
    i        integer;
BEGIN
    p_grants := set_config('okr.tenant_ids', p_grants, true);
    SELECT h.ctid, h.position, h.chain_hash, h.recorded_at INTO head_tid, head, chain, last_ts
      FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO tenant_heads (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
        SELECT h.ctid, h.position, h.chain_hash, h.recorded_at INTO head_tid, head, chain, last_ts
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
    -- The bytes of okr_event_digest (migrations/0001, services/store/chain.py).
    moment_b := int8send(micros) || uuid_send(p_correlation);
    actor_b := int4send(octet_length(actor_b)) || actor_b;
    FOR i IN 1..n LOOP
        topic_b := convert_to(p_topics[i], 'UTF8');
        chain := sha256(chain || tenant_b || int8send(head + i) || uuid_send(p_stream_ids[i])
                        || int4send(p_versions[i]) || moment_b
                        || int4send(octet_length(topic_b)) || topic_b || actor_b
                        || sha256(p_states[i]));
        hashes := hashes || chain;
    END LOOP;
    INSERT INTO events (tenant_id, position, stream_id, version, topic, state,
                        recorded_at, actor, correlation_id, hash)
    SELECT p_tenant, head + o, s, v, t, st, now_ts, p_actor, p_correlation, hs
      FROM unnest(p_stream_ids, p_versions, p_topics, p_states, hashes)
           WITH ORDINALITY AS u(s, v, t, st, hs, o);
    UPDATE tenant_heads SET position = head + n, chain_hash = chain, recorded_at = now_ts
     WHERE ctid = head_tid AND tenant_id = p_tenant;
    IF p_notify THEN
        PERFORM pg_notify('okr_events', p_tenant::text || ':' || (head + n)::text);
    END IF;
    first_position := head + 1;
    last_position := head + n;
    recorded_at := now_ts;
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION okr_load_stream(
    p_tenant uuid, p_grants text, p_stream uuid, p_max_position bigint
) RETURNS TABLE (kind "char", version integer, topic text, state bytea, pos bigint)
LANGUAGE plpgsql AS $$
DECLARE
    snap_version  integer := 0;
    snap_topic    text;
    snap_state    bytea;
    snap_position bigint;
BEGIN
    p_grants := set_config('okr.tenant_ids', p_grants, true);
    SELECT s.version, s.topic, s.state, s.position
      INTO snap_version, snap_topic, snap_state, snap_position
      FROM snapshots s
     WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream AND s.position <= p_max_position
     ORDER BY s.version DESC LIMIT 1;
    IF FOUND THEN
        kind := 's';
        version := snap_version;
        topic := snap_topic;
        state := snap_state;
        pos := snap_position;
        RETURN NEXT;
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

-- Several streams of one tenant in one call: per stream (in the order given), its latest
-- usable snapshot (if any, at or below p_max_position), then its events after it, exactly as
-- okr_load_stream returns them one stream at a time. A loop of the same two simple queries,
-- not one query over unnest(p_streams): the planner guesses 100 rows for an unnest of a
-- parameter, so that query never earned a cached generic plan and was planned on every call.
-- okr_load_stream keeps a body of its own: as a wrapper of this one (or this one called with
-- one stream) a load took 12-15 % longer (3,000 loads of a 31-event stream, same run).
CREATE FUNCTION okr_load_streams(
    p_tenant uuid, p_grants text, p_streams uuid[], p_max_position bigint
) RETURNS TABLE (stream_id uuid, kind "char", version integer, topic text, state bytea, pos bigint)
LANGUAGE plpgsql AS $$
DECLARE
    stream        uuid;
    snap_version  integer;
    snap_topic    text;
    snap_state    bytea;
    snap_position bigint;
BEGIN
    p_grants := set_config('okr.tenant_ids', p_grants, true);
    FOREACH stream IN ARRAY p_streams LOOP
        SELECT s.version, s.topic, s.state, s.position
          INTO snap_version, snap_topic, snap_state, snap_position
          FROM snapshots s
         WHERE s.tenant_id = p_tenant AND s.stream_id = stream
           AND s.position <= p_max_position
         ORDER BY s.version DESC LIMIT 1;
        IF FOUND THEN
            stream_id := stream;
            kind := 's';
            version := snap_version;
            topic := snap_topic;
            state := snap_state;
            pos := snap_position;
            RETURN NEXT;
        ELSE
            snap_version := 0;
        END IF;
        RETURN QUERY
            SELECT stream, 'e'::"char", e.version, e.topic, e.state, e.position
              FROM events e
             WHERE e.tenant_id = p_tenant AND e.stream_id = stream
               AND e.version > snap_version AND e.position <= p_max_position
             ORDER BY e.version;
    END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION okr_load_streams(uuid, text, uuid[], bigint) TO okr_app;

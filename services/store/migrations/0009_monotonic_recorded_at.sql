-- A tenant's log is in time order whatever the server's clock does: an append stamps its
-- events with the clock, or with the tenant's last stamp if the clock stands before it (a
-- step back, as after a virtual machine resumes or NTP corrects a fast clock). Time travel
-- and the trail's time filters take an instant for a prefix of the log (services/read,
-- `_cut`: the last position recorded at or before it); a stamp earlier than the one before
-- it would make an "as of" state that never was, with a later event in and an earlier one
-- out. Imports (p_recorded_at) were held to it already. Otherwise the same function as
-- 0006's: signatures, results, hashes and locks are unchanged.

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
    now_ts := greatest(clock_timestamp(), last_ts);  -- NULL (a first append): the clock
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

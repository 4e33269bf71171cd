-- Large values (read-model states, fold checkpoints, snapshots) are compressed with lz4
-- rather than pglz, where the server was built with it: a check-in rewrites its key
-- result's state (about 2.5 KB) in rm_progress_items, and with pglz that upsert was 40 %
-- of a projector pass's write (measured with EXPLAIN ANALYZE, 100 tenants: 10.5 ms of
-- 21.5 ms; with lz4 4.7 of 16.5). Stored sizes are about the same. A database-wide default
-- for new sessions: values keep the method they were written with, both stay readable.
-- Only the database's owner may set it: a schema owner that is not keeps pglz (a notice).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_settings
                WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE format('ALTER DATABASE %I SET default_toast_compression = lz4', current_database());
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not the owner of database %: TOAST compression stays pglz', current_database();
END
$$;

"""Migrations: versioned, idempotent, safe when several processes run them at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services import read
from services.app import Context, OKRApplication
from services.bootstrap import bootstrap
from services.db import tenant_transaction
from services.projector.registry import PROJECTIONS
from services.projector.schema import SHADOW, ensure_tables, row_type
from services.projector.worker import SHARE_SWAP_SQL
from services.settings import Settings
from services.store.migrate import migrate, migration_files
from tenants import directory
from tests.conftest import DatabaseFactory
from tests.integration.test_projector import a_tenant_with_history, projector


async def test_concurrent_migrations_apply_each_file_exactly_once(
    databases: DatabaseFactory,
) -> None:
    """Four processes migrating one empty database at once: no error, every file once."""
    dsn = await databases.create()
    results = await asyncio.gather(*(migrate(dsn) for _ in range(4)))
    applied = [name for result in results for name in result]
    assert sorted(applied) == [p.name for p in migration_files()]
    assert await migrate(dsn) == []  # and again: nothing to do
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    finally:
        await conn.close()
    assert [r["name"] for r in rows] == [p.name for p in migration_files()]


async def test_read_model_tables_are_made_once_and_kept(databases: DatabaseFactory) -> None:
    """Read-model tables are created on first run and left alone while their spec is unchanged."""
    dsn = await databases.create()
    await migrate(dsn)
    first = await asyncio.gather(ensure_tables(dsn, PROJECTIONS), ensure_tables(dsn, PROJECTIONS))
    assert sorted(first[0] + first[1]) == sorted(p.name for p in PROJECTIONS)
    assert await ensure_tables(dsn, PROJECTIONS) == []


async def test_new_sessions_compress_large_values_with_lz4_where_the_server_has_it(
    databases: DatabaseFactory,
) -> None:
    """A migrated database makes lz4 its sessions' TOAST compression (pglz cost the
    projector 40 % of a pass's write); a server built without lz4 keeps pglz, no error."""
    dsn = await databases.create()
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        methods = await conn.fetchval(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        await conn.execute("RESET ALL")  # what a pool does on release keeps the default
        method = await conn.fetchval("SHOW default_toast_compression")
        await conn.execute("CREATE TABLE big (state bytea)")
        await conn.execute("INSERT INTO big SELECT convert_to(repeat('abc', 5000), 'UTF8')")
        stored = await conn.fetchval("SELECT pg_column_compression(state) FROM big")
    finally:
        await conn.close()
    expected = "lz4" if "lz4" in methods else "pglz"
    assert method == expected
    assert stored == expected


async def test_new_sessions_compress_wal_page_images_with_lz4_where_the_server_has_it(
    databases: DatabaseFactory,
) -> None:
    """A migrated database makes lz4 its sessions' WAL compression (whole-page images were
    87 % of the WAL under steady check-ins); a server without lz4 keeps its own setting."""
    dsn = await databases.create()
    conn = await asyncpg.connect(dsn)
    try:
        before = await conn.fetchval("SHOW wal_compression")
        methods = await conn.fetchval(
            "SELECT enumvals FROM pg_settings WHERE name = 'wal_compression'"
        )
    finally:
        await conn.close()
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        after = await conn.fetchval("SHOW wal_compression")
    finally:
        await conn.close()
    assert after == ("lz4" if methods and "lz4" in methods else before)


async def test_a_changed_spec_makes_tables_and_row_types_anew_and_passes_write_to_them(
    databases: DatabaseFactory,
) -> None:
    """A projection whose stored fingerprint is not its spec's (a new version of it, or
    tables made before they had row types: dropped here) gets its tables and row types made
    anew, and a projector pass fills them from the log."""
    dsn = await databases.create()
    system = await bootstrap(Settings(), dsn)
    try:
        tenant = await a_tenant_with_history(system, check_ins=4)
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("DROP TYPE rm_history__row, rm_history__positions__row")
            await admin.execute(
                "UPDATE read_model_schemas SET fingerprint = 'older' WHERE projection = 'history'"
            )
            assert await ensure_tables(dsn, PROJECTIONS) == ["history"]
            made = await admin.fetchval(
                "SELECT count(*) FROM pg_type WHERE typname LIKE 'rm_history%__row'"
            )
            assert made == 3  # rm_history, its positions and its states
            applied = await projector(system).catch_up(tenant)
            rows = await admin.fetchval(
                "SELECT count(*) FROM rm_history WHERE tenant_id = $1", tenant
            )
        finally:
            await admin.close()
        assert applied > 0 and rows == applied
    finally:
        await system.close()


async def test_a_reset_waits_for_a_pass_under_way_and_drops_a_rebuilds_shadows(
    databases: DatabaseFactory,
) -> None:
    """A projection reset while a pass holds its positions table and has yet to write its
    own table (a deploy while the old projector runs): the reset waits for the pass with no
    table locked, so the pass goes on and commits, and no deadlock fails either of them
    (before, the reset dropped rm_history, then waited for the positions table, and the
    pass's write waited for rm_history). The shadows a rebuild of the old spec was filling
    go too, so it fails rather than swap old tables in."""
    dsn = await databases.create()
    system = await bootstrap(Settings(), dsn)
    admin, pass_ = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await a_tenant_with_history(system, check_ins=2)
        await admin.execute("CREATE TABLE rm_history__shadow (tenant_id uuid)")
        await admin.execute(
            "UPDATE read_model_schemas SET fingerprint = 'older' WHERE projection = 'history'"
        )
        await pass_.execute(f"BEGIN; {SHARE_SWAP_SQL}")
        await pass_.fetch("SELECT * FROM rm_history__positions")
        reset = asyncio.create_task(ensure_tables(dsn, PROJECTIONS))
        await asyncio.sleep(0.3)  # the reset reaches its wait (before: its drops)
        assert not reset.done()
        await pass_.execute("SET LOCAL lock_timeout = '5s'")
        await pass_.fetch("SELECT * FROM rm_history LIMIT 1")  # its write's table
        await pass_.execute("COMMIT")
        assert await asyncio.wait_for(reset, 30) == ["history"]
        assert not await admin.fetchval("SELECT to_regclass('rm_history__shadow') IS NOT NULL")
    finally:
        await pass_.close()
        await admin.close()
        await system.close()


@pytest.mark.parametrize(
    ("retired", "own"),
    [("gone", ()), ("audit", ("rm_audit",))],  # the trail is read from the log since
)
async def test_a_retired_projection_loses_its_tables_and_row_types(
    databases: DatabaseFactory, retired: str, own: tuple[str, ...]
) -> None:
    """A projection the registry no longer has (its name still in read_model_schemas): its
    own tables, positions and states tables, their row types and the shadows a rebuild
    left are dropped, its name forgotten, and the kept projections' tables stay; the audit
    trail is still there, read from the log."""
    dsn = await databases.create()
    system = await bootstrap(Settings(), dsn)
    admin = await asyncpg.connect(dsn)
    try:
        tenant = await a_tenant_with_history(system, check_ins=2)
        for name in (*own, f"rm_{retired}__positions", f"rm_{retired}__states"):
            for table in (name, name + SHADOW):
                await admin.execute(f"CREATE TABLE {table} (tenant_id uuid, position bigint)")
            await admin.execute(f"CREATE TYPE {row_type(name)} AS (tenant_id uuid)")
        await admin.execute("INSERT INTO read_model_schemas VALUES ($1, 'any')", retired)

        assert await ensure_tables(dsn, PROJECTIONS) == []

        left = await admin.fetch(
            "SELECT relname FROM pg_class WHERE relname LIKE $1"
            " UNION ALL SELECT typname FROM pg_type WHERE typname LIKE $1",
            f"rm_{retired}%",
        )
        known = await admin.fetch("SELECT projection FROM read_model_schemas")
        kept = await admin.fetchval("SELECT to_regclass('rm_history__positions') IS NOT NULL")
        trail = await read.audit(system.repository, tenant)
        head = await system.store.head(tenant)
    finally:
        await admin.close()
        await system.close()
    assert left == []
    assert sorted(r["projection"] for r in known) == sorted(p.name for p in PROJECTIONS)
    assert kept
    assert [e.position for e in trail] == list(range(1, head + 1))


async def test_a_log_out_of_time_order_is_found_and_read_by_its_stamps(
    databases: DatabaseFactory,
) -> None:
    """A log whose stamps went back (a clock that stepped back before migration 0009): 0010
    finds its tenant, and for it the trail's range and as-of an instant compare stamps one
    by one, as before, rather than take the log for a prefix (which would drop an event
    recorded inside the range at an earlier position). A log in order keeps its bounds."""
    from datetime import timedelta

    from services.read import audit, known_position

    dsn = await databases.create()
    system = await bootstrap(Settings(), dsn)
    admin = await asyncpg.connect(dsn)
    try:
        disordered = await a_tenant_with_history(system, check_ins=4)
        ordered = await a_tenant_with_history(system, check_ins=4)
        rows = await system.store.read_log(disordered)
        later = rows[-1].recorded_at + timedelta(hours=1)
        await admin.execute(  # the second event's stamp, as a clock an hour fast wrote it
            "UPDATE events SET recorded_at = $2 WHERE tenant_id = $1 AND position = 2",
            disordered,
            later,
        )
        await admin.execute(  # 0010 again, as on a database that had such a log
            "DROP FUNCTION okr_position_at(uuid, timestamptz); DROP TABLE disordered_logs;"
            " DELETE FROM schema_migrations WHERE name = '0010_position_at.sql'"
        )
        assert await migrate(dsn) == ["0010_position_at.sql"]
        found = await admin.fetch("SELECT tenant_id FROM disordered_logs")
        assert [r["tenant_id"] for r in found] == [disordered]
        since = rows[-1].recorded_at + timedelta(minutes=1)
        trail = await audit(system.repository, disordered, since=since)
        assert [e.position for e in trail] == [2]  # the only one recorded after `since`
        before = await known_position(system.pool, disordered, recorded_at=since)
        assert before == len(rows)  # the last recorded by then; position 2 is not
        assert await known_position(system.pool, ordered, recorded_at=since) == len(rows)
        assert await audit(system.repository, ordered, since=since) == []
    finally:
        await admin.close()
        await system.close()


async def test_the_first_settings_change_is_found_by_its_index_in_any_plan(
    databases: DatabaseFactory,
) -> None:
    """As-of views look up a tenant's first change of settings on every read, in a statement
    asyncpg keeps prepared: its generic plan, which PostgreSQL takes after five runs, uses
    the partial index too (with the topic a parameter it walked the tenant's whole log)."""
    from services.read.progress import _FIRST_SETTINGS_CHANGE

    system = await bootstrap(Settings(), await databases.create())
    await system.close()
    admin = await asyncpg.connect(system.admin_dsn)
    await admin.execute("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
    try:
        await admin.execute(f"PREPARE first_change (uuid) AS {_FIRST_SETTINGS_CHANGE}")
        plan = "\n".join(
            r[0] for r in await admin.fetch(f"EXPLAIN EXECUTE first_change ('{uuid.uuid4()}')")
        )
    finally:
        await admin.execute("ROLLBACK; DEALLOCATE ALL")
        await admin.close()
    assert "events_settings_changes" in plan, plan


async def test_an_instant_is_found_once_under_row_level_security_in_any_plan(
    databases: DatabaseFactory,
) -> None:
    """The history's and the trail's time filters and the as-of cut bound the log's key by
    where it stood at an instant (okr_position_at). Under the application role's row-level
    security, a bound that calls the function (not leakproof) filtered each row instead,
    calling it again for each: 1.8 s for a 24,000-line history. As a sub-select it is found
    once (an InitPlan), whatever plan PostgreSQL takes."""
    from services.read.logs import _SINCE, _UNTIL
    from services.read.progress import CUT

    system = await bootstrap(Settings(), await databases.create())
    tenant = uuid.uuid4()
    statements = {
        "history": f"SELECT position FROM rm_history WHERE tenant_id = $1"
        f" AND {_SINCE.format('$2::timestamptz')} AND {_UNTIL.format('$3::timestamptz')}",
        "audit": f"SELECT position FROM events WHERE tenant_id = $1"
        f" AND {_SINCE.format('$2::timestamptz')} AND {_UNTIL.format('$3::timestamptz')}",
        "cut": CUT,
    }
    try:
        async with tenant_transaction(system.pool, [tenant]) as conn:
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            for name, sql in statements.items():
                await conn.execute(f"PREPARE {name} AS {sql}")
                given = (
                    "9223372036854775807, '2026-01-01'"
                    if name == "cut"
                    else ("'2026-01-01', '2026-02-01'")
                )
                plan = [
                    r[0] for r in await conn.fetch(f"EXPLAIN EXECUTE {name} ('{tenant}', {given})")
                ]
                per_row = [
                    line for line in plan
                    if "okr_position_at" in line and ("Filter" in line or "Cond" in line)
                ]  # fmt: skip
                assert not per_row, (name, plan)
                await conn.execute(f"DEALLOCATE {name}")
    finally:
        await system.close()


async def test_a_login_that_owns_the_tables_but_is_no_superuser_migrates_and_erases(
    databases: DatabaseFactory,
) -> None:
    """A deployment's migrating login may own the tables without being a superuser, so
    FORCE row-level security binds it: every migration applies (0010 read every tenant's
    stamps under it and failed), and erasing a tenant still takes all of its rows."""
    dsn = await databases.create()
    owner, database = f"okr_owner_{uuid.uuid4().hex[:8]}", urlsplit(dsn).path.lstrip("/")
    server = await asyncpg.connect(dsn)
    await server.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE")
    system = None
    try:  # (the role is the cluster's: it goes whatever happens)
        await server.execute(f"ALTER DATABASE {database} OWNER TO {owner}")
        await server.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        parts = urlsplit(dsn)
        host = parts.netloc.rpartition("@")[2]
        as_owner = urlunsplit(parts._replace(netloc=f"{owner}@{host}"))
        system = await bootstrap(Settings(), as_owner)
        assert await migrate(as_owner) == []  # all applied
        consultancy = await directory.create_consultancy(system.pool, "Studio")
        tenant = await directory.create_tenant(system.pool, consultancy.id, "Cliente")
        ctx = Context(tenant_id=tenant.id, actor="user:anna")
        await OKRApplication(system.repository).cycles.create(
            ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
        )
        await projector(system).catch_up_all()
        await directory.suspend_tenant(system.pool, tenant.id)
        erased = await directory.erase_tenant(system.pool, tenant.id, tenant.slug, "user:anna")
        assert erased.events == 1
        left = await server.fetchval(
            "SELECT (SELECT count(*) FROM events WHERE tenant_id = $1)"
            " + (SELECT count(*) FROM tenant_heads WHERE tenant_id = $1)"
            " + (SELECT count(*) FROM rm_progress_items WHERE tenant_id = $1)"
            " + (SELECT count(*) FROM tenants WHERE id = $1)",
            tenant.id,
        )
        assert left == 0
    finally:
        if system is not None:
            await system.pool.close()
        await server.execute(f"ALTER DATABASE {database} OWNER TO CURRENT_USER")
        await server.execute(f"REASSIGN OWNED BY {owner} TO CURRENT_USER")
        await server.execute(f"DROP OWNED BY {owner}")
        await server.close()
        cluster = await asyncpg.connect(dsn)
        try:
            await cluster.execute(f"DROP ROLE {owner}")
        finally:
            await cluster.close()


async def test_a_start_says_what_it_changed_in_the_schema(databases: DatabaseFactory) -> None:
    """`okr serve` said nothing of the migrations it applied: a start on a new database
    says each, and the read models it made (serve logs them); a start with nothing to do
    says none."""
    dsn = await databases.create()
    first = await bootstrap(Settings(), dsn)
    await first.close()
    names = [p.name for p in migration_files()]
    assert first.migrated[: len(names)] == names
    assert {f"read model {p.name}" for p in PROJECTIONS} <= set(first.migrated)
    again = await bootstrap(Settings(), dsn)
    await again.close()
    assert again.migrated == []

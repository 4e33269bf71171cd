"""The event store on real PostgreSQL: ordering, concurrency, isolation, integrity."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date, datetime
from decimal import Decimal

import asyncpg
import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from domain.cycle import Cycle
from services.bootstrap import System
from services.db import RolledBackError, admit_sql, tenant_transaction, transaction_with
from services.store.chain import verify_chain
from services.store.event_store import ConcurrencyError
from services.store.repository import AggregateNotFoundError, Repository
from services.store.transcoder import MsgspecTranscoder
from tests.integration.aggregates import Tally


def new_tenant() -> uuid.UUID:
    return uuid.uuid4()


async def test_one_writer_wins_each_version_of_a_stream(system: System) -> None:
    """Sixteen writers load version 1 and append at once: one lands, fifteen are told to retry."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="renewals")
    await repo.save(tenant, tally, actor="anna")
    all_loaded = asyncio.Barrier(16)

    async def writer(i: int) -> str:
        copy = await repo.get(tenant, tally.id)
        copy.add(Decimal(i))
        await all_loaded.wait()
        try:
            await repo.save(tenant, copy, actor=f"w{i}")
            return "won"
        except ConcurrencyError:
            return "lost"

    outcomes = await asyncio.gather(*(writer(i) for i in range(16)))
    assert outcomes.count("won") == 1
    assert outcomes.count("lost") == 15
    loaded = await repo.get(tenant, tally.id)
    assert loaded.version == 2
    assert await system.store.head(tenant) == 2
    assert (await verify_chain(system.pool, tenant)).ok


async def test_a_command_appends_all_its_events_or_none(system: System) -> None:
    """Two aggregates saved together: a stale one makes the whole command fail."""
    tenant, repo = new_tenant(), system.repository
    a, b = Tally(name="a"), Tally(name="b")
    await repo.save(tenant, a, b, actor="anna")
    stale = await repo.get(tenant, b.id)
    b.add(Decimal(1))
    await repo.save(tenant, b, actor="anna")
    a.add(Decimal(2))
    stale.add(Decimal(3))
    with pytest.raises(ConcurrencyError):
        await repo.save(tenant, a, stale, actor="anna")
    assert (await repo.get(tenant, a.id)).version == 1
    assert await system.store.head(tenant) == 3


async def test_tail_reader_sees_every_position_once_in_order(system: System) -> None:
    """Many writers on many streams of one tenant, a reader tailing: positions are exactly 1..N."""
    tenant, repo, store = new_tenant(), system.repository, system.store
    writers, commands = 12, 25
    done = asyncio.Event()
    seen: list[int] = []

    async def write(w: int) -> None:
        tally = Tally(name=f"stream {w}")
        for i in range(commands):
            tally.add(Decimal(i))
            await repo.save(tenant, tally, actor=f"w{w}")

    async def tail() -> None:
        last = 0
        while True:
            finished = done.is_set()
            batch = await store.read_log(tenant, last, limit=7)
            seen.extend(r.position for r in batch)
            last = batch[-1].position if batch else last
            if finished and not batch:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(tail())
    await asyncio.gather(*(write(w) for w in range(writers)))
    done.set()
    await reader
    total = writers * (commands + 1)
    assert seen == list(range(1, total + 1))


async def test_tenants_with_the_same_ids_never_meet(system: System) -> None:
    """Two tenants store a stream under one id: each sees its own, positions are separate."""
    repo = system.repository
    tenant_a, tenant_b = new_tenant(), new_tenant()
    shared_id = uuid.uuid4()
    await repo.save(tenant_a, Tally(name="A's", id=shared_id), actor="a")
    await repo.save(tenant_b, Tally(name="B's", id=shared_id), actor="b")
    b_again = await repo.get(tenant_b, shared_id)
    b_again.add(Decimal(1))
    await repo.save(tenant_b, b_again, actor="b")

    loaded_a = await repo.get(tenant_a, shared_id)
    loaded_b = await repo.get(tenant_b, shared_id)
    assert (loaded_a.name, loaded_a.version) == ("A's", 1)
    assert (loaded_b.name, loaded_b.version) == ("B's", 2)
    assert await system.store.head(tenant_a) == 1
    assert await system.store.head(tenant_b) == 2
    assert [r.position for r in await system.store.read_log(tenant_a)] == [1]


async def test_a_tenant_reading_with_another_tenants_grant_sees_nothing(system: System) -> None:
    """The store passes the grants to row-level security: the wrong grant finds no stream."""
    repo = system.repository
    tenant_a, tenant_b = new_tenant(), new_tenant()
    tally = Tally(name="secret")
    await repo.save(tenant_a, tally, actor="a")
    with pytest.raises(AggregateNotFoundError):
        await repo.get(tenant_a, tally.id, grants=[tenant_b])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await repo.save(tenant_a, Tally(name="intruder"), actor="b", grants=[tenant_b])
    assert await system.store.head(tenant_a) == 1


async def test_application_role_cannot_touch_another_tenants_rows(system: System) -> None:
    """Raw SQL as the application role with tenant A set: B's rows are invisible and unwritable."""
    repo = system.repository
    tenant_a, tenant_b = new_tenant(), new_tenant()
    await repo.save(tenant_a, Tally(name="A"), actor="a")
    await repo.save(tenant_b, Tally(name="B"), actor="b")
    conn = await asyncpg.connect(system.app_dsn)
    try:
        async with conn.transaction():
            await conn.execute(admit_sql([tenant_a]))
            rows = await conn.fetch("SELECT tenant_id FROM events")
            assert {r["tenant_id"] for r in rows} == {tenant_a}
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM tenant_heads WHERE tenant_id = $1", tenant_b
                )
                == 0
            )
            updated = await conn.execute(
                "UPDATE tenant_heads SET position = 0 WHERE tenant_id = $1", tenant_b
            )
            assert updated == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with conn.transaction():
                await conn.execute(admit_sql([tenant_a]))
                await conn.execute(
                    "INSERT INTO events VALUES ($1, 99, $2, 1, 't', ''::bytea, now(), 'x', $2, '')",
                    tenant_b, uuid.uuid4(),
                )  # fmt: skip
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the log is append-only
            async with conn.transaction():
                await conn.execute(admit_sql([tenant_a]))
                await conn.execute("DELETE FROM events")
        with pytest.raises(asyncpg.PostgresError):  # no tenant set: an error, never "all"
            await conn.fetch("SELECT * FROM events")
    finally:
        await conn.close()
    assert await system.store.head(tenant_b) == 1


async def test_application_role_is_not_privileged(system: System) -> None:
    """Superusers, owners and BYPASSRLS skip row-level security: the app role is none of them."""
    conn = await asyncpg.connect(system.app_dsn)
    try:
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls, current_user AS name FROM pg_roles"
            " WHERE rolname = current_user"
        )
        owners = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            " AND pg_get_userbyid(c.relowner) = current_user"
        )
        unforced = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            " AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
        )
    finally:
        await conn.close()
    assert (role["name"], role["rolsuper"], role["rolbypassrls"]) == ("okr_app", False, False)
    assert owners == []
    assert unforced == [], "every table with a tenant_id must FORCE row-level security"


async def test_verifier_names_the_first_altered_position(
    system: System, admin: asyncpg.Connection
) -> None:
    """An untouched log verifies; after a superuser edits one row the verifier points at it."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="costs")
    for i in range(5):
        tally.add(Decimal(i))
    await repo.save(tenant, tally, actor="anna")
    tally.add(Decimal(100))
    await repo.save(tenant, tally, actor="anna")
    clean = await verify_chain(system.pool, tenant)
    assert (clean.ok, clean.checked) == (True, 7)

    await admin.execute(
        "UPDATE events SET actor = 'mallory' WHERE tenant_id = $1 AND position = 4", tenant
    )
    report = await verify_chain(system.pool, tenant)
    assert (report.ok, report.first_bad_position, report.problem) == (False, 4, "hash mismatch")


async def test_verifier_notices_a_deleted_event(system: System, admin: asyncpg.Connection) -> None:
    """Removing a row leaves a gap the verifier names."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="gap")
    tally.add(Decimal(1))
    tally.add(Decimal(2))
    await repo.save(tenant, tally, actor="anna")
    await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 2", tenant)
    report = await verify_chain(system.pool, tenant)
    assert (report.first_bad_position, report.problem) == (2, "gap in positions")


async def test_verifier_names_a_changed_head_and_a_lost_last_event(
    system: System, admin: asyncpg.Connection
) -> None:
    """The head's hash changed: the head is named, at the last event's position (it named
    a position past the log). The last event deleted: the log ends before its head."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="head")
    for i in range(3):
        tally.add(Decimal(i))
    await repo.save(tenant, tally, actor="anna")
    await admin.execute(
        "UPDATE tenant_heads SET chain_hash = '\\x00'::bytea WHERE tenant_id = $1", tenant
    )
    report = await verify_chain(system.pool, tenant)
    assert (report.first_bad_position, report.problem) == (
        4, "the head's hash is not that of event 4, the last",
    )  # fmt: skip
    await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 4", tenant)
    report = await verify_chain(system.pool, tenant)
    assert (report.first_bad_position, report.problem) == (
        4, "the log ends at position 3, its head says 4",
    )  # fmt: skip


async def test_verifier_names_the_first_event_past_a_head_moved_back(
    system: System, admin: asyncpg.Connection
) -> None:
    """A head that says the log ends before its last events (a head row restored from an
    older backup): the first event past it is named, not a position after the log's end."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="head")
    for i in range(4):
        tally.add(Decimal(i))
    await repo.save(tenant, tally, actor="anna")
    await admin.execute("UPDATE tenant_heads SET position = 3 WHERE tenant_id = $1", tenant)
    report = await verify_chain(system.pool, tenant)
    assert (report.first_bad_position, report.problem) == (
        4, "the log ends at position 5, its head says 3",
    )  # fmt: skip


async def test_the_verifier_reads_the_log_and_its_head_as_of_one_instant(system: System) -> None:
    """A chain verified while the tenant writes is intact: the head and the events are read
    in one snapshot. Read one after the other, an event committed between them was past
    the head, and an auditor's "verify the chain" on a busy tenant said it was broken."""
    tenant, repo = new_tenant(), system.repository
    writing = True

    async def write(w: int) -> None:
        tally = Tally(name=f"stream {w}")
        while writing:
            tally.add(Decimal(1))
            await repo.save(tenant, tally, actor=f"w{w}")

    writers = [asyncio.create_task(write(w)) for w in range(4)]
    try:
        reports = [await verify_chain(system.pool, tenant) for _ in range(150)]
    finally:
        writing = False
        await asyncio.gather(*writers)
    assert [r for r in reports if not r.ok] == []
    assert reports[-1].checked > reports[0].checked  # the log grew while it was verified


async def test_a_cycle_is_snapshotted_at_every_version(
    system: System, admin: asyncpg.Connection
) -> None:
    """Every check-in loads its cycle: with a snapshot at each of the cycle's versions, that
    load is one snapshot row and no event, and gives the state a replay gives. Turning
    snapshots off turns the cycles' off too."""
    tenant = new_tenant()
    cycle = Cycle.create(name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    await system.repository.save(tenant, cycle, actor="anna")
    cycle.activate(author="anna")
    await system.repository.save(tenant, cycle, actor="anna")

    rows = await system.store.load_stream(tenant, cycle.id)
    assert rows.snapshot is not None and rows.snapshot.originator_version == 2
    assert rows.events == []
    loaded = await system.repository.get(tenant, cycle.id)
    await admin.execute("DELETE FROM snapshots WHERE tenant_id = $1", tenant)
    replayed = await system.repository.get(tenant, cycle.id)
    assert vars(loaded) == vars(replayed)
    assert system.repository.snapshot_interval(cycle) == 1
    off = Repository(system.store, snapshot_every=0, snapshot_intervals={Cycle: 1})
    assert off.snapshot_interval(cycle) == 0


async def test_a_stream_keeps_its_two_newest_snapshots(
    system: System, admin: asyncpg.Connection
) -> None:
    """Each snapshot taken drops the stream's older ones but the newest two; another
    stream's snapshots are left alone, and taking the same version again changes nothing."""
    tenant = new_tenant()
    repo = Repository(system.store, snapshot_every=10)
    tallies = [Tally(name="kept"), Tally(name="other")]
    await repo.save(tenant, *tallies, actor="anna")
    for i in range(44):
        for tally in tallies[: 1 if i >= 25 else 2]:  # "other" stops at version 26
            tally.add(Decimal(i))
        await repo.save(tenant, *tallies, actor="anna")

    async def versions(stream: Tally) -> list[int]:
        rows = await admin.fetch(
            "SELECT version FROM snapshots WHERE tenant_id = $1 AND stream_id = $2"
            " ORDER BY version",
            tenant,
            stream.id,
        )
        return [r["version"] for r in rows]

    assert await versions(tallies[0]) == [30, 40]
    assert await versions(tallies[1]) == [10, 20]
    mapper = await repo.mapper(tenant)
    again = mapper.to_stored_event(Snapshot.take(tallies[0]))
    await system.store.save_snapshot(tenant, again, await system.store.head(tenant))
    assert await versions(tallies[0]) == [40, 45]
    await system.store.save_snapshot(tenant, again, await system.store.head(tenant))
    assert await versions(tallies[0]) == [40, 45]


async def test_snapshot_load_equals_full_replay(system: System, admin: asyncpg.Connection) -> None:
    """A 120-event stream loads from its snapshot to exactly the state a full replay gives."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="long")
    await repo.save(tenant, tally, actor="anna")
    for i in range(119):
        tally.add(Decimal(i) / 7, note=f"n{i}")
        await repo.save(tenant, tally, actor="anna")
    snapshots = await admin.fetch(
        "SELECT version FROM snapshots WHERE tenant_id = $1 ORDER BY version", tenant
    )
    assert [r["version"] for r in snapshots] == [50, 100]

    from_snapshot = await repo.get(tenant, tally.id)
    no_snapshots = Repository(system.store, snapshot_every=0)
    await admin.execute("DELETE FROM snapshots WHERE tenant_id = $1", tenant)
    replayed = await no_snapshots.get(tenant, tally.id)
    assert vars(from_snapshot) == vars(replayed)
    assert from_snapshot.total == sum((Decimal(i) / 7 for i in range(119)), Decimal(0))


async def test_loading_several_streams_at_once_equals_loading_each(system: System) -> None:
    """get_many (one round trip) folds each stream, snapshot or not, as get does one by one."""
    tenant, repo = new_tenant(), system.repository
    long, short = Tally(name="long"), Tally(name="short")
    await repo.save(tenant, long, short, actor="anna")
    for i in range(60):  # `long` gets a snapshot at version 50, then ten more events
        long.add(Decimal(i), note=f"n{i}")
        await repo.save(tenant, long, actor="anna")
    short.add(Decimal(3))
    await repo.save(tenant, short, actor="anna")

    both = await repo.get_many(tenant, [short.id, long.id], [Tally, Tally])
    one_by_one = [await repo.get(tenant, short.id), await repo.get(tenant, long.id)]
    assert [vars(a) for a in both] == [vars(a) for a in one_by_one]
    assert [a.version for a in both] == [2, 61]


async def test_loading_several_streams_names_the_first_missing_or_foreign_one(
    system: System,
) -> None:
    """get_many fails as get would for the first stream that is absent, hidden or not its kind."""
    repo, tenant_a, tenant_b = system.repository, new_tenant(), new_tenant()
    tally = Tally(name="A's")
    await repo.save(tenant_a, tally, actor="a")
    missing = uuid.uuid4()
    lookups: list[tuple[uuid.UUID, list[uuid.UUID], list[type], list[uuid.UUID] | None]] = [
        (tenant_a, [missing, tally.id], [Tally, Tally], None),
        (tenant_a, [tally.id, missing], [Tally, Tally], None),
        (tenant_a, [tally.id], [Repository], None),
        (tenant_a, [tally.id], [Tally], [tenant_b]),
        (tenant_b, [tally.id], [Tally], None),
    ]
    for tenant, ids, kinds, grants in lookups:
        with pytest.raises(AggregateNotFoundError) as raised:
            await repo.get_many(tenant, ids, kinds, grants=grants)
        assert raised.value.aggregate_id == (missing if missing in ids else tally.id)


async def test_get_at_position_shows_the_stream_as_it_was(system: System) -> None:
    """Time travel at the store level: the aggregate as it stood at an earlier tenant position."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="then")
    [first] = await repo.save(tenant, tally, actor="anna")
    tally.add(Decimal(5))
    await repo.save(tenant, tally, actor="anna")
    then = await repo.get(tenant, tally.id, at_position=first)
    assert (then.version, then.total) == (1, 0)
    with pytest.raises(AggregateNotFoundError):
        await repo.get(tenant, tally.id, at_position=0)


async def test_decimals_round_trip_exactly(system: System) -> None:
    """Measured values keep every digit through the store: no float ever touches them."""
    tenant, repo = new_tenant(), system.repository
    values = [
        Decimal("0.000001"),
        Decimal("999999999999999.999999"),
        Decimal("-19.20"),
        Decimal("1E+3"),
    ]
    tally = Tally(name="precise")
    for value in values:
        tally.add(value)
    await repo.save(tenant, tally, actor="anna")
    loaded = await repo.get(tenant, tally.id)
    assert loaded.total == sum(values, Decimal(0))
    assert str(loaded.total) == str(sum(values, Decimal(0)))


async def test_an_event_stored_in_its_old_shape_is_upcast(system: System) -> None:
    """A v1 Renamed row (no reason) still loads, with the reason the upcaster supplies."""
    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="old")
    await repo.save(tenant, tally, actor="anna")
    v1_state = MsgspecTranscoder().encode({"name": "older", "timestamp": tally.modified_on})
    await system.store.append(
        tenant,
        [StoredEvent(tally.id, 2, "test.Tally.Renamed", v1_state)],
        actor="migration-era",
        correlation_id=uuid.uuid4(),
    )
    loaded = await repo.get(tenant, tally.id)
    assert (loaded.name, loaded.rename_reason) == ("older", "(not recorded)")


async def test_a_tenant_with_a_cipher_key_stores_ciphertext(
    system: System, admin: asyncpg.Connection
) -> None:
    """With a per-tenant key the stored bytes are not readable; loading still works."""
    tenant, repo = new_tenant(), system.repository
    await repo.enable_cipher(tenant)
    tally = Tally(name="confidential client")
    await repo.save(tenant, tally, actor="anna")
    state = await admin.fetchval("SELECT state FROM events WHERE tenant_id = $1", tenant)
    assert b"confidential" not in state
    assert (await repo.get(tenant, tally.id)).name == "confidential client"
    assert (await verify_chain(system.pool, tenant)).ok


async def test_a_key_given_later_reads_the_events_before_it_and_a_wrong_key_reads_none(
    system: System, admin: asyncpg.Connection
) -> None:
    """Events stored before the tenant had its key are read as stored; with a wrong key
    (a key row restored from elsewhere) an encrypted one is refused as not decrypting."""
    tenant, repo = new_tenant(), system.repository
    before = Tally(name="before the key")
    await repo.save(tenant, before, actor="anna")
    await repo.enable_cipher(tenant)
    after = Tally(name="after the key")
    await repo.save(tenant, after, actor="anna")
    assert (await repo.get(tenant, before.id)).name == "before the key"
    assert (await repo.get(tenant, after.id)).name == "after the key"

    await admin.execute(
        "UPDATE tenant_keys SET cipher_key = $2 WHERE tenant_id = $1",
        tenant, AESCipher.create_key(32),
    )  # fmt: skip
    repo.forget(tenant)
    assert (await repo.get(tenant, before.id)).name == "before the key"
    with pytest.raises(MapperDeserialisationError, match="Invalid cipher tag"):
        await repo.get(tenant, after.id)


async def test_a_key_given_with_the_first_append_is_read_by_a_process_that_looked_first(
    system: System, admin: asyncpg.Connection
) -> None:
    """A tenant is kept mapped plain only once its log has begun: a key comes only with
    its first append (give_key, in that transaction), so a process that looked the id up
    before (another API worker, a projector) maps it with its key afterwards; a key for a
    log begun plain is refused (its first events would stay plain, the others' mappers
    plain). A key rolled back with its transaction leaves the tenant plain."""
    secret, plain, other = new_tenant(), new_tenant(), Repository(system.store)
    for tenant in (secret, plain):
        assert (await other.mapper(tenant)).cipher is None

    async with tenant_transaction(system.pool, [secret]) as conn:
        assert await system.repository.give_key(conn, secret)
        tally = Tally(name="confidential client")
        await system.repository.save(secret, tally, actor="anna", conn=conn)
    await system.repository.save(plain, Tally(name="open"), actor="anna")

    assert (await other.mapper(secret)).cipher is not None
    assert (await other.get(secret, tally.id)).name == "confidential client"
    state = await admin.fetchval("SELECT state FROM events WHERE tenant_id = $1", secret)
    assert b"confidential" not in state
    assert (await other.mapper(plain)).cipher is None and plain in other._mappers
    async with tenant_transaction(system.pool, [plain]) as conn:
        assert not await system.repository.give_key(conn, plain)  # its log has begun
    rolled_back = new_tenant()
    with pytest.raises(ZeroDivisionError):
        async with tenant_transaction(system.pool, [rolled_back]) as conn:
            assert await system.repository.give_key(conn, rolled_back)
            raise ZeroDivisionError
    assert (await other.mapper(rolled_back)).cipher is None


async def test_append_notifies_listeners_with_tenant_and_position(system: System) -> None:
    """Projectors wake on NOTIFY okr_events '<tenant>:<position>'."""
    tenant, repo = new_tenant(), system.repository
    received: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(system.app_dsn)
    try:
        await conn.add_listener("okr_events", lambda *args: received.put_nowait(args[3]))
        await repo.save(tenant, Tally(name="ping"), actor="anna")
        payload = await asyncio.wait_for(received.get(), timeout=5)
    finally:
        await conn.close()
    assert payload == f"{tenant}:1"


async def test_every_row_records_actor_correlation_and_database_time(
    system: System, admin: asyncpg.Connection
) -> None:
    """Who, which command and when (by the database clock) are on every row."""
    tenant, repo = new_tenant(), system.repository
    correlation = uuid.uuid4()
    before = await admin.fetchval("SELECT clock_timestamp()")
    await repo.save(
        tenant, Tally(name="a"), Tally(name="b"), actor="user:anna", correlation_id=correlation
    )
    after = await admin.fetchval("SELECT clock_timestamp()")
    rows = await admin.fetch("SELECT * FROM events WHERE tenant_id = $1 ORDER BY position", tenant)
    assert [r["position"] for r in rows] == [1, 2]
    assert {r["actor"] for r in rows} == {"user:anna"}
    assert {r["correlation_id"] for r in rows} == {correlation}
    assert all(before <= r["recorded_at"] <= after for r in rows)
    assert rows[0]["recorded_at"].utcoffset().total_seconds() == 0


async def test_an_import_of_history_keeps_the_log_in_time_order(system: System) -> None:
    """Backdated imports are allowed only between the last recorded event and now."""
    from datetime import UTC, datetime, timedelta

    tenant, repo = new_tenant(), system.repository
    week_ago = datetime.now(UTC) - timedelta(days=7)
    tally = Tally(name="imported")
    await repo.save(tenant, tally, actor="import:sheet", imported_at=week_ago)
    # what the aggregate says of when it was made is the log's instant (a check-in's
    # recorded_at, for one): not the clock of the import
    assert (await repo.get(tenant, tally.id)).created_on == week_ago
    tally.add(Decimal(1))
    with pytest.raises(asyncpg.DataError):  # before the tenant's last event
        await repo.save(tenant, tally, actor="import:sheet", imported_at=week_ago - timedelta(1))
    tally = await repo.get(tenant, tally.id)
    tally.add(Decimal(1))
    with pytest.raises(asyncpg.DataError):  # in the future
        await repo.save(
            tenant, tally, actor="import:sheet", imported_at=datetime.now(UTC) + timedelta(1)
        )
    tally = await repo.get(tenant, tally.id)
    tally.add(Decimal(2))
    await repo.save(tenant, tally, actor="anna")
    rows = await system.store.read_log(tenant)
    assert [r.position for r in rows] == [1, 2]
    assert rows[0].recorded_at == week_ago
    assert rows[1].recorded_at > week_ago
    assert (await verify_chain(system.pool, tenant)).ok


async def test_a_clock_that_steps_back_leaves_the_log_in_time_order(
    system: System, admin: asyncpg.Connection
) -> None:
    """The server's clock an hour behind the tenant's last stamp (a step back, made here by
    moving that stamp an hour on): the next events carry the last stamp, not an earlier
    one, so an instant still cuts the log into a prefix; the chain verifies. An import
    must still lie between that stamp and the clock, so none fits until the clock catches
    up."""
    from datetime import timedelta

    tenant, repo = new_tenant(), system.repository
    tally = Tally(name="clock")
    await repo.save(tenant, tally, actor="anna")
    ahead = await admin.fetchval(
        "UPDATE tenant_heads SET recorded_at = recorded_at + interval '1 hour'"
        " WHERE tenant_id = $1 RETURNING recorded_at",
        tenant,
    )
    tally.add(Decimal(1))
    tally.add(Decimal(2))
    await repo.save(tenant, tally, actor="anna")
    rows = await system.store.read_log(tenant)
    assert [(r.position, r.recorded_at) for r in rows[1:]] == [(2, ahead), (3, ahead)]
    assert rows[0].recorded_at < ahead
    assert (await verify_chain(system.pool, tenant)).ok
    tally.add(Decimal(3))
    with pytest.raises(asyncpg.DataError):
        await repo.save(tenant, tally, actor="import:sheet", imported_at=ahead - timedelta(1))


async def test_a_tenant_transaction_sees_its_tenants_and_commits_or_leaves_nothing(
    system: System,
) -> None:
    """tenant_transaction (BEGIN and the grant in one round trip): a failing block leaves
    nothing, an ending one commits; another tenant's transaction does not see the row; a
    savepoint inside is refused, since asyncpg does not know of the transaction."""
    tenant, other = new_tenant(), new_tenant()
    insert = "INSERT INTO tenant_keys (tenant_id, cipher_key) VALUES ($1, 'not a key')"
    count = "SELECT count(*) FROM tenant_keys WHERE tenant_id = $1"
    with pytest.raises(ZeroDivisionError):
        async with tenant_transaction(system.pool, [tenant]) as conn:
            await conn.execute(insert, tenant)
            raise ZeroDivisionError
    async with tenant_transaction(system.pool, [tenant]) as conn:
        assert await conn.fetchval(count, tenant) == 0
        await conn.execute(insert, tenant)
    async with tenant_transaction(system.pool, [other]) as conn:
        assert await conn.fetchval(count, tenant) == 0
    with pytest.raises(asyncpg.InterfaceError):
        async with tenant_transaction(system.pool, [tenant]) as conn, conn.transaction():
            pass
    async with tenant_transaction(system.pool, [tenant]) as conn:
        assert await conn.fetchval(count, tenant) == 1
        await conn.execute("DELETE FROM tenant_keys WHERE tenant_id = $1", tenant)


async def test_a_transaction_begun_with_its_settings_commits_or_leaves_nothing(
    system: System,
) -> None:
    """transaction_with: BEGIN goes with the SET LOCALs; the block's rows commit when it
    ends; a failing block or a failing setup leaves no row and no open transaction; a
    connection already in a transaction is refused (its COMMIT would end the outer one); a
    block that caught a failed statement's error raises RolledBackError, not a silent loss."""
    tenant = new_tenant()
    insert = "INSERT INTO tenant_keys (tenant_id, cipher_key) VALUES ($1, 'not a key')"
    count = "SELECT count(*) FROM tenant_keys WHERE tenant_id = $1"
    async with system.pool.acquire() as conn:
        with pytest.raises(ZeroDivisionError):
            async with transaction_with(conn, admit_sql([tenant])):
                await conn.execute(insert, tenant)
                raise ZeroDivisionError
        assert not conn.is_in_transaction()
        with pytest.raises(asyncpg.UndefinedObjectError):  # the setup fails: rolled back
            async with transaction_with(conn, "SET LOCAL no_such_setting_at_all = 1"):
                pass
        assert not conn.is_in_transaction()
        async with transaction_with(conn, admit_sql([tenant])):
            assert await conn.fetchval("SELECT current_setting('okr.tenant_ids')") == (
                "{" + str(tenant) + "}"
            )
            await conn.execute(insert, tenant)
        assert not conn.is_in_transaction()
        async with conn.transaction():
            with pytest.raises(asyncpg.InterfaceError):
                async with transaction_with(conn, admit_sql([tenant])):
                    pass
            assert conn.is_in_transaction()  # the outer one goes on
        with pytest.raises(RolledBackError):  # an error caught inside: nothing commits
            async with transaction_with(conn, admit_sql([tenant])):
                await conn.execute("DELETE FROM tenant_keys WHERE tenant_id = $1", tenant)
                with contextlib.suppress(asyncpg.UniqueViolationError):
                    await conn.execute(insert, tenant)
                    await conn.execute(insert, tenant)
        assert not conn.is_in_transaction()
        async with transaction_with(conn, admit_sql([tenant])):
            assert await conn.fetchval(count, tenant) == 1
            await conn.execute("DELETE FROM tenant_keys WHERE tenant_id = $1", tenant)


async def test_the_position_at_an_instant_is_the_last_recorded_by_then(
    system: System, admin: asyncpg.Connection
) -> None:
    """okr_position_at halves the log; it gives what a walk over every stamp gives, for
    every instant around every event (several events of one append share a stamp), before
    the first and after the last; 0 for a tenant with no event, and for one the caller may
    not see. The trail's time range then takes exactly the events recorded in it."""
    from datetime import timedelta

    from services.read import audit

    tenant, repo = new_tenant(), system.repository
    for i in range(7):
        tallies = [Tally(name=f"t{i}-{j}") for j in range(1 + i % 3)]
        await repo.save(tenant, *tallies, actor="anna")
    rows = await system.store.read_log(tenant)
    stamps = sorted({r.recorded_at for r in rows})
    micro = timedelta(microseconds=1)
    instants = [s + d for s in stamps for d in (-micro, timedelta(0), micro)]

    def walked(at: datetime) -> int:
        return max((r.position for r in rows if r.recorded_at <= at), default=0)

    async with tenant_transaction(system.pool, [tenant]) as conn:
        for at in instants:
            assert await conn.fetchval("SELECT okr_position_at($1, $2)", tenant, at) == walked(at)
        nobody = await conn.fetchval("SELECT okr_position_at($1, $2)", new_tenant(), stamps[-1])
    assert nobody == 0
    async with tenant_transaction(system.pool, [new_tenant()]) as conn:  # not granted
        assert await conn.fetchval("SELECT okr_position_at($1, $2)", tenant, stamps[-1]) == 0
    for since, until in ((stamps[1], stamps[4]), (stamps[0] - micro, stamps[-1] + micro)):
        trail = await audit(repo, tenant, since=since, until=until, limit=1000)
        inside = [r.position for r in rows if since <= r.recorded_at < until]
        assert [e.position for e in trail] == inside

"""The projector on real PostgreSQL: exactly-once effect, concurrency, rebuilds, time travel."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest
from structlog.testing import capture_logs

from projections.base import Projection, Recorded
from projections.history import history_projection
from projections.progress import progress_projection
from services.api.controllers.health import projector_lag
from services.app import Context, OKRApplication, Written, base
from services.bootstrap import System, bootstrap
from services.db import admit_sql, create_pool, tenant_transaction, transaction_with
from services.demo import load_demo
from services.demo_data import TENANT_ID
from services.projector import folding, rebuild, schema
from services.projector.decode import decode
from services.projector.registry import PROJECTIONS, by_name
from services.projector.schema import SHADOW, states_table
from services.projector.waiting import BeyondHeadError, projected_position, wait_for_position
from services.projector.worker import (
    DATABASE_TROUBLE,
    LOCK_MANY_SQL,
    Projector,
    projector_pool,
    rows_refused,
)
from services.read import history as read_history
from services.read import progress_as_of, progress_tree
from services.settings import Settings
from services.store.event_store import EventStore, read_logs_on
from services.store.repository import Repository
from tenants import directory
from tests.conftest import DatabaseFactory, until_a_backend_waits_for_a_lock

TODAY = date(2027, 2, 15)


def projector(system: System, **options: Any) -> Projector:
    return Projector(system.pool, system.repository, PROJECTIONS, **options)


async def a_tenant_with_history(system: System, check_ins: int = 30) -> uuid.UUID:
    """A tenant with a cycle, an objective, two KRs and a run of check-ins."""
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    cycle = await app.cycles.create(
        ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    objective = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Efficienza", owner="marco"
    )
    krs = []
    key_results: list[tuple[str, int, str | int]] = [("Risposta", 24, "19.2"), ("Rinnovi", 70, 85)]
    for title, start, target in key_results:
        kr = await app.key_results.create(
            ctx, objective_id=objective.item_id, title=title, owner="marco",
            kind="decrease" if start == 24 else "increase", start=start, target=Decimal(target),
        )  # fmt: skip
        krs.append(kr.item_id)
    for i in range(check_ins):
        await app.key_results.record_check_in(
            ctx, krs[i % 2], value=Decimal(22) if i % 2 == 0 else Decimal(75 + i % 5),
            on=date(2027, 1, 1 + i % 28), confidence=i % 11,
        )  # fmt: skip
    return ctx.tenant_id


async def a_check_in(
    system: System, tenant: uuid.UUID, kr: uuid.UUID, value: int, on: date
) -> Written:
    """Anna checks a key result in: what the command wrote (its position)."""
    return await OKRApplication(system.repository).key_results.record_check_in(
        Context(tenant_id=tenant, actor="user:anna"), kr, value=Decimal(value), on=on
    )


async def assert_matches_rebuild(system: System, tenants: list[uuid.UUID]) -> None:
    for tenant in tenants:
        differences = await rebuild.verify_tenant(
            system.pool, system.repository, PROJECTIONS, tenant
        )
        assert differences == [], differences[:3]


async def test_incremental_projection_equals_a_rebuild_row_for_row(fresh: System) -> None:
    """Small batches applied one by one give exactly the rows a rebuild gives."""
    tenant = await a_tenant_with_history(fresh)
    applied = await projector(fresh, batch_size=7).catch_up(tenant)
    assert applied == await fresh.store.head(tenant)
    await assert_matches_rebuild(fresh, [tenant])
    await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    await assert_matches_rebuild(fresh, [tenant])


async def test_rescheduled_and_discarded_cycles_project_incrementally_as_a_rebuild_does(
    fresh: System,
) -> None:
    """`okr projections verify` on a cycle whose end was set right twice (its key result
    due by the end following it each time), and one planned by mistake (a draft objective
    and key result archived) then discarded, projected batch by batch before and after:
    the rows are those a rebuild gives, before and after the rebuild, and the discarded
    cycle is in none of them."""
    app = OKRApplication(fresh.repository)
    ctx = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    cycle = await app.cycles.create(
        ctx, name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 2, 28)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Crescere", owner="m")
    kr = await app.key_results.create(
        ctx, objective_id=goal.item_id, title="Contratti", owner="m", kind="increase",
        start=0, target=Decimal(100),
    )  # fmt: skip
    for day in range(1, 6):
        await a_check_in(fresh, ctx.tenant_id, kr.item_id, 10 * day, date(2027, 1, day))
    await projector(fresh, batch_size=3).catch_up(ctx.tenant_id)
    await app.cycles.reschedule(ctx, cycle.item_id, ends_on=date(2027, 3, 31), reason="refuso")
    await a_check_in(fresh, ctx.tenant_id, kr.item_id, 70, date(2027, 3, 20))
    await app.cycles.edit(ctx, cycle.item_id, name="Q1 2027 Milano", starts_on=date(2027, 1, 2))
    mistake = await app.cycles.create(
        ctx, name="Q1 2027 bis", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    draft = await app.objectives.create(ctx, cycle_id=mistake.item_id, title="Bozza", owner="m")
    await app.key_results.create(
        ctx, objective_id=draft.item_id, title="Bozza", owner="m", kind="milestone"
    )
    await projector(fresh, batch_size=2).catch_up(ctx.tenant_id)
    await app.objectives.archive(ctx, draft.item_id, reason="doppione")
    await app.cycles.discard(ctx, mistake.item_id, reason="creato per errore")
    await projector(fresh, batch_size=2).catch_up(ctx.tenant_id)
    await assert_matches_rebuild(fresh, [ctx.tenant_id])
    await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, ctx.tenant_id)
    await assert_matches_rebuild(fresh, [ctx.tenant_id])
    tree = await progress_tree(fresh.pool, ctx.tenant_id, today=TODAY)
    (node,) = tree.cycles
    (due,) = [k.due_on for k in node.objectives[0].key_results]
    assert (node.name, node.starts_on, node.ends_on, due) == (
        "Q1 2027 Milano", date(2027, 1, 2), date(2027, 3, 31), date(2027, 3, 31)
    )  # fmt: skip


class _KeyLookups(Repository):
    """A repository that keeps the tenants of each lookup of keys it makes (a fake's count)."""

    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.lookups: list[list[uuid.UUID]] = []

    async def load_mappers(self, tenant_ids: Sequence[uuid.UUID], conn: asyncpg.Connection) -> None:
        self.lookups.append(list(tenant_ids))
        await super().load_mappers(tenant_ids, conn)


async def test_a_rebuild_looks_the_keys_of_a_group_up_in_one_query(fresh: System) -> None:
    """A full rebuild reads its tenants a group at a time: their keys are looked up once for
    the group, not in a round trip per tenant as its first events are decoded."""
    tenants = [await a_tenant_with_history(fresh, check_ins=2) for _ in range(3)]
    repository = _KeyLookups(fresh.store)

    async with tenant_transaction(fresh.pool, tenants) as conn:
        events = [n async for _, n in rebuild.folded(conn, repository, PROJECTIONS, tenants)]

    assert repository.lookups == [tenants]
    assert sum(events) == sum([await fresh.store.head(t) for t in tenants])


async def test_verify_reports_each_row_that_differs_and_none_for_a_tenant_without_events(
    fresh: System,
) -> None:
    """A live row changed behind the projector's back and one deleted are reported, each
    with the live and the rebuilt row. A tenant with no event has no row written (a
    projector writes a tenant's first rows with its first event), and none is expected."""
    tenant = await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up(tenant)
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        await admin.execute(
            "UPDATE rm_history SET actor = 'user:mallory' WHERE tenant_id = $1 AND position = 1",
            tenant,
        )
        await admin.execute("DELETE FROM rm_history WHERE tenant_id = $1 AND position = 2", tenant)
    finally:
        await admin.close()

    found = await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)

    assert sorted((d.table, d.key) for d in found) == [("rm_history", (1,)), ("rm_history", (2,))]
    changed, deleted = sorted(found, key=lambda d: d.key)
    assert changed.live is not None and changed.rebuilt is not None
    assert "user:mallory" in changed.live and "user:anna" in changed.rebuilt
    assert deleted.live is None and deleted.rebuilt is not None
    nobody = uuid.uuid4()
    assert await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, nobody) == []


class Crash(Exception):
    pass


class CrashingProjection:
    """Wraps a projection and raises once, after `after` folds (or follows, for one that
    follows another, see Follows): a crash mid-batch."""

    def __init__(self, inner: Any, after: int) -> None:
        self.inner, self.after, self.calls = inner, after, 0
        self.name, self.tables = inner.name, inner.tables

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def fold(self, state: Any, record: Recorded) -> Any:
        self._call()
        return self.inner.fold(state, record)

    def follow(self, before: Any, after: Any, record: Recorded) -> Any:
        self._call()
        return self.inner.follow(before, after, record)

    def _call(self) -> None:
        self.calls += 1
        if self.calls == self.after:
            raise Crash


async def test_a_crash_mid_batch_neither_repeats_nor_skips_an_event(fresh: System) -> None:
    """The tenant's batch that crashed is left out whole (the other tenants of the pass go
    on); the next projector applies each event exactly once."""
    tenant = await a_tenant_with_history(fresh)
    other = await a_tenant_with_history(fresh, check_ins=3)
    crashing = [CrashingProjection(p, after=19) if p.name == "history" else p for p in PROJECTIONS]
    worker = Projector(fresh.pool, fresh.repository, crashing, batch_size=8)
    await worker.catch_up(tenant)
    assert worker.failures == {tenant: 1}
    for name in ("progress", "history"):  # two whole batches, for every projection
        assert await projected_position(fresh.pool, tenant, name) == 16
    await worker.catch_up(other)
    assert await projected_position(fresh.pool, other, "history") == await fresh.store.head(other)
    await projector(fresh, batch_size=8).catch_up(tenant)
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_tenant_that_fails_while_the_projector_starts_is_tried_again(
    fresh: System,
) -> None:
    """A tenant whose pass fails during the start's catch-up is tried again after its
    delay, as one that fails later is: the poll leaves failing tenants to that, and nothing
    else brought it back (no new event, no NOTIFY), so its read models stood still for good."""
    tenant = await a_tenant_with_history(fresh, check_ins=6)
    crashing = [CrashingProjection(p, after=3) if p.name == "history" else p for p in PROJECTIONS]
    running = Projector(
        fresh.pool,
        fresh.repository,
        crashing,
        poll_interval=0.05,
    )
    stop = asyncio.Event()
    projecting = asyncio.create_task(running.run(fresh.app_dsn, stop))
    head = await fresh.store.head(tenant)
    try:
        for _ in range(200):
            if await projected_position(fresh.pool, tenant, "history") == head:
                break
            await asyncio.sleep(0.05)
        assert await projected_position(fresh.pool, tenant, "history") == head
        crashed = crashing[[p.name for p in PROJECTIONS].index("history")]
        assert isinstance(crashed, CrashingProjection) and crashed.calls > 3  # it failed
    finally:
        stop.set()
        await projecting
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_projector_killed_with_sigkill_resumes_from_its_positions(fresh: System) -> None:
    """`okr project` killed -9 mid-way, then restarted: the tables equal a rebuild."""
    tenants = [await a_tenant_with_history(fresh, check_ins=60) for _ in range(4)]
    env = os.environ | {"DATABASE_URL": fresh.admin_dsn, "OKR_PROJECTOR_BATCH": "5"}
    child = subprocess.Popen(  # noqa: ASYNC220 - a real process, to kill -9
        [sys.executable, "-m", "services.cli", "project"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):  # until it is part-way through
            if await projected_position(fresh.pool, tenants[0], "progress") > 0:
                break
            await asyncio.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    await projector(fresh).catch_up_all()
    await assert_matches_rebuild(fresh, tenants)


async def test_okr_project_logs_json_lines_at_info_and_stops_on_sigterm(fresh: System) -> None:
    """As `okr serve` and its projector do: one JSON object a line, nothing below INFO (it
    printed a console line at DEBUG for every pass), and SIGTERM stops it in order."""
    await a_tenant_with_history(fresh, check_ins=5)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "project",
        env=os.environ | {"DATABASE_URL": fresh.admin_dsn}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    lines: list[dict[str, Any]] = []
    try:
        while not any(line["event"] == "projector.caught_up" for line in lines):
            text = await asyncio.wait_for(child.stdout.readline(), 30)
            assert text, "it stopped before it caught up"
            lines.append(json.loads(text))
    finally:
        child.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(child.communicate(), 30)
    lines += [json.loads(text) for text in rest.splitlines()]
    assert child.returncode == 0
    assert {line["level"] for line in lines} <= {"info", "warning", "error"}
    assert lines[-1]["event"] == "projector.stopped"


async def test_two_projectors_at_once_give_the_same_rows_as_one(fresh: System) -> None:
    """Two workers racing over the same tenants while writers append: no event applied twice."""
    tenants = [await a_tenant_with_history(fresh, check_ins=10) for _ in range(3)]
    one, two = projector(fresh, batch_size=3), projector(fresh, batch_size=4)

    async def write_more() -> None:
        for tenant in tenants:
            app = OKRApplication(fresh.repository)
            ctx = Context(tenant_id=tenant, actor="user:late")
            kr_ids = await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"])
            for i in range(5):
                await app.key_results.record_check_in(
                    ctx, kr_ids[0], value=20 + i, on=date(2027, 2, 1)
                )

    await asyncio.gather(one.catch_up_all(), two.catch_up_all(), write_more(), two.catch_up_all())
    await one.catch_up_all()
    for tenant in tenants:
        assert await projected_position(fresh.pool, tenant, "history") == await fresh.store.head(
            tenant
        )
    await assert_matches_rebuild(fresh, tenants)


async def not_in_this_process(*_: object) -> int:
    raise AssertionError("folded in the parent process")


@pytest.mark.parametrize("workers", [1, 2])
async def test_full_rebuild_swaps_in_equal_tables_and_projection_continues(
    fresh: System, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild into shadow tables swaps in; later events still project on top of it.
    With two workers (processes), the tenants come in two groups, one each."""
    tenants = [await a_tenant_with_history(fresh, check_ins=8) for _ in range(2)]
    await projector(fresh).catch_up_all()
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1)  # a group per tenant
    if workers > 1:  # the groups must be folded elsewhere: a fill in this process fails
        monkeypatch.setattr(rebuild._Filler, "fill_all", not_in_this_process)
    reports: list[str] = []
    rebuilt = await rebuild.rebuild_all(fresh, PROJECTIONS, reports.append, workers=workers)
    events = rebuilt.events
    assert rebuilt.left_behind == {}
    assert reports[-1] == f"rebuild: 2/2 tenants, {events} events"
    assert events == sum([await fresh.store.head(t) for t in tenants])
    await assert_matches_rebuild(fresh, tenants)
    await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    assert await rebuild.verify_all(fresh.pool, fresh.repository, PROJECTIONS) == rebuild.Verified()


async def item_lookups(system: System) -> set[tuple[str, str]]:
    """(table, indexed columns) of each index but the key of the history's and the series'
    tables."""
    rows = await system.pool.fetch(
        "SELECT t.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class t ON t.oid = i.indrelid"
        " WHERE t.relname IN ('rm_history', 'rm_series_points') AND NOT i.indisprimary"
    )
    return {(r[0], r[1].partition(" USING btree ")[2]) for r in rows}


async def test_an_item_s_lines_and_points_are_read_by_an_index_made_and_rebuilt(
    fresh: System,
) -> None:
    """A key result's or a KPI's page reads its history lines and its chart's points by
    (tenant_id, item_id, position), as the tables are made and after a full rebuild swaps
    its tables in: by the tenant's key alone, each read went through the tenant's whole
    log (7 ms a read for a tenant of 10,000 events, three reads on a KPI's page)."""
    expected = {
        ("rm_history", '(tenant_id, item_id, "position")'),
        ("rm_series_points", '(tenant_id, item_id, "position")'),
    }
    await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up_all()
    assert await item_lookups(fresh) == expected
    await rebuild.rebuild_all(fresh, PROJECTIONS)
    assert await item_lookups(fresh) == expected


@pytest.mark.parametrize("workers", [1, 2, 0])
async def test_a_rebuild_while_check_ins_arrive_and_the_projector_runs_loses_none(
    fresh: System, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `okr projections rebuild` next to `okr serve`: check-ins keep coming, readers
    keep reading (each read sees whole tables, before or after the swap) and the projector
    keeps applying check-ins to the live tables while the shadow ones fill and swap in.
    Events appended after a tenant was read for the shadow are folded into it before the
    swap, so no read sees a tenant's tables step back to an older position; once the
    writes stop, every read model equals a rebuild, with nothing lost or applied twice.
    (workers=0: one tenant's rebuild, which replaces its rows in one transaction under its
    lock.)"""
    tenants = [await a_tenant_with_history(fresh, check_ins=6) for _ in range(3)]
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1)  # a group per tenant: reads spread out
    await projector(fresh).catch_up_all()
    ids = {t: await key_result_ids(fresh, t) for t in tenants}
    app = OKRApplication(fresh.repository)
    stop, writing = asyncio.Event(), asyncio.Event()
    running = projector(fresh, poll_interval=0.1)
    projecting = asyncio.create_task(running.run(fresh.app_dsn, stop))
    written = 0

    async def write() -> None:
        nonlocal written
        while not writing.is_set():
            for tenant in tenants:
                ctx = Context(tenant_id=tenant, actor="user:anna")
                await app.key_results.record_check_in(
                    ctx, ids[tenant][written % 2], value=Decimal(70 + written % 9),
                    on=date(2027, 2, 1 + written % 28),
                )  # fmt: skip
                written += 1
            await asyncio.sleep(0.005)

    reads: list[int] = []
    seen: dict[uuid.UUID, list[int]] = {t: [] for t in tenants}  # positions read, in order

    async def read() -> None:  # as the API's readers do, through the swap
        while not writing.is_set():
            for tenant in tenants:
                tree = await progress_tree(fresh.pool, tenant, today=TODAY)
                lines = await read_history(fresh.pool, tenant, limit=5)
                reads.append(len(tree.cycles[0].objectives[0].key_results) * len(lines))
                seen[tenant].append(tree.position)

    writer, reader = asyncio.create_task(write()), asyncio.create_task(read())
    try:
        await asyncio.sleep(0.3)
        if workers:
            await rebuild.rebuild_all(fresh, PROJECTIONS, workers=workers)
        else:
            await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenants[0])
        await asyncio.sleep(0.3)
    finally:
        writing.set()
        await asyncio.gather(writer, reader)
    assert reads and set(reads) == {2 * 5}  # every read saw both key results and 5 lines
    assert all(positions == sorted(positions) for positions in seen.values()), seen
    try:
        for tenant in tenants:
            head = await fresh.store.head(tenant)
            for p in PROJECTIONS:
                assert await wait_for_position(
                    fresh.pool, tenant, head, projection=p.name, within=10
                ), (tenant, p.name)
    finally:
        stop.set()
        await projecting
    assert written > 0
    await assert_matches_rebuild(fresh, tenants)


@pytest.mark.parametrize("paused", ["while its keys are built", "once it caught up to the heads"])
async def test_the_swapped_in_tables_stand_where_the_live_ones_stood_or_further(
    fresh: System, monkeypatch: pytest.MonkeyPatch, paused: str
) -> None:
    """A check-in comes after the rebuild read its tenant (and a new tenant after it read
    them all), and the running projector applies both to the live tables: the swapped-in
    tables hold them too, with no projector left running to apply them again. (They stood
    where the rebuild had read each tenant, and the acknowledged check-in was missing from
    every view until a projector applied it again.) Paused while the shadow keys are built,
    the catch-up to the heads brings them in, and the swap's lock is held for none; paused
    after it, the catch-up under the swap's lock does."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    (kr, _) = await key_result_ids(fresh, tenant)
    reached, resume = asyncio.Event(), asyncio.Event()
    finish, catch_up = rebuild._finish, rebuild._catch_up
    under_the_lock: list[tuple[set[uuid.UUID], int]] = []  # the tenants it looked at, events

    async def finishing(*args: Any) -> None:
        await finish(*args)
        if paused == "while its keys are built":
            reached.set()
            await resume.wait()

    async def catching_up(*args: Any) -> tuple[int, dict[uuid.UUID, str]]:
        events, behind = await catch_up(*args)
        if args[-1] is None:  # no heads: to where the live tables stand
            under_the_lock.append((set(args[3]), events))
        elif paused == "once it caught up to the heads":
            reached.set()
            await resume.wait()
        return events, behind

    monkeypatch.setattr(rebuild, "_finish", finishing)
    monkeypatch.setattr(rebuild, "_catch_up", catching_up)
    stop = asyncio.Event()
    running = asyncio.create_task(projector(fresh, poll_interval=0.1).run(fresh.app_dsn, stop))
    reports: list[str] = []
    rebuilding = asyncio.create_task(rebuild.rebuild_all(fresh, PROJECTIONS, reports.append))
    try:
        await asyncio.wait_for(reached.wait(), 10)
        written = await a_check_in(fresh, tenant, kr, 80, date(2027, 2, 10))
        newcomer = await a_tenant_with_history(fresh, check_ins=1)  # after the rebuild's read
        heads = {tenant: written.position, newcomer: await fresh.store.head(newcomer)}
        for t, head in heads.items():
            for p in PROJECTIONS:
                assert await wait_for_position(fresh.pool, t, head, projection=p.name, within=10)
    finally:
        stop.set()  # no projector left to apply what the swapped-in tables would lack
        try:
            await running
        finally:
            resume.set()
    assert (await asyncio.wait_for(rebuilding, 10)).events == sum(heads.values())
    late = 1 + heads[newcomer]  # the check-in and the new tenant's events
    assert (
        reports[-1] == f"rebuild: 1/1 tenants, {sum(heads.values())} events ({late} came during it)"
    )
    if paused == "while its keys are built":  # nothing came since the catch-up to the heads
        assert under_the_lock == [(set(), 0)]
    else:  # only the tenants whose heads moved since are looked at
        assert under_the_lock == [(set(heads), late)]
    for t, head in heads.items():
        for p in PROJECTIONS:
            assert await projected_position(fresh.pool, t, p.name) == head, (t == newcomer, p.name)
            async with tenant_transaction(fresh.pool, [t]) as conn:
                checkpoint = await conn.fetchval(
                    f"SELECT max(position) FROM {states_table(p)} WHERE tenant_id = $1", t
                )
            assert checkpoint == head  # a projector resumes with nothing to replay
    await assert_matches_rebuild(fresh, list(heads))


@pytest.mark.parametrize("rebuilt", ["in full", "alone"])
async def test_a_projector_takes_its_states_from_the_rebuilt_tables(
    fresh: System, rebuilt: str
) -> None:
    """A rebuild is how a damaged read model is mended. A projector that kept a tenant's
    state from a checkpoint gone bad (here the state of three events earlier) and runs on
    through the rebuild (of every tenant, its tables swapped in; or of that one tenant, in
    place) folds the tenant's next event from the rebuilt state, not from the one it kept
    for the same position."""
    tenant = await a_tenant_with_history(fresh, check_ins=6)
    await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    head = await fresh.store.head(tenant)
    async with tenant_transaction(fresh.pool, [tenant]) as conn:
        (earlier,) = await rebuild.replay_tenant(
            conn, fresh.repository, [progress_projection], tenant, {"progress": head - 3}
        )
        damaged = await conn.execute(
            f"UPDATE {states_table(progress_projection)} SET state = $1"
            " WHERE tenant_id = $2 AND position = $3",
            progress_projection.encode_state(earlier.state), tenant, head,
        )  # fmt: skip
    assert damaged == "UPDATE 1"
    running = projector(fresh)
    assert await running.catch_up(tenant) == 0  # it keeps the damaged state now
    if rebuilt == "in full":
        assert (await rebuild.rebuild_all(fresh, PROJECTIONS)).events == head
    else:
        assert (
            await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant) == head
        )
    (kr, _) = await key_result_ids(fresh, tenant)
    await a_check_in(fresh, tenant, kr, 90, date(2027, 2, 20))
    assert await running.catch_up(tenant) == 1
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_late_event_that_does_not_decode_leaves_its_tenant_behind_not_the_rebuild(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event that came during the rebuild and does not decode stops its tenant's catch-up
    there, as it stops the projectors: the rebuild swaps in, with that tenant where it read
    it and the other tenants' late events in."""
    broken, fine = [await a_tenant_with_history(fresh, check_ins=2) for _ in range(2)]
    await projector(fresh).catch_up_all()
    ids = {t: (await key_result_ids(fresh, t))[0] for t in (broken, fine)}
    filled = {t: await fresh.store.head(t) for t in (broken, fine)}
    finish = rebuild._finish

    async def check_ins_meanwhile(*args: Any) -> None:
        await finish(*args)
        for tenant in (broken, fine):
            await a_check_in(fresh, tenant, ids[tenant], 75, date(2027, 2, 12))
        admin = await asyncpg.connect(fresh.admin_dsn)
        try:
            await admin.execute(
                "UPDATE events SET state = '\\xc1'::bytea WHERE tenant_id = $1 AND position = $2",
                broken, filled[broken] + 1,
            )  # fmt: skip
        finally:
            await admin.close()

    monkeypatch.setattr(rebuild, "_finish", check_ins_meanwhile)
    rebuilt = await rebuild.rebuild_all(fresh, PROJECTIONS)
    assert rebuilt.events == sum(filled.values()) + 1
    assert list(rebuilt.left_behind) == [broken]
    assert f"does not fold at position {filled[broken] + 1}" in rebuilt.left_behind[broken]
    for p in PROJECTIONS:
        assert await projected_position(fresh.pool, broken, p.name) == filled[broken]
        assert await projected_position(fresh.pool, fine, p.name) == filled[fine] + 1
    await assert_matches_rebuild(fresh, [fine])


@pytest.mark.usefixtures("small_checkpoints")
async def test_verify_finds_a_checkpoint_the_log_does_not_give_and_a_position_past_it(
    fresh: System,
) -> None:
    """The checkpoints are what time travel and a restarting projector start from, and a
    position past the log's head makes projectors wait for events never made: verify checks
    both (a checkpoint of another state, renamed 'Q5', passed, and an as-of view showed it)."""
    tenant = await a_tenant_with_history(fresh, check_ins=40)
    await projector(fresh, batch_size=7).catch_up_all()
    head = await fresh.store.head(tenant)
    assert (await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)) == []
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        kept = await admin.fetchval(
            "SELECT max(position) FROM rm_progress__states WHERE tenant_id = $1", tenant
        )
        assert kept is not None
        await admin.execute(
            "UPDATE rm_progress__states SET state = $3 WHERE tenant_id = $1 AND position = $2",
            tenant, kept, progress_projection.encode_state(progress_projection.initial()),
        )  # fmt: skip
        await admin.execute(
            "UPDATE rm_series__positions SET position = $2 WHERE tenant_id = $1", tenant, head + 5
        )
    finally:
        await admin.close()
    found = await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    by_table = {d.table: d for d in found}
    assert by_table["rm_progress__states"].key == (tenant, kept)
    assert by_table["rm_progress__states"].changed == (
        ("state", f"checkpoint at {kept}", "not the state the log gives there"),
    )
    assert by_table["rm_series__positions"].changed == (
        ("position", head + 5, f"at most the log's head, {head}"),
    )


async def test_verify_says_which_field_of_an_encoded_state_differs(fresh: System) -> None:
    """rm_progress_items keeps each item's state encoded: a difference there is said by the
    field that differs, not as kilobytes of MessagePack."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        item, data = await admin.fetchrow(
            "SELECT item_id, state FROM rm_progress_items WHERE tenant_id = $1 AND kind = 'cycle'",
            tenant,
        )
        renamed = msgspec.msgpack.decode(data) | {"name": "Q5 2027"}
        await admin.execute(
            "UPDATE rm_progress_items SET state = $3 WHERE tenant_id = $1 AND item_id = $2",
            tenant, item, msgspec.msgpack.encode(renamed),
        )  # fmt: skip
    finally:
        await admin.close()
    [found] = await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    assert (found.table, found.changed) == (
        "rm_progress_items", (("state.name", "Q5 2027", "Q1 2027"),),
    )  # fmt: skip


async def test_verify_says_a_list_by_its_length_and_first_differing_items(fresh: System) -> None:
    """A key result's state missing one of its check-ins: verify printed both lists whole
    (1.7 MB on one line for 3,900 check-ins); it says how many items each side has and
    the one missing, by its id (by place, every later one differed); a list whose items
    have no id, by place, the first few and how many more."""
    tenant = await a_tenant_with_history(fresh, check_ins=12)
    await projector(fresh).catch_up_all()
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        item, data = await admin.fetchrow(
            "SELECT item_id, state FROM rm_progress_items WHERE tenant_id = $1"
            " AND kind = 'key_result' ORDER BY item_id LIMIT 1",
            tenant,
        )  # fmt: skip
        state = msgspec.msgpack.decode(data)
        check_ins = state["check_ins"]
        assert len(check_ins) > rebuild.SHOWN_ITEMS + 1
        short = state | {"check_ins": check_ins[1:]}
        await admin.execute(
            "UPDATE rm_progress_items SET state = $3 WHERE tenant_id = $1 AND item_id = $2",
            tenant, item, msgspec.msgpack.encode(short),
        )  # fmt: skip
    finally:
        await admin.close()
    [found] = await rebuild.verify_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    said = {name: (live, rebuilt) for name, live, rebuilt in found.changed}
    assert said["state.check_ins (items)"] == (len(check_ins) - 1, len(check_ins))
    first = check_ins[0][0]  # (an array: its id first)
    items = [name for name in said if name.startswith("state.check_ins[")]
    assert items == [f"state.check_ins[{first}]"]
    assert said[items[0]] == (None, check_ins[0])
    by_place = rebuild._list_changes("values", list(range(12)), list(range(1, 12)))
    more = 12 - rebuild.SHOWN_ITEMS  # each place differs
    assert [name for name, _, _ in by_place] == [
        "values (items)", "values[0]", "values[1]", f"values[2] (and {more} more items differ)"
    ]  # fmt: skip


async def test_a_fold_that_fails_part_way_through_a_batch_writes_no_row_past_its_position(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold that raises at position 15, in a batch of 11..20: the rebuild leaves the tenant
    where the batch began, with no log row of 11..14 past the position it records; once
    the fold is mended, a projector carries on from there (it failed on those rows' keys
    at every pass, and no tenant was projected again)."""
    tenant = await a_tenant_with_history(fresh, check_ins=30)
    monkeypatch.setattr(rebuild, "BATCH", 10)

    class FailsAt15:
        def __init__(self, inner: Any) -> None:
            self.inner, self.name, self.tables = inner, inner.name, inner.tables

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def fold(self, state: Any, record: Recorded) -> Any:
            if record.position == 15:
                raise ValueError("a bug in the fold")
            return self.inner.fold(state, record)

    chosen: list[Projection[Any]] = [progress_projection, FailsAt15(history_projection)]
    rebuilt = await rebuild.rebuild_all(fresh, chosen, workers=1)
    assert list(rebuilt.left_behind) == [tenant]
    conn = await asyncpg.connect(fresh.admin_dsn)
    try:
        stands = await conn.fetchval(
            "SELECT position FROM rm_history__positions WHERE tenant_id = $1", tenant
        )
        last_row = await conn.fetchval(
            "SELECT max(position) FROM rm_history WHERE tenant_id = $1", tenant
        )
    finally:
        await conn.close()
    assert stands == 10 and last_row == 10
    await projector(fresh).catch_up_all()  # the fold mended
    await assert_matches_rebuild(fresh, [tenant])


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_log_that_does_not_decode_stops_its_tenant_not_every_tenant(
    fresh: System, workers: int
) -> None:
    """An event in the middle of one tenant's log that does not decode (a damaged row): a
    full rebuild rebuilds every other tenant and names that one with why; verify verifies
    the others and names it; its own rebuild says why and leaves its rows as they were.
    Each of them ended with a traceback, for every tenant."""
    broken, fine = [await a_tenant_with_history(fresh, check_ins=30) for _ in range(2)]
    await projector(fresh).catch_up_all()
    before = {p.name: await projected_position(fresh.pool, broken, p.name) for p in PROJECTIONS}
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        await admin.execute(
            "UPDATE events SET state = substring(state from 1 for 10)"
            " WHERE tenant_id = $1 AND position = 20",
            broken,
        )
    finally:
        await admin.close()

    with pytest.raises(rebuild.UnfoldableLogError, match="does not fold at position 20"):
        await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, broken)
    for p in PROJECTIONS:  # as they were
        assert await projected_position(fresh.pool, broken, p.name) == before[p.name]
    verified = await rebuild.verify_all(fresh.pool, fresh.repository, PROJECTIONS)
    assert verified.differences == [] and list(verified.unverifiable) == [broken]
    assert "MapperDeserialisationError" in verified.unverifiable[broken]

    rebuilt = await rebuild.rebuild_all(fresh, PROJECTIONS, workers=workers)
    assert list(rebuilt.left_behind) == [broken]
    assert "does not fold at position 20" in rebuilt.left_behind[broken]  # the damaged row
    assert rebuilt.events == await fresh.store.head(fine)
    await assert_matches_rebuild(fresh, [fine])


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (asyncpg.exceptions.CardinalityViolationError(), True),  # a key twice in a statement
        (asyncpg.exceptions.UniqueViolationError(), True),
        (asyncpg.exceptions.CheckViolationError(), True),
        (asyncpg.exceptions.NumericValueOutOfRangeError(), True),
        (asyncpg.exceptions.CharacterNotInRepertoireError(), True),  # a NUL in a string
        (asyncpg.exceptions.ProgramLimitExceededError(), True),  # too long for an index
        (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), True),
        (asyncpg.exceptions.SerializationError(), False),
        (asyncpg.exceptions.DeadlockDetectedError(), False),
        (asyncpg.exceptions.LockNotAvailableError(), False),
        (asyncpg.exceptions.QueryCanceledError(), False),
        (asyncpg.exceptions.AdminShutdownError(), False),
        (asyncpg.exceptions.OutOfMemoryError(), False),
        (asyncpg.exceptions.DiskFullError(), False),
        (asyncpg.exceptions.UndefinedColumnError(), False),  # a bug: every tenant's pass
        (asyncpg.ConnectionDoesNotExistError(), False),
        (OSError(), False),
        (TimeoutError(), False),
    ],
)
def test_only_errors_the_rows_cause_stop_a_tenant(error: Exception, refused: bool) -> None:
    """A pass that fails on the database's or the network's trouble is tried again whole,
    later; one whose rows the database refuses is tried again apart, and the tenant they
    belong to stops (stopping every tenant of a pass for a lost connection would count
    them all failing)."""
    assert rows_refused(error) is refused


def refusing_history_of(tenant: uuid.UUID, suffix: str = "") -> str:
    """SQL that makes the history table (or its shadow) refuse the tenant's rows: a CHECK,
    named `refused`, that `DROP CONSTRAINT refused` takes away."""
    return f"ALTER TABLE rm_history{suffix} ADD CONSTRAINT refused CHECK (tenant_id <> '{tenant}')"


def passes_of(
    worker: Projector, method: str, monkeypatch: pytest.MonkeyPatch
) -> list[list[uuid.UUID]]:
    """The tenants of each call of the worker's `method` (project, _pass) from now on."""
    passes: list[list[uuid.UUID]] = []
    one_pass = getattr(worker, method)

    async def told(tenants: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, bool]]:
        passes.append(list(tenants))
        return cast(dict[uuid.UUID, tuple[int, bool]], await one_pass(tenants))

    monkeypatch.setattr(worker, method, told)
    return passes


async def as_admin(system: System, sql: str) -> None:
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def until(condition: Callable[[], Awaitable[bool]], tries: int = 200) -> bool:
    """Whether `condition` holds, asked every 50 ms (`tries` times at most)."""
    for _ in range(tries):
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_tenant_whose_rows_the_database_refuses_stops_alone_and_resumes_when_mended(
    fresh: System,
) -> None:
    """One tenant's rows that the database refuses (here a CHECK on its history rows; a
    key written twice, a value out of range) failed the whole pass of up to 100 tenants,
    tried again every poll for good; the tenant was not counted failing, and a projector
    starting died on it (every tenant's readiness 503). Now the pass is tried again apart:
    the others are applied, that tenant is stopped as failing (readiness counts it), tried
    again later, a restart does not die on it, and once mended it catches up, each event
    applied once."""
    healthy, refused, other = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(3)]
    await as_admin(fresh, refusing_history_of(refused))
    stop = asyncio.Event()
    running = projector(fresh, poll_interval=0.05)
    projecting = asyncio.create_task(running.run(fresh.app_dsn, stop))

    async def failing_again() -> bool:
        return running.running and running.failures.get(refused, 0) >= 2

    try:
        assert await until(failing_again)  # started, and tried again later
        assert not projecting.done()
    finally:
        stop.set()
        await projecting
    for tenant in (healthy, other):
        assert await standing(fresh, tenant) == await everywhere(fresh, tenant)
    # no projection of it moved: rows and positions go together
    assert await standing(fresh, refused) == await everywhere(fresh, refused, 0)

    (kr, _) = await key_result_ids(fresh, healthy)
    await a_check_in(fresh, healthy, kr, 80, date(2027, 2, 11))
    restarted = projector(fresh, poll_interval=0.05)
    await restarted.catch_up_all()  # it died here
    assert list(restarted.failures) == [refused]
    assert await projected_position(fresh.pool, healthy, "history") == (
        await fresh.store.head(healthy)
    )
    await as_admin(fresh, "ALTER TABLE rm_history DROP CONSTRAINT refused")
    await restarted.catch_up_all()
    assert restarted.failures == {}
    assert await standing(fresh, refused) == await everywhere(fresh, refused)
    await assert_matches_rebuild(fresh, [healthy, refused, other])


async def test_a_tenant_whose_rows_were_refused_is_tried_again_in_a_pass_of_its_own(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tried again with the tenants that came meanwhile, a tenant whose rows the database
    refuses would fail their pass again each time, and the halving that finds it again
    would drop the foldings they kept: it has a pass of its own."""
    healthy, refused = [await a_tenant_with_history(fresh, check_ins=2) for _ in range(2)]
    await as_admin(fresh, refusing_history_of(refused))
    worker = projector(fresh)
    await worker.catch_up_all()
    (kr, _) = await key_result_ids(fresh, healthy)
    await a_check_in(fresh, healthy, kr, 80, date(2027, 2, 11))
    passes = passes_of(worker, "_pass", monkeypatch)
    done = await worker.project([refused, healthy])
    assert passes == [[healthy], [refused]]
    assert list(done) == [healthy] and worker.failures == {refused: 2}


async def test_a_kpi_stored_with_the_tenant_s_reserved_id_stops_its_tenant_not_the_others(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KPI made with the nil id, stored before the API refused it: a pass of its next
    measurement wrote the progress row of the tenant's own facts twice (ON CONFLICT
    affecting one row twice), and failed whole, every other tenant of the pass left behind
    for good, and the projector starting died on it. Now the others are projected and
    that tenant is counted failing, its events kept; a restart does not die."""
    kept = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    monkeypatch.setattr(base, "refuse_reserved_id", lambda *_: None)  # as before it refused
    kpis = OKRApplication(fresh.repository).kpis
    await kpis.create(
        kept, name="Churn", direction="lower_is_better", green=2, red=5, frequency_days=30,
        owner="marco", kpi_id=uuid.UUID(int=0),
    )  # fmt: skip
    healthy = await a_tenant_with_history(fresh, check_ins=1)
    worker = projector(fresh)
    await worker.catch_up_all()
    await kpis.record_measurement(kept, uuid.UUID(int=0), value=3, on=date(2027, 2, 1))
    (kr, _) = await key_result_ids(fresh, healthy)
    await a_check_in(fresh, healthy, kr, 80, date(2027, 2, 11))
    await worker.catch_up_all()  # the same pass: this process kept both tenants' foldings
    assert list(worker.failures) == [kept.tenant_id]
    assert await projected_position(fresh.pool, healthy, "progress") == (
        await fresh.store.head(healthy)
    )
    assert await projected_position(fresh.pool, kept.tenant_id, "progress") < (
        await fresh.store.head(kept.tenant_id)
    )  # its measurement kept, for a fix to apply
    restarted = projector(fresh)
    await restarted.catch_up_all()  # it died here
    assert list(restarted.failures) == [kept.tenant_id]


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_tenant_whose_rows_the_database_refuses_is_left_behind_not_the_rebuild(
    fresh: System, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Rows of one tenant that the shadow tables refuse (a CHECK here; a value out of
    range, a key written twice) failed the whole rebuild, in its fill or its catch-up, and
    its own rebuild with the database's error. Now that tenant is left behind with why, the
    others are rebuilt and swapped in; its own rebuild says why; once mended, the projector
    applies its events from the log."""
    healthy, refused, other = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(3)]
    await projector(fresh).catch_up_all()
    bulk_create_sql = schema.bulk_create_sql

    def refusing(projection: Any, suffix: str) -> str:
        sql = bulk_create_sql(projection, suffix)
        if projection.name != "history":
            return sql
        return f"{sql}; {refusing_history_of(refused, suffix)}"

    monkeypatch.setattr(rebuild, "bulk_create_sql", refusing)
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1 if workers > 1 else rebuild.GROUP_EVENTS)
    with capture_logs() as logs:  # (a group a tenant: the workers fill them)
        rebuilt = await rebuild.rebuild_all(fresh, PROJECTIONS, workers=workers)
    if workers == 1:  # the fill's COPY refused it (the workers' logs are their own)
        assert [e["tenant_id"] for e in logs if e["event"] == "rebuild.rows_refused"] == [
            str(refused)
        ]
    assert list(rebuilt.left_behind) == [refused]
    assert "the database refuses its rows: CheckViolationError" in rebuilt.left_behind[refused]
    await assert_matches_rebuild(fresh, [healthy, other])
    # the shadow table swapped in keeps the CHECK: its own rebuild says why
    with pytest.raises(rebuild.UnfoldableLogError, match="the database refuses its rows"):
        await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, refused)
    await as_admin(fresh, "ALTER TABLE rm_history DROP CONSTRAINT refused")  # mended
    await projector(fresh).catch_up_all()
    assert await standing(fresh, refused) == await everywhere(fresh, refused)
    await assert_matches_rebuild(fresh, [healthy, refused, other])


async def test_a_tenant_the_catch_up_under_the_lock_leaves_behind_is_projected_again(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event that came during the rebuild and that the rebuild cannot fold under the
    swap's lock, though the running projector folded it (a rebuild run by other code, say):
    that tenant's new tables stand before the live ones, so the projector is told of it,
    and the check-in is back in every view by itself (the projector, which had applied it,
    would otherwise wait for the tenant's next event)."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    (kr, _) = await key_result_ids(fresh, tenant)
    reached, resume = asyncio.Event(), asyncio.Event()
    catch_up = rebuild._catch_up
    failing = False

    async def decode_or_fail(*args: Any) -> Any:
        if failing and args[1]:
            raise ValueError("an event this rebuild cannot fold")
        return await decode(*args)

    async def catching_up(*args: Any) -> tuple[int, dict[uuid.UUID, str]]:
        nonlocal failing
        if args[-1] is None:  # under the swap's lock
            failing = True
            try:
                return await catch_up(*args)
            finally:
                failing = False
        done = await catch_up(*args)
        reached.set()
        await resume.wait()
        return done

    monkeypatch.setattr(rebuild, "decode", decode_or_fail)
    monkeypatch.setattr(rebuild, "_catch_up", catching_up)
    stop = asyncio.Event()
    running = projector(fresh, poll_interval=60.0)  # no poll comes: only being told helps
    projecting = asyncio.create_task(running.run(fresh.app_dsn, stop))
    rebuilding = asyncio.create_task(rebuild.rebuild_all(fresh, PROJECTIONS))
    try:
        await asyncio.wait_for(reached.wait(), 10)
        written = await a_check_in(fresh, tenant, kr, 81, date(2027, 2, 11))
        for p in PROJECTIONS:
            assert await wait_for_position(
                fresh.pool, tenant, written.position, projection=p.name, within=10
            )
        resume.set()
        await asyncio.wait_for(rebuilding, 10)
        for p in PROJECTIONS:
            assert await wait_for_position(
                fresh.pool, tenant, written.position, projection=p.name, within=5
            ), p.name
    finally:
        resume.set()
        stop.set()
        await projecting
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_key_that_cannot_be_built_fails_the_rebuild_with_its_error(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finish builds keys side by side: one that fails stops the others (still at work
    here: progress's takes 30 s) and raises its own error; the live tables stay, and the
    next rebuild runs."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    finish_sql = schema.finish_sql
    extra = {"progress": "; SELECT pg_sleep(30)", "series": "; SELECT 1 / 0"}

    def slow_or_failing(projection: Any, suffix: str) -> str:
        return finish_sql(projection, suffix) + extra.get(projection.name, "")

    monkeypatch.setattr(rebuild, "finish_sql", slow_or_failing)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await asyncio.wait_for(rebuild.rebuild_all(fresh, PROJECTIONS, workers=2), 20)
    conn = await asyncpg.connect(fresh.admin_dsn)
    try:
        sleeping = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event = 'PgSleep'"
        )
    finally:
        await conn.close()
    assert sleeping == 0, "a key went on being built after the rebuild failed"
    await assert_matches_rebuild(fresh, [tenant])
    monkeypatch.setattr(rebuild, "finish_sql", finish_sql)
    assert (await rebuild.rebuild_all(fresh, PROJECTIONS)).events == await fresh.store.head(tenant)


async def test_a_second_full_rebuild_is_refused_while_one_runs(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two would share the shadow tables (the second dropped the first's, and both
    failed): the second is refused before it touches anything, the first completes, and
    once it has, a rebuild may run again."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    filling, resume = asyncio.Event(), asyncio.Event()
    fill_all = rebuild._Filler.fill_all

    async def fill_after_a_pause(self: Any, *args: Any) -> int:
        filling.set()
        await resume.wait()
        return await fill_all(self, *args)

    monkeypatch.setattr(rebuild._Filler, "fill_all", fill_after_a_pause)
    first = asyncio.create_task(rebuild.rebuild_all(fresh, PROJECTIONS))
    try:
        await asyncio.wait_for(filling.wait(), 10)
        with pytest.raises(rebuild.RebuildRunningError, match="another full rebuild"):
            # (without the lock it would wait on the same pause: it must fail, not hang)
            await asyncio.wait_for(rebuild.rebuild_all(fresh, PROJECTIONS), 10)
    finally:
        resume.set()
    head = await fresh.store.head(tenant)
    assert (await asyncio.wait_for(first, 10)).events == head
    assert (await rebuild.rebuild_all(fresh, PROJECTIONS)).events == head
    await assert_matches_rebuild(fresh, [tenant])


async def test_tables_updated_in_place_leave_room_on_their_pages(fresh: System) -> None:
    """State tables, made live or by a full rebuild, have a fillfactor (HOT updates); the
    logs and the checkpoints, only ever appended to, fill their pages."""

    async def fill_factors() -> dict[str, list[str] | None]:
        rows = await fresh.pool.fetch(
            "SELECT relname, reloptions FROM pg_class WHERE relkind = 'r'"
            " AND relname IN ('rm_key_results', 'rm_portfolio', 'rm_progress__positions',"
            " 'rm_progress__states', 'rm_history', 'rm_series_points')"
        )
        return {r["relname"]: r["reloptions"] for r in rows}

    updated = ["fillfactor=70"]
    expected = {
        "rm_key_results": updated, "rm_portfolio": updated, "rm_progress__positions": updated,
        "rm_progress__states": None, "rm_history": None, "rm_series_points": None,
    }  # fmt: skip
    assert await fill_factors() == expected
    await a_tenant_with_history(fresh, check_ins=3)
    await rebuild.rebuild_all(fresh, PROJECTIONS)
    assert await fill_factors() == expected


async def test_a_swap_waits_for_a_pass_that_began_before_it_and_neither_fails(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass has read the positions (so holds those tables) and has not written yet when
    a rebuild comes to swap its tables in: the swap waits for the pass, which then writes
    and commits; then the swap goes on. (They deadlocked before, and PostgreSQL failed one.)"""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    paused, resume = asyncio.Event(), asyncio.Event()
    load = Projector._load

    async def load_after_a_pause(self: Projector, *args: Any) -> Any:
        paused.set()
        await resume.wait()
        return await load(self, *args)

    monkeypatch.setattr(Projector, "_load", load_after_a_pause)
    passing = asyncio.create_task(projector(fresh).project([tenant]))
    await asyncio.wait_for(paused.wait(), 10)
    rebuilding = asyncio.create_task(rebuild.rebuild_all(fresh, PROJECTIONS))
    try:  # the swap waits for a lock the pass holds
        await until_a_backend_waits_for_a_lock(fresh, rebuilding)
    finally:
        resume.set()
    done = await asyncio.wait_for(passing, 10)
    assert done[tenant][0] == await fresh.store.head(tenant)
    assert (await asyncio.wait_for(rebuilding, 10)).events == done[tenant][0]
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_swap_and_the_readiness_probe_never_deadlock(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/readyz reads every positions table, one after another; a swap locks them projection
    after projection, in another order here. The probe has read the first and not yet the
    next when the swap comes: the swap goes through without waiting for it (the probe held
    the first table through its one transaction, and they deadlocked: PostgreSQL failed the
    rebuild; or, sharing the swap's advisory lock, it held the swap up as long as it
    paused), and the probe then reads the new tables."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    between, resume = asyncio.Event(), asyncio.Event()
    fetch = asyncpg.connection.Connection.fetch

    async def pause_then_fetch(
        self: asyncpg.Connection, query: str, *args: Any, **options: Any
    ) -> Any:
        if query.endswith("FROM rm_series__positions") and not between.is_set():
            between.set()  # progress's positions read, series's next
            await resume.wait()
        return await fetch(self, query, *args, **options)

    monkeypatch.setattr(asyncpg.connection.Connection, "fetch", pause_then_fetch)
    probing = asyncio.create_task(projector_lag(fresh.pool))
    await asyncio.wait_for(between.wait(), 10)
    rebuilding = asyncio.create_task(
        rebuild.rebuild_all(fresh, [history_projection, progress_projection])
    )
    try:
        done, _ = await asyncio.wait({rebuilding}, timeout=10)
    finally:
        resume.set()
    assert rebuilding in done, "the swap waited for the paused probe"
    assert rebuilding.result().events == await fresh.store.head(tenant)
    lag = await asyncio.wait_for(probing, 10)
    assert lag["history"] == {tenant: 0}


def test_projections_chosen_by_name_come_once_each_in_the_registry_order() -> None:
    """The order every reader locks their tables in (a swap in another order could wait on
    a reader that waits on it), and a name given twice is one projection, not two."""
    chosen = by_name(["history", "progress", "history"])
    assert [p.name for p in chosen] == ["progress", "history"]
    assert [p.name for p in by_name()] == [p.name for p in PROJECTIONS]


async def standing(system: System, tenant: uuid.UUID) -> dict[str, int]:
    """Where each projection of the tenant stands."""
    return {p.name: await projected_position(system.pool, tenant, p.name) for p in PROJECTIONS}


async def everywhere(
    system: System, tenant: uuid.UUID, position: int | None = None
) -> dict[str, int]:
    """Every projection at `position` (by default, the tenant's head)."""
    at = await system.store.head(tenant) if position is None else position
    return dict.fromkeys((p.name for p in PROJECTIONS), at)


async def key_result_ids(system: System, tenant: uuid.UUID) -> list[uuid.UUID]:
    async with tenant_transaction(system.pool, [tenant]) as conn:
        rows = await conn.fetch(
            "SELECT key_result_id FROM rm_key_results WHERE tenant_id = $1 ORDER BY title",
            tenant,
        )
    return [r[0] for r in rows]


async def shadow_tables(system: System) -> list[str]:
    """The rebuild's shadow tables in the test's database."""
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE right(tablename, length($1)) = $1", SHADOW
        )
    finally:
        await conn.close()
    return sorted(r["tablename"] for r in rows)


async def test_a_failing_worker_fails_the_rebuild_and_leaves_the_live_tables(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose database session ends under it (terminated while it waits to read the
    log): the rebuild raises that error in this process, the live tables stay as they were,
    and neither a worker process nor a shadow table is left behind. (A row that does not
    decode no longer fails a rebuild: its tenant is left behind, see above.)"""
    tenants = [await a_tenant_with_history(fresh, check_ins=4) for _ in range(3)]
    await projector(fresh).catch_up_all()
    live = await history_rows(fresh, tenants)
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1)  # a group per tenant
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        await admin.execute("BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        rebuilding = asyncio.create_task(rebuild.rebuild_all(fresh, PROJECTIONS, workers=2))
        for _ in range(600):  # until a worker waits to read the log
            waiting = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                " WHERE NOT granted AND relation = 'events'::regclass"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting
        await admin.execute("ROLLBACK")
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)):  # its session gone
            await asyncio.wait_for(rebuilding, 60)
    finally:
        await admin.close()
    assert await history_rows(fresh, tenants) == live
    assert multiprocessing.active_children() == []
    assert await shadow_tables(fresh) == []


async def test_a_cancelled_rebuild_terminates_its_workers_and_leaves_the_live_tables(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (the task cancelled) once the first group is in: the rebuild stops at once,
    its workers and its shadow tables are gone, and the live tables are as they were."""
    tenants = [await a_tenant_with_history(fresh, check_ins=4) for _ in range(4)]
    await projector(fresh).catch_up_all()
    live = await history_rows(fresh, tenants)
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1)  # a group per tenant
    reports: list[str] = []

    def cancel_at_first_report(line: str) -> None:
        reports.append(line)
        task.cancel()

    task = asyncio.create_task(
        rebuild.rebuild_all(fresh, PROJECTIONS, cancel_at_first_report, workers=2)
    )
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 60)
    assert reports[0].startswith("rebuild: 1/4 tenants")
    assert multiprocessing.active_children() == []
    assert await history_rows(fresh, tenants) == live
    assert await shadow_tables(fresh) == []


async def test_shadow_tables_a_failed_rebuild_cannot_drop_are_left_to_the_next_one(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild that fails while another session holds one of its shadow tables: it waits
    SHADOW_DROP_LOCK_TIMEOUT, logs that it left them, and raises its own error, not the
    timeout's; the next rebuild drops them first and swaps in tables of its own."""
    tenants = [await a_tenant_with_history(fresh, check_ins=4) for _ in range(2)]
    await projector(fresh).catch_up_all()
    live = await history_rows(fresh, tenants)
    monkeypatch.setattr(rebuild, "SHADOW_DROP_LOCK_TIMEOUT", "100ms")
    holder = await asyncpg.connect(fresh.admin_dsn)
    finish = rebuild._finish

    async def fail_holding_a_shadow(*args: Any) -> None:
        await holder.execute("BEGIN; LOCK TABLE rm_history__shadow IN ACCESS SHARE MODE")
        raise RuntimeError("failed after the fill")

    monkeypatch.setattr(rebuild, "_finish", fail_holding_a_shadow)
    try:
        with capture_logs() as logs, pytest.raises(RuntimeError, match="after the fill"):
            await rebuild.rebuild_all(fresh, PROJECTIONS, workers=1)
    finally:
        await holder.close()
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "rebuild.shadow_tables_left"
    ]
    assert "rm_history__shadow" in await shadow_tables(fresh)
    monkeypatch.setattr(rebuild, "_finish", finish)
    await rebuild.rebuild_all(fresh, PROJECTIONS, workers=1)
    assert await shadow_tables(fresh) == []
    assert await history_rows(fresh, tenants) == live
    await assert_matches_rebuild(fresh, tenants)


async def test_a_rebuild_whose_spec_was_replaced_meanwhile_swaps_nothing_in(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another version of the code made the history tables anew while a full rebuild ran
    (after its shadows were made, so the reset could not drop them): the rebuild raises
    RebuildOutdatedError at its swap, swaps nothing in, and leaves no shadow table."""
    tenants = [await a_tenant_with_history(fresh, check_ins=4) for _ in range(2)]
    await projector(fresh).catch_up_all()
    live = await history_rows(fresh, tenants)
    finish = rebuild._finish

    async def a_deploy_resets_history(*args: Any) -> None:
        await finish(*args)
        admin = await asyncpg.connect(fresh.admin_dsn)
        try:
            await admin.execute(
                "UPDATE read_model_schemas SET fingerprint = 'newer' WHERE projection = 'history'"
            )
        finally:
            await admin.close()

    monkeypatch.setattr(rebuild, "_finish", a_deploy_resets_history)
    with pytest.raises(rebuild.RebuildOutdatedError, match="tables of history were made anew"):
        await rebuild.rebuild_all(fresh, PROJECTIONS, workers=1)
    assert await history_rows(fresh, tenants) == live
    assert await shadow_tables(fresh) == []


async def test_workers_that_cannot_start_fail_the_rebuild_with_their_reason(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that cannot connect raises its error in this process (not a bare broken
    pool, and not a pool that starts it again and again)."""
    await a_tenant_with_history(fresh, check_ins=2)
    await a_tenant_with_history(fresh, check_ins=2)
    monkeypatch.setattr(rebuild, "GROUP_EVENTS", 1)
    nowhere = dataclasses.replace(fresh, app_dsn="postgresql://okr_app@127.0.0.1:1/none")
    with pytest.raises(ConnectionRefusedError):  # not the TimeoutError of a respawning pool
        await asyncio.wait_for(rebuild.rebuild_all(nowhere, PROJECTIONS, workers=2), 30)
    assert multiprocessing.active_children() == []


async def test_a_worker_that_cannot_start_keeps_no_connection_open(fresh: System) -> None:
    """Its admin connection made, then its pool refused: the worker closes the connection
    it made, rather than keeping it until the rebuild terminates it."""
    nowhere = "postgresql://okr_app@127.0.0.1:1/none"
    others = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND usename = current_user AND pid <> pg_backend_pid()"
    )
    conn = await asyncpg.connect(fresh.admin_dsn)
    try:
        before = await conn.fetchval(others)
        with pytest.raises(ConnectionRefusedError):  # in a thread: the worker's loop is its own
            await asyncio.to_thread(rebuild._Worker, fresh.admin_dsn, nowhere, ["history"])
        for _ in range(50):  # a closed connection's backend ends a moment later
            if await conn.fetchval(others) == before:
                break
            await asyncio.sleep(0.1)
        after = await conn.fetchval(others)
    finally:
        await conn.close()
    assert after == before


async def history_rows(system: System, tenants: list[uuid.UUID]) -> list[asyncpg.Record]:
    async with tenant_transaction(system.pool, tenants) as conn:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT * FROM rm_history ORDER BY tenant_id, position"
        )
        return rows


async def test_as_of_a_position_equals_the_live_view_captured_then(fresh: System) -> None:
    """Time travel replays to exactly what the read model showed when the log stood there."""
    tenant = await a_tenant_with_history(fresh, check_ins=12)
    await projector(fresh).catch_up(tenant)
    position = await fresh.store.head(tenant)
    captured = await progress_tree(fresh.pool, tenant, today=TODAY)
    await a_tenant_with_history(fresh)  # another tenant moves on: irrelevant
    app = OKRApplication(fresh.repository)
    ctx = Context(tenant_id=tenant, actor="user:anna")
    kr_ids = await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"])
    await app.key_results.record_check_in(ctx, kr_ids[0], value=19, on=date(2027, 2, 10))
    await projector(fresh).catch_up(tenant)
    now = await progress_tree(fresh.pool, tenant, today=TODAY)
    then = await progress_as_of(fresh.repository, tenant, today=TODAY, position=position)
    assert then == captured
    assert now != captured


async def test_the_demo_as_of_a_past_day_differs_from_today(fresh: System) -> None:
    """The demo's history is spread over weeks: a month ago its tree showed other values."""
    from datetime import UTC, datetime, timedelta

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    today = datetime.now(UTC)
    now = await progress_tree(fresh.pool, TENANT_ID, today=today.date())
    month_ago = today - timedelta(days=30)
    then = await progress_as_of(
        fresh.repository, TENANT_ID, today=month_ago.date(), recorded_at=month_ago
    )
    assert 0 < then.position < now.position
    values_now = [
        kr.value
        for c in now.cycles
        for o in c.objectives
        for ch in o.children
        for kr in ch.key_results
    ]
    values_then = [
        kr.value
        for c in then.cycles
        for o in c.objectives
        for ch in o.children
        for kr in ch.key_results
    ]
    assert values_now != values_then
    assert await load_demo(fresh) == TENANT_ID  # loading twice adds nothing
    assert await fresh.store.head(TENANT_ID) == now.position


async def test_one_items_progress_is_the_full_states_for_that_item(fresh: System) -> None:
    """What a chart reads: the item (a key result or a KPI), every cycle and the position,
    as the whole state has them, and nothing else decoded."""
    from services.read import item_progress, progress_state

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    full = await progress_state(fresh.pool, TENANT_ID)
    kr_id, kpi_id = next(iter(full.key_results)), next(iter(full.kpis))
    kr = await item_progress(fresh.pool, TENANT_ID, kr_id)
    assert kr.key_results == {kr_id: full.key_results[kr_id]}
    assert (kr.cycles, kr.last_position, kr.last_activity) == (
        full.cycles, full.last_position, full.last_activity,
    )  # fmt: skip
    assert kr.objectives == {} and kr.kpis == {}
    kpi = await item_progress(fresh.pool, TENANT_ID, kpi_id)
    assert kpi.kpis == {kpi_id: full.kpis[kpi_id]} and kpi.key_results == {}


async def test_a_key_results_page_reads_it_with_its_objective_kpi_and_cycles(
    fresh: System,
) -> None:
    """What a key result's page reads: the key result, its objective, the KPI feeding it
    and every cycle, as the whole state has them, and no other item decoded; an id of no
    key result reads none."""
    from services.read import key_result_state, progress_state

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    full = await progress_state(fresh.pool, TENANT_ID)
    fed = next(kr for kr in full.key_results.values() if kr.kpi_id is not None)
    got = await key_result_state(fresh.pool, TENANT_ID, fed.key_result_id)
    assert got.key_results == {fed.key_result_id: fed}
    assert got.objectives == {fed.objective_id: full.objectives[fed.objective_id]}
    assert fed.kpi_id is not None and got.kpis == {fed.kpi_id: full.kpis[fed.kpi_id]}
    assert (got.cycles, got.last_position, got.cadence_days) == (
        full.cycles, full.last_position, full.cadence_days,
    )  # fmt: skip
    none = await key_result_state(fresh.pool, TENANT_ID, uuid.uuid4())
    assert none.key_results == {} and none.objectives == {} and none.cycles == full.cycles


async def test_the_items_names_read_from_rows_are_the_state_s(fresh: System) -> None:
    """The history's and the trail's item filter and units come from the read model's rows
    (read.item_names), not its decoded state: the same items, archived ones too, each kind
    in the order made, with the same titles and units, and another tenant's none."""
    from services.read import item_names, progress_state

    await load_demo(fresh)
    other = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    app, ctx = OKRApplication(fresh.repository), Context(TENANT_ID, "user:anna")
    state = await progress_state(fresh.pool, TENANT_ID)
    kr = next(iter(state.key_results.values()))
    await app.key_results.archive(ctx, kr.key_result_id, reason="non serve più")
    await projector(fresh).catch_up(TENANT_ID)
    state = await progress_state(fresh.pool, TENANT_ID)
    names = await item_names(fresh.pool, TENANT_ID)

    def said(items: dict[uuid.UUID, Any], title: str) -> list[tuple[Any, ...]]:
        units = ("unit_kind", "currency", "unit_label")
        return [
            (
                i,
                getattr(v, title),
                *(getattr(v, u, "" if u == "unit_kind" else None) for u in units),
            )
            for i, v in items.items()
        ]

    assert said(names.cycles, "title") == said(state.cycles, "name")
    assert said(names.objectives, "title") == said(state.objectives, "title")
    assert said(names.key_results, "title") == said(state.key_results, "title")
    assert said(names.kpis, "title") == said(state.kpis, "name")
    assert state.key_results[kr.key_result_id].archived and names.has_item(kr.key_result_id)
    theirs = await item_names(fresh.pool, other)
    assert len(theirs.key_results) == 2 and not theirs.kpis
    assert not any(names.has_item(i) for i in theirs.key_results)


async def test_the_portfolio_read_from_rows_is_the_one_folded_from_the_state(
    fresh: System,
) -> None:
    """The portfolio reads each client's facts and the stored days of its key results and
    KPIs, not its whole state: on every day, before, through and after the quarter, it says
    what the state's fold says, with a key result archived, one never checked in, a KPI
    never measured, a closed cycle's key results left out, an archived objective's too,
    and a tenant with no log."""
    from datetime import timedelta

    from projections.portfolio import portfolio_row
    from projections.progress_state import ProgressView
    from projections.progress_tree import CycleNode, KeyResultNode, ObjectiveNode
    from projections.progress_tree import progress_tree as progress_tree_of_state
    from services.read import portfolio, progress_state

    def key_results_of(node: CycleNode | ObjectiveNode) -> list[KeyResultNode]:
        objectives = node.objectives if isinstance(node, CycleNode) else node.children
        mine = [] if isinstance(node, CycleNode) else node.key_results
        return mine + [k for o in objectives for k in key_results_of(o)]

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    app, ctx = OKRApplication(fresh.repository), Context(TENANT_ID, "user:anna")
    state = await progress_state(fresh.pool, TENANT_ID)
    active = next(c for c in state.cycles.values() if c.state == "active")
    live = [k for k in state.key_results.values() if k.cycle_id == active.cycle_id]
    await app.key_results.archive(ctx, live[0].key_result_id, reason="non serve più")
    await app.key_results.create(
        ctx, objective_id=live[1].objective_id, title="Mai aggiornato", kind="increase",
        owner="user:anna", start=0, target=10,
    )  # fmt: skip
    await app.kpis.create(
        ctx,
        name="Mai misurato",
        direction="higher_is_better",
        green=10,
        red=5,
        frequency_days=30,
        owner="Anna",
    )
    dropped = next(k.objective_id for k in live if k.objective_id != live[1].objective_id)
    await app.objectives.archive(ctx, dropped, reason="non serve più")
    await projector(fresh).catch_up(TENANT_ID)
    state = await progress_state(fresh.pool, TENANT_ID)
    empty = ProgressView({}, {}, {}, {})
    shown = progress_tree_of_state(state, today=active.starts_on)
    counted = [k for c in shown.cycles if c.state == "active" for k in key_results_of(c)]
    nobody = uuid.uuid4()
    day, seen = active.starts_on - timedelta(days=10), set()
    while day <= active.ends_on + timedelta(days=40):
        got = await portfolio(fresh.pool, [TENANT_ID, nobody], today=day, cadence_days={})
        assert got[TENANT_ID] == portfolio_row(state, day), day
        assert got[nobody] == portfolio_row(empty, day), day
        row = got[TENANT_ID]
        assert (
            row.key_results
            == len(counted)
            == sum((row.not_started, row.on_track, row.at_risk, row.off_track, row.done))
        )
        seen.add((row.on_track, row.at_risk, row.off_track, row.stale_key_results > 0))
        day += timedelta(days=3)
    assert len(seen) > 3 and any(stale for *_, stale in seen)  # the days told apart


async def test_as_of_a_position_alone_shows_the_day_its_event_was_recorded(
    fresh: System,
) -> None:
    """As of a position with no day given: pace, status and staleness of the day the log
    came to stand there, the same tree as of that event's instant (not today's pace over
    values of weeks ago, every key result stale); at the head, where the log still
    stands, today's, as the live view. With an instant too, the day of whichever of the
    two cut the log first."""
    from datetime import UTC, datetime, timedelta

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    month_ago = datetime.now(UTC) - timedelta(days=30)
    by_instant = await progress_as_of(fresh.repository, TENANT_ID, recorded_at=month_ago)
    position = by_instant.position
    (recorded,) = [
        r.recorded_at for r in await fresh.store.read_log(TENANT_ID) if r.position == position
    ]
    assert recorded.date() < datetime.now(UTC).date()  # a day that tells them apart
    by_position = await progress_as_of(fresh.repository, TENANT_ID, position=position)
    assert by_position.today == recorded.date()
    at_its_instant = await progress_as_of(fresh.repository, TENANT_ID, recorded_at=recorded)
    assert by_position == at_its_instant
    head = await fresh.store.head(TENANT_ID)
    live = await progress_tree(fresh.pool, TENANT_ID, today=datetime.now(UTC).date())
    assert await progress_as_of(fresh.repository, TENANT_ID, position=head) == live
    assert await progress_as_of(fresh.repository, TENANT_ID, position=head + 10) == live
    now = datetime.now(UTC)  # with both: the day of whichever cut the log first
    both = await progress_as_of(fresh.repository, TENANT_ID, position=position, recorded_at=now)
    assert both == by_position
    both = await progress_as_of(fresh.repository, TENANT_ID, position=head, recorded_at=month_ago)
    assert both == by_instant and both.today == month_ago.date()


async def test_read_models_of_tenant_a_are_invisible_to_tenant_b(fresh: System) -> None:
    """Raw SQL as the app role with tenant B set sees none of A's read-model rows."""
    a = await a_tenant_with_history(fresh, check_ins=4)
    b = await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up_all()
    conn = await asyncpg.connect(fresh.app_dsn)
    try:
        async with conn.transaction():
            await conn.execute(admit_sql([b]))
            for table in ["rm_key_results", "rm_history", "rm_series_points",
                          "rm_portfolio", "rm_progress__positions"]:  # fmt: skip
                seen = {r["tenant_id"] for r in await conn.fetch(f"SELECT tenant_id FROM {table}")}
                assert seen == {b}, table
                assert (
                    await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", a)
                    == 0
                )
    finally:
        await conn.close()


async def test_a_reader_can_wait_for_its_own_write(fresh: System) -> None:
    """Read-your-writes: a running projector reaches the position a command returned."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    stop = asyncio.Event()
    worker = projector(fresh, poll_interval=0.5)
    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    try:
        app = OKRApplication(fresh.repository)
        ctx = Context(tenant_id=tenant, actor="user:anna")
        kr_ids = await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"])
        written = await app.key_results.record_check_in(
            ctx, kr_ids[0], value=20, on=date(2027, 3, 1)
        )
        assert await wait_for_position(fresh.pool, tenant, written.position, within=5)
        tree = await progress_tree(fresh.pool, tenant, today=TODAY)
        assert tree.position >= written.position
    finally:
        stop.set()
        await task


async def test_a_wait_for_a_position_past_the_log_fails_at_once(fresh: System) -> None:
    """With no projector running, a wait for the log's head ends False once `within` has
    passed (the view is behind: the API's 503), and one for a position past the head
    raises BeyondHeadError naming the head, at once (this one would wait a minute), for a
    projection and for the log itself, and for a tenant with no event (head 0)."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    head = await fresh.store.head(tenant)
    assert not await wait_for_position(fresh.pool, tenant, head, within=0.05)
    assert await wait_for_position(fresh.pool, tenant, head, projection=None, within=60)
    for projection, someone in itertools.product(("history", None), (tenant, uuid.uuid4())):
        known = head if someone == tenant else 0
        with pytest.raises(BeyondHeadError) as raised:
            await wait_for_position(
                fresh.pool, someone, known + 1, projection=projection, within=60
            )
        assert (raised.value.position, raised.value.head) == (known + 1, known)


async def listening_backends(system: System) -> list[int]:
    """Backends of the test's database whose last statement was a LISTEN."""
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        return [
            r["pid"]
            for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND starts_with(query, 'LISTEN')"
            )
        ]
    finally:
        await conn.close()


async def test_a_projector_that_loses_its_listen_connection_listens_again_and_misses_nothing(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its LISTEN backend terminated (as a server restart would end it), the projector
    connects again, retrying while that fails; a check-in committed while nobody listened
    (its notification lost) is projected once it listens again, and a later one is
    notified on the new connection. No poll comes within the test: only those help."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    (kr, _) = await key_result_ids(fresh, tenant)
    running = projector(fresh, poll_interval=60.0)
    listen, calls = running._listen, 0
    reconnecting, written_meanwhile = asyncio.Event(), asyncio.Event()

    async def listen_later(dsn: str, lost: asyncio.Event) -> asyncpg.Connection:
        nonlocal calls
        calls += 1
        if calls == 2:  # the first try again: fails once the check-in is in
            reconnecting.set()
            await written_meanwhile.wait()
            raise ConnectionRefusedError("the server is still starting")
        return await listen(dsn, lost)

    monkeypatch.setattr(running, "_listen", listen_later)
    stop = asyncio.Event()
    projecting = asyncio.create_task(running.run(fresh.app_dsn, stop))
    try:
        for _ in range(100):
            if backends := await listening_backends(fresh):
                break
            await asyncio.sleep(0.05)
        admin = await asyncpg.connect(fresh.admin_dsn)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backends[0])
        finally:
            await admin.close()
        await asyncio.wait_for(reconnecting.wait(), 10)
        missed = await a_check_in(fresh, tenant, kr, 81, date(2027, 2, 11))
        written_meanwhile.set()
        assert await wait_for_position(fresh.pool, tenant, missed.position, within=10)
        for _ in range(200):  # the missed one may be folded (a warm-up) before it listens
            if calls == 3 and await listening_backends(fresh):
                break
            await asyncio.sleep(0.05)
        assert calls == 3  # it tried again after the failure, and listens
        later = await a_check_in(fresh, tenant, kr, 83, date(2027, 2, 12))
        assert await wait_for_position(fresh.pool, tenant, later.position, within=10)
    finally:
        written_meanwhile.set()
        stop.set()
        await projecting
    assert await listening_backends(fresh) == []  # closed when the projector stopped
    await assert_matches_rebuild(fresh, [tenant])


class Freezer:
    """A TCP proxy to the database whose connections can be frozen: their bytes are then
    held, both ways, and nothing ends (a firewall that forgot them). Later ones pass."""

    def __init__(self, dsn: str) -> None:
        self.dsn = urlsplit(dsn)
        self.frozen: list[asyncio.Event] = []
        self.ends: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        """The DSN through the proxy (TCP, whether the database listens on TCP or a socket)."""
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        user = self.dsn.netloc.rpartition("@")[0]
        query = "&".join(
            p for p in self.dsn.query.split("&") if p and not p.startswith(("host=", "port="))
        )
        return urlunsplit(self.dsn._replace(netloc=f"{user}@127.0.0.1:{port}", query=query))

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        given = dict(p.split("=", 1) for p in self.dsn.query.split("&") if "=" in p)
        port = int(given.get("port") or self.dsn.port or 5432)
        host = given.get("host") or self.dsn.hostname or "127.0.0.1"
        if host.startswith("/"):  # the embedded server's socket directory
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    def freeze(self) -> None:
        for thawed in self.frozen:
            thawed.clear()
        self.frozen.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._upstream()
        thawed = asyncio.Event()
        thawed.set()
        self.frozen.append(thawed)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    await thawed.wait()  # frozen: held for good
                    dst.write(data)
                    await dst.drain()
            dst.close()

        self.ends += [writer, up_writer]
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for end in self.ends:
            end.close()


async def test_a_listen_connection_that_dies_silently_is_found_by_its_heartbeat(
    fresh: System,
) -> None:
    """A firewall that forgets an idle connection drops its packets and never says so: no
    notification arrives again, and nothing ends the connection for many minutes (the
    projector fell back to its poll for good). Its heartbeat goes unanswered, so the
    projector listens on a new connection, queues every tenant, and a check-in committed
    while the old one was frozen is projected with no poll within the test."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    await projector(fresh).catch_up_all()
    (kr, _) = await key_result_ids(fresh, tenant)
    freezer = Freezer(fresh.app_dsn)
    through = await freezer.start()
    running = projector(fresh, poll_interval=60.0, heartbeat=(0.5, 1.0))
    stop = asyncio.Event()
    projecting = asyncio.create_task(running.run(through, stop))
    try:
        for _ in range(100):
            if running.running:
                break
            await asyncio.sleep(0.05)
        freezer.freeze()
        missed = await a_check_in(fresh, tenant, kr, 81, date(2027, 2, 11))
        assert await wait_for_position(fresh.pool, tenant, missed.position, within=15)
        later = await a_check_in(fresh, tenant, kr, 83, date(2027, 2, 12))
        assert await wait_for_position(fresh.pool, tenant, later.position, within=10)
    finally:
        stop.set()
        await projecting
        await freezer.close()
    await assert_matches_rebuild(fresh, [tenant])


async def test_the_demo_history_shows_its_correction_and_revision_with_their_reasons(
    fresh: System,
) -> None:
    """The demo's one correction and one target revision each carry their own reason."""
    from services.demo_data import CORRECTION, TARGET_REVISION
    from services.read import history

    await load_demo(fresh)
    await projector(fresh).catch_up(TENANT_ID)
    lines = await history(fresh.pool, TENANT_ID, limit=1000)
    reasons = {line.template: line.reason for line in lines if line.reason}
    said = CORRECTION[2].partition("{right}")[0]  # then the value it stores
    assert any(reason.startswith(said) for reason in reasons.values())
    assert TARGET_REVISION[2] in reasons.values()
    corrected = [line for line in lines if line.reason and line.reason.startswith(said)]
    revised = [line for line in lines if line.reason == TARGET_REVISION[2]]
    assert corrected and all("target" not in line.template for line in corrected)
    assert revised and all("target" in line.template for line in revised)


async def test_a_pool_of_one_connection_is_enough(databases: DatabaseFactory) -> None:
    """Projecting, rebuilding, verifying and time travel never need two connections at once."""
    system = await bootstrap(Settings(pool_min=1, pool_max=1), await databases.create())
    try:
        tenant = await a_tenant_with_history(system, check_ins=4)
        system.repository._mappers.clear()  # a cold start: no tenant mapper cached yet
        async with asyncio.timeout(30):
            await projector(system).catch_up(tenant)
            system.repository._mappers.clear()
            await rebuild.rebuild_tenant(system.pool, system.repository, PROJECTIONS, tenant)
            system.repository._mappers.clear()
            assert (
                await rebuild.verify_tenant(system.pool, system.repository, PROJECTIONS, tenant)
                == []
            )
            system.repository._mappers.clear()
            await progress_as_of(system.repository, tenant, today=TODAY, position=3)
    finally:
        await system.close()


async def test_a_running_projector_catches_many_tenants_up_in_lanes(fresh: System) -> None:
    """Writes spread over many tenants reach every read model, lanes working side by side."""
    tenants = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(6)]
    stop = asyncio.Event()
    task = asyncio.create_task(
        projector(fresh, poll_interval=0.2, lanes=3).run(fresh.app_dsn, stop)
    )
    try:
        for tenant in tenants:
            head = await fresh.store.head(tenant)
            assert await wait_for_position(
                fresh.pool, tenant, head, projection="history", within=10
            )
    finally:
        stop.set()
        await task
    await assert_matches_rebuild(fresh, tenants)


async def test_a_projector_runs_once_it_caught_up_what_it_found_behind(fresh: System) -> None:
    """`running` (readiness) stays false while the start's catch-up commits, then turns
    true with every tenant at its head."""
    tenants = [await a_tenant_with_history(fresh, check_ins=40) for _ in range(3)]
    running_at_commits: list[bool] = []
    worker: Projector = projector(
        fresh, batch_size=20, tenants_per_pass=1,
        on_committed=lambda _t, _p: running_at_commits.append(worker.running),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    try:
        while not worker.running:
            assert not task.done()
            await asyncio.sleep(0.01)
        lag = await projector_lag(fresh.pool)
        assert lag == {p.name: dict.fromkeys(tenants, 0) for p in PROJECTIONS}
    finally:
        stop.set()
        await task
    assert len(running_at_commits) >= 3 * 3  # 48 events a tenant, 20 a pass
    assert not any(running_at_commits)
    assert not worker.running  # stopped


async def test_a_new_projector_catches_up_the_tenants_behind_then_warms_up_the_others(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that starts knows no tenant: it passes over those whose logs are past their
    read models (as the positions tables say), not over all; the others' foldings are loaded
    by warm_up, as many as it keeps (not pushing out those it caught up), and it writes
    nothing for them."""
    at_head = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(3)]
    await projector(fresh).catch_up_all()
    behind = await a_tenant_with_history(fresh, check_ins=3)
    committed: list[uuid.UUID] = []
    worker = projector(fresh, on_committed=lambda t, _p: committed.append(t))
    assert await worker.catch_up_all() == await fresh.store.head(behind)
    assert committed == [behind]
    assert {t for t, _ in worker._foldings} == {behind}
    await worker.warm_up()
    assert committed == [behind]
    assert {t for t, _ in worker._foldings} == {behind, *at_head}
    await assert_matches_rebuild(fresh, [*at_head, behind])

    late = await a_tenant_with_history(fresh, check_ins=3)
    few = projector(fresh, tenants_kept=2)
    passes = passes_of(few, "project", monkeypatch)
    await few.catch_up_all()
    assert passes == [[late]]
    await few.warm_up()  # room for one more tenant: it does not push out the one caught up
    assert len(passes) == 2 and len(passes[1]) == 1 and passes[1][0] in {*at_head, behind}
    assert {t for t, _ in few._foldings} == {late, passes[1][0]}


async def test_a_poll_that_fails_leaves_the_projector_running(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database not answering a poll (a restart, a lost connection) is logged, and the
    lanes go on: the next check-in is projected (a lane used to end, and the projector)."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    worker = projector(fresh, poll_interval=0.1)
    poll = worker.lagging_tenants
    failed: list[bool] = []

    async def failing_once() -> list[uuid.UUID]:
        if worker.running and not failed:
            failed.append(True)
            raise OSError("connection reset by peer")
        return await poll()

    monkeypatch.setattr(worker, "lagging_tenants", failing_once)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    try:
        for _ in range(300):
            if failed:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # polls after the failed one
        assert failed and not task.done()
        await OKRApplication(fresh.repository).cycles.create(
            Context(tenant_id=tenant, actor="user:anna"), name="Q2 2027",
            starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30),
        )  # fmt: skip
        head = await fresh.store.head(tenant)
        assert await wait_for_position(fresh.pool, tenant, head, projection="progress", within=5)
    finally:
        stop.set()
        await task


async def test_a_projector_whose_connections_are_terminated_carries_on(fresh: System) -> None:
    """Every connection of the application's login terminated (a failover, an operator's
    pg_terminate_backend) while the projector runs, and again in the middle of its start's
    catch-up: it logs the passes that failed and goes on, and the next check-in is
    projected. It ended: a pooled connection whose backend is gone says InternalClientError
    (asyncpg issue 1069), which it did not take for the database's trouble."""
    tenant = await a_tenant_with_history(fresh, check_ins=40)
    admin = await asyncpg.connect(fresh.admin_dsn)
    database = await admin.fetchval("SELECT current_database()")

    async def terminate() -> None:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND usename = 'okr_app'",
            database,
        )

    worker = projector(fresh, poll_interval=0.1, batch_size=5)
    project = worker.project
    terminated: list[bool] = []

    async def terminated_once(tenants: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, bool]]:
        if not terminated:  # in the middle of the start's catch-up
            terminated.append(True)
            await terminate()
        return await project(tenants)

    worker.project = terminated_once  # type: ignore[method-assign]  # this worker's alone
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    try:
        for _ in range(500):
            if worker.running or task.done():
                break
            await asyncio.sleep(0.02)
        assert worker.running, task.exception() if task.done() else "never caught up"
        for _ in range(3):
            await terminate()
            await asyncio.sleep(0.3)
            assert not task.done(), task.exception()
        ctx = Context(tenant_id=tenant, actor="user:anna")
        for attempt in range(5):  # this test's own pool lost its connections too
            try:
                await OKRApplication(fresh.repository).cycles.create(
                    ctx, name="Q2 2027", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30)
                )
                break
            except DATABASE_TROUBLE:
                await asyncio.sleep(0.1 * attempt)
        head = await fresh.store.head(tenant)
        assert await wait_for_position(fresh.pool, tenant, head, projection="progress", within=5)
        assert not task.done()
    finally:
        stop.set()
        await task
        await admin.close()


async def test_warming_leaves_room_for_the_tenants_of_passes_under_way(fresh: System) -> None:
    """A pass under way keeps its tenant's foldings when it commits: warming counts them as
    kept. Once the cache is full, there is nothing more to warm (it stays full)."""
    worker = projector(fresh, tenants_kept=3)
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    worker._cold = dict.fromkeys([a, b, c])
    worker._busy = {d}
    assert worker._cold_chunk() == [a, b]
    assert worker._cold == {c: None}
    worker._busy = set()
    for tenant_id in (a, b, d):
        for p in PROJECTIONS:
            worker._foldings[(tenant_id, p.name)] = (folding.Folding.new(p), None)
    assert worker._cold_chunk() == []
    assert worker._cold == {}


async def test_a_running_projector_warms_up_the_tenants_it_has_not_met(fresh: System) -> None:
    """With nothing new to apply, its lanes load the foldings of the tenants at their heads:
    the first check-in of each then finds them in memory."""
    tenants = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(4)]
    await projector(fresh).catch_up_all()
    worker = projector(fresh, poll_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    try:
        for _ in range(500):
            if all(worker._kept_at(t) >= 0 for t in tenants):
                break
            assert not task.done()
            await asyncio.sleep(0.01)
        assert [worker._kept_at(t) for t in tenants] == [await fresh.store.head(t) for t in tenants]
    finally:
        stop.set()
        await task


async def test_a_tenant_whose_notify_was_lost_is_polled_while_others_keep_the_lane_busy(
    fresh: System,
) -> None:
    """The poll, the net for a lost NOTIFY, runs every poll_interval even while another
    tenant's events wake the lane up again and again (it used to wait for a whole interval
    with nothing to do, which never came)."""
    busy, quiet = [await a_tenant_with_history(fresh, check_ins=2) for _ in range(2)]
    silent = OKRApplication(Repository(EventStore(fresh.pool, notify=False)))
    loud = OKRApplication(fresh.repository)
    worker = projector(fresh, poll_interval=0.3, lanes=1)
    stop, calm = asyncio.Event(), asyncio.Event()

    async def keep_busy() -> None:
        for i in itertools.count():
            if calm.is_set():
                return
            await loud.cycles.create(
                Context(tenant_id=busy, actor="user:anna"), name=f"Q{i}",
                starts_on=date(2028, 1, 1), ends_on=date(2028, 3, 31),
            )  # fmt: skip
            await asyncio.sleep(0.03)

    task = asyncio.create_task(worker.run(fresh.app_dsn, stop))
    writing = asyncio.create_task(keep_busy())
    try:
        await asyncio.sleep(0.5)
        await silent.cycles.create(
            Context(tenant_id=quiet, actor="user:anna"), name="Q2 2027",
            starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30),
        )  # fmt: skip
        head = await fresh.store.head(quiet)
        assert await wait_for_position(fresh.pool, quiet, head, projection="progress", within=3)
        assert not writing.done()  # busy all along
    finally:
        calm.set()
        await writing
        stop.set()
        await task


async def test_a_projector_on_its_own_pool_keeps_up_while_requests_hold_every_connection(
    databases: DatabaseFactory,
) -> None:
    """As `okr serve` runs it: a burst of requests has taken the whole application pool,
    and the check-ins written before still reach the read models."""
    system = await bootstrap(Settings(pool_min=2, pool_max=2), await databases.create())
    own, reader = await projector_pool(system.app_dsn), await create_pool(system.app_dsn, 1, 1)
    stop = asyncio.Event()
    try:
        tenant = await a_tenant_with_history(system, check_ins=4)
        head = await system.store.head(tenant)
        async with system.pool.acquire(), system.pool.acquire():  # every connection taken
            running = Projector(own, system.repository, PROJECTIONS, poll_interval=0.2)
            task = asyncio.create_task(running.run(system.app_dsn, stop))
            try:
                assert await wait_for_position(reader, tenant, head, within=10)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)  # cancelled if it waits for a connection
    finally:
        await asyncio.gather(own.close(), reader.close(), system.close())


class CountingProjection:
    """Wraps a projection and counts its folds (and follows, see Follows)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.folds, self.follows_made = inner, 0, 0
        self.name, self.tables = inner.name, inner.tables

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def fold(self, state: Any, record: Recorded) -> Any:
        self.folds += 1
        return self.inner.fold(state, record)

    def follow(self, before: Any, after: Any, record: Recorded) -> Any:
        self.follows_made += 1
        return self.inner.follow(before, after, record)


async def checkpoints(system: System, projection: str, tenant: uuid.UUID) -> list[int]:
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        rows = await conn.fetch(
            f"SELECT position FROM rm_{projection}__states WHERE tenant_id = $1 ORDER BY 1", tenant
        )
    finally:
        await conn.close()
    return [r[0] for r in rows]


@pytest.fixture
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every 10 events; progress keeps one per 20 positions for as-of."""
    monkeypatch.setattr(folding, "CHECKPOINT_EVERY", 10)
    monkeypatch.setattr(progress_projection, "checkpoints_kept_every", 20)


@pytest.mark.usefixtures("small_checkpoints")
async def test_a_new_projector_resumes_from_the_latest_checkpoint(fresh: System) -> None:
    """With nothing in memory, each projection replays only the events after its latest
    checkpoint (their rows are not written again) and the tables still equal a rebuild.
    History, whose checkpoint stands where progress's does, replays none: it follows."""
    tenant = await a_tenant_with_history(fresh, check_ins=40)
    await projector(fresh, batch_size=7).catch_up(tenant)
    head = await fresh.store.head(tenant)
    latest = (await checkpoints(fresh, "progress", tenant))[-1]
    assert head - 10 < latest <= head
    assert (await checkpoints(fresh, "history", tenant))[-1] == latest
    app = OKRApplication(fresh.repository)
    kr_ids = await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"])
    ctx = Context(tenant_id=tenant, actor="user:anna")
    for day in range(3):
        await app.key_results.record_check_in(ctx, kr_ids[0], value=20, on=date(2027, 2, day + 1))
    counting = [CountingProjection(p) for p in PROJECTIONS]
    worker = Projector(fresh.pool, fresh.repository, counting, batch_size=7)
    assert await worker.catch_up(tenant) == 3
    progress, history = (next(c for c in counting if c.name == n) for n in ("progress", "history"))
    assert progress.folds == head + 3 - latest
    assert (history.folds, history.follows_made) == (0, 3)
    await assert_matches_rebuild(fresh, [tenant])


@pytest.mark.usefixtures("small_checkpoints")
async def test_old_checkpoints_are_pruned_but_as_of_ones(fresh: System) -> None:
    """History keeps only its latest checkpoint; progress keeps the first one of every 20
    positions too, for as-of replays, and a rebuild writes the same kind of set."""
    tenant = await a_tenant_with_history(fresh, check_ins=60)
    await projector(fresh, batch_size=7).catch_up(tenant)
    head = await fresh.store.head(tenant)
    assert len(await checkpoints(fresh, "history", tenant)) == 1
    kept = await checkpoints(fresh, "progress", tenant)
    buckets = [p // 20 for p in kept[:-1]]
    assert buckets == sorted(set(buckets)) and len(buckets) >= head // 20 - 1
    await rebuild.rebuild_tenant(fresh.pool, fresh.repository, PROJECTIONS, tenant)
    assert await checkpoints(fresh, "history", tenant) == [head]
    rebuilt = await checkpoints(fresh, "progress", tenant)
    assert rebuilt[-1] == head and len({p // 20 for p in rebuilt}) == len(rebuilt)
    await assert_matches_rebuild(fresh, [tenant])


@pytest.mark.usefixtures("small_checkpoints")
async def test_as_of_from_a_checkpoint_equals_a_replay_from_the_first_event(fresh: System) -> None:
    """At every position, the state from the checkpoint before it plus the events after
    equals the state folded from the first event."""
    from projections.timetravel import state_as_of as replayed
    from services.read import state_as_of, tenant_records

    tenant = await a_tenant_with_history(fresh, check_ins=50)
    await projector(fresh, batch_size=9).catch_up(tenant)
    records = await tenant_records(fresh.repository, tenant)
    assert len(await checkpoints(fresh, "progress", tenant)) > 2
    for position in range(len(records) + 1):
        expected = replayed(records, position=position)
        assert await state_as_of(fresh.repository, tenant, position=position) == expected


async def test_a_projector_keeps_the_states_of_as_many_tenants_as_it_is_told(
    fresh: System,
) -> None:
    """The least recently projected tenant goes first; projected again, it resumes from its
    checkpoint, and its rows are right."""
    first, second = [await a_tenant_with_history(fresh, check_ins=4) for _ in range(2)]
    running = projector(fresh, tenants_kept=1)
    for tenant in (first, second):
        await running.catch_up(tenant)
    # a tenant is kept whole, every projection's folding of it, or not at all
    assert set(running._foldings) == {(second, p.name) for p in PROJECTIONS}
    await OKRApplication(fresh.repository).cycles.create(
        Context(tenant_id=first, actor="user:anna"), name="Q2 2027",
        starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30),
    )  # fmt: skip
    assert await running.catch_up(first) == 1
    assert set(running._foldings) == {(first, p.name) for p in PROJECTIONS}
    await assert_matches_rebuild(fresh, [first, second])


async def test_a_projector_replaying_across_passes_goes_on_to_the_head(fresh: System) -> None:
    """A projector new to a tenant starts from its checkpoint (here none: the first event)
    and replays more events than a pass reads: its next passes go on from where the replay
    stands, up to the head and the events that come after. (They read events only after
    the position the projector had guessed, where its replay stood, and only when the
    tables stood there too: they never did, so it folded nothing more, and left the tenant
    behind for good. Seen as a flaky test of two projectors at once.)"""
    tenant = await a_tenant_with_history(fresh, check_ins=10)
    await projector(fresh).catch_up(tenant)
    late = projector(fresh, batch_size=3)
    assert await late.catch_up(tenant) == 0  # it replayed, 3 events a pass
    (kr, _) = await key_result_ids(fresh, tenant)
    written = await a_check_in(fresh, tenant, kr, 83, date(2027, 2, 13))
    assert await late.catch_up(tenant) == 1
    for p in PROJECTIONS:
        assert await projected_position(fresh.pool, tenant, p.name) == written.position, p.name
    await assert_matches_rebuild(fresh, [tenant])


async def test_one_pass_carries_many_tenants(fresh: System) -> None:
    """Passes of three tenants at a time, seven events each per pass: every tenant ends up
    equal to a rebuild, and a tenant another projector holds is left for later."""
    tenants = [await a_tenant_with_history(fresh, check_ins=5 + 4 * i) for i in range(5)]
    worker = projector(fresh, batch_size=7, tenants_per_pass=3)
    async with fresh.pool.acquire() as other, other.transaction():
        await other.execute(admit_sql(tenants))
        await other.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 7013))", tenants[0]
        )
        done = await worker.project(tenants)
        assert tenants[0] not in done and set(done) == set(tenants[1:])
    await worker.catch_up_all()
    for tenant in tenants:
        assert worker.applied[tenant] == await fresh.store.head(tenant)
    await assert_matches_rebuild(fresh, tenants)


def test_the_quiet_collector_freezes_what_lives_and_collects_in_full_now_and_then() -> None:
    """Long-lived objects leave the collections' walk; cycles that died while frozen are
    freed by the full collection that still comes now and then."""
    import gc
    import weakref

    from services.projector.collector import QuietCollector

    class Node:
        me: object

    try:
        collector = QuietCollector(freeze_every=0.0, full_every=3600.0)
        node = Node()
        node.me = node  # a cycle: only the collector can free it
        alive = weakref.ref(node)
        collector.tick()  # frozen with everything alive
        del node
        gc.collect()
        assert alive() is not None  # frozen objects are left alone
        collector.full_every = 0.0
        collector.tick()
        assert alive() is None
    finally:
        gc.unfreeze()


async def test_a_pass_writes_only_the_tables_it_has_rows_for_and_refuses_others(
    fresh: System,
) -> None:
    """The write statement is built from the tables a pass has rows for; rows for a table
    it does not write, or of the wrong kind (a log table upserted), raise before anything
    is sent, so no row is ever dropped quietly."""
    from services.projector.tables import Writes, specs, write

    tables = specs(PROJECTIONS)
    tenant = uuid.uuid4()
    async with fresh.pool.acquire() as conn, conn.transaction():
        await conn.execute(admit_sql([tenant]))
        writes = Writes()
        writes.upsert("rm_history__positions", [(tenant, 7)])
        await write(conn, tables, writes)
        assert (
            await conn.fetchval(
                "SELECT position FROM rm_history__positions WHERE tenant_id = $1", tenant
            )
            == 7
        )
        for bad in ("rm_nowhere", "rm_history"):
            wrong = Writes()
            wrong.upsert(bad, [(tenant, 1)])
            with pytest.raises(ValueError, match=f"upsert into {bad}"):
                await write(conn, tables, wrong)


def test_the_quiet_collector_freezes_what_lived_through_a_full_collection() -> None:
    """A full collection that ran since the last tick is followed by a freeze at once, not
    up to freeze_every later: the next full collection walks only what came since."""
    import gc

    from services.projector.collector import QuietCollector

    gc.disable()  # no automatic collection in between: only the one below
    try:
        collector = QuietCollector(freeze_every=3600.0, full_every=3600.0)
        frozen = gc.get_freeze_count()
        kept = [[i] for i in range(1000)]  # long-lived, tracked, made after the freeze
        collector.tick()
        assert gc.get_freeze_count() == frozen  # no full collection, freeze not due
        gc.collect()  # a full collection, as the interpreter runs one now and then
        collector.tick()
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_quiet_collector_frees_dead_young_cycles_before_it_freezes() -> None:
    """A freeze first collects the young generations: a cycle that is garbage already is
    freed then, not kept frozen until the hourly full collection."""
    import gc
    import weakref

    from services.projector.collector import QuietCollector

    class Node:
        me: object

    gc.disable()  # no automatic collection in between
    try:
        collector = QuietCollector(freeze_every=0.0, full_every=3600.0)
        node = Node()
        node.me = node
        dead = weakref.ref(node)
        del node  # garbage, but only a collection can tell
        collector.tick()  # a freeze is due
        assert dead() is None
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_quiet_collector_alone_turns_automatic_collections_off_for_its_block() -> None:
    """Inside `alone` the interpreter collects nothing by itself (a rebuild's young
    collections cost 11 % of it); the tick still frees dead cycles; after the block the
    collections are as they were (off stays off)."""
    import gc
    import weakref

    from services.projector.collector import QuietCollector

    class Node:
        me: object

    collector = QuietCollector(freeze_every=0.0, full_every=3600.0)
    try:
        with collector.alone():
            assert not gc.isenabled()
            young = gc.get_stats()[0]["collections"]
            garbage = []
            for _ in range(5 * gc.get_threshold()[0]):  # past the threshold of automatic ones
                node = Node()
                node.me = node
                garbage.append(weakref.ref(node))
                del node
            assert gc.get_stats()[0]["collections"] == young
            assert garbage[0]() is not None
            collector.tick()
            assert garbage[0]() is None
        assert gc.isenabled()
        gc.disable()
        with collector.alone():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


async def latest_checkpoint(system: System, tenant: uuid.UUID) -> int:
    """Where the projections' latest state checkpoints of the tenant stand, the earliest."""
    async with system.pool.acquire() as conn, conn.transaction():
        await conn.execute(admit_sql([tenant]))
        positions: list[int] = [
            await conn.fetchval(
                f"SELECT coalesce(max(position), 0) FROM {states_table(p)} WHERE tenant_id = $1",
                tenant,
            )
            for p in PROJECTIONS
        ]
        return min(positions)


class HandBack:
    """A pool that runs `meanwhile` (once) before it takes back the next connection
    returned to it: what another lane does while a pass hands its connection back."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.meanwhile: Callable[[], Awaitable[Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn:
            yield conn
            meanwhile, self.meanwhile = self.meanwhile, None
            if meanwhile is not None:
                await meanwhile()


async def test_a_pass_right_after_another_takes_the_foldings_it_kept(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass keeps its foldings as soon as it commits, before its connection goes back
    (a round trip): a pass that takes the tenant next (its lock went at the commit) finds
    them in memory instead of replaying from a checkpoint."""
    from services.projector import worker as worker_module

    tenant = await a_tenant_with_history(fresh, check_ins=4)
    pool = HandBack(await create_pool(fresh.app_dsn, 2, 2))
    worker = Projector(pool, fresh.repository, PROJECTIONS)
    await worker.catch_up_all()  # the tenant's foldings in memory from here on
    loads: list[str] = []
    original = worker_module.load_checkpoints

    async def counted(conn: Any, projection: Any, upto: dict[uuid.UUID, int]) -> Any:
        loads.append(projection.name)
        return await original(conn, projection, upto)

    monkeypatch.setattr(worker_module, "load_checkpoints", counted)
    app = OKRApplication(fresh.repository)
    ctx = Context(tenant_id=tenant, actor="user:anna")
    tree = await progress_tree(fresh.pool, tenant, today=TODAY)
    kr = tree.cycles[0].objectives[0].key_results[0].key_result_id

    async def next_pass() -> None:
        await app.key_results.record_check_in(ctx, kr, value=Decimal(23), on=date(2027, 2, 2))
        assert await worker.project([tenant]) == {tenant: (1, False)}

    try:
        await app.key_results.record_check_in(ctx, kr, value=Decimal(22), on=date(2027, 2, 1))
        pool.meanwhile = next_pass
        assert await worker.project([tenant]) == {tenant: (1, False)}
    finally:
        await pool.pool.close()
    assert loads == []
    assert worker.applied[tenant] == await fresh.store.head(tenant)
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_pass_reads_events_after_its_kept_foldings_or_after_a_checkpoint(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projector that kept a tenant's foldings reads the tenant's next events in the pass's
    first round trip; when another projector moved the tenant on meanwhile, that guess is
    wrong, and it reads from the latest checkpoint (replaying up to where the tables stand):
    each event applied once, rows equal."""
    from services.projector import worker as worker_module

    monkeypatch.setattr(folding, "CHECKPOINT_EVERY", 1)  # a checkpoint at every pass
    tenant = await a_tenant_with_history(fresh, check_ins=6)
    one, two = projector(fresh), projector(fresh)
    await one.catch_up_all()
    await two.catch_up_all()
    reads: list[dict[uuid.UUID, int]] = []
    original = read_logs_on

    async def counted(conn: Any, afters: dict[uuid.UUID, int], **options: Any) -> Any:
        reads.append(dict(afters))
        return await original(conn, afters, **options)

    monkeypatch.setattr(worker_module, "read_logs_on", counted)
    app = OKRApplication(fresh.repository)
    ctx = Context(tenant_id=tenant, actor="user:anna")
    kr = (await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"]))[0]

    async def check_in(value: int) -> int:
        return (
            await app.key_results.record_check_in(ctx, kr, value=value, on=date(2027, 2, 3))
        ).position

    await check_in(21)
    assert await one.project([tenant]) == {tenant: (1, False)}
    assert reads == []  # the guess: one round trip
    await check_in(20)
    await check_in(19)
    checkpoint = await latest_checkpoint(fresh, tenant)
    assert checkpoint > 0
    for guesser, events in ((two, 0), (one, 2)):  # `two`'s guess is behind: no events shipped
        begin = f"{admit_sql([tenant])}; {LOCK_MANY_SQL}"
        async with fresh.pool.acquire() as conn, transaction_with(conn, begin):
            rows = await conn.fetch(guesser._start_sql, [tenant], [guesser._kept_at(tenant)], 500)
        assert len([r for r in rows if r[0] == -2]) == events
    assert await two.project([tenant]) == {tenant: (2, False)}  # `one` does not know
    assert reads == [{tenant: checkpoint}]  # `two`'s guess was behind: from the checkpoint
    last = await check_in(18)
    checkpoint = await latest_checkpoint(fresh, tenant)
    assert await one.project([tenant]) == {tenant: (1, False)}
    assert reads[1:] == [{tenant: checkpoint}]  # not after its own position
    assert one.applied[tenant] == last == await fresh.store.head(tenant)
    await assert_matches_rebuild(fresh, [tenant])


async def test_a_pass_works_only_on_tenants_locked_as_it_began(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The locks are taken with the pass's BEGIN, before the statement that reads positions
    takes its snapshot: a lock freed after that (another projector's pass committing) is
    not taken by this pass, whose snapshot may predate that commit; the tenant waits for
    the next pass."""
    from services.projector import worker as worker_module

    held, free = [await a_tenant_with_history(fresh, check_ins=3) for _ in range(2)]
    other = await fresh.pool.acquire()
    await other.execute(f"BEGIN; {admit_sql([held])}")
    await other.execute(f"SELECT pg_advisory_xact_lock({worker_module.TENANT_LOCK_KEY})", held)
    original = transaction_with

    @asynccontextmanager
    async def then_release(conn: asyncpg.Connection, setup_sql: str) -> AsyncIterator[None]:
        async with original(conn, setup_sql):
            await other.execute("COMMIT")  # the other pass ends: its lock is free now
            yield

    worker = projector(fresh)
    try:
        monkeypatch.setattr(worker_module, "transaction_with", then_release)
        done = await worker.project([held, free])
    finally:
        await fresh.pool.release(other)
    assert set(done) == {free}
    monkeypatch.undo()
    assert set(await worker.project([held])) == {held}
    await assert_matches_rebuild(fresh, [held, free])


async def test_a_projector_keeps_nothing_of_an_erased_tenant(fresh: System) -> None:
    """Once a tenant is erased, the next poll drops what the projector kept of it in memory
    (fold states with its words, its cipher key); the others carry on."""
    tenant, other = await a_tenant_with_history(fresh, 4), await a_tenant_with_history(fresh, 2)
    consultancy = await directory.create_consultancy(fresh.pool, "Studio")
    made = await directory.create_tenant(fresh.pool, consultancy.id, "Cliente", tenant_id=tenant)
    await directory.suspend_tenant(fresh.pool, tenant)
    running = projector(fresh)
    await running.catch_up_all()
    assert {key[0] for key in running._foldings} == {tenant, other}
    assert tenant in fresh.repository._mappers

    await directory.erase_tenant(fresh.pool, tenant, made.slug, "user:paola")
    assert await running.lagging_tenants() == []

    assert {key[0] for key in running._foldings} == {other}
    assert tenant not in running.applied and tenant not in fresh.repository._mappers
    (kr, _) = await key_result_ids(fresh, other)
    later = await a_check_in(fresh, other, kr, 80, date(2027, 2, 1))
    await running.catch_up_all()
    assert running.applied[other] == later.position

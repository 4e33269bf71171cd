"""Rebuild read models from the logs, and verify live tables against a rebuild in memory.

Full rebuild: fill shadow tables by COPY, several tenants per read (readers keep reading
the live ones), catch them up with what came meanwhile, then swap them in with one short
transaction; the projectors carry on from the shadow's positions and checkpoints. One
tenant: replace its rows in one transaction under its advisory lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import itertools
import json
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import operator
import os
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec
import structlog

from projections.base import Projection, Row, failed_at
from projections.codec import JSON
from services.db import admit_sql, create_pool, tenant_transaction
from services.projector.collector import QuietCollector
from services.projector.decode import decode
from services.projector.folding import Folding, fold_all
from services.projector.registry import PROJECTIONS, by_name
from services.projector.schema import (
    SHADOW,
    SWAP_LOCK_KEY,
    all_tables,
    bulk_create_sql,
    columns_sql,
    finish_sql,
    lock_sql,
    lookup_index,
    positions_table,
    share_lock_sql,
    states_table,
    table_names,
)
from services.projector.tables import (
    Writes,
    copy,
    copying,
    encoded_row,
    keyed,
    specs,
    write,
)
from services.projector.worker import (
    DATABASE_TROUBLE,
    SHARE_SWAP_SQL,
    TENANT_LOCK_KEY,
    fold_stored,
    from_checkpoints,
    rows_refused,
    stored_positions,
    tried_apart,
)
from services.store.event_store import EventStore, read_log_on, read_logs_on
from services.store.notifier import NOTIFY_SQL
from services.store.repository import Repository

if TYPE_CHECKING:
    from services.bootstrap import System

log = structlog.get_logger("okr.rebuild")
BATCH = 2000
Report = Callable[[str], None]


def progress_bar(stream: Any = sys.stderr) -> Report:
    """A one-line progress report that rewrites itself."""

    def report(line: str) -> None:
        stream.write("\r" + line.ljust(78))
        stream.flush()

    return report


@dataclass
class Replayed:
    """One projection replayed for one tenant in memory: state, log rows, position."""

    projection: Projection[Any]
    state: Any
    position: int = 0
    log_rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    seen: dict[int, Any] = field(default_factory=dict)
    """The state after each position asked for (see replay_tenant's `watch`)."""


async def replay_tenant(
    conn: asyncpg.Connection,
    repository: Repository,
    projections: Sequence[Projection[Any]],
    tenant_id: UUID,
    upto: dict[str, int] | None = None,
    watch: dict[str, set[int]] | None = None,
) -> list[Replayed]:
    """Fold the tenant's whole log (each projection up to `upto[name]` when given), keeping
    each projection's state after the positions `watch` names for it."""
    out = [Replayed(p, p.initial()) for p in projections]
    watched = [(watch or {}).get(r.projection.name, set()) for r in out]
    after = 0
    while True:
        stored = await read_log_on(conn, tenant_id, after, limit=BATCH)
        if not stored:
            return out
        for record in await decode(repository, stored, conn):
            for r, positions in zip(out, watched, strict=True):
                limit = None if upto is None else upto.get(r.projection.name, 0)
                if limit is not None and record.position > limit:
                    continue
                r.state, rows = r.projection.fold(r.state, record)
                r.position = record.position
                for table, new in rows.items():
                    r.log_rows[table].extend(new)
                if record.position in positions:
                    r.seen[record.position] = r.state
        after = stored[-1].position


async def _heads(on: asyncpg.Pool | asyncpg.Connection) -> list[tuple[UUID, int]]:
    return [
        tuple(r) for r in await on.fetch("SELECT tenant_id, position FROM okr_tenant_positions()")
    ]


async def _tenants(pool: asyncpg.Pool) -> list[UUID]:
    return [tenant_id for tenant_id, _ in await _heads(pool)]


async def folded(
    conn: asyncpg.Connection,
    repository: Repository,
    projections: Sequence[Projection[Any]],
    tenants: Sequence[UUID],
    behind: dict[UUID, str] | None = None,
) -> AsyncIterator[tuple[Writes, int]]:
    """Fold these tenants' whole logs from the start, BATCH events per tenant and read:
    after each read, what to write (log rows at once, state rows and positions once a
    tenant is done) and how many events it folded. In the caller's transaction."""
    foldings = {t: [Folding.new(p) for p in projections] for t in tenants}
    await repository.load_mappers(tenants, conn)  # one query, not one per tenant's decode
    while foldings:
        logs = await read_logs_on(conn, {t: fs[0].at for t, fs in foldings.items()}, limit=BATCH)
        writes, events = Writes(), 0
        for tenant_id, fs in list(foldings.items()):
            before = min(f.at for f in fs)  # where this batch begins
            try:
                records = await decode(repository, logs.get(tenant_id, []), conn)
                fold_all(fs, records)
            except DATABASE_TROUBLE:
                raise
            except Exception as error:  # it stops where it stood, not the other tenants
                why = left_behind(tenant_id, before, error)
                if behind is not None:
                    behind[tenant_id] = why
                for f in fs:
                    f.discard_batch()
                    f.finish(tenant_id, writes, bulk=True)
                del foldings[tenant_id]
                continue
            events += len(records)
            last = len(records) < BATCH
            for f in fs:
                if last:
                    f.finish(tenant_id, writes, bulk=True)
                else:
                    f.flush_log(tenant_id, writes, bulk=True)
            if last:
                del foldings[tenant_id]
        yield writes, events


def left_behind(tenant_id: UUID, after: int | None, error: Exception) -> str:
    """Log a tenant whose log does not decode or fold after this position (at the event the
    error names, if it does), or whose rows the database refuses (`after` None); the
    reason."""
    position = failed_at(error)
    where = f"at position {position}" if position is not None else f"after position {after}"
    what = "the database refuses its rows" if after is None else f"its log does not fold {where}"
    why = f"{what}: {type(error).__name__}: {error}"
    log.error("rebuild.tenant_left_behind", tenant_id=str(tenant_id), error=why)
    return why


class UnfoldableLogError(RuntimeError):
    """A tenant's log has an event that does not decode or fold, or gives rows the database
    refuses (see left_behind)."""

    def __init__(self, tenant_id: UUID, why: str) -> None:
        super().__init__(f"tenant {tenant_id}: {why}")
        self.tenant_id, self.why = tenant_id, why


async def rebuild_tenant(
    pool: asyncpg.Pool,
    repository: Repository,
    projections: Sequence[Projection[Any]],
    tenant_id: UUID,
) -> int:
    """Replace one tenant's rows of these projections, atomically; events replayed.
    UnfoldableLogError, and its rows as they were, if an event does not decode or fold, or
    the database refuses its rows."""
    tables, events = specs(projections), 0
    async with tenant_transaction(pool, [tenant_id]) as conn:
        await conn.execute(SHARE_SWAP_SQL)
        await conn.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", tenant_id)
        for p in projections:
            for name in table_names(p):
                await conn.execute(f"DELETE FROM {name} WHERE tenant_id = $1", tenant_id)
        behind: dict[UUID, str] = {}
        async for writes, folded_events in folded(
            conn, repository, projections, [tenant_id], behind
        ):
            try:
                await write(conn, tables, writes)
            except Exception as error:
                if not rows_refused(error):
                    raise
                why = left_behind(tenant_id, None, error)
                raise UnfoldableLogError(tenant_id, why) from error
            events += folded_events
        if behind:
            raise UnfoldableLogError(tenant_id, behind[tenant_id])
    return events


GROUP_EVENTS = 20_000
"""A full rebuild reads tenants together until their events (BATCH at most each) reach this."""


def _groups(heads: list[tuple[UUID, int]]) -> list[list[UUID]]:
    groups: list[list[UUID]] = [[]]
    size = 0
    for tenant_id, head in heads:
        if groups[-1] and size + min(head, BATCH) > GROUP_EVENTS:
            groups.append([])
            size = 0
        groups[-1].append(tenant_id)
        size += min(head, BATCH)
    return [g for g in groups if g]


async def rebuild_all(
    system: System,
    projections: Sequence[Projection[Any]],
    report: Report | None = None,
    *,
    workers: int = 1,
) -> Rebuilt:
    """Rebuild into shadow tables, then swap them in; the events folded in all, and the
    tenants left behind (the others are rebuilt all the same).

    Readers keep reading the live tables meanwhile. Tenants are read several at a time (a
    group, in one transaction as the application role, under RLS) and folded; their rows go
    into the shadow tables by COPY on the owner's connection. With `workers` > 1 the groups
    are shared out to that many processes (folding is Python, one core each); each folds a
    read while the rows of its previous read are copied. The keys and the RLS policies are
    made once the rows are in. Then the shadow tables are caught up with the events that
    came meanwhile, to the logs' heads while projectors work (again while a round folds
    many, see _catch_up_to_heads), and, under the swap's lock, for the tenants whose heads
    moved since, to where the live tables stand; the swap follows in the same transaction.
    Passes wait for that last catch-up (what came in the last round's time) and the swap.
    The new tables stand where the live ones stood, or further: projectors carry on from
    their positions and checkpoints (not from what they kept, see Projector._load). A
    tenant an event of which the rebuild could not fold stands where it stopped, maybe
    before the live tables: projectors are told of it, and project it again.

    One full rebuild at a time on a database (they share the shadow tables): another one
    raises RebuildRunningError before it touches anything. One that fails or is cancelled
    before its swap drops its shadow tables (a whole copy of the read models) on its way
    out; where it cannot (its connection gone), the next rebuild drops them first.
    """
    async with _owner(system) as guard:  # holds the rebuild's lock until the swap is done
        if not await guard.fetchval(f"SELECT pg_try_advisory_lock({REBUILD_LOCK_KEY})"):
            raise RebuildRunningError("another full rebuild is running on this database")
        await _drop_shadows(guard, projections)
        try:
            return await _rebuild_all(system, guard, projections, report, workers)
        except BaseException:
            await _drop_shadows_after_failure(guard, projections)
            raise


async def _drop_shadows(conn: asyncpg.Connection, projections: Sequence[Projection[Any]]) -> None:
    shadows = [name for p in projections for name in table_names(p, SHADOW)]
    if shadows:
        await conn.execute(f"DROP TABLE IF EXISTS {', '.join(shadows)}")


SHADOW_DROP_LOCK_TIMEOUT = "10s"
"""How long a failed rebuild waits to drop its shadow tables (a worker's backend may still
hold a lock on one), before it leaves them to the next rebuild."""


async def _drop_shadows_after_failure(
    guard: asyncpg.Connection, projections: Sequence[Projection[Any]]
) -> None:
    try:
        async with guard.transaction():
            await guard.execute(f"SET LOCAL lock_timeout = '{SHADOW_DROP_LOCK_TIMEOUT}'")
            await _drop_shadows(guard, projections)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
        log.warning("rebuild.shadow_tables_left", error=repr(error))


async def _rebuild_all(
    system: System,
    guard: asyncpg.Connection,
    projections: Sequence[Projection[Any]],
    report: Report | None,
    workers: int,
) -> Rebuilt:
    """rebuild_all's work, from its shadow tables' creation to their swap, under `guard`'s
    rebuild lock."""
    began = await _specs(guard)
    for p in projections:
        await guard.execute(bulk_create_sql(p, SHADOW))
    groups = _groups(await _heads(system.pool))
    progress = _Progress(sum(map(len, groups)), report)
    processes = min(workers, len(groups))
    # workers find the projections by name, so only registered ones go to them
    if processes > 1 and all(p in PROJECTIONS for p in projections):
        await _fill_in_processes(system, projections, groups, processes, progress)
    else:
        async with _owner(system) as admin:
            filler = _Filler(await copying(admin), system.pool, system.repository, projections)
            await filler.fill_all(groups, progress.done)
    await _finish(system, projections, max(1, workers))
    caught_up, reached, left = await _catch_up_to_heads(system, projections)
    progress.caught_up(caught_up)
    async with guard.transaction():
        await guard.execute(f"SELECT pg_advisory_xact_lock({SWAP_LOCK_KEY})")  # SHARE_SWAP_SQL
        await _same_spec(guard, projections, began)
        # no pass runs now: what projectors applied since the last catch-up, applied here
        heads = dict(await _heads(guard))
        moved = [t for t, head in heads.items() if reached.get(t) != head and t not in left]
        last, behind = await _catch_up(guard, system.repository, projections, moved, None)
        progress.caught_up(last)
        behind |= left
        # its new tables may stand before the live ones: heard at the commit, projectors
        # project it again (they keep no state of the tables swapped out: Projector._load)
        await guard.execute(NOTIFY_SQL, [f"{t}:{heads[t]}" for t in behind if t in heads])
        await swap_in(guard, projections)
    return Rebuilt(progress.events, behind)


@dataclass(frozen=True)
class Rebuilt:
    """What a full rebuild did: the events it folded, and the tenants it left behind, each
    with why (an event of its log does not decode or fold: see left_behind)."""

    events: int
    left_behind: dict[UUID, str] = field(default_factory=dict)


class RebuildOutdatedError(RuntimeError):
    """The read models' spec changed while a full rebuild ran (code of another version
    made them anew): its tables, of the spec it began with, are not swapped in."""


async def _specs(conn: asyncpg.Connection) -> dict[str, str]:
    """The fingerprint of each projection's live tables, as ensure_tables recorded it."""
    return dict(await conn.fetch("SELECT projection, fingerprint FROM read_model_schemas"))


async def _same_spec(
    guard: asyncpg.Connection, projections: Sequence[Projection[Any]], began: dict[str, str]
) -> None:
    """RebuildOutdatedError unless the live tables are of the spec they were of when the
    rebuild began (`began`); ensure_tables resets under the swap's lock, so none can
    change from here to the swap."""
    now = await _specs(guard)
    changed = [p.name for p in projections if now.get(p.name) != began.get(p.name)]
    if changed:
        raise RebuildOutdatedError(
            f"the tables of {', '.join(changed)} were made anew while the rebuild ran"
            " (another version of the code)"
        )


CATCH_UP_TENANTS = 100
"""Tenants a catch-up of the shadow tables reads together, in a transaction of their own."""
CATCH_UP_ROUNDS = 3
"""Catch-ups to the heads before the swap's (each folds what came during the one before)."""
CATCH_UP_FEW = 1_000
"""Events so few that what comes while a catch-up folds them is left to the swap's."""


async def _catch_up_to_heads(
    system: System, projections: Sequence[Projection[Any]]
) -> tuple[int, dict[UUID, int], dict[UUID, str]]:
    """Catch the shadow tables up to the logs' heads while the projectors work, again while
    a round folds many events (up to CATCH_UP_ROUNDS): events folded, the head each
    tenant's tables reached, and the tenants left behind (not in it), with why. One the
    fill left behind stands before its head: it is tried here again, and named."""
    reached: dict[UUID, int] = {}
    left: dict[UUID, str] = {}
    events = 0
    async with _owner(system) as admin:
        for _ in range(CATCH_UP_ROUNDS):
            heads = {
                t: head
                for t, head in await _heads(system.pool)
                if reached.get(t) != head and t not in left  # (left: it fails there again)
            }
            folded, behind = await _catch_up(
                admin, system.repository, projections, list(heads), heads
            )
            events += folded
            reached |= heads
            left |= behind
            for tenant_id in behind:
                del reached[tenant_id]
            if folded < CATCH_UP_FEW:
                break
    return events, reached, left


async def _catch_up(
    conn: asyncpg.Connection,
    repository: Repository,
    projections: Sequence[Projection[Any]],
    tenants: Sequence[UUID],
    heads: dict[UUID, int] | None,
) -> tuple[int, dict[UUID, str]]:
    """Bring these tenants' shadow tables up to their heads (`heads`) or, with None, to where
    the live tables stand (the furthest any projection applied), as a projector's passes
    would: state rows, log rows and positions, and a checkpoint where each stops, so the
    next catch-up replays nothing. Events folded, and the tenants left behind: an event
    that does not decode or fold stops its tenant there, as it stops the projectors (see
    Projector._failed), not the rebuild.

    The rebuild read each tenant once, and the projectors go on applying new events to the
    live tables meanwhile: without this, the swapped-in tables would stand before them,
    and readers would see acknowledged check-ins vanish until a projector applied them
    again. On the owner's connection, CATCH_UP_TENANTS tenants to a transaction (or to a
    savepoint of the caller's)."""
    tables, events = specs(projections), 0
    behind: dict[UUID, str] = {}

    async def together(tenants: Sequence[UUID]) -> int:
        """The tenants' catch-up in a transaction of their own: events folded."""
        chunk, events = list(tenants), 0
        async with conn.transaction():
            await conn.execute(admit_sql(chunk))
            shadow = await stored_positions(conn, projections, chunk, SHADOW)
            if heads is None:
                live = await stored_positions(conn, projections, chunk)
                upto = {t: max(live[t].values(), default=0) for t in chunk}
            else:
                upto = {t: heads[t] for t in chunk}
            late = [
                t for t in chunk if any(shadow[t].get(p.name, 0) < upto[t] for p in projections)
            ]
            if not late:
                return 0
            await repository.load_mappers(late, conn)
            foldings: dict[UUID, list[Folding]] = {t: [] for t in late}
            for p in projections:
                standing = {t: shadow[t][p.name] for t in late if p.name in shadow[t]}
                found = await from_checkpoints(conn, p, standing, SHADOW)
                for t in late:
                    foldings[t].append(found.get(t) or Folding.new(p))
            while foldings:
                afters = {t: min(f.at for f in fs) for t, fs in foldings.items()}
                logs = await read_logs_on(conn, afters, limit=BATCH)
                writes = Writes()
                for tenant_id, fs in list(foldings.items()):
                    stored = [r for r in logs.get(tenant_id, []) if r.position <= upto[tenant_id]]
                    before = min(f.applied for f in fs)
                    try:
                        writes.merge(
                            await fold_stored(repository, conn, tenant_id, fs, stored, bulk=True)
                        )
                    except DATABASE_TROUBLE:
                        raise
                    except Exception as error:
                        behind[tenant_id] = left_behind(tenant_id, before, error)
                        del foldings[tenant_id]
                        continue
                    events += min(f.applied for f in fs) - before  # positions are contiguous
                    if len(stored) < BATCH:
                        del foldings[tenant_id]
                await write(conn, tables, writes, SHADOW)
        return events

    def refused(tenant_id: UUID, error: Exception) -> int:
        behind[tenant_id] = left_behind(tenant_id, None, error)
        return 0

    for start in range(0, len(tenants), CATCH_UP_TENANTS):
        chunk = list(tenants[start : start + CATCH_UP_TENANTS])
        events += await tried_apart(chunk, together, refused, operator.add)
    return events, behind


REBUILD_LOCK_KEY = 0x6F6B725F72656275  # "okr_rebu"
"""The session advisory lock a full rebuild holds from its first shadow table to its swap."""


class RebuildRunningError(RuntimeError):
    """A full rebuild was asked for while another one runs on the same database."""


FINISH_MEMORY = "256MB"
"""maintenance_work_mem for building a shadow table's key: a million rows sort in memory."""


async def _finish(system: System, projections: Sequence[Projection[Any]], at_once: int) -> None:
    """Build the shadow tables' keys, RLS and grants, `at_once` projections at a time, each
    on a connection of its own. One backend builds a key, so one projection at a time
    leaves the other cores idle: 2.7 s of a 1M-event rebuild on two cores, 1.7 s two at a
    time with this memory."""
    free = asyncio.Semaphore(at_once)

    async def finish(projection: Projection[Any]) -> None:
        async with free, _owner(system) as admin:
            await admin.execute(f"SET maintenance_work_mem = '{FINISH_MEMORY}'")
            await admin.execute(finish_sql(projection, SHADOW))

    tasks = [asyncio.create_task(finish(p)) for p in projections]
    try:
        await asyncio.gather(*tasks)
    finally:  # one that failed (or a cancel) stops the others before the rebuild ends
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def _owner(system: System) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the schema's owner (shadow tables, COPY, keys, swap)."""
    conn = await asyncpg.connect(system.admin_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@dataclass
class _Progress:
    """Tenants and events rebuilt so far, reported after each group and each catch-up."""

    tenants: int
    report: Report | None
    done_tenants: int = 0
    events: int = 0
    late: int = 0
    """Events that came during the rebuild, folded in by its catch-ups."""

    def done(self, group: Sequence[UUID], events: int) -> None:
        self.done_tenants += len(group)
        self.events += events
        self._report()

    def caught_up(self, events: int) -> None:
        if events:
            self.late += events
            self.events += events
            self._report()

    def _report(self) -> None:
        if self.report:
            late = f" ({self.late} came during it)" if self.late else ""
            self.report(
                f"rebuild: {self.done_tenants}/{self.tenants} tenants, {self.events} events{late}"
            )


class _Filler:
    """Folds groups of tenants and COPYs their rows into the shadow tables. The COPY of one
    read runs while the next is folded."""

    def __init__(
        self,
        admin: asyncpg.Connection,
        pool: asyncpg.Pool,
        repository: Repository,
        projections: Sequence[Projection[Any]],
    ) -> None:
        self.admin, self.pool, self.repository = admin, pool, repository
        self.projections, self.tables = projections, specs(projections)
        self.pending: asyncio.Task[None] | None = None
        self.refused: set[UUID] = set()
        """Tenants whose rows the database refused (see _copy)."""
        self.collector = QuietCollector(freeze_every=30.0)
        """A rebuild makes millions of objects (see QuietCollector). The interpreter's own
        collections are off while groups are filled (`alone`), so this is the only
        collector: each young collection walks what is alive at that moment (about two
        reads' rows and the UUIDs they hold, 75-130 ms in a worker), however long since
        the last, so it runs every 30 s, not after every read (the automatic ones took
        11 % of a rebuild) nor every 5 s (one or two a worker in a 300k-event rebuild of
        4 s of its CPU). What it frees meanwhile is little: a few hundred to 2,300
        objects in cycles (closures, tuples) every 5 s."""

    async def fill_all(
        self,
        groups: Sequence[Sequence[UUID]],
        done: Callable[[Sequence[UUID], int], None] | None = None,
    ) -> int:
        """Fill these groups, one after the other, and wait for the last COPY; `done` hears
        of each group (its events) as it is folded. Events folded in all."""
        events = 0
        try:
            with self.collector.alone():
                for group in groups:
                    folded_events = await self._fill(group)
                    if done is not None:
                        done(group, folded_events)
                    events += folded_events
                await self._flush()
                await self._drop_refused()
        finally:
            await self._cancel()
        return events

    async def _fill(self, group: Sequence[UUID]) -> int:
        """Fold these tenants' whole logs into the shadow tables; events folded."""
        events = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(admit_sql(group))
            async for writes, folded_events in folded(
                conn, self.repository, self.projections, group
            ):
                self.collector.tick()
                await self._flush()
                self.pending = asyncio.create_task(self._copy(writes))
                events += folded_events
        return events

    async def _copy(self, writes: Writes) -> None:
        """COPY a read's rows, in one transaction. Rows the database refuses (see
        rows_refused) are one tenant's doing: each tenant's are then copied apart, and
        those refused kept in `refused`, their later reads not copied (fill_all drops what
        was: the catch-up folds them again, and leaves them behind with why)."""
        if self.refused:
            writes = _without(writes, self.refused)
        try:
            async with self.admin.transaction():
                await copy(self.admin, self.tables, writes, SHADOW)
            return
        except Exception as error:
            if not rows_refused(error):
                raise
        for tenant_id, theirs in writes.by_tenant().items():
            try:
                async with self.admin.transaction():
                    await copy(self.admin, self.tables, theirs, SHADOW)
            except Exception as error:
                if not rows_refused(error):
                    raise
                log.warning("rebuild.rows_refused", tenant_id=str(tenant_id), error=repr(error))
                self.refused.add(tenant_id)

    async def _drop_refused(self) -> None:
        """Drop the shadow rows of the tenants refused, copied from their earlier reads."""
        refused, self.refused = list(self.refused), set()
        if refused:
            for name in [name for p in self.projections for name in table_names(p, SHADOW)]:
                await self.admin.execute(
                    f"DELETE FROM {name} WHERE tenant_id = ANY ($1::uuid[])", refused
                )

    async def _flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            await pending

    async def _cancel(self) -> None:
        """Stop a COPY still running (after an error) and wait until it has stopped."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending


def _without(writes: Writes, tenants: set[UUID]) -> Writes:
    """`writes` but those of these tenants."""
    out = Writes()
    for tenant_id, theirs in writes.by_tenant().items():
        if tenant_id not in tenants:
            out.merge(theirs)
    return out


async def _fill_in_processes(
    system: System,
    projections: Sequence[Projection[Any]],
    groups: list[list[UUID]],
    processes: int,
    progress: _Progress,
) -> None:
    """Fill the shadow tables from `processes` workers, a group at a time each. On an
    error, or when this task is cancelled (Ctrl-C), the workers are killed at once: the
    shadow rows of a rebuild that did not finish are thrown away anyway.

    A ProcessPoolExecutor, not a multiprocessing.Pool: Pool.terminate() now and then hangs
    for good (python/cpython#96995, seen here when a worker's error ended a rebuild), while
    the executor notices killed workers and lets go of its threads."""
    executor = concurrent.futures.ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),  # no forked copy of a running loop
        initializer=_start_worker,
        initargs=(system.admin_dsn, system.app_dsn, [p.name for p in projections]),
    )

    async def fill(group: list[UUID]) -> tuple[list[UUID], int]:
        return group, await asyncio.wrap_future(executor.submit(_fill_group, group))

    filling = [asyncio.ensure_future(fill(group)) for group in groups]
    killed: list[multiprocessing.process.BaseProcess] = []
    try:
        for next_done in asyncio.as_completed(filling):
            progress.done(*await next_done)
    except BaseException:
        killed = _kill(executor)
        for task in filling:
            task.cancel()
        await asyncio.gather(*filling, return_exceptions=True)
        raise
    finally:
        await asyncio.to_thread(_shut, executor, killed)


def _kill(executor: concurrent.futures.ProcessPoolExecutor) -> list[Any]:
    """Kill the executor's workers now (no public way before Python 3.14; its shutdown
    forgets them, so they are killed first); the processes killed."""
    workers = list((getattr(executor, "_processes", None) or {}).values())
    for process in workers:
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
    return workers


def _shut(executor: concurrent.futures.ProcessPoolExecutor, killed: list[Any]) -> None:
    """Wait for the executor's threads and for every process it ran to have ended."""
    executor.shutdown(wait=True, cancel_futures=True)
    for process in killed:
        process.join()


_Opened = TypeVar("_Opened", asyncpg.Connection, asyncpg.Pool)


class _Worker:
    """A rebuild worker process: its own event loop, connections and repository."""

    def __init__(self, admin_dsn: str, app_dsn: str, names: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.opened: list[asyncpg.Connection | asyncpg.Pool] = []
        """What close() closes: a worker that fails to start keeps no connection open."""
        try:
            admin = self._open(asyncpg.connect(admin_dsn))
            self.admin: asyncpg.Connection = self.loop.run_until_complete(copying(admin))
            self.pool: asyncpg.Pool = self._open(create_pool(app_dsn, 1, 1))
            repository = Repository(EventStore(self.pool, notify=False))
            self.filler = _Filler(self.admin, self.pool, repository, by_name(names))
        except BaseException:
            self.close()
            raise

    def _open(self, opening: Awaitable[_Opened]) -> _Opened:
        opened = self.loop.run_until_complete(opening)
        self.opened.append(opened)
        return opened

    def close(self) -> None:
        for opened in reversed(self.opened):
            self.loop.run_until_complete(opened.close())
        self.opened.clear()
        self.loop.close()


_worker: _Worker | BaseException | None = None
"""This process's worker when it is one (see _fill_in_processes), or why it could not start."""


def _start_worker(admin_dsn: str, app_dsn: str, names: list[str]) -> None:
    """A worker's start: Ctrl-C is for the parent (it terminates the workers), and a worker
    exits when the parent does, however the parent ends. An error is kept for the first
    group to raise: raised here, the pool would start the worker again and again."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    gc.disable()  # for good in this process: its filler's collector collects (see _Filler)
    try:
        _worker = _Worker(admin_dsn, app_dsn, names)
    except Exception as error:
        _worker = error
        return
    multiprocessing.util.Finalize(_worker, _worker.close, exitpriority=10)


def _exit_with(parent_sentinel: int) -> None:
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


def _fill_group(group: list[UUID]) -> int:
    if isinstance(_worker, BaseException):
        raise _worker
    if _worker is None:
        raise RuntimeError("not a rebuild worker process")
    return _worker.loop.run_until_complete(_worker.filler.fill_all([group]))


async def swap_in(admin: asyncpg.Connection, projections: Sequence[Projection[Any]]) -> None:
    """In the caller's transaction, on the owner's connection: every live table of these
    projections locked at once, in the order readers lock them (schema.share_lock_sql),
    dropped, and its shadow renamed in its place."""
    every = [name for p in projections for name in table_names(p)]
    await admin.execute(lock_sql(every, "ACCESS EXCLUSIVE"))
    for p in projections:
        await _swap(admin, p)


async def _swap(admin: asyncpg.Connection, projection: Projection[Any]) -> None:
    for table in all_tables(projection):
        old, new = table.name, table.name + SHADOW
        await admin.execute(f"DROP TABLE {old}")
        await admin.execute(f"ALTER TABLE {new} RENAME TO {old}")
        await admin.execute(f"ALTER INDEX {new}_pkey RENAME TO {old}_pkey")
        for columns in table.lookups:
            renamed = (
                f"ALTER INDEX {lookup_index(new, columns)} RENAME TO {lookup_index(old, columns)}"
            )
            await admin.execute(renamed)


@dataclass(frozen=True)
class Difference:
    """A row that differs between the live table and a rebuild."""

    tenant_id: UUID
    table: str
    key: tuple[Any, ...]
    live: Row | None
    rebuilt: Row | None
    changed: tuple[tuple[str, Any, Any], ...] = ()
    """Each column that differs: its name, the live value, the rebuilt one (for a row on
    one side only, every column, with None on the other)."""


def _comparable(row: Row | None, json_cells: list[int]) -> Any:
    if row is None:
        return None
    values = list(row)
    for i in json_cells:
        if isinstance(values[i], str):
            values[i] = json.loads(values[i])
    return tuple(str(v) if isinstance(v, UUID) else v for v in values)


async def verify_tenant(
    pool: asyncpg.Pool,
    repository: Repository,
    projections: Sequence[Projection[Any]],
    tenant_id: UUID,
) -> list[Difference]:
    """Rebuild the tenant in memory up to each projection's live position and compare;
    UnfoldableLogError if an event of its log does not decode or fold."""
    differences = []
    tables = [name for p in projections for name in table_names(p)]
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        await conn.execute(f"{admit_sql([tenant_id])}; {share_lock_sql(tables)}")
        head = await conn.fetchval(
            "SELECT coalesce(max(position), 0) FROM tenant_heads WHERE tenant_id = $1", tenant_id
        )
        upto, checkpoints = {}, {}
        for p in projections:
            position = await conn.fetchval(
                f"SELECT position FROM {positions_table(p)} WHERE tenant_id = $1", tenant_id
            )
            upto[p.name] = int(position or 0)
            if upto[p.name] > head:  # its projectors would wait there for events never made
                past = _past_the_log(tenant_id, positions_table(p), upto[p.name], head)
                differences.append(past)
            checkpoints[p.name] = dict(
                await conn.fetch(
                    f"SELECT position, state FROM {states_table(p)} WHERE tenant_id = $1",
                    tenant_id,
                )
            )
        watch = {name: set(kept) for name, kept in checkpoints.items()}
        try:
            replayed = await replay_tenant(conn, repository, projections, tenant_id, upto, watch)
        except DATABASE_TROUBLE:
            raise
        except Exception as error:
            why = f"its log does not fold: {type(error).__name__}: {error}"
            raise UnfoldableLogError(tenant_id, why) from error
        for r in replayed:
            # no event applied, no row written: a projector writes a tenant's first rows
            # with its first event, not the rows of the initial state
            state_rows = r.projection.rows(r.state) if r.position else {}
            expected = dict(r.log_rows) | {k: list(v) for k, v in state_rows.items()}
            for table in r.projection.tables:
                differences += await _compare(conn, tenant_id, table, expected.get(table.name, []))
            differences += _checkpoints(tenant_id, r, checkpoints[r.projection.name])
    return differences


def _past_the_log(tenant_id: UUID, table: str, position: int, head: int) -> Difference:
    changed = (("position", position, f"at most the log's head, {head}"),)
    return Difference(tenant_id, table, (tenant_id,), None, None, changed)


def _checkpoints(tenant_id: UUID, replayed: Replayed, kept: dict[int, bytes]) -> list[Difference]:
    """Each stored checkpoint (what time travel and a restarting projector start from) that
    is not the state the replay had there, or lies past where the tables stand."""
    table = states_table(replayed.projection)
    out = []
    for position, data in sorted(kept.items()):
        state = replayed.seen.get(position)
        if state is None:
            why = f"the tables stand at {replayed.position}, before it"
        elif replayed.projection.decode_state(data) != state:
            why = "not the state the log gives there"
        else:
            continue
        changed = (("state", f"checkpoint at {position}", why),)
        out.append(Difference(tenant_id, table, (tenant_id, position), None, None, changed))
    return out


async def _compare(
    conn: asyncpg.Connection, tenant_id: UUID, table: Any, rows: list[Row]
) -> list[Difference]:
    names = [c.name for c in table.columns]
    json_cells = [i for i, c in enumerate(table.columns) if c.sql_type == JSON]
    live_rows = [
        tuple(r) for r in await conn.fetch(
            f"SELECT {columns_sql(names)} FROM {table.name} WHERE tenant_id = $1", tenant_id
        )
    ]  # fmt: skip
    live = keyed(table, live_rows)
    rebuilt = keyed(table, [encoded_row(table, row) for row in rows])
    out = []
    nothing = (None,) * len(names)
    for key in live.keys() | rebuilt.keys():
        a, b = live.get(key), rebuilt.get(key)
        seen_a, seen_b = _comparable(a, json_cells), _comparable(b, json_cells)
        if seen_a != seen_b:
            cells = zip(names, seen_a or nothing, seen_b or nothing, strict=True)
            changed = tuple(
                change for name, x, y in cells if x != y for change in _cell_changes(name, x, y)
            )
            out.append(Difference(tenant_id, table.name, key, a, b, changed))
    return out


def _cell_changes(name: str, live: Any, rebuilt: Any) -> list[tuple[str, Any, Any]]:
    """A differing cell, said so a person can read it: an encoded state (MessagePack bytes,
    as rm_progress_items keeps) by the fields that differ, not as kilobytes of bytes."""
    if not (isinstance(live, bytes) and isinstance(rebuilt, bytes)):
        return [(name, live, rebuilt)]
    try:
        a, b = msgspec.msgpack.decode(live), msgspec.msgpack.decode(rebuilt)
    except msgspec.DecodeError:
        return [(name, live, rebuilt)]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        a, b = dict(enumerate(a)), dict(enumerate(b))
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return [(name, a, b)]
    return [
        change
        for k in {**a, **b}
        if a.get(k) != b.get(k)
        for change in _list_changes(f"{name}.{k}", a.get(k), b.get(k))
    ]


SHOWN_ITEMS = 3
"""Differing items of a list said, at most (a missing check-in among 3,900 printed both
lists whole: a 1.7 MB line)."""


def _list_changes(name: str, live: Any, rebuilt: Any) -> list[tuple[str, Any, Any]]:
    """A differing field; a list by its length and its first differing items, matched by
    the id that names each (a check-in's), else by place."""
    if not (isinstance(live, list) and isinstance(rebuilt, list)):
        return [(name, live, rebuilt)]
    out: list[tuple[str, Any, Any]] = []
    if len(live) != len(rebuilt):
        out.append((f"{name} (items)", len(live), len(rebuilt)))
    name_of = _item_names(live, rebuilt)
    if name_of is None:  # by place
        pairs = itertools.zip_longest(live, rebuilt, fillvalue=None)
        differing = [(f"[{i}]", x, y) for i, (x, y) in enumerate(pairs) if x != y]
    else:  # one missing first item is one difference, not every later one
        was, now = ({name_of(x): x for x in side} for side in (live, rebuilt))
        differing = [
            (f"[{n}]", was.get(n), now.get(n))
            for n in dict.fromkeys([*was, *now])
            if was.get(n) != now.get(n)
        ]
    for shown, (which, x, y) in enumerate(differing[:SHOWN_ITEMS], 1):
        more = len(differing) - SHOWN_ITEMS if shown == SHOWN_ITEMS else 0
        label = f"{name}{which}" + (f" (and {more} more items differ)" if more > 0 else "")
        out.append((label, x, y))
    return out


def _item_names(*sides: list[Any]) -> Callable[[Any], str] | None:
    """What names each item of these lists, if something does, no two alike on a side: a
    map's first "…_id" field, an array's first element (a check-in's id)."""
    items = [x for side in sides for x in side]
    if not items:
        return None
    if all(isinstance(x, dict) for x in items):
        keys = [k for k in items[0] if str(k).endswith("_id") and all(k in x for x in items)]
        name_of: Callable[[Any], str] | None = (
            (lambda x: f"{keys[0]}={x[keys[0]]}") if keys else None
        )
    elif all(isinstance(x, list) and x for x in items):
        name_of = lambda x: str(x[0])  # noqa: E731
    else:
        return None
    if name_of is None or any(len({name_of(x) for x in side}) != len(side) for side in sides):
        return None
    return name_of


@dataclass(frozen=True)
class Verified:
    """What verify_all found: the rows that differ, and the tenants it could not verify
    (an event of its log does not decode or fold), each with why."""

    differences: list[Difference] = field(default_factory=list)
    unverifiable: dict[UUID, str] = field(default_factory=dict)


async def verify_all(
    pool: asyncpg.Pool, repository: Repository, projections: Sequence[Projection[Any]]
) -> Verified:
    """verify_tenant of every tenant: one whose log does not fold does not stop the others."""
    verified = Verified()
    for tenant_id in await _tenants(pool):
        try:
            verified.differences.extend(
                await verify_tenant(pool, repository, projections, tenant_id)
            )
        except UnfoldableLogError as error:
            verified.unverifiable[tenant_id] = error.why
    return verified

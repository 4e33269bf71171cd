"""The projector worker: LISTEN for appends, catch tenants up in batches, poll as a net.

Per tenant and batch, one transaction: take the tenant's advisory lock (another projector
holding it means the tenant is in hand), read each projection's position and fold state,
read the next events, fold, write the appended rows and the state-row differences, save
positions and states. Rows and positions commit together, so a crash between batches
neither repeats nor skips an event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from projections.base import Projection, Recorded, Row, RowsByTable
from services.db import grants_literal
from services.projector.decode import decode
from services.projector.schema import positions_table
from services.projector.tables import append_rows, save_position, write_state_diff
from services.store.event_store import read_log_on
from services.store.repository import Repository

log = structlog.get_logger("okr.projector")
TENANT_LOCK_KEY = "hashtextextended($1::uuid::text, 7013)"
"""The per-tenant advisory lock every projector and rebuild takes ($1: the tenant)."""
LOCK_SQL = f"SELECT pg_try_advisory_xact_lock({TENANT_LOCK_KEY})"


@dataclass
class _Progress:
    """Where one projection stands for one tenant inside a batch."""

    projection: Projection[Any]
    position: int
    state: Any
    rows: RowsByTable | None = None
    """rows(state), when already known (a cached state)."""
    appended: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))


Cache = dict[tuple[UUID, str], tuple[int, Any, RowsByTable]]


async def load_progress(
    conn: asyncpg.Connection,
    projections: Sequence[Projection[Any]],
    tenant_id: UUID,
    cache: Cache,
) -> list[_Progress]:
    """Each projection's position and state for the tenant (initial when new).

    One query reads the positions; a state is decoded from its blob only when this process
    has not got it in memory at that very position (folds never mutate a state).
    """
    union = " UNION ALL ".join(
        f"SELECT {i} AS i, position FROM {positions_table(p)} WHERE tenant_id = $1"
        for i, p in enumerate(projections)
    )
    positions = {r["i"]: r["position"] for r in await conn.fetch(union, tenant_id)}
    out = []
    for i, p in enumerate(projections):
        position = positions.get(i)
        cached = cache.get((tenant_id, p.name))
        if position is None:
            out.append(_Progress(p, 0, p.initial()))
        elif cached is not None and cached[0] == position:
            out.append(_Progress(p, position, cached[1], cached[2]))
        else:
            blob = await conn.fetchval(
                f"SELECT state FROM {positions_table(p)} WHERE tenant_id = $1", tenant_id
            )
            out.append(_Progress(p, position, p.decode_state(blob)))
    return out


def fold_batch(progress: _Progress, records: Sequence[Recorded]) -> None:
    """Fold the records this projection has not seen yet, collecting appended rows."""
    fold, state, appended = progress.projection.fold, progress.state, progress.appended
    for record in records:
        if record.position <= progress.position:
            continue
        state, rows = fold(state, record)
        for table, new in rows.items():
            appended[table].extend(new)
    progress.state = state


class Projector:
    """Keeps the given projections' tables up to date for every tenant."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        repository: Repository,
        projections: Sequence[Projection[Any]],
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        on_committed: Callable[[UUID, int], None] | None = None,
        cache_size: int = 5000,
        lanes: int = 4,
    ) -> None:
        self.pool = pool
        self.repository = repository
        self.projections = tuple(projections)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.applied: dict[UUID, int] = {}
        """The last position this process saw applied, per tenant (lag metrics)."""
        self.heads: dict[UUID, int] = {}
        """The last head position seen per tenant."""
        self.cache_size = cache_size
        self.lanes = max(1, lanes)
        """Tenants caught up at once (one connection each): round trips overlap."""
        self.on_committed = on_committed
        """Called after each batch commits with (tenant, last position): metrics, lag."""
        self._states: Cache = {}
        """Decoded states by (tenant, projection) after this process's last commit."""
        self._dirty: set[UUID] = set()
        self._wake = asyncio.Event()

    async def catch_up(self, tenant_id: UUID) -> int:
        """Apply every event of the tenant not yet projected; how many were applied."""
        total = 0
        while True:
            applied = await self._one_batch(tenant_id)
            if applied is None:  # another projector holds the tenant
                return total
            total += applied
            if applied < self.batch_size:
                return total

    async def _one_batch(self, tenant_id: UUID) -> int | None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL okr.tenant_ids = '{grants_literal([tenant_id])}'")
            if not await conn.fetchval(LOCK_SQL, tenant_id):
                return None
            progress = await load_progress(conn, self.projections, tenant_id, self._states)
            low = min(p.position for p in progress)
            stored = await read_log_on(conn, tenant_id, low, limit=self.batch_size)
            if not stored:
                self.applied[tenant_id] = low
                return 0
            records = await decode(self.repository, stored, conn)
            for p in progress:
                await self._apply(conn, tenant_id, p, records)
        self._remember(tenant_id, progress)
        self.applied[tenant_id] = records[-1].position
        if self.on_committed is not None:
            self.on_committed(tenant_id, records[-1].position)
        return len(records)

    async def _apply(
        self, conn: asyncpg.Connection, tenant_id: UUID, p: _Progress, records: list[Recorded]
    ) -> None:
        if records[-1].position <= p.position:
            return
        projection = p.projection
        before = projection.rows(p.state) if p.rows is None else p.rows
        fold_batch(p, records)
        p.rows = projection.rows(p.state)
        p.position = records[-1].position
        await append_rows(conn, projection, tenant_id, p.appended)
        await write_state_diff(conn, projection, tenant_id, before, p.rows)
        await save_position(
            conn,
            positions_table(projection),
            tenant_id,
            p.position,
            projection.encode_state(p.state),
        )

    def _remember(self, tenant_id: UUID, progress: list[_Progress]) -> None:
        """Keep the committed states in memory (a bounded cache: oldest tenants go first)."""
        for p in progress:
            key = (tenant_id, p.projection.name)
            self._states.pop(key, None)
            self._states[key] = (p.position, p.state, p.rows or p.projection.rows(p.state))
        while len(self._states) > self.cache_size:
            del self._states[next(iter(self._states))]

    async def lagging_tenants(self) -> list[UUID]:
        """Tenants whose log head is past what every projection has applied."""
        heads = await self.pool.fetch("SELECT tenant_id, position FROM okr_tenant_positions()")
        self.heads = {r["tenant_id"]: r["position"] for r in heads}
        return [t for t, head in self.heads.items() if self.applied.get(t, -1) < head]

    async def catch_up_all(self) -> int:
        """One pass over every lagging tenant."""
        total = 0
        for tenant_id in await self.lagging_tenants():
            total += await self.catch_up(tenant_id)
        return total

    async def _in_lanes(self, tenants: list[UUID], stop: asyncio.Event) -> None:
        """Catch tenants up `lanes` at a time, each on its own connection.

        Safe: a tenant's batches are taken under its advisory lock, and the lanes share one
        queue, so no two lanes ever hold the same tenant.
        """
        queue = iter(tenants)

        async def lane() -> None:
            for tenant_id in queue:
                if stop.is_set():
                    return
                await self._catch_up_logged(tenant_id)

        await asyncio.gather(*(lane() for _ in range(min(self.lanes, len(tenants)))))

    def notified(self, tenant_id: UUID, position: int) -> None:
        """A NOTIFY arrived: the tenant has new events."""
        self.heads[tenant_id] = max(position, self.heads.get(tenant_id, 0))
        self._dirty.add(tenant_id)
        self._wake.set()

    async def run(self, listen_dsn: str, stop: asyncio.Event) -> None:
        """Project until `stop` is set: woken by NOTIFY, polling every poll_interval."""
        listener = await asyncpg.connect(listen_dsn)
        await listener.add_listener("okr_events", self._on_notify)
        log.info("projector.started", projections=[p.name for p in self.projections])
        try:
            await self.catch_up_all()
            while not stop.is_set():
                await self._wait(stop)
                dirty, self._dirty = self._dirty, set()
                await self._in_lanes(list(dirty or await self.lagging_tenants()), stop)
        finally:
            with contextlib.suppress(Exception):
                await listener.close()
            log.info("projector.stopped")

    async def _catch_up_logged(self, tenant_id: UUID) -> None:
        try:
            applied = await self.catch_up(tenant_id)
        except (asyncpg.PostgresError, OSError) as error:
            log.warning("projector.batch_failed", tenant_id=str(tenant_id), error=str(error))
            self._dirty.add(tenant_id)
            await asyncio.sleep(self.poll_interval)
            return
        if applied:
            log.debug("projector.applied", tenant_id=str(tenant_id), events=applied)
        if self.applied.get(tenant_id, -1) < self.heads.get(tenant_id, 0):
            # Another projector held the tenant, or more arrived: look again shortly.
            self._dirty.add(tenant_id)
            asyncio.get_running_loop().call_later(0.05, self._wake.set)

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=self.poll_interval, return_when="FIRST_COMPLETED")
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._wake.clear()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        tenant, _, position = payload.partition(":")
        with contextlib.suppress(ValueError):
            self.notified(UUID(tenant), int(position))

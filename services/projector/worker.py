"""The projector worker: LISTEN for appends, catch tenants up in batches, poll as a net.

A pass takes several tenants in one transaction: it takes the advisory locks of those no
other projector holds, reads each projection's position and, in the same query, the next
events of every tenant whose foldings this process kept (for the others it reads the
latest state checkpoint, then the events after it), folds, and writes the appended rows,
the state-row differences, the positions and any due checkpoint in one statement. Rows
and positions commit together, so a crash between passes neither repeats nor skips an
event; under load a pass carries many tenants, so the cost of a transaction is shared. A
tenant whose rows do not decode or fold is left out of the pass (and tried again later);
the others go on. So is one whose rows the database refuses: the pass, rolled back, is
tried again without it (see Projector.project).

Passes commit without waiting for the WAL flush (synchronous_commit off, for these
transactions only): a pass is visible to readers as soon as it commits, and a crash can
only lose the last passes whole, rows and positions together, which the projector then
applies again from the log. Appends of events keep waiting for the flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import operator
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import structlog

from projections.base import Projection, failed_at
from services.db import (
    CONNECTION_LOST,
    admit_sql,
    admit_unflushed_sql,
    create_pool,
    open_connection,
    transaction_with,
)
from services.projector.collector import QuietCollector
from services.projector.decode import decode
from services.projector.folding import Folding, fold_all
from services.projector.registry import PROJECTIONS
from services.projector.schema import SWAP_LOCK_KEY, positions_table, states_table
from services.projector.tables import Writes, specs, write
from services.settings import Settings
from services.store.event_store import LOG_COLUMNS, LogRecord, events_after, read_logs_on
from services.store.notifier import CHANNEL
from services.store.repository import Repository

log = structlog.get_logger("okr.projector")
_ERASED_OF = "SELECT id FROM erased_tenants WHERE id = ANY($1::uuid[])"
TENANT_LOCK_KEY = "hashtextextended($1::uuid::text, 7013)"
"""The per-tenant advisory lock every projector and rebuild takes ($1: the tenant)."""
_NO_EVENT = (
    "NULL::uuid, NULL::int, NULL::text, NULL::bytea, NULL::timestamptz, NULL::text,"
    " NULL::uuid, NULL::bytea"
)
"""The event columns of LOG_COLUMNS (but the tenant's), in a row that is no event."""


LANES = 2
"""Passes a projector runs at once, each on a connection of its own (see Projector._lane)."""


async def projector_pool(
    dsn: str, lanes: int = LANES, *, answer_within: float | None = None
) -> asyncpg.Pool:
    """A projector's own connections, one per lane: not a pool it shares with requests,
    which take all of one in a burst (writers start at the rate they come, whatever the
    pool) and would hold its passes up behind them (a test's app and projector, say).
    `answer_within`: see create_pool (a pass whose statement is not answered fails, and is
    tried again on another connection)."""
    return await create_pool(dsn, 1, lanes, answer_within=answer_within)


LOCK_MANY_SQL = (
    "SELECT set_config('okr.locked', coalesce(array_agg(t)::text, '{}'), true)"
    " FROM unnest(okr_tenant_ids()) AS t"
    f" WHERE pg_try_advisory_xact_lock({TENANT_LOCK_KEY.replace('$1', 't')})"
)
"""Take the locks of the tenants the transaction admits (okr.tenant_ids: a pass's tenants)
that no other projector holds, and keep which in `okr.locked` for the rest of it.

It goes with the BEGIN of a pass, so that the pass's next statement starts after the locks
are held: its snapshot sees every pass their last holders committed. (Taken in the
statement that reads the positions, a lock could be granted by a commit that the
statement's snapshot, made when it began, does not see.)"""


SHARE_SWAP_SQL = f"SELECT pg_advisory_xact_lock_shared({SWAP_LOCK_KEY})"
"""Taken first by a transaction that locks read-model tables one after another as it goes
(a pass, a tenant's rebuild, a verify), before any table: a rebuild's swap waits for those
that hold it, and those that begin meanwhile wait for the swap with no table locked.

Without it a pass and a swap could deadlock: the pass held a positions table that it read
first while the swap, holding the tables it had already swapped, waited for that one; then
the pass's write waited for a table the swap held. PostgreSQL broke the cycle after a
second by failing one of them, now and then the rebuild, at its very end."""


WARM_TENANTS = 20
"""Tenants an idle lane loads the foldings of at once (see Projector.warm_up): a pass of
about 200 ms here, which a tenant with new events waits for at most (one lane of two warms
at a time)."""

STORED_TENANTS = 1_000
"""Tenants whose stored positions a transaction reads at once (see _stored_positions)."""

RELISTEN_FIRST, RELISTEN_MAX = 0.5, 30.0
"""Seconds before a lost LISTEN connection is opened again, doubling while that fails."""

HEARTBEAT = (30.0, 10.0)
"""Every how many seconds the LISTEN connection is asked a trivial query, and within how
many it must answer (see _keep_listening)."""

_WRITER = "xmin::text::bigint"
"""The transaction that wrote a row (its 32-bit id), as tables.write's statement gives its own."""

_MINE = (
    "SELECT tenant_id, after FROM unnest($1::uuid[], $2::bigint[]) AS u(tenant_id, after)"
    " WHERE tenant_id = ANY (current_setting('okr.locked')::uuid[])"
)
"""The tenants of a pass whose locks it got (see LOCK_MANY_SQL), each with the position
after which this process expects to read their events (-1: no guess)."""


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
        tenants_kept: int = 2_500,
        lanes: int = LANES,
        tenants_per_pass: int = 100,
        heartbeat: tuple[float, float] = HEARTBEAT,
    ) -> None:
        self.pool = pool
        self.repository = repository
        self.projections = tuple(projections)
        self.tables = specs(self.projections)
        self.batch_size = batch_size
        """Events per tenant and pass, at most."""
        self.poll_interval = poll_interval
        self.applied: dict[UUID, int] = {}
        """The last position this process saw applied by every projection, per tenant."""
        self.heads: dict[UUID, int] = {}
        """The last head position seen per tenant."""
        self.cache_size = max(0, tenants_kept) * len(self.projections)
        """Foldings kept in memory between passes: those of `tenants_kept` tenants, the
        least recently projected going first (see Settings.projector_tenants_kept)."""
        self.lanes = max(1, lanes)
        """Passes run at once (one connection each): round trips overlap."""
        self.tenants_per_pass = tenants_per_pass
        self.heartbeat = heartbeat
        self.on_committed = on_committed
        """Called after each pass commits with (tenant, position applied): metrics, lag."""
        self._foldings: OrderedDict[tuple[UUID, str], tuple[Folding, int | None]] = OrderedDict()
        """Each (tenant, projection)'s folding after this process's last commit of it, with
        the transaction that wrote its positions row (see _load)."""
        self.failures: dict[UUID, int] = {}
        """Tenants whose last pass failed (a row that does not decode...): attempts so far."""
        self._dirty: dict[UUID, None] = {}
        """Tenants to project, oldest first (a dict as an ordered set)."""
        self._busy: set[UUID] = set()
        """Tenants a lane has taken, until it kept their foldings (see _lane)."""
        self._cold: dict[UUID, None] = {}
        """Tenants that were at their heads when the last catch_up_all began, whose foldings
        `warm_up` or an idle lane is to load (as many as the cache has room for)."""
        self._warming = 0
        """Lanes warming tenants up now (at most max(1, lanes - 1), see _lane)."""
        self._polled_at = 0.0
        """When lagging_tenants last began (time.monotonic()): lanes poll on this clock."""
        self._wake = asyncio.Event()
        self._collector: QuietCollector | None = None
        """Made by the first catch_up_all or run (see QuietCollector)."""
        self.running = False
        """Whether `run` is running: listening, with every tenant it found behind at its
        start caught up once (until then readers would see read models from before that,
        empty ones on a fresh database: readiness waits for it)."""
        positions = " UNION ALL ".join(
            f"SELECT {i} AS i, tenant_id, position, {_WRITER} AS writer"
            f" FROM {positions_table(p)} WHERE tenant_id IN (SELECT tenant_id FROM mine)"
            for i, p in enumerate(self.projections)
        )
        self._start_sql = (
            f"WITH mine AS MATERIALIZED ({_MINE}), at AS MATERIALIZED ({positions}),"
            " guessed AS MATERIALIZED (SELECT tenant_id, after FROM mine AS w"
            " WHERE after >= 0"
            " AND after = ALL (SELECT position FROM at WHERE at.tenant_id = w.tenant_id))"
            f" SELECT -1 AS i, tenant_id, 0::bigint, {_NO_EVENT}, NULL::bigint FROM mine"
            f" UNION ALL SELECT -3, tenant_id, after, {_NO_EVENT}, NULL::bigint FROM guessed"
            f" UNION ALL SELECT i, tenant_id, position, {_NO_EVENT}, writer FROM at"
            f" UNION ALL SELECT -2, {LOG_COLUMNS}, NULL::bigint"
            f" FROM guessed AS w {events_after('$3')}"
            " ORDER BY 1, 2, 3"
        )
        """A pass's first query: the tenants whose locks it holds (i = -1), each
        projection's position for them and the transaction that wrote it (i = its index),
        and their events after the position this process guessed (i = -2, in position
        order) when every projection stands there (those tenants: i = -3): so whenever it
        kept the tenant's foldings and no other projector moved the tenant on since, as for
        a tenant it projects again and again. A wrong guess reads nothing."""

    @classmethod
    def configured(
        cls, pool: asyncpg.Pool, repository: Repository, settings: Settings, **options: Any
    ) -> Projector:
        """A projector of every registered projection, as the settings say."""
        return cls(
            pool, repository, PROJECTIONS, batch_size=settings.projector_batch,
            poll_interval=settings.projector_poll, tenants_kept=settings.projector_tenants_kept,
            **options,
        )  # fmt: skip

    async def catch_up(self, tenant_id: UUID) -> int:
        """Apply every event of the tenant not yet projected; how many were applied."""
        total = 0
        while True:
            done = await self.project([tenant_id])
            if tenant_id not in done:  # another projector holds the tenant
                return total
            applied, more = done[tenant_id]
            total += applied
            if not more:
                return total

    async def project(self, tenants: Sequence[UUID]) -> dict[UUID, tuple[int, bool]]:
        """One pass over these tenants in one transaction: per tenant it holds, the events
        applied and whether more may be waiting (it read a full batch).

        A pass whose rows the database refuses (rows_refused: a key written twice, a value
        out of range...) is one tenant's doing, not the database's: the pass is tried again
        in halves, down to that tenant alone, which is then stopped as one whose events do
        not fold (_failed); the others are applied. A tenant failing so far has a pass of
        its own: tried again with others, its rows refused again would fail their pass too,
        each time, and halving it would drop the foldings they kept."""
        failing = [[t] for t in tenants if t in self.failures]
        others = [t for t in tenants if t not in self.failures]
        done: dict[UUID, tuple[int, bool]] = {}
        for group in [others, *failing] if others else failing:
            done |= await tried_apart(group, self._pass, self._refused, operator.or_)
        return done

    def _refused(self, tenant_id: UUID, error: Exception) -> dict[UUID, tuple[int, bool]]:
        self._failed(tenant_id, error)
        return {}

    async def _pass(self, tenants: Sequence[UUID]) -> dict[UUID, tuple[int, bool]]:
        """See project."""
        async with self.pool.acquire() as conn:
            begin = f"{admit_unflushed_sql(tenants)}; {SHARE_SWAP_SQL}; {LOCK_MANY_SQL}"
            async with transaction_with(conn, begin):  # unflushed: see the module's docstring
                guessed = {t: self._kept_at(t) for t in tenants}
                rows = await conn.fetch(
                    self._start_sql, list(guessed), list(guessed.values()), self.batch_size
                )
                mine = [r[1] for r in rows if r[0] == -1]
                if not mine:
                    return {}
                positions = {(r[0], r[1]): r[2] for r in rows if r[0] >= 0}
                read_at = {r[1]: r[2] for r in rows if r[0] == -3}  # the guesses read after
                writers = {(r[0], r[1]): r[-1] for r in rows if r[0] >= 0}
                logs: dict[UUID, list[LogRecord]] = {}
                for r in rows:
                    if r[0] == -2:
                        logs.setdefault(r[1], []).append(LogRecord(*r[1:-1]))
                foldings = await self._load(conn, mine, positions, writers)
                await self.repository.load_mappers(mine, conn)
                stand = {t: min(f.at for f in fs) for t, fs in foldings.items()}
                unread = {t: at for t, at in stand.items() if read_at.get(t) != at}
                if unread:  # read from where their foldings stand, not from the guess
                    for tenant_id in unread:
                        logs.pop(tenant_id, None)
                    logs |= await read_logs_on(conn, unread, limit=self.batch_size)
                writes, done = Writes(), {}
                for tenant_id, fs in list(foldings.items()):
                    stored = logs.get(tenant_id, [])
                    before = min(f.applied for f in fs)
                    try:
                        writes.merge(
                            await fold_stored(self.repository, conn, tenant_id, fs, stored)
                        )
                    except DATABASE_TROUBLE:
                        raise  # the database or the network: the whole pass fails, see _lane
                    except Exception as error:  # a row that does not decode, a fold that fails:
                        self._failed(tenant_id, error)  # this tenant stops, not the others
                        del foldings[tenant_id]
                        continue
                    done[tenant_id] = (
                        min(f.applied for f in fs) - before,
                        len(stored) == self.batch_size,
                    )
                mine_now = await write(conn, self.tables, writes)
            # committed: kept and told now, not after the connection's reset (a round trip)
            for tenant_id, fs in foldings.items():
                writer = [
                    mine_now
                    if f.applied != positions.get((i, tenant_id))
                    else writers.get((i, tenant_id))
                    for i, f in enumerate(fs)
                ]  # this pass wrote the positions it moved, and no other
                self._remember(tenant_id, fs, writer)
                self.failures.pop(tenant_id, None)  # (not before: its rows might be refused)
                applied = self.applied[tenant_id] = min(f.applied for f in fs)
                if done[tenant_id][0] and self.on_committed is not None:
                    self.on_committed(tenant_id, applied)
        return done

    def _failed(self, tenant_id: UUID, error: Exception) -> None:
        """A tenant whose events do not decode or fold, or whose rows the database refuses:
        it stays where it is (its events are never skipped) and is tried again later, each
        time twice as late, up to a minute."""
        attempts = self.failures.get(tenant_id, 0) + 1
        self.failures[tenant_id] = attempts
        log.error(
            "projector.tenant_failed",
            tenant_id=str(tenant_id),
            position=failed_at(error),
            attempts=attempts,
            error=repr(error),
        )

    async def _load(
        self,
        conn: asyncpg.Connection,
        tenants: list[UUID],
        positions: dict[tuple[int, UUID], int],
        writers: dict[tuple[int, UUID], int],
    ) -> dict[UUID, list[Folding]]:
        """Each projection's folding per tenant: from memory when it is still what the
        tables hold, else from the latest checkpoint (replayed up to the position).

        A folding kept in memory is what the tables hold only while its positions row is
        the one this process last wrote or read (`writers`: the transaction that wrote each
        row). A rebuild writes them anew, a full one by swapping other tables in, one
        tenant's in place, at the same position or further; and a rebuild is how damaged
        read models are mended (a fold's bug fixed, a checkpoint gone bad): a folding kept
        from before it is not used, the tenant starts again from the rebuilt checkpoint."""
        out: dict[UUID, list[Folding]] = {t: [] for t in tenants}
        for i, projection in enumerate(self.projections):
            missing: dict[UUID, int] = {}
            for tenant_id in tenants:
                position = positions.get((i, tenant_id))
                key = (tenant_id, projection.name)
                kept, writer = self._foldings.pop(key, (None, None))
                if position is None:
                    out[tenant_id].append(Folding.new(projection))
                elif (
                    kept is not None
                    and kept.applied == position
                    and writer == writers[i, tenant_id]
                ):
                    out[tenant_id].append(kept)
                else:
                    missing[tenant_id] = position
            if missing:
                for tenant_id, f in (await from_checkpoints(conn, projection, missing)).items():
                    out[tenant_id].append(f)
        return out

    def _kept_at(self, tenant_id: UUID) -> int:
        """Where this process's foldings of the tenant all stand (their states' position),
        or -1 if it lacks one."""
        kept = [self._foldings.get((tenant_id, p.name)) for p in self.projections]
        return -1 if None in kept else min(k[0].at for k in kept if k is not None)

    def _remember(
        self, tenant_id: UUID, foldings: list[Folding], writers: list[int | None]
    ) -> None:
        """Keep the committed foldings in memory, each with the transaction that wrote its
        positions row (a bounded cache: oldest tenants go first)."""
        for f, writer in zip(foldings, writers, strict=True):
            self._foldings[(tenant_id, f.projection.name)] = f, writer
        while len(self._foldings) > self.cache_size:
            self._foldings.popitem(last=False)  # a dict's first key: a walk over holes

    async def lagging_tenants(self) -> list[UUID]:
        """Tenants whose log head is past what every projection has applied (for a tenant
        this process has not projected yet, as the positions tables say)."""
        self._polled_at = time.monotonic()  # before any await: one lane polls at a time
        try:
            async with self.pool.acquire() as conn:
                heads = await conn.fetch("SELECT tenant_id, position FROM okr_tenant_positions()")
                seen = self.heads  # a NOTIFY during the fetch may have told of a later head
                self.heads = {t: max(p, seen.get(t, 0)) for t, p in heads}
                gone = [t for t in self.applied if t not in self.heads]
                if gone:  # (a tenant whose first head came after the fetch is not gone)
                    self._forget(await conn.fetch(_ERASED_OF, gone))
                unseen = [t for t in self.heads if t not in self.applied]
                for chunk in _chunks(unseen, STORED_TENANTS):
                    stored = await self._stored_positions(conn, chunk)
                    for tenant_id, position in stored.items():
                        self.applied.setdefault(tenant_id, position)  # a pass may have gone on
        finally:
            self._polled_at = time.monotonic()  # a slow poll: the next one poll_interval after
        return [t for t, head in self.heads.items() if self.applied.get(t, -1) < head]

    def _forget(self, rows: list[Any]) -> None:
        """Keep nothing of these erased tenants (tenants/directory.py): their fold states
        (titles, notes) and cipher key stayed in this process until evicted."""
        erased = {r["id"] for r in rows} - self._busy  # (a busy one: at a later poll)
        if not erased:
            return
        for key in [key for key in self._foldings if key[0] in erased]:
            del self._foldings[key]
        for tenant_id in erased:
            self.applied.pop(tenant_id, None)
            self.repository.forget(tenant_id)
        log.info("projector.forgot_erased", tenants=len(erased))

    async def _stored_positions(
        self, conn: asyncpg.Connection, tenants: list[UUID]
    ) -> dict[UUID, int]:
        """Per tenant, the position every projection has applied (0: one has none)."""
        async with transaction_with(conn, f"{admit_sql(tenants)}; {SHARE_SWAP_SQL}"):
            stored = await stored_positions(conn, self.projections, tenants)
        return {t: min(stored[t].get(p.name, 0) for p in self.projections) for t in tenants}

    async def warm_up(self, stop: asyncio.Event | None = None) -> None:
        """Load the foldings of the tenants this process keeps none of (as many as it keeps,
        see tenants_kept), WARM_TENANTS a pass, until done or `stop` is set: the first
        check-in of each then costs a pass what any later one does, not a load of its
        checkpoints and a replay (about 10 ms a tenant). `run` does it between passes of
        tenants with new events, which go first."""
        collector = self.collector()
        while chunk := self._cold_chunk():
            if stop is not None and stop.is_set():
                return
            collector.tick()
            await self._project_logged(chunk)

    def _cold_chunk(self) -> list[UUID]:
        """The next tenants to warm: not queued, not in a lane, not kept, and no more than
        the cache has room for (warming more would push out tenants projected lately),
        counting the tenants of passes under way as kept."""
        each = max(1, len(self.projections))
        if len(self._foldings) + each > self.cache_size:  # full: it stays full
            self._cold.clear()
        room = (self.cache_size - len(self._foldings)) // each - len(self._busy)
        chunk: list[UUID] = []
        while self._cold and len(chunk) < min(WARM_TENANTS, room):
            tenant_id = next(iter(self._cold))
            del self._cold[tenant_id]
            idle = tenant_id not in self._dirty and tenant_id not in self._busy
            if idle and self._kept_at(tenant_id) < 0:
                chunk.append(tenant_id)
        return chunk

    async def catch_up_all(self, stop: asyncio.Event | None = None) -> int:
        """Passes over every lagging tenant until none is left behind (or others hold it),
        or until `stop` is set. The others are left to `warm_up` (as many as it keeps)."""
        collector = self.collector()
        total, tenants = 0, await self.lagging_tenants()
        lagging = set(tenants)
        self._cold = dict.fromkeys(t for t in self.heads if t not in lagging)
        while tenants:
            more = []
            for chunk in _chunks(tenants, self.tenants_per_pass):
                if stop is not None and stop.is_set():
                    return total
                collector.tick()
                try:
                    done = await self.project(chunk)
                except CONNECTION_LOST as error:  # its connections lost: again, shortly (a
                    # bug fails the start; a tenant's refused rows stop that tenant alone)
                    log.warning(
                        "projector.pass_failed", tenants=len(chunk),
                        error_type=type(error).__name__, error=str(error),
                    )  # fmt: skip
                    await asyncio.sleep(self.poll_interval)
                    more += chunk
                    continue
                for tenant_id, (applied, full) in done.items():
                    total += applied
                    if full:
                        more.append(tenant_id)
                self._retry_failed(chunk)  # the poll skips a failing tenant: it comes back
            tenants = more
        return total

    def collector(self) -> QuietCollector:
        """This projector's collector: the fold states it keeps make full collections long."""
        if self._collector is None:
            self._collector = QuietCollector()
        return self._collector

    def notified(self, tenant_id: UUID, position: int) -> None:
        """A NOTIFY arrived: the tenant has new events."""
        self.heads[tenant_id] = max(position, self.heads.get(tenant_id, 0))
        self._mark([tenant_id])

    def _mark(self, tenants: Iterable[UUID]) -> None:
        """Tenants to project: queued (oldest first) and a waiting lane woken."""
        self._dirty.update(dict.fromkeys(tenants))
        if self._dirty:
            self._wake.set()

    async def run(self, listen_dsn: str, stop: asyncio.Event) -> None:
        """Project until `stop` is set: woken by NOTIFY, polling every poll_interval.

        Listens before it catches up, so that no event falls between the two; a server it
        cannot reach then fails the start. A LISTEN connection lost later is opened again
        (see _keep_listening)."""
        lost = asyncio.Event()
        listener = await self._listen(listen_dsn, lost)
        log.info("projector.started", projections=[p.name for p in self.projections])
        listening = asyncio.create_task(self._keep_listening(listen_dsn, listener, lost))
        try:
            began = time.monotonic()
            caught_up = await self.catch_up_all(stop)
            log.info(
                "projector.caught_up", events=caught_up, seconds=round(time.monotonic() - began, 1)
            )
            self.running = not stop.is_set()
            collector = self.collector()
            await asyncio.gather(*(self._lane(stop, collector) for _ in range(self.lanes)))
        finally:
            self.running = False
            listening.cancel()
            try:
                await listening
            except asyncio.CancelledError:
                pass
            except Exception:  # it had stopped listening: say so, and stop as asked
                log.exception("projector.listening_failed")
            log.info("projector.stopped")

    async def _listen(self, dsn: str, lost: asyncio.Event) -> asyncpg.Connection:
        """A connection that LISTENs for appends; `lost` is set when it terminates. Started
        as the pools' sessions are (open_connection: the server tells its client vanished
        within seconds), with no limit on idling: it idles between notifications."""
        within = self.heartbeat[1]  # as long as a heartbeat's answer may take
        listener = await open_connection(dsn, answer_within=within)
        listener.add_termination_listener(lambda _conn: lost.set())
        try:
            await listener.add_listener(CHANNEL, self._on_notify)
        except BaseException:
            await listener.close()
            raise
        return listener

    async def _keep_listening(
        self, dsn: str, listener: asyncpg.Connection, lost: asyncio.Event
    ) -> None:
        """Open the LISTEN connection again whenever it is lost (a server restart, its
        backend terminated): at once, then while that fails twice as late each time, up to
        RELISTEN_MAX seconds. What was notified meanwhile never arrives (a check-in, a
        rebuild's word of a tenant it left behind, which the poll cannot see: this process
        applied that tenant to the tables swapped out): once listening again, every tenant
        is queued, and its pass finds what it missed. Until cancelled; then the connection
        is closed.

        A connection can also die silently: a firewall or NAT that forgets an idle one
        drops its packets, and no end ever arrives (notifications stop, TCP only gives up
        after many minutes). So a trivial query goes over it every `heartbeat[0]` seconds,
        and one not answered within `heartbeat[1]` counts as lost."""
        try:
            while True:
                await self._until_lost(listener, lost)
                log.warning("projector.listen_lost")
                listener.terminate()  # (a dead one: closing would wait on it)
                lost = asyncio.Event()
                listener = await self._listen_again(dsn, lost)
                log.info("projector.listening_again")
                try:
                    await self.lagging_tenants()  # every tenant's head, new ones too
                except Exception as error:  # the pool's connections lost too: the poll will
                    log.warning("projector.heads_failed", error=str(error))
                self._mark(list(self.heads))
        finally:
            with contextlib.suppress(Exception):  # (a dead one would hold the stop for good)
                await listener.close(timeout=self.heartbeat[1])

    async def _until_lost(self, listener: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Until the connection ends, or a heartbeat goes unanswered (see _keep_listening)."""
        every, within = self.heartbeat
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), every)
                return
            try:
                await listener.execute("SELECT 1", timeout=within)
            except Exception as error:  # no answer, or the connection failing: lost
                log.warning("projector.heartbeat_failed", error=repr(error))
                return

    async def _listen_again(self, dsn: str, lost: asyncio.Event) -> asyncpg.Connection:
        """`_listen`, tried again until it succeeds: at once, then twice as late each time."""
        delay = RELISTEN_FIRST
        while True:
            try:
                return await self._listen(dsn, lost)
            except Exception as error:  # whatever it is, try again later
                log.warning("projector.listen_failed", error=str(error), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RELISTEN_MAX)

    async def _lane(self, stop: asyncio.Event, collector: QuietCollector) -> None:
        """One of `lanes` passes at once, each on its own connection: takes the tenants
        queued longest (up to tenants_per_pass) as soon as it is free, so a tenant notified
        during a pass waits for a free lane, not for every lane's pass to end. When nothing
        is queued it warms tenants up (see warm_up) unless another lane does, else waits
        for a NOTIFY. Every poll_interval one lane looks for lagging tenants, whatever the
        lanes are doing: a tenant whose NOTIFY was lost is found while others keep them
        busy (they wake each other up after every pass).

        Safe: a tenant leaves the queue when a lane takes it, and is only worked on under
        its advisory lock, so no two lanes (or projectors) ever apply it at once. A tenant
        queued again while a lane has it waits until that lane kept its foldings: its lock
        goes at the commit, before that, and another lane taking it then would find no
        folding in memory and start again from a checkpoint (up to 500 events replayed).
        """
        while not stop.is_set():
            if time.monotonic() - self._polled_at >= self.poll_interval:
                await self._poll()
            ready = (t for t in self._dirty if t not in self._busy)
            chunk = list(itertools.islice(ready, self.tenants_per_pass))
            warming = not chunk and self._warming < max(1, self.lanes - 1)
            if warming:  # nothing new: warm some up, leaving a lane free for what comes
                chunk = self._cold_chunk()
                warming = bool(chunk)
            if not chunk:
                self._wake.clear()  # no await since the look: a later _mark sets it again
                await self._wait(stop)
                continue
            for tenant_id in chunk:
                self._dirty.pop(tenant_id, None)
            self._busy.update(chunk)
            self._warming += warming
            try:
                collector.tick()
                await self._project_logged(chunk)
            finally:
                self._warming -= warming
                self._busy.difference_update(chunk)
                self._wake.set()  # what came for them meanwhile is theirs to take now

    async def _poll(self) -> None:
        """Queue the lagging tenants but those a lane has (it queues them again if they are
        still behind) and those failing (they come back after their delay, see _failed).
        A database that does not answer is logged: the next poll tries again, as a pass
        that fails does."""
        try:
            lagging = await self.lagging_tenants()
        except DATABASE_TROUBLE as error:
            log.warning("projector.poll_failed", error_type=type(error).__name__, error=str(error))
            return
        self._mark(t for t in lagging if t not in self._busy and t not in self.failures)

    async def _project_logged(self, tenants: list[UUID]) -> None:
        try:
            done = await self.project(tenants)
        except DATABASE_TROUBLE as error:
            log.warning(
                "projector.pass_failed", tenants=len(tenants), error_type=type(error).__name__,
                error=str(error),
            )  # fmt: skip
            self._later(tenants, self.poll_interval)
            return
        if done:
            log.debug("projector.applied", events=sum(n for n, _ in done.values()))
        held = [t for t in tenants if t not in done and t not in self.failures]
        if held:  # another projector has them: look again shortly
            self._later(held, 0.05)
        self._retry_failed(tenants)
        self._mark(t for t in done if self.applied.get(t, -1) < self.heads.get(t, 0))

    def _retry_failed(self, tenants: Iterable[UUID]) -> None:
        """Queue each of these tenants that failed again after its delay, doubling with each
        attempt up to a minute (the poll leaves failing tenants to this)."""
        for tenant_id in tenants:
            if tenant_id in self.failures:
                delay = min(60.0, self.poll_interval * 2 ** (self.failures[tenant_id] - 1))
                self._later([tenant_id], delay)

    def _later(self, tenants: list[UUID], delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._mark, tenants)

    async def _wait(self, stop: asyncio.Event) -> None:
        """Until a lane is woken (a tenant queued, a lane done), `stop`, or the next poll."""
        due = self._polled_at + self.poll_interval - time.monotonic()
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=max(due, 0.0), return_when="FIRST_COMPLETED")
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        tenant, _, position = payload.partition(":")
        with contextlib.suppress(ValueError):
            self.notified(UUID(tenant), int(position))


DATABASE_TROUBLE: tuple[type[Exception], ...] = (asyncpg.PostgresError, *CONNECTION_LOST)
"""What fails a whole pass, to be tried again: the database or the network, not a tenant
(but those of its errors that are rows_refused)."""

_REFUSED_CLASSES = ("21", "22", "23", "54")
"""The SQLSTATE classes of errors that a statement's rows cause, not the server's state:
cardinality violation (a key written twice in one statement), data exception (a value out
of range, a string PostgreSQL refuses), integrity constraint violation (unique, check, not
null), program limit exceeded (a value too long for an index). Not, among others: the
connection lost or the server shutting down (08, 57P), serialization failure or deadlock
(40), lock timeout and query cancelled (55P03, 57014), out of memory or disk (53)."""


def rows_refused(error: BaseException) -> bool:
    """Whether `error` says the database refused the rows a statement gave it: the same
    statement would fail again, whenever tried, and one tenant's rows are the cause (a
    pass tries its tenants again apart, see Projector.project)."""
    if isinstance(error, asyncpg.exceptions._base.DataError):
        return True  # a value asyncpg cannot send as its column's type (an InterfaceError)
    return isinstance(error, asyncpg.PostgresError) and (
        str(error.sqlstate)[:2] in _REFUSED_CLASSES
    )


_Done = TypeVar("_Done")


async def tried_apart(
    tenants: Sequence[UUID],
    attempt: Callable[[Sequence[UUID]], Awaitable[_Done]],
    refused: Callable[[UUID, Exception], _Done],
    combine: Callable[[_Done, _Done], _Done],
) -> _Done:
    """`attempt` of these tenants together; if the database refuses its rows (see
    rows_refused), tried again in halves, each half's outcome combined, down to the
    tenant whose rows they are: `refused` says what comes of that one."""
    try:
        return await attempt(tenants)
    except Exception as error:
        if not rows_refused(error):
            raise
        if len(tenants) == 1:
            return refused(tenants[0], error)
    half = len(tenants) // 2
    first = await tried_apart(tenants[:half], attempt, refused, combine)
    return combine(first, await tried_apart(tenants[half:], attempt, refused, combine))


def _chunks(items: list[UUID], size: int) -> Iterator[list[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def fold_stored(
    repository: Repository,
    conn: asyncpg.Connection,
    tenant_id: UUID,
    foldings: list[Folding],
    stored: list[LogRecord],
    *,
    bulk: bool = False,
) -> Writes:
    """What one tenant's stored events write once decoded and folded (nothing, until merged):
    a projector's pass, a rebuild's catch-up (`bulk`: see Folding.finish)."""
    writes = Writes()
    fold_all(foldings, await decode(repository, stored, conn))
    for f in foldings:
        f.finish(tenant_id, writes, bulk=bulk)
    return writes


async def from_checkpoints(
    conn: asyncpg.Connection,
    projection: Projection[Any],
    positions: dict[UUID, int],
    suffix: str = "",
) -> dict[UUID, Folding]:
    """Foldings of tenants whose tables stand at these positions, from their latest
    checkpoints (the events after each are replayed by the next fold, not written again)."""
    found = await load_checkpoints(conn, projection, positions, suffix)
    out = {}
    for tenant_id, position in positions.items():
        at, state = found.get(tenant_id, (0, projection.initial()))
        out[tenant_id] = Folding(projection, position, state, at, at, None)
    return out


async def load_checkpoints(
    conn: asyncpg.Connection,
    projection: Projection[Any],
    upto: dict[UUID, int],
    suffix: str = "",
) -> dict[UUID, tuple[int, Any]]:
    """Per tenant, the latest stored state of the projection at or before a position (in
    its live states table, or in the one with `suffix`: a rebuild's shadow)."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (s.tenant_id) s.tenant_id, s.position, s.state"
        " FROM unnest($1::uuid[], $2::bigint[]) AS w(tenant_id, upto)"
        f" JOIN {states_table(projection)}{suffix} AS s"
        " ON s.tenant_id = w.tenant_id AND s.position <= w.upto"
        " ORDER BY s.tenant_id, s.position DESC",
        list(upto),
        list(upto.values()),
    )
    return {r[0]: (r[1], projection.decode_state(r[2])) for r in rows}


async def stored_positions(
    conn: asyncpg.Connection,
    projections: Sequence[Projection[Any]],
    tenants: list[UUID],
    suffix: str = "",
) -> dict[UUID, dict[str, int]]:
    """Where each projection's tables (live, or with `suffix`) stand for these tenants, in
    the caller's transaction (which admits them)."""
    each = " UNION ALL ".join(
        f"SELECT {i}, tenant_id, position FROM {positions_table(p)}{suffix}"
        " WHERE tenant_id = ANY ($1::uuid[])"
        for i, p in enumerate(projections)
    )
    out: dict[UUID, dict[str, int]] = {t: {} for t in tenants}
    for i, tenant_id, position in await conn.fetch(each, tenants):
        out[tenant_id][projections[i].name] = position
    return out

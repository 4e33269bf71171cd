"""The per-tenant event store on asyncpg.

Appends go through one plpgsql function (okr_append): one statement, one round trip, one
transaction per command. Loads go through okr_load_stream: snapshot and events in one
statement (okr_load_streams: several streams in one). Every call names the tenant, and the
principal's tenant grants become the row-level-security setting of that transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from eventsourcing.persistence import StoredEvent

from services.db import (
    admit_unflushed_sql,
    grants_literal,
    tenant_transaction,
    transaction_with,
)
from services.store.notifier import Notifier

_APPEND = "SELECT * FROM okr_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
_SAVE_SNAPSHOT = (
    "WITH new AS ("
    " INSERT INTO snapshots (tenant_id, stream_id, version, position, topic, state)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING version)"
    " DELETE FROM snapshots WHERE tenant_id = $1 AND stream_id = $2 AND version < ("
    " SELECT min(v) FROM (SELECT version FROM snapshots WHERE tenant_id = $1 AND stream_id = $2"
    " UNION ALL SELECT version FROM new ORDER BY 1 DESC LIMIT $7) AS newest (v))"
)
"""Insert a snapshot and delete the stream's older ones but the newest $7, in one statement
(the DELETE does not see the row its own statement inserts: `new` hands it the version)."""
_LOAD = "SELECT * FROM okr_load_stream($1, $2, $3, $4)"
_LOAD_MANY = "SELECT * FROM okr_load_streams($1, $2, $3, $4)"
_READ_LOG = (
    "SELECT position, stream_id, version, topic, state, recorded_at, actor, correlation_id, hash"
    " FROM events WHERE tenant_id = $1 AND position > $2 AND position <= $3"
    " ORDER BY position LIMIT $4"
)
LOG_COLUMNS = (
    "w.tenant_id, e.position, e.stream_id, e.version, e.topic, e.state, e.recorded_at,"
    " e.actor, e.correlation_id, e.hash"
)
"""A LogRecord's columns, in a query joined with `events_after`."""


def events_after(limit: str) -> str:
    """Joined to a relation `w` of (tenant_id, after): up to `limit` (a parameter, $n) of
    each tenant's events after its position, as `e`."""
    return (
        "CROSS JOIN LATERAL (SELECT * FROM events WHERE events.tenant_id = w.tenant_id"
        f" AND events.position > w.after ORDER BY events.position LIMIT {limit}) AS e"
    )


_READ_LOGS = (
    f"SELECT {LOG_COLUMNS} FROM unnest($1::uuid[], $2::bigint[]) AS w(tenant_id, after)"
    f" {events_after('$3')}"
)
"""No ORDER BY: each tenant's rows come in position order from its LATERAL's index scan, and
read_logs_on makes sure of it; ordering the whole result by tenant too cost a sort of every
row (20,000 rows with their state, spilled to disk in a rebuild's read)."""
_TOPIC_EVENTS = (
    "SELECT stream_id, version, topic, state FROM events WHERE tenant_id = $1"
    " AND position > $2 AND position <= $3 AND topic = ANY($4) ORDER BY position"
)
_HEAD = "SELECT position FROM tenant_heads WHERE tenant_id = $1"
_LOCK_HEAD = (
    "WITH made AS (INSERT INTO tenant_heads (tenant_id) SELECT $1 WHERE NOT EXISTS"
    " (SELECT FROM tenant_heads WHERE tenant_id = $1) ON CONFLICT DO NOTHING)"
    " SELECT position FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE"
)
_VERSIONS = (
    "SELECT stream_id, max(version) FROM events WHERE tenant_id = $1"
    " AND stream_id = ANY($2::uuid[]) GROUP BY stream_id"
)
_position = attrgetter("position")
MAX_POSITION = 2**63 - 1
"""Past every position: reads with no upper bound."""


class TenantErasedError(Exception):
    """The tenant was erased (migration 0013): its log takes nothing more (okr_append
    refuses it, 0014)."""

    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        super().__init__(f"tenant {tenant_id} was erased")


class ConcurrencyError(Exception):
    """Another command wrote this stream version first: reload and try again."""

    def __init__(self, tenant_id: UUID, stream_ids: Sequence[UUID]) -> None:
        self.tenant_id = tenant_id
        self.stream_ids = list(stream_ids)
        super().__init__(f"stale write to stream(s) {', '.join(map(str, stream_ids))}")


@dataclass(frozen=True)
class Appended:
    """Where one command's events landed in the tenant log."""

    first_position: int
    last_position: int
    recorded_at: datetime

    @property
    def positions(self) -> list[int]:
        return list(range(self.first_position, self.last_position + 1))


class LogRecord(msgspec.Struct, frozen=True, gc=False):
    """One row of a tenant's log, as stored. A Struct: reads make one per event, and a
    frozen dataclass takes a microsecond to make (a setattr per field), a Struct 0.06."""

    tenant_id: UUID
    position: int
    stream_id: UUID
    version: int
    topic: str
    state: bytes
    recorded_at: datetime
    actor: str
    correlation_id: UUID
    hash: bytes


@dataclass(frozen=True)
class StreamRows:
    """A stream as loaded: the snapshot it starts from (if any) and the events after it."""

    snapshot: StoredEvent | None
    events: list[StoredEvent]
    positions: list[int]


def _grants(tenant_id: UUID, grants: Iterable[UUID] | None) -> str:
    return grants_literal([tenant_id] if grants is None else grants)


def _stream_rows(stream_id: UUID, rows: Iterable[Sequence[Any]]) -> StreamRows:
    """(kind, version, topic, state, position) rows of one stream, snapshot first."""
    snapshot, events, positions = None, [], []
    for kind, version, topic, state, position in rows:
        stored = StoredEvent(stream_id, version, topic, state)
        if kind == b"s" or kind == "s":
            snapshot = stored
        else:
            events.append(stored)
            positions.append(position)
    return StreamRows(snapshot, events, positions)


async def read_log_on(
    conn: asyncpg.Connection, tenant_id: UUID, after: int, *, limit: int, upto: int | None = None
) -> list[LogRecord]:
    """read_log inside the caller's transaction (its tenant setting must admit tenant_id)."""
    upto = MAX_POSITION if upto is None else upto
    rows = await conn.fetch(_READ_LOG, tenant_id, after, upto, limit)
    return [LogRecord(tenant_id, *row) for row in rows]


async def head_on(conn: asyncpg.Connection, tenant_id: UUID) -> int:
    """The tenant's last position (0 for an empty log), in the caller's transaction."""
    return int(await conn.fetchval(_HEAD, tenant_id) or 0)


async def lock_head_on(conn: asyncpg.Connection, tenant_id: UUID) -> None:
    """Take the tenant's head row as okr_append does, for the rest of the caller's
    transaction: the tenant's appends, of any transaction but this one, wait until it ends.
    What the caller reads of the log after it, statement by statement (read committed), is
    the whole log until its own append: a rule across streams (two cycles of one name) is
    checked on it and kept, whatever runs beside it. Hold it briefly: the tenant's every
    write waits meanwhile."""
    if await conn.fetchval(_LOCK_HEAD, tenant_id) is None:  # made just now: not seen yet
        await conn.fetchval(_LOCK_HEAD, tenant_id)


async def check_unchanged_on(
    conn: asyncpg.Connection, tenant_id: UUID, versions: Mapping[UUID, int]
) -> None:
    """Refuse, as ConcurrencyError (reload and try again), an append of the caller's
    transaction made on what it read of streams it does not write, if one of them is no
    longer at the version it read (`versions`): checked under the head lock
    (lock_head_on), so that nothing is appended to them between the check and its own
    append, which it makes next in the same transaction. A KPI's measurement that fed
    nothing to the key results of an objective it read archived is so never appended
    after that objective's restore (which did not give it back): it runs again, and
    feeds them."""
    await lock_head_on(conn, tenant_id)
    rows = await conn.fetch(_VERSIONS, tenant_id, list(versions))
    now = {row[0]: row[1] for row in rows}
    moved = [stream_id for stream_id, version in versions.items() if now.get(stream_id) != version]
    if moved:
        raise ConcurrencyError(tenant_id, moved)


async def topic_events_on(
    conn: asyncpg.Connection,
    tenant_id: UUID,
    topics: Sequence[str],
    *,
    after: int = 0,
    upto: int = MAX_POSITION,
) -> list[StoredEvent]:
    """The tenant's events of these topics with position in (after, upto], in log order,
    in the caller's transaction (rare reads: the tenant's rows are gone through)."""
    rows = await conn.fetch(_TOPIC_EVENTS, tenant_id, after, upto, list(topics))
    return [StoredEvent(r["stream_id"], r["version"], r["topic"], r["state"]) for r in rows]


async def read_logs_on(
    conn: asyncpg.Connection, afters: Mapping[UUID, int], *, limit: int
) -> dict[UUID, list[LogRecord]]:
    """Several tenants' logs in one query: per tenant, up to `limit` rows after its position.

    Inside the caller's transaction (its tenant setting must admit every tenant); the
    lists are in position order, and a tenant with nothing new is left out.
    """
    rows = await conn.fetch(_READ_LOGS, list(afters), list(afters.values()), limit)
    out: dict[UUID, list[LogRecord]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(LogRecord(*row))
    for records in out.values():
        records.sort(key=_position)  # already in order: one pass
    return out


class EventStore:
    """Appends to and reads from the per-tenant logs."""

    def __init__(self, pool: asyncpg.Pool, notify: bool = True) -> None:
        self.pool = pool
        self.notifier = Notifier(pool) if notify else None

    async def append(
        self,
        tenant_id: UUID,
        events: Sequence[StoredEvent],
        *,
        actor: str,
        correlation_id: UUID,
        grants: Iterable[UUID] | None = None,
        imported_at: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Appended:
        """Append all events of one command atomically; ConcurrencyError if a version is taken.

        `imported_at` backdates recorded_at for an import of history (see okr_append). On
        `conn`, the append joins the transaction it is in (the caller commits), and projectors
        are not told: the caller calls `appended` once it has committed.
        """
        if not events:
            raise ValueError("nothing to append")
        args = (
            tenant_id,
            _grants(tenant_id, grants),
            [e.originator_id for e in events],
            [e.originator_version for e in events],
            [e.topic for e in events],
            [e.state for e in events],
            actor,
            correlation_id,
            False,  # NOTIFY goes after the commit, coalesced: see services/store/notifier.py
            imported_at,
        )
        try:
            row = await (conn or self.pool).fetchrow(_APPEND, *args)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "events_stream_version_key":
                stream_ids = [UUID(str(e.originator_id)) for e in events]
                raise ConcurrencyError(tenant_id, stream_ids) from error
            raise
        except asyncpg.NoDataFoundError as error:  # okr_append: an erased tenant (0014)
            raise TenantErasedError(tenant_id) from error
        assert row is not None
        if conn is None:
            self.appended(tenant_id, row["last_position"])
        return Appended(row["first_position"], row["last_position"], row["recorded_at"])

    def appended(self, tenant_id: UUID, position: int) -> None:
        """Tell projectors that the tenant's log reached `position` (committed)."""
        if self.notifier is not None:
            self.notifier.appended(tenant_id, position)

    async def load_stream(
        self,
        tenant_id: UUID,
        stream_id: UUID,
        *,
        max_position: int | None = None,
        grants: Iterable[UUID] | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> StreamRows:
        """The stream's latest usable snapshot and the events after it, up to max_position
        (on `conn`: in the transaction it is in)."""
        limit = MAX_POSITION if max_position is None else max_position
        args = (tenant_id, _grants(tenant_id, grants), stream_id, limit)
        rows = await (conn or self.pool).fetch(_LOAD, *args)
        return _stream_rows(stream_id, rows)

    async def load_streams(
        self,
        tenant_id: UUID,
        stream_ids: Sequence[UUID],
        *,
        max_position: int | None = None,
        grants: Iterable[UUID] | None = None,
    ) -> list[StreamRows]:
        """load_stream of each of these streams, in the order given, in one statement (so
        in one snapshot of the database)."""
        limit = MAX_POSITION if max_position is None else max_position
        by_stream: dict[UUID, list[asyncpg.Record]] = {s: [] for s in stream_ids}
        args = (tenant_id, _grants(tenant_id, grants), list(by_stream), limit)
        for row in await self.pool.fetch(_LOAD_MANY, *args):
            by_stream[row[0]].append(row[1:])
        return [_stream_rows(s, by_stream[s]) for s in stream_ids]

    async def save_snapshot(
        self, tenant_id: UUID, snapshot: StoredEvent, position: int, *, keep: int = 2
    ) -> None:
        """Store a snapshot of a stream taken at `position`, keeping the last `keep` ones.

        Committed without waiting for the WAL's flush: a snapshot only saves replaying what
        the log holds, so a crash that loses one costs a longer load, never an event; and
        the check-in that takes it (one in `snapshot_every`) does not queue for a second
        flush after its append's.
        """
        async with (
            self.pool.acquire() as conn,
            transaction_with(conn, admit_unflushed_sql([tenant_id])),
        ):
            await conn.execute(
                _SAVE_SNAPSHOT, tenant_id, snapshot.originator_id, snapshot.originator_version,
                position, snapshot.topic, snapshot.state, keep,
            )  # fmt: skip

    async def read_log(
        self,
        tenant_id: UUID,
        after: int = 0,
        *,
        limit: int = 1000,
        upto: int | None = None,
        grants: Iterable[UUID] | None = None,
    ) -> list[LogRecord]:
        """The tenant's events with position in (after, upto], in position order."""
        async with tenant_transaction(self.pool, grants or [tenant_id]) as conn:
            return await read_log_on(conn, tenant_id, after, limit=limit, upto=upto)

    async def stream_ids(
        self, tenant_id: UUID, topics: Sequence[str], grants: Iterable[UUID] | None = None
    ) -> list[UUID]:
        """Ids of the tenant's streams that have an event of one of these topics (rare scans)."""
        async with tenant_transaction(self.pool, grants or [tenant_id]) as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT stream_id FROM events WHERE tenant_id = $1 AND topic = ANY($2)",
                tenant_id,
                list(topics),
            )
        return [row["stream_id"] for row in rows]

    async def positioned_stream_events(
        self,
        tenant_id: UUID,
        stream_id: UUID,
        topics: Sequence[str],
        grants: Iterable[UUID] | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[tuple[int, StoredEvent]]:
        """The stream's events of these topics, every one since its first (no snapshot
        stands in for them), in version order, each with its position in the tenant's log
        (to order events of several streams, as their log did): rare reads, of a few. On
        `conn`, in the transaction it is in (it admits the tenant)."""
        if conn is None:
            async with tenant_transaction(self.pool, grants or [tenant_id]) as own:
                return await self.positioned_stream_events(tenant_id, stream_id, topics, conn=own)
        rows = await conn.fetch(
            "SELECT position, version, topic, state FROM events WHERE tenant_id = $1"
            " AND stream_id = $2 AND topic = ANY($3) ORDER BY version",
            tenant_id, stream_id, list(topics),
        )  # fmt: skip
        return [
            (r["position"], StoredEvent(stream_id, r["version"], r["topic"], r["state"]))
            for r in rows
        ]

    async def head(self, tenant_id: UUID, grants: Iterable[UUID] | None = None) -> int:
        """The tenant's last position (0 for an empty log)."""
        async with tenant_transaction(self.pool, grants or [tenant_id]) as conn:
            position = await conn.fetchval(
                "SELECT position FROM tenant_heads WHERE tenant_id = $1", tenant_id
            )
        return int(position or 0)

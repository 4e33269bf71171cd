"""History and series: rows of the log read models, filtered in SQL; the audit trail: the
log itself, filtered in SQL and decoded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain import KPI, AccessChange, Cycle, KeyResult, Objective, SettingsChange, access
from projections.audit import AuditEntry, audit_entry
from projections.history import (
    HistoryLine,
    StoredLine,
    as_read_for,
    line_from_row,
    without_reason,
)
from projections.history_lines import ACCESS
from projections.history_text import templates_of
from projections.series import SeriesPoint, series_point
from services.db import tenant_transaction
from services.projector.decode import decode
from services.projector.schema import columns_sql
from services.store.event_store import MAX_POSITION, LogRecord
from services.store.repository import Repository

log = structlog.get_logger("okr.read")
MAX_LIMIT = 1000
AGGREGATES: tuple[type[Aggregate], ...] = (
    Cycle, Objective, KeyResult, KPI, SettingsChange, AccessChange
)  # fmt: skip
"""What a tenant's log holds events of: the kinds the trail filters by."""
TOPICS = frozenset(
    str(getattr(kind, "TOPIC", ""))
    for aggregate in AGGREGATES
    for kind in (aggregate, *vars(aggregate).values())
    if kind is aggregate
    or (
        isinstance(kind, type) and issubclass(kind, CanMutateAggregate) and kind.__name__ != "Event"
    )
)
"""Every topic of an event the log holds, and of each aggregate (a prefix of its events')."""
AGGREGATE_TOPICS: tuple[str, ...] = tuple(vars(aggregate)["TOPIC"] for aggregate in AGGREGATES)
"""The aggregates' topics, each a prefix of its events' (okr.KeyResult)."""


def known_topic(topic: str) -> bool:
    """Whether a trail's topic filter names an event's topic or a dotted prefix of some."""
    prefix = topic.rstrip(".")
    return any(t == prefix or t.startswith(prefix + ".") for t in TOPICS)


def _filters(column_of: dict[str, str], **wanted: Any) -> tuple[str, list[Any]]:
    """WHERE clauses (after tenant_id = $1) for the filters that were given."""
    clauses, args = [], []
    for name, value in wanted.items():
        if value is None:
            continue
        args.append(value)
        clauses.append(column_of[name].format(f"${len(args) + 1}"))
    return "".join(f" AND {c}" for c in clauses), args


_BEFORE = (
    "(SELECT coalesce(okr_position_at($1, {{0}}::timestamptz - interval '1 microsecond'), {}))"
)
_SINCE = f"position > {_BEFORE.format(0)} AND recorded_at >= {{0}}"
_UNTIL = f"position <= {_BEFORE.format(MAX_POSITION)} AND recorded_at < {{0}}"
"""A time range as a range of positions too ($1: the tenant), which the key finds at once:
the log is in time order, so the events recorded before an instant are a prefix of it
(migrations 0009 and 0010). The stamps decide: for a log out of order (written before
0009 by a clock that stepped back) the position bounds are none, and the stamps are read
one by one. Each bound is a sub-select, found once: under row-level security a bound that
calls the function (not leakproof) is no key condition, and it ran once a row (1.8 s for
24,000 lines)."""

_HISTORY = {
    "item_id": (  # its lines, and the close of its cycle that scored it (history.as_read_for)
        "(item_id = {0} OR (item_id = (SELECT cycle_id FROM rm_history WHERE tenant_id = $1"
        " AND item_id = {0} AND cycle_id IS NOT NULL LIMIT 1) AND template = 'cycle.closed'"
        " AND (params->>('key_result:' || {0}) IS NOT NULL"
        " OR params->>('objective:' || {0}) IS NOT NULL)))"
    ),
    "cycle_id": "cycle_id = {}",  # its lines, its objectives' and its key results'
    "actor": "actor = {}",
    "kind": (  # its template or its item's kind, or a close that scored the item as the kind
        "(template = ANY({0}::text[]) OR item_kind = ANY({0}::text[])"
        " OR (template = 'cycle.closed'"
        " AND EXISTS (SELECT FROM unnest({0}::text[]) AS k WHERE params->>k IS NOT NULL)))"
    ),
    "since": _SINCE,
    "until": _UNTIL,
    "after_position": "position > {}",
    "before_position": "position < {}",
}
_CYCLE_HISTORY = {
    **_HISTORY,
    "item_id": "(item_id = {0} OR (cycle_id = {0} AND template = 'cycle.score_adjusted'))",
}
"""A cycle's timeline: its lines (its close among them), and the scores changed since its
close, which are lines of the items they scored (as the cycle filter finds them)."""
_A_CYCLE = (
    "SELECT EXISTS (SELECT FROM rm_history WHERE tenant_id = $1 AND item_id = $2"
    " AND item_kind = 'cycle')"
)
"""Whether an item is a cycle (by its lines' key): only a cycle's timeline reads lines by
their cycle, which no key finds; any other item's stays on its key."""


async def history(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    *,
    item_id: UUID | None = None,
    cycle_id: UUID | None = None,
    actor: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_position: int | None = None,
    after_position: int | None = None,
    oldest_first: bool = False,
    limit: int = 100,
    access_reasons: bool = True,
) -> list[HistoryLine]:
    """The tenant's timeline, newest first, paged with `before_position` (a cursor); or
    `oldest_first`, paged with `after_position`: the projector writes a tenant's lines in
    log order, rows and position together, so what it has written is a prefix of the log
    and a walk forward never passes a line it has yet to write. Without `access_reasons`
    (a reader who may not read the audit trail), a change of access says no reason: an
    admin's words about a person are the trail's readers' alone."""
    kinds = kind and list(templates_of(kind))
    if kinds and item_id is not None:  # the close that scored it as one ("key_result:<id>")
        kinds += [f"{k}:{item_id}" for k in kinds]
    columns = columns_sql(StoredLine.__struct_fields__)
    async with tenant_transaction(pool, [tenant_id]) as conn:
        a_cycle = item_id is not None and await conn.fetchval(_A_CYCLE, tenant_id, item_id)
        where, args = _filters(
            _CYCLE_HISTORY if a_cycle else _HISTORY, item_id=item_id, cycle_id=cycle_id,
            actor=actor, kind=kinds, since=since, until=until,
            before_position=before_position, after_position=after_position,
        )  # fmt: skip
        sql = (
            f"SELECT {columns} FROM rm_history WHERE tenant_id = $1{where}"
            f" ORDER BY position{'' if oldest_first else ' DESC'}"
            f" LIMIT {min(max(limit, 1), MAX_LIMIT)}"
        )
        rows = await conn.fetch(sql, tenant_id, *args)
    lines = [line_from_row(tuple(r)) for r in rows]
    if item_id is not None:
        lines = [as_read_for(line, item_id) for line in lines]
    if access_reasons:
        return lines
    return [without_reason(line) if line.item_kind == ACCESS else line for line in lines]


async def names_in_log(pool: asyncpg.Pool, tenant_id: UUID, person: str) -> bool:
    """Whether the tenant's log names this person: they acted in it, or their access changed
    (its history's access lines name them)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        return bool(await conn.fetchval(_NAMED, tenant_id, person))


async def item_in_log(
    pool: asyncpg.Pool, tenant_id: UUID, item_id: UUID, *, cycle: bool = False
) -> bool:
    """Whether the tenant's log has events of this item (a cycle, objective, key result,
    KPI, or a change of settings or access): one the trail or the history may be filtered by;
    with `cycle`, whether the log made it as a cycle (what the read model may not show yet)."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        if cycle:
            return bool(await conn.fetchval(_CYCLE, tenant_id, item_id, Cycle.Created.TOPIC))
        return bool(await conn.fetchval(_ITEM, tenant_id, item_id))


_ITEM = "SELECT EXISTS (SELECT FROM events WHERE tenant_id = $1 AND stream_id = $2)"
_CYCLE = (
    "SELECT EXISTS (SELECT FROM events WHERE tenant_id = $1 AND stream_id = $2"
    " AND version = 1 AND topic = $3)"
)
_NAMED = (
    "SELECT EXISTS (SELECT FROM events WHERE tenant_id = $1 AND actor = $2)"
    " OR EXISTS (SELECT FROM rm_history WHERE tenant_id = $1 AND item_kind = 'access'"
    " AND params->>'member' = $2)"
)


_NAMED_AS = {**dict.fromkeys(access.PEOPLE, "user"), access.API_KEY: "key"}
"""How an access change's subject is named as an actor ("user:<id>", "key:<id>")."""


async def named_people(repository: Repository, tenant_id: UUID) -> list[str]:
    """Everyone the tenant's log names, as it names them ("user:<id>", "key:<id>"; sorted):
    who acted, and whose access changed (named in the payloads, which only the tenant's key
    reads)."""
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        rows = await conn.fetch("SELECT DISTINCT actor FROM events WHERE tenant_id = $1", tenant_id)
    named = {r["actor"] for r in rows}
    after: int | None = None
    while True:
        changes = await audit(
            repository, tenant_id, topic=AccessChange.Created.TOPIC, after_position=after,
            limit=MAX_LIMIT,
        )  # fmt: skip
        for change in changes:
            kind = _NAMED_AS.get(change.payload.get("subject", ""))
            if kind is not None:
                named.add(f"{kind}:{change.payload['subject_id']}")
        if len(changes) < MAX_LIMIT:
            return sorted(named)
        after = changes[-1].position


async def history_at(
    pool: asyncpg.Pool, tenant_id: UUID, positions: Sequence[int]
) -> dict[int, HistoryLine]:
    """The history lines of these positions of the log, by position (one an event; an event
    the history has not reached yet has none)."""
    if not positions:
        return {}
    columns = columns_sql(StoredLine.__struct_fields__)
    sql = (  # the range a key condition: a generic plan filtered the tenant's every line
        f"SELECT {columns} FROM rm_history WHERE tenant_id = $1 AND position BETWEEN $3 AND $4"
        " AND position = ANY($2::bigint[])"
    )
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(sql, tenant_id, list(positions), min(positions), max(positions))
    lines = [line_from_row(tuple(r)) for r in rows]
    return {line.position: line for line in lines}


_AUDIT = {
    "actor": "actor = {}",
    "stream_id": "stream_id = {}",
    "topic": "(topic = {0} OR left(topic, length({0}) + 1) = {0} || '.')",
    "since": _SINCE,
    "until": _UNTIL,
    "after_position": "position > {}",
    "before_position": "position < {}",
}
"""The audit trail's filters, on the log's columns; a topic matches itself and, as a dotted
prefix, the topics under it (as projections.audit.filter_audit does: no LIKE, so "_" and
"%" in what is asked for are only themselves)."""
_LOG_RECORD = ", ".join(LogRecord.__struct_fields__)


async def audit(
    repository: Repository,
    tenant_id: UUID,
    *,
    actor: str | None = None,
    stream_id: UUID | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_position: int | None = None,
    before_position: int | None = None,
    newest_first: bool = False,
    limit: int = 100,
) -> list[AuditEntry]:
    """The raw trail, oldest first, or `newest_first`; page with `after_position` (or
    `before_position`, newest first) as a cursor.

    Read from the tenant's log itself, not from a copy of it: the trail is what the
    hash chain covers, and a payload is decrypted with the tenant's key as it is read.
    An event whose payload does not decrypt or decode is still in the trail, with all
    the rest of it and what went wrong in place of its payload (see `undecodable`)."""
    where, args = _filters(
        _AUDIT, actor=actor, stream_id=stream_id, topic=topic and topic.rstrip("."),
        since=since, until=until, after_position=after_position,
        before_position=before_position,
    )  # fmt: skip
    sql = (
        f"SELECT {_LOG_RECORD} FROM events WHERE tenant_id = $1{where}"
        f" ORDER BY position{' DESC' if newest_first else ''}"
        f" LIMIT {min(max(limit, 1), MAX_LIMIT)}"
    )
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        stored = [LogRecord(*r) for r in await conn.fetch(sql, tenant_id, *args)]
        await repository.load_mappers([tenant_id], conn)  # decoded after, off the connection
    return await audit_entries(repository, stored)


async def audit_entries(repository: Repository, stored: Sequence[LogRecord]) -> list[AuditEntry]:
    """The trail's entries of these rows of one tenant's log, an undecodable one saying so."""
    try:
        return [audit_entry(r) for r in await decode(repository, stored)]
    except _UNREACHABLE:
        raise
    except Exception:  # one row at a time, to tell which
        return [await _entry(repository, row) for row in stored]


_UNREACHABLE = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
"""The database or the network failing (a tenant's key looked up again): not a row's fault."""


async def _entry(repository: Repository, row: LogRecord) -> AuditEntry:
    try:
        (record,) = await decode(repository, [row])
    except _UNREACHABLE:
        raise
    except Exception as error:
        log.warning(
            "audit.undecodable", tenant_id=str(row.tenant_id), position=row.position,
            error=repr(error),
        )  # fmt: skip
        return undecodable(row, error)
    return audit_entry(record)


UNDECODABLE = "undecodable"
"""The payload key of an entry whose event does not decrypt or decode."""


def undecodable(row: LogRecord, error: Exception) -> AuditEntry:
    """The entry of an event the trail cannot decode: every fact of its row, and the error."""
    return AuditEntry(
        position=row.position, recorded_at=row.recorded_at, actor=row.actor,
        correlation_id=row.correlation_id, stream_id=row.stream_id, version=row.version,
        topic=row.topic, hash=row.hash.hex(), payload={UNDECODABLE: type(error).__name__},
    )  # fmt: skip


async def series(
    pool: asyncpg.Pool, tenant_id: UUID, item_id: UUID, item_kind: str, upto: int | None = None
) -> list[SeriesPoint]:
    """Every value recorded for a key result or KPI (`item_kind`: series.KEY_RESULT or
    series.KPI_KIND), corrections included, in log order; up to a position when given
    (the series as it stood then: its points are never changed, only added)."""
    columns = columns_sql(SeriesPoint.__struct_fields__)
    async with tenant_transaction(pool, [tenant_id]) as conn:
        rows = await conn.fetch(
            f"SELECT {columns} FROM rm_series_points"
            " WHERE tenant_id = $1 AND item_id = $2 AND item_kind = $3 AND position <= $4"
            " ORDER BY position",
            tenant_id,
            item_id,
            item_kind,
            MAX_POSITION if upto is None else upto,
        )
    return [series_point(tuple(r)) for r in rows]

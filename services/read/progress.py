"""Progress, portfolio and time travel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from uuid import UUID

import asyncpg

from projections.base import Recorded
from projections.portfolio import PortfolioRow, portfolio_row
from projections.progress import progress_projection
from projections.progress_state import ProgressView
from projections.progress_tree import DEFAULT_CADENCE_DAYS, ProgressTree
from projections.progress_tree import progress_tree as tree_of
from projections.timetravel import Change, state_as_of
from projections.timetravel import diff as diff_states
from projections.timetravel import progress_as_of as tree_as_of
from services.db import tenant_transaction
from services.projector.decode import decode
from services.store.event_store import read_log_on
from services.store.repository import Repository

_BATCH = 5000


async def progress_state(pool: asyncpg.Pool, tenant_id: UUID) -> ProgressView:
    """The tenant's progress read model as the projector last committed it."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        data = await conn.fetchval(
            "SELECT state FROM rm_progress__positions WHERE tenant_id = $1", tenant_id
        )
    return progress_projection.initial() if data is None else progress_projection.decode_state(data)


async def progress_tree(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    *,
    today: date,
    cycle_id: UUID | None = None,
    valid_at: date | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> ProgressTree:
    """Cycles -> objectives -> key results with progress, pace and status on `today`."""
    state = await progress_state(pool, tenant_id)
    return tree_of(
        state, today=today, cycle_id=cycle_id, valid_at=valid_at, cadence_days=cadence_days
    )


async def tenant_records(
    repository: Repository,
    tenant_id: UUID,
    *,
    position: int | None = None,
    recorded_at: datetime | None = None,
) -> list[Recorded]:
    """The tenant's log decoded, up to a position and/or a recorded instant."""
    records: list[Recorded] = []
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        if recorded_at is not None:  # the log is in time order: an instant is a position
            known = await conn.fetchval(
                "SELECT coalesce(max(position), 0) FROM events"
                " WHERE tenant_id = $1 AND recorded_at <= $2",
                tenant_id,
                recorded_at,
            )
            position = known if position is None else min(position, known)
        after = 0
        while True:
            stored = await read_log_on(conn, tenant_id, after, limit=_BATCH, upto=position)
            records += await decode(repository, stored, conn)
            if len(stored) < _BATCH:
                return records
            after = stored[-1].position


async def progress_as_of(
    repository: Repository,
    tenant_id: UUID,
    *,
    today: date,
    position: int | None = None,
    recorded_at: datetime | None = None,
    valid_at: date | None = None,
    cycle_id: UUID | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> ProgressTree:
    """The tree as the system knew it at a position/instant (what it showed then)."""
    records = await tenant_records(
        repository, tenant_id, position=position, recorded_at=recorded_at
    )
    return tree_as_of(
        records, today=today, valid_at=valid_at, cycle_id=cycle_id, cadence_days=cadence_days
    )


async def diff(
    repository: Repository, tenant_id: UUID, *, since: datetime, until: datetime
) -> list[Change]:
    """What changed between two recorded instants, per cycle, objective and key result."""
    records = await tenant_records(repository, tenant_id, recorded_at=until)
    return diff_states(
        state_as_of(records, recorded_at=since),
        state_as_of(records),
        today_from=since.date(),
        today_to=until.date(),
    )


async def portfolio(
    pool: asyncpg.Pool,
    tenant_ids: Iterable[UUID],
    *,
    today: date,
    cadence_days: Mapping[UUID, int] | None = None,
) -> dict[UUID, PortfolioRow]:
    """Each tenant's summary on `today` (a consultancy's clients), from the read model."""
    ids = list(tenant_ids)
    if not ids:
        return {}
    async with tenant_transaction(pool, ids) as conn:
        rows = await conn.fetch(
            "SELECT tenant_id, state FROM rm_progress__positions WHERE tenant_id = ANY($1)", ids
        )
    cadence = cadence_days or {}
    out = {}
    for row in rows:
        state = progress_projection.decode_state(row["state"])
        days = cadence.get(row["tenant_id"], DEFAULT_CADENCE_DAYS)
        out[row["tenant_id"]] = portfolio_row(state, today, days)
    for tenant_id in ids:
        if tenant_id not in out:
            out[tenant_id] = portfolio_row(progress_projection.initial(), today)
    return out

"""Read-your-writes: wait until a projection has applied a tenant position."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from uuid import UUID

import asyncpg

from services.db import tenant_transaction
from services.store.repository import JOINED


class BeyondHeadError(ValueError):
    """A position past the tenant's log head: no command returned it (a command's position
    is in the log when it answers), so no wait would see it applied."""

    def __init__(self, position: int, head: int) -> None:
        super().__init__(f"position {position} is past the log's head, {head}")
        self.position, self.head = position, head


def _positions_sql(projection: str | None) -> str:
    table = "tenant_heads" if projection is None else f"rm_{projection}__positions"
    return (
        f"SELECT (SELECT position FROM {table} WHERE tenant_id = $1),"
        " (SELECT position FROM tenant_heads WHERE tenant_id = $1)"
    )


async def standing(pool: asyncpg.Pool, tenant_id: UUID, projection: str | None) -> tuple[int, int]:
    """The position `projection` (None: the log) has applied and the log's head, 0 for none."""
    async with tenant_transaction(pool, [tenant_id]) as conn:
        applied, head = await conn.fetchrow(_positions_sql(projection), tenant_id)
    return int(applied or 0), int(head or 0)


async def projected_position(pool: asyncpg.Pool, tenant_id: UUID, projection: str | None) -> int:
    """The position `projection` has applied for the tenant (0 when none yet); with None,
    the log's head (what a view read from the log itself, the audit trail, has)."""
    applied, _ = await standing(pool, tenant_id, projection)
    return applied


async def wait_for_position(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    position: int,
    *,
    projection: str | None = "progress",
    within: float = 2.0,
) -> bool:
    """True once the projection (None: the log) reached `position`; False if `within`
    seconds passed first. BeyondHeadError at once for a position past the log's head.

    Within a request's joined transaction that holds what was written (JOINED: a keyed
    write, not committed yet), the wait is left for after its commit, and True is said."""
    joined = JOINED.get()
    if joined is not None and joined.holds:
        joined.afterwards.append(
            partial(wait_for_position, pool, tenant_id, position, projection=projection,
                    within=within)
        )  # fmt: skip
        return True
    deadline = time.monotonic() + within
    pause = 0.002
    while True:
        applied, head = await standing(pool, tenant_id, projection)
        if applied >= position:
            return True
        if position > head:
            raise BeyondHeadError(position, head)
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.05)

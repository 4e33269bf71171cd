"""Read-your-writes: wait until a projection has applied a tenant position."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import asyncpg

from services.db import tenant_transaction


async def projected_position(pool: asyncpg.Pool, tenant_id: UUID, projection: str | None) -> int:
    """The position `projection` has applied for the tenant (0 when none yet); with None,
    the log's head (what a view read from the log itself, the audit trail, has)."""
    table = "tenant_heads" if projection is None else f"rm_{projection}__positions"
    async with tenant_transaction(pool, [tenant_id]) as conn:
        position = await conn.fetchval(
            f"SELECT position FROM {table} WHERE tenant_id = $1", tenant_id
        )
    return int(position or 0)


async def wait_for_position(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    position: int,
    *,
    projection: str | None = "progress",
    within: float = 2.0,
) -> bool:
    """True once the projection (None: the log) reached `position`; False if `within`
    seconds passed first."""
    deadline = time.monotonic() + within
    pause = 0.002
    while True:
        if await projected_position(pool, tenant_id, projection) >= position:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.05)

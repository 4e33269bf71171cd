"""NOTIFY projectors of appends, after the append, coalesced per tenant.

PostgreSQL serialises the commits of all transactions that NOTIFY (a database-wide lock
held through commit), so a NOTIFY inside every append would make tenants wait for each
other. Instead each process sends, right after an append returns, at most one NOTIFY per
tenant per flush, in a separate short statement. NOTIFY only wakes a projector early:
polling is correct without it (a lost notification costs one poll interval).
"""

from __future__ import annotations

import asyncio
import contextlib
from uuid import UUID

import asyncpg
import structlog

from services.db import CONNECTION_LOST

log = structlog.get_logger("okr.notifier")
CHANNEL = "okr_events"
NOTIFY_SQL = f"SELECT pg_notify('{CHANNEL}', payload) FROM unnest($1::text[]) AS payload"
"""Notify projectors of `<tenant>:<position>` payloads ($1), at the transaction's commit."""


class Notifier:
    """Collects (tenant, position) pairs and sends them as `<tenant>:<position>` payloads."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._pending: dict[UUID, int] = {}
        self._task: asyncio.Task[None] | None = None

    def appended(self, tenant_id: UUID, position: int) -> None:
        """Record an append; a flush is scheduled if none is under way."""
        self._pending[tenant_id] = max(position, self._pending.get(tenant_id, 0))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            payloads = [f"{tenant}:{position}" for tenant, position in batch.items()]
            try:
                await self.pool.execute(NOTIFY_SQL, payloads)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, *CONNECTION_LOST) as error:
                # (an InternalClientError of a terminated connection was never retrieved)
                log.warning("notifier.failed", tenants=len(payloads), error=str(error))
                return

    async def drain(self) -> None:
        """Wait for the notifications already collected to be sent (shutdown, tests)."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

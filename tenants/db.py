"""Tenant-scoped transactions for the tenancy layer.

The same contract as services.db (which tenants must not import): row-level security admits
exactly the tenants named, set with SET LOCAL from validated uuid literals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg


def grants_literal(tenant_ids: Iterable[UUID]) -> str:
    """A Postgres uuid[] literal of validated ids, for `SET LOCAL okr.tenant_ids`."""
    return "{" + ",".join(str(UUID(str(t))) for t in tenant_ids) + "}"


def admit_sql(tenant_ids: Iterable[UUID]) -> str:
    """The statement by which a transaction's row-level security admits these tenants."""
    return f"SET LOCAL okr.tenant_ids = '{grants_literal(tenant_ids)}'"


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, tenant_ids: Iterable[UUID]
) -> AsyncIterator[asyncpg.Connection]:
    """A transaction in which row-level security admits exactly these tenants."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(admit_sql(tenant_ids))
        yield conn

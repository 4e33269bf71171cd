"""The few reads the tenancy layer has no function for (lists across consultancies/tenants)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from services.db import tenant_transaction
from tenants.directory import TENANT_COLUMNS
from tenants.models import Consultancy, Tenant, from_row


async def consultancies(pool: asyncpg.Pool, ids: Iterable[UUID] | None) -> list[Consultancy]:
    """These consultancies (every one when ``ids`` is None: a platform admin's view)."""
    sql = "SELECT id, name, created_at FROM consultancies"
    if ids is None:
        rows = await pool.fetch(sql)
    else:
        rows = await pool.fetch(sql + " WHERE id = ANY($1::uuid[])", list(ids))
    return [from_row(Consultancy, r) for r in rows]


async def tenants(pool: asyncpg.Pool, ids: Iterable[UUID]) -> list[Tenant]:
    """These tenants, read under row-level security for exactly them."""
    wanted = list(ids)
    if not wanted:
        return []
    async with tenant_transaction(pool, wanted) as conn:
        rows = await conn.fetch(
            f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ANY($1::uuid[])", wanted
        )
    return [from_row(Tenant, r) for r in rows]


async def consultancy_tenant_ids(pool: asyncpg.Pool, consultancy_id: UUID) -> list[UUID]:
    """Ids of the consultancy's tenants (a definer function: no tenant setting needed)."""
    rows = await pool.fetch("SELECT tenant_id FROM okr_consultancy_tenants($1)", consultancy_id)
    return [r["tenant_id"] for r in rows]


async def all_tenant_ids(pool: asyncpg.Pool) -> list[UUID]:
    """Every tenant of every consultancy (a platform admin's list)."""
    ids: list[UUID] = []
    for consultancy in await consultancies(pool, None):
        ids += await consultancy_tenant_ids(pool, consultancy.id)
    return ids

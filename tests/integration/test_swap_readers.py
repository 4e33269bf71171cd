"""Reads of several statements in one snapshot, while a rebuild swaps its tables in: they
see the live tables or the new ones, each whole, never the new ones through a snapshot
taken before the swap (which leaves out what the rebuild wrote in the swap's transaction,
its last catch-up: a tenant's rows stepping back)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from services.bootstrap import System
from services.projector import rebuild
from services.projector.registry import PROJECTIONS
from services.projector.schema import SHADOW, bulk_create_sql, finish_sql, table_names
from services.read import item_names, portfolio
from tests.conftest import until_a_backend_waits_for_a_lock
from tests.integration.test_projector import TODAY, a_tenant_with_history, projector

RENAMED = "Efficienza (ricostruita)"


@asynccontextmanager
async def a_swap_held_open(system: System, *catch_up: str) -> AsyncIterator[None]:
    """Shadow tables of every projection filled from the live ones and swapped in as a
    rebuild swaps them: by a transaction that first writes `catch_up` into them (as a
    rebuild's last catch-up does), held open while the block runs, committed after it."""
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        for p in PROJECTIONS:
            await admin.execute(bulk_create_sql(p, SHADOW))
            for name in table_names(p):
                await admin.execute(f"INSERT INTO {name}{SHADOW} SELECT * FROM {name}")
            await admin.execute(finish_sql(p, SHADOW))
        async with admin.transaction():
            for statement in catch_up:
                await admin.execute(statement)
            await rebuild.swap_in(admin, PROJECTIONS)
            yield
    finally:
        await admin.close()


async def test_reads_of_one_snapshot_that_wait_for_a_swap_see_its_tables_whole(
    fresh: System,
) -> None:
    """The portfolio and the items' names (each several statements in one REPEATABLE READ
    snapshot) started while the swap holds the tables: they wait, then read what the swap
    committed, its catch-up included. (Their snapshots were taken as their first SELECT
    began, before it waited for the table: they read the new tables without it.)"""
    tenant = await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up_all()
    before = await item_names(fresh.pool, tenant)
    [objective_id] = before.objectives
    assert before.objectives[objective_id].title == "Efficienza"
    assert (await portfolio(fresh.pool, [tenant], today=TODAY))[tenant].kpis == 0

    async def read() -> tuple[str, int]:
        names, rows = await asyncio.gather(
            item_names(fresh.pool, tenant), portfolio(fresh.pool, [tenant], today=TODAY)
        )
        return names.objectives[objective_id].title, rows[tenant].kpis

    reading: asyncio.Future[tuple[str, int]]
    async with a_swap_held_open(
        fresh,
        f"UPDATE rm_objectives{SHADOW} SET title = '{RENAMED}'",
        f"UPDATE rm_portfolio{SHADOW} SET kpis = 7",
    ):
        reading = asyncio.ensure_future(read())
        await until_a_backend_waits_for_a_lock(fresh, reading, sessions=2)
    assert await reading == (RENAMED, 7)


async def test_a_verify_while_a_swap_holds_the_tables_waits_and_compares_the_new_ones(
    fresh: System,
) -> None:
    """`okr projections verify` of a tenant started during a swap compares the tables the
    swap put in: here one whose catch-up wrote an objective's title that its log never
    had, which verify reports (it found nothing in the live tables before)."""
    tenant = await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up_all()
    assert await verify(fresh, tenant) == []
    verifying: asyncio.Future[list[str]]
    async with a_swap_held_open(fresh, f"UPDATE rm_objectives{SHADOW} SET title = '{RENAMED}'"):
        verifying = asyncio.ensure_future(verify(fresh, tenant))
        await until_a_backend_waits_for_a_lock(fresh, verifying)
    assert await verifying == ["rm_objectives"]


async def verify(system: System, tenant: UUID) -> list[str]:
    """The tables in which verify found a row that differs from the log's."""
    found = await rebuild.verify_tenant(system.pool, system.repository, PROJECTIONS, tenant)
    return [d.table for d in found]

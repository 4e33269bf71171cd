"""Reads of several statements in one snapshot, while a rebuild swaps its tables in: they
see the live tables or the new ones, each whole, never the new ones through a snapshot
taken before the swap (which leaves out what the rebuild wrote in the swap's transaction,
its last catch-up: a tenant's rows stepping back)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from projections.progress_state import CycleView
from projections.progress_tree import ProgressTree
from services.bootstrap import System
from services.projector import rebuild
from services.projector.registry import PROJECTIONS
from services.projector.schema import SHADOW, bulk_create_sql, finish_sql, table_names
from services.read import item_names, portfolio, progress_tree
from tests.conftest import until_a_backend_waits_for_a_lock
from tests.integration.test_projector import (
    TODAY,
    a_check_in,
    a_tenant_with_history,
    key_result_ids,
    projector,
)

RENAMED = "Efficienza (ricostruita)"


@asynccontextmanager
async def a_swap_held_open(
    system: System, *catch_up: str, then: Callable[[], Awaitable[Any]] | None = None
) -> AsyncIterator[None]:
    """Shadow tables of every projection filled from the live ones, `then` done (events
    the projectors apply to the live tables meanwhile), and the shadows swapped in as a
    rebuild swaps them: by a transaction that first brings them to where the live tables
    stand and writes `catch_up` into them (a rebuild's last catch-up), held open while the
    block runs, committed after it."""
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        for p in PROJECTIONS:
            await admin.execute(bulk_create_sql(p, SHADOW))
            for name in table_names(p):
                await admin.execute(f"INSERT INTO {name}{SHADOW} SELECT * FROM {name}")
            await admin.execute(finish_sql(p, SHADOW))
        if then is not None:
            await then()
        async with admin.transaction():
            tenants = [t for t, _ in await rebuild._heads(admin)]
            await rebuild._catch_up(admin, system.repository, PROJECTIONS, tenants, None)
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


async def test_a_page_of_cycles_read_while_a_swap_holds_the_tables_stands_where_it_put_them(
    fresh: System,
) -> None:
    """A page of cycles (the items, then its key results, in one snapshot) read while the
    swap holds the tables: its tree stands at the position the swap's catch-up reached, the
    check-in the projector applied after the shadows were filled included. (With its
    snapshot taken before the swap, it read the new tables as the fill left them, a
    position behind the one read before the swap: a tenant stepping back.)"""
    tenant = await a_tenant_with_history(fresh, check_ins=4)
    await projector(fresh).catch_up_all()
    [renewals, _] = await key_result_ids(fresh, tenant)

    async def a_check_in_projected() -> None:
        await a_check_in(fresh, tenant, renewals, 81, date(2027, 2, 10))
        assert await projector(fresh).catch_up(tenant) == 1

    def first_cycle(cycles: list[CycleView]) -> list[UUID]:
        return [cycles[0].cycle_id]

    reading: asyncio.Future[ProgressTree]
    async with a_swap_held_open(fresh, then=a_check_in_projected):
        head = await fresh.store.head(tenant)
        reading = asyncio.ensure_future(
            progress_tree(fresh.pool, tenant, today=TODAY, pick=first_cycle)
        )
        await until_a_backend_waits_for_a_lock(fresh, reading)
    tree = await reading
    assert tree.position == head
    [key_result] = [
        k for k in tree.cycles[0].objectives[0].key_results if k.key_result_id == renewals
    ]
    assert key_result.value == Decimal(81)


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

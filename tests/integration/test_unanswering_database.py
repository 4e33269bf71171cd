"""A projector whose database stops answering without closing its connections (see
tests.proxy): its passes, its polls and its LISTEN connection each give up on the dead
connection, and it goes on projecting by itself once the database answers again."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

from services.bootstrap import System
from services.db import close_pool, create_pool
from services.projector.registry import PROJECTIONS
from services.projector.waiting import projected_position
from services.projector.worker import Projector, projector_pool
from services.store.event_store import EventStore
from services.store.repository import Repository
from tests.integration.test_projector import a_check_in, a_tenant_with_history
from tests.proxy import BlackholeProxy

TIMEOUT = 1.0
"""The projector pool's timeout (OKR_DB_TIMEOUT_SECONDS) in these tests."""


async def projected(system: System, tenant: UUID) -> int:
    """Where every projection of the tenant stands."""
    return min([await projected_position(system.pool, tenant, p.name) for p in PROJECTIONS])


async def until_projected(system: System, tenant: UUID, position: int) -> None:
    """Return once every projection of the tenant stands at `position` (60 s at most)."""
    for _ in range(6000):
        if await projected(system, tenant) >= position:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not projected to {position}")


async def test_a_projector_on_a_database_that_stops_answering_goes_on_once_it_answers(
    fresh: System,
) -> None:
    """Before: a pass or a poll on a connection whose server stopped answering waited for
    ever; the LISTEN connection's heartbeat noticed, but its next look at the heads, on the
    pool, waited too, and the projector applied nothing again, even once the server
    answered. Now each statement gives up after the timeout, the dead connection is
    dropped, and what was appended meanwhile is projected once the server answers."""
    tenant = await a_tenant_with_history(fresh, check_ins=2)
    proxy = BlackholeProxy(fresh.app_dsn)
    await proxy.start()
    dsn = proxy.dsn(fresh.app_dsn)
    pool = await projector_pool(dsn, answer_within=TIMEOUT)
    projector = Projector(
        pool, Repository(EventStore(pool)), PROJECTIONS, poll_interval=0.2,
        heartbeat=(0.5, TIMEOUT),
    )  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(projector.run(dsn, stop))
    try:
        await until_projected(fresh, tenant, await fresh.store.head(tenant))
        proxy.blackhole()
        kr = (await fresh.store.stream_ids(tenant, ["okr.KeyResult.Created"]))[0]
        written = await a_check_in(fresh, tenant, kr, 23, date(2027, 2, 1))  # straight in
        await asyncio.sleep(3 * TIMEOUT)  # passes and polls meet the dead connections
        assert not running.done()
        assert proxy.dead_closed_by_app() >= 1  # given up on, not waited on for ever
        assert await projected(fresh, tenant) < written.positions[-1]
        proxy.resume()
        await until_projected(fresh, tenant, written.positions[-1])
        await proxy.until_every_dead_one_is_dropped()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        pool.terminate()
        await proxy.close()


async def test_a_pool_whose_server_stopped_answering_still_closes(system: System) -> None:
    """Before: closing the pool waited on connections whose server stopped answering, then
    failed as the outage (`okr serve` stopped after one said "the database is out of reach"
    and exited 1, and its projector child was killed). Now they are terminated."""
    proxy = BlackholeProxy(system.app_dsn)
    await proxy.start()
    try:
        pool = await create_pool(proxy.dsn(system.app_dsn), 2, 2, answer_within=TIMEOUT)
        proxy.blackhole()
        await asyncio.wait_for(close_pool(pool), 60)
        await proxy.until_every_dead_one_is_dropped()
    finally:
        await proxy.close()

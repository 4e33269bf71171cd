"""API tests: the app from create_app on the session's system, served in-process.

A projector runs beside the app (`okr serve` runs it in a child process) for the length of
this package only, so reads with min_position see the writes; the client calls the app
in-process on the same event loop as the asyncpg pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar

from services.api import create_app
from services.bootstrap import System
from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables
from services.projector.worker import Projector
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World, build_world

JWT_SECRET = "tests-only-secret-of-at-least-32-bytes!!"
BODY_LIMIT = 64 * 1024


@pytest.fixture(scope="package")
def api_settings() -> Settings:
    return Settings(jwt_secret=JWT_SECRET, max_body_bytes=BODY_LIMIT, read_wait_seconds=2.0)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def projector(system: System, admin_dsn: str) -> AsyncIterator[Projector]:
    """The projector, running beside the app on the test loop while this package runs."""
    await ensure_tables(admin_dsn, PROJECTIONS)
    projector = Projector(system.pool, system.repository, PROJECTIONS, poll_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(projector.run(system.app_dsn, stop))
    while not projector.running:  # listening and caught up: /readyz is ready from now on
        if task.done():
            await task  # its error
            raise RuntimeError("the projector stopped before it listened")
        await asyncio.sleep(0.01)
    yield projector
    stop.set()
    await task


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def app(system: System, api_settings: Settings, projector: Projector) -> Litestar:
    return create_app(system, api_settings, projector=projector)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in-process, on this event loop.

    Not Litestar's AsyncTestClient: in Litestar 2 it runs the app on another thread's event
    loop (a blocking portal, litestar#1920), where the session's asyncpg pool cannot be used.
    It reads the history in English (Accept-Language: en), as the tests of its sentences
    say them; without it, a tenant's own language (see test_history_language).
    """
    transport = asgi_transport(app)
    english = {"Accept-Language": "en"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://okr.test", headers=english
    ) as c:
        yield c


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def world(system: System, admin_dsn: str, api_settings: Settings) -> World:
    """Two consultancies with a tenant each, same names and same item ids, and their people."""
    return await build_world(system, admin_dsn, api_settings)

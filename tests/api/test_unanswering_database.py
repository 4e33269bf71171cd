"""A database that stops answering without closing its connections (a partition, a frozen
server, a blackholed path): requests answer 503 within the timeout, not never, and the app
recovers by itself once the database answers again.

The app's pool goes through tests.proxy.BlackholeProxy to the real server; the test's own
checks (what the log holds) go straight to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from services.api import create_app
from services.bootstrap import System, bootstrap
from services.portal.config import PortalSettings
from services.portal.sessions import SESSION_COOKIE, Signer
from services.projector.worker import Projector
from services.settings import Settings
from tests.api.builders import World
from tests.api.test_problems import assert_problem
from tests.proxy import BlackholeProxy

TIMEOUT = 1.0
"""OKR_DB_TIMEOUT_SECONDS in these tests."""
ANSWERED_WITHIN = 2 * TIMEOUT + 8
"""A statement's timeout, as long again for the server to acknowledge its cancel (it
never does here: the connection is dropped), and a generous margin for a slow machine."""


@dataclasses.dataclass
class Proxied:
    """The app on a pool that reaches the database through the proxy."""

    proxy: BlackholeProxy
    system: System
    client: httpx.AsyncClient


@pytest_asyncio.fixture(loop_scope="session")
async def proxied(
    system: System, admin_dsn: str, api_settings: Settings, projector: Projector
) -> AsyncIterator[Proxied]:
    proxy = BlackholeProxy(system.app_dsn)
    await proxy.start()
    settings = dataclasses.replace(
        api_settings, app_database_url=proxy.dsn(system.app_dsn), db_timeout_seconds=TIMEOUT
    )
    through = await bootstrap(settings, admin_dsn, run_migrations=False)
    app = create_app(through, settings, projector=projector)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
            yield Proxied(proxy, through, client)
    finally:
        through.pool.terminate()  # (its dead connections: closing would wait on them)
        await proxy.close()


def check_ins(world: World) -> str:
    return f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"


def portal_cookie(world: World, settings: Settings) -> dict[str, str]:
    """A portal session of A's client viewer."""
    signer = Signer(
        PortalSettings.derive(settings).secret, PortalSettings.derive(settings).session_ttl
    )
    cookie, _ = signer.issue(world.a.user_ids["client_viewer"])
    return {SESSION_COOKIE: cookie}


async def timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await asyncio.wait_for(request, 60)  # type: ignore[arg-type]
    return response, time.monotonic() - began


async def test_a_database_that_stops_answering_is_503_within_the_timeout_then_recovers(
    proxied: Proxied, world: World, system: System, api_settings: Settings
) -> None:
    """Before: requests hung for ever on a database that stopped answering, and every
    worker and connection with them. Now each answers 503 with Retry-After within the
    timeout (twice it at most), as for a lost connection; the dead connections are dropped,
    not handed to the next request; what was acknowledged stays, and what was refused is
    not half there; once the database answers, the same requests succeed, with no restart."""
    client, proxy = proxied.client, proxied.proxy
    tenant = f"/api/v1/tenants/{world.a.tenant.id}"
    member = {**world.a.auth("client_member")}
    cookies = portal_cookie(world, api_settings)
    acknowledged = await client.post(
        check_ins(world), headers={**member, "Idempotency-Key": str(uuid.uuid4())},
        json={"value": "21", "on": "2027-02-11", "confidence": 6},
    )  # fmt: skip
    assert acknowledged.status_code == 201, acknowledged.text
    assert (await client.get(f"/t/{world.a.tenant.id}/", cookies=cookies)).status_code == 200
    head = await system.store.head(world.a.tenant.id)

    proxy.blackhole()
    key = str(uuid.uuid4())
    body = {"value": "22", "on": "2027-02-12", "confidence": 7}
    refused, took = await timed(
        client.post(check_ins(world), headers={**member, "Idempotency-Key": key}, json=body)
    )
    problem = assert_problem(refused, 503)
    assert refused.headers["retry-after"] == "1"
    assert [e["rule"] for e in problem["errors"]] == ["database_unavailable"]
    assert took < ANSWERED_WITHIN
    read, took = await timed(client.get(f"{tenant}/progress", headers=member))
    assert_problem(read, 503)
    assert took < ANSWERED_WITHIN
    page, took = await timed(client.get(f"/t/{world.a.tenant.id}/", cookies=cookies))
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "text/html" in page.headers["content-type"]
    assert took < ANSWERED_WITHIN
    assert proxy.dead_closed_by_app() >= 3  # each given up on, not handed out again
    assert await system.store.head(world.a.tenant.id) == head  # nothing half written

    proxy.resume()  # (the dead connections stay dead, as after a failover)
    again = await client.post(
        check_ins(world), headers={**member, "Idempotency-Key": key}, json=body
    )
    assert again.status_code == 201, again.text
    assert await system.store.head(world.a.tenant.id) == head + 1  # once, and whole
    progress = await client.get(
        f"{tenant}/progress", headers=member,
        params={"min_position": again.headers["x-okr-position"]},
    )  # fmt: skip
    assert progress.status_code == 200, progress.text
    assert (await client.get(f"/t/{world.a.tenant.id}/", cookies=cookies)).status_code == 200
    await proxy.until_every_dead_one_is_dropped()

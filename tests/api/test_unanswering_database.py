"""A database that stops answering without closing its connections (a partition, a frozen
server, a blackholed path): requests answer 503 within the timeout, not never, and the app
recovers by itself once the database answers again.

The app's pool goes through tests.proxy.BlackholeProxy to the real server; the test's own
checks (what the log holds) go straight to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import pytest_asyncio
from litestar import Litestar

from services.api import create_app
from services.api.controllers import views
from services.bootstrap import System, bootstrap
from services.portal.config import PortalSettings
from services.portal.sessions import SESSION_COOKIE, Signer
from services.projector.worker import TENANT_LOCK_KEY, Projector
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World
from tests.api.test_problems import assert_problem
from tests.api.test_tenancy import a_new_tenant
from tests.conftest import until_a_backend_waits_for_a_lock
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
    transport = asgi_transport(app)
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
    portal = PortalSettings.derive(settings)
    signer = Signer(portal.secret, portal.session_ttl)
    cookie, _ = signer.issue(world.a.user_ids["client_viewer"])
    return {"cookie": f"{SESSION_COOKIE}={cookie}"}


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await asyncio.wait_for(request, 60)
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
    assert (await client.get(f"/t/{world.a.tenant.id}/", headers=cookies)).status_code == 200
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
    page, took = await timed(client.get(f"/t/{world.a.tenant.id}/", headers=cookies))
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
    assert (await client.get(f"/t/{world.a.tenant.id}/", headers=cookies)).status_code == 200
    await proxy.until_every_dead_one_is_dropped()


SHORT = 1.0
"""A timeout far shorter than the operations below take (by their own waits, not speed)."""


@pytest_asyncio.fixture(loop_scope="session")
async def impatient(
    system: System, admin_dsn: str, api_settings: Settings, projector: Projector
) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """The app on a pool whose statements may go SHORT seconds unanswered, straight to the
    server."""
    settings = dataclasses.replace(api_settings, db_timeout_seconds=SHORT)
    own = await bootstrap(settings, admin_dsn, run_migrations=False)
    app = create_app(own, settings, projector=projector)
    try:
        async with httpx.AsyncClient(
            transport=asgi_transport(app), base_url="http://okr.test"
        ) as client:
            yield app, client
    finally:
        await own.close()


async def read_slowly(
    app: Litestar, path: str, headers: dict[str, str], pause: float
) -> tuple[int, bytes]:
    """GET `path` from the app as a slow client reads it: `pause` seconds after each chunk of
    the body (the app's next chunk waits for it, as behind a slow network)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("okr.test", 80),
        "headers": [(b"host", b"okr.test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    asked, done = False, asyncio.Event()
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()  # all of it read: the client goes, as a server then says
            await asyncio.sleep(pause)

    try:
        # Plain dicts, as a server sends them; Litestar types each kind of message apart.
        await asyncio.wait_for(app(scope, receive, send), 60)  # type: ignore[arg-type]
    finally:
        done.set()
    return status, bytes(body)


async def test_an_export_is_bounded_per_statement_not_cut_as_a_whole(
    impatient: tuple[Litestar, httpx.AsyncClient],
    world: World,
    system: System,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The timeout measures how long the database leaves a statement unanswered, not how
    long a request takes: an export read by a slow client runs for many timeouts, a batch of
    its log at a time (each its own short transaction), and arrives whole."""
    app, _ = impatient
    head = await system.store.head(world.a.tenant.id)
    assert head >= 6
    # four batches, each read after a pause, whatever the log the tests before left (with
    # batches of 2, a log of hundreds took longer than read_slowly waits)
    monkeypatch.setattr(views, "_BATCH", -(-head // 4))
    path = f"/api/v1/tenants/{world.a.tenant.id}/export"
    began = time.monotonic()
    status, body = await read_slowly(app, path, world.a.auth("client_admin"), pause=SHORT)
    assert time.monotonic() - began > 2 * SHORT  # (by its pauses alone)
    assert status == 200, body[:500]
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["position"] for line in lines] == list(range(1, len(lines) + 1))
    assert len(lines) >= head


async def test_an_erase_that_waits_longer_than_the_timeout_is_not_cut(
    impatient: tuple[Litestar, httpx.AsyncClient], world: World, system: System, admin_dsn: str
) -> None:
    """A tenant's erasure is one statement, as long as the tenant is big or its projector's
    pass in progress: it has its own bound (an hour), and is not rolled back after
    OKR_DB_TIMEOUT_SECONDS as a request's statement would be."""
    _, client = impatient
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]
    holder = await asyncpg.connect(admin_dsn)  # as a projector's pass of the tenant holds it
    try:
        async with holder.transaction():
            await holder.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", UUID(tenant))
            erasing = asyncio.ensure_future(
                client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})
            )
            await until_a_backend_waits_for_a_lock(system, erasing)
            await asyncio.sleep(3 * SHORT)
            assert not erasing.done()
        erased = await erasing
    finally:
        await holder.close()
    assert erased.status_code == 200, erased.text
    assert erased.json()["tenant_id"] == tenant

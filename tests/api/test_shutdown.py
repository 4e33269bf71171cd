"""A request under way when `okr serve` shuts down: uvicorn gives it the grace to end, and
one it then cuts short is told to try again (503), with nothing of it recorded."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import uvicorn

from services.api import create_app
from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import World
from tests.api.test_serve import free_port
from tests.conftest import until_a_backend_waits_for_a_lock


async def until_listening(client: httpx.AsyncClient) -> None:
    for _ in range(200):
        try:
            await client.get("/healthz")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not listen")


async def test_a_request_the_shutdown_cuts_short_is_503_and_records_nothing(
    system: System, api_settings: Settings, world: World, admin: asyncpg.Connection
) -> None:
    """A check-in waiting for its tenant's lock when the shutdown's grace runs out is
    cancelled: it was told a bare 500 "Internal Server Error", a bug to the client, which
    does not try it again; it is told 503 with Retry-After, problem+json, and the log has
    no event of it."""
    tenant, kr = world.a.tenant.id, world.ids.key_result_id
    port = free_port()
    config = uvicorn.Config(
        create_app(system, api_settings), host="127.0.0.1", port=port, log_config=None,
        access_log=False, lifespan="off",
        timeout_graceful_shutdown=0.5,  # type: ignore[arg-type]  # typed int, read by wait_for
    )  # fmt: skip
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    head = await system.store.head(tenant)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        await until_listening(client)
        async with admin.transaction():  # the tenant's appends wait for this
            await admin.execute("SELECT FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE", tenant)
            sent = asyncio.create_task(client.post(
                f"/api/v1/tenants/{tenant}/key-results/{kr}/check-ins",
                headers=world.a.auth("client_member"), json={"value": 7, "on": "2027-03-01"},
            ))  # fmt: skip
            await until_a_backend_waits_for_a_lock(system, sent)
            server.should_exit = True
            answer = await asyncio.wait_for(sent, 20)
    await asyncio.wait_for(serving, 20)
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert [e["rule"] for e in answer.json()["errors"]] == ["cut_short"]
    await asyncio.sleep(0.5)  # (a statement left running would have appended by now)
    assert await system.store.head(tenant) == head

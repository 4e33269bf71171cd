"""A keyed write whose server was killed under it (SIGKILL: no exit hook, no rollback of its
own) is retried on the next server at once, and recorded once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import asyncpg
import httpx
import pytest

from services.bootstrap import System
from services.session_locks import lock_id
from services.settings import PROJECT_ROOT
from tests.api.builders import World
from tests.api.conftest import JWT_SECRET
from tests.api.test_serve import free_port, until_ready
from tests.conftest import until_a_backend_waits_for_a_lock


async def _serve(admin_dsn: str) -> tuple[asyncio.subprocess.Process, str]:
    """`okr serve --no-projector` on the suite's database (its projector runs beside the
    tests), ready; with its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": admin_dsn, "OKR_JWT_SECRET": JWT_SECRET}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "serve", "--port", str(port), "--no-projector",
        cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        await until_ready(client)
    return process, base


@pytest.mark.slow
async def test_a_keyed_write_retried_after_its_server_was_killed_runs_at_once(
    system: System, world: World, admin_dsn: str, client: httpx.AsyncClient
) -> None:
    """The server is killed while a keyed write waits on the tenant's log: its claim of the
    key stays, unanswered, and the retry (here to the app in this process: another server)
    was told 409 "the first request is still running" for two minutes, of a request that
    could not run any more. The claim's lock went with the killed process's session: the
    retry takes the claim over at once and plans the cycle, once; a further retry gets its
    answer."""
    tenant = world.a.tenant.id
    path = f"/api/v1/tenants/{tenant}/cycles"
    name = f"Crash {uuid.uuid4().hex[:8]}"
    body = {"name": name, "starts_on": "2026-01-01", "ends_on": "2026-03-31"}
    key = str(uuid.uuid4())
    headers = {**world.a.auth("client_admin"), "Idempotency-Key": key}
    claim = lock_id(
        "idempotency_keys", str(tenant), f"user:{world.a.user_ids['client_admin']}", key
    )
    admin = await asyncpg.connect(admin_dsn)
    served = None
    try:
        before = await system.store.head(tenant)
        served, base = await _serve(admin_dsn)
        async with admin.transaction():  # the log's lock, so that the write waits on it
            await admin.execute("SELECT FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE", tenant)
            async with httpx.AsyncClient(base_url=base, timeout=60) as doomed:
                sent = asyncio.ensure_future(doomed.post(path, headers=headers, json=body))
                await until_a_backend_waits_for_a_lock(system, sent)
                served.send_signal(signal.SIGKILL)
                await served.wait()
                with pytest.raises(httpx.TransportError):
                    await sent
        for _ in range(3000):  # the killed server's session lets go (a hang guard)
            if await admin.fetchval("SELECT pg_try_advisory_lock($1)", claim):
                await admin.execute("SELECT pg_advisory_unlock($1)", claim)
                break
            await asyncio.sleep(0.01)
        retried = await client.post(path, headers=headers, json=body)
        assert retried.status_code == 201, retried.text
        assert "idempotent-replayed" not in retried.headers
        again = await client.post(path, headers=headers, json=body)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == retried.json()
        assert await system.store.head(tenant) == before + 1
        listed = await client.get(
            path, headers=world.a.auth("client_admin"),
            params={"min_position": retried.headers["x-okr-position"], "limit": 500},
        )  # fmt: skip
        assert [c["name"] for c in listed.json()["items"]].count(name) == 1, listed.text
    finally:
        if served is not None and served.returncode is None:
            served.kill()
            await served.wait()
        await admin.close()

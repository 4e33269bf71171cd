"""`okr serve`: the demo logins and the first platform admin, then the real process: it
serves over HTTP and shuts down in order on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from services import demo_data as d
from services.bootstrap import System, bootstrap
from services.serve import ensure_demo, ensure_platform_admin
from services.settings import PROJECT_ROOT, Settings
from tenants.users import authenticate_password, find_user_by_email
from tests.api.conftest import JWT_SECRET
from tests.conftest import DatabaseFactory


@pytest.fixture
async def fresh(databases: DatabaseFactory) -> AsyncIterator[System]:
    system = await bootstrap(Settings(), await databases.create())
    yield system
    await system.close()


@pytest.mark.slow
async def test_the_demo_logins_are_made_once(fresh: System) -> None:
    """Twice in a row: the same consultancy, tenant, people and roles, nothing doubled."""
    await ensure_demo(fresh)
    await ensure_demo(fresh)
    giulia = await authenticate_password(fresh.pool, d.GIULIA.email, d.PASSWORD)
    assert giulia is not None and giulia.id == d.GIULIA.id
    admin = await find_user_by_email(fresh.pool, d.ADMIN.email)
    assert admin is not None and admin.is_platform_admin
    assert await fresh.store.head(d.TENANT_ID) > 0


async def test_the_first_platform_admin_comes_from_the_environment(fresh: System) -> None:
    """On an empty database only: a second start with other values changes nothing."""
    first = Settings(admin_email="root@okr.example", admin_password="a long admin password")
    await ensure_platform_admin(fresh, first)
    other = Settings(admin_email="other@okr.example", admin_password="another long password")
    await ensure_platform_admin(fresh, other)
    root = await find_user_by_email(fresh.pool, "root@okr.example")
    assert root is not None and root.is_platform_admin
    assert await find_user_by_email(fresh.pool, "other@okr.example") is None


async def until_ready(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("okr serve did not get ready")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
async def test_serve_answers_and_stops_in_order_on_sigterm(databases: DatabaseFactory) -> None:
    """The real process: sign in as the admin from the environment, then SIGTERM: the
    projector stops, the process exits 0."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": await databases.create(),
        "OKR_JWT_SECRET": JWT_SECRET,
        "OKR_ADMIN_EMAIL": "root@okr.example",
        "OKR_ADMIN_PASSWORD": "a long admin password",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "serve", "--port", str(port),
        cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_ready(client)
            signed = await client.post(
                "/api/v1/auth/token",
                json={"email": "root@okr.example", "password": "a long admin password"},
            )
            assert signed.status_code == 200, signed.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    lines = output.decode()
    assert process.returncode == 0, lines
    assert lines.index('"projector.stopped"') < lines.index('"serve.stopped"')

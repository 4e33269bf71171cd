"""`okr serve`: the demo logins and the first platform admin, then the real process: it
serves over HTTP and shuts down in order on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import asyncpg
import httpx
import pytest

from services import demo_data as d
from services.bootstrap import System, bootstrap
from services.serve import ensure_demo, ensure_platform_admin, housekeeping
from services.settings import PROJECT_ROOT, Settings
from tenants import directory, memberships
from tenants.api_keys import list_api_keys, revoke_api_key
from tenants.users import authenticate_password, find_user_by_email
from tests.api.asgi import asgi_transport
from tests.api.conftest import JWT_SECRET
from tests.conftest import DatabaseFactory


@pytest.mark.slow
async def test_the_demo_logins_are_made_once(fresh: System) -> None:
    """Twice in a row: the same consultancy, tenant, people and roles, nothing doubled."""
    await ensure_demo(fresh, platform_admin=True)
    await ensure_demo(fresh, platform_admin=True)
    giulia = await authenticate_password(fresh.pool, d.GIULIA.email, d.PASSWORD)
    assert giulia is not None and giulia.id == d.GIULIA.id
    admin = await find_user_by_email(fresh.pool, d.ADMIN.email)
    assert admin is not None and admin.is_platform_admin
    assert await fresh.store.head(d.TENANT_ID) > 0


@pytest.mark.slow
async def test_the_demo_s_history_names_a_key_the_tenant_has(fresh: System) -> None:
    """The help desk's measurements are recorded by an API key of the tenant's (it was an
    id of no key: the history said "by key:<id>"); made once, and one revoked stays so."""
    await ensure_demo(fresh, platform_admin=False)
    conn = await asyncpg.connect(fresh.admin_dsn)
    try:
        actors = {r["actor"] for r in await conn.fetch("SELECT DISTINCT actor FROM events")}
    finally:
        await conn.close()
    (key,) = await list_api_keys(fresh.pool, d.TENANT_ID)
    assert f"key:{key.id}" in actors and key.name == d.HELPDESK_KEY_NAME
    await revoke_api_key(fresh.pool, d.TENANT_ID, key.id)
    await ensure_demo(fresh, platform_admin=False)
    (again,) = await list_api_keys(fresh.pool, d.TENANT_ID, include_revoked=True)
    assert again.id == key.id and again.revoked_at is not None


@pytest.mark.slow
async def test_okr_demo_on_a_database_of_ones_own_makes_the_tenant_and_its_people(
    databases: DatabaseFactory,
) -> None:
    """`okr demo` with DATABASE_URL: the consultancy, the tenant (its name and slug), and
    the people's logins and roles, as the README's sign-in table says, so the API and the
    portal show the demo; but no platform admin with the published password."""
    dsn = await databases.create()
    env = {**os.environ, "DATABASE_URL": dsn}
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "demo", env=env, cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await done.communicate()
    assert done.returncode == 0, err.decode()
    assert d.TENANT_NAME in out.decode()
    system = await bootstrap(Settings(), dsn, run_migrations=False)
    try:
        tenant = await directory.get_tenant(system.pool, d.TENANT_ID)
        assert (tenant.name, tenant.slug) == (d.TENANT_NAME, d.TENANT_SLUG)
        giulia = await authenticate_password(system.pool, d.GIULIA.email, d.PASSWORD)
        assert giulia is not None
        members = await memberships.list_members(system.pool, d.TENANT_ID)
        assert {(m.email, m.role.value) for m in members} == {
            (p.email, p.role) for p in (d.LUCA, d.GIULIA, d.MARCO, d.SARA)
        }
        assert await find_user_by_email(system.pool, d.ADMIN.email) is None
    finally:
        await system.close()


async def test_the_first_platform_admin_comes_from_the_environment(fresh: System) -> None:
    """While there is no platform admin (the demo's logins made by `okr demo` are none): a
    second start with other values changes nothing; an email already taken is not made an
    admin."""
    await ensure_demo(fresh, platform_admin=False)
    taken = Settings(admin_email=d.GIULIA.email, admin_password="a long admin password")
    await ensure_platform_admin(fresh, taken)
    giulia = await find_user_by_email(fresh.pool, d.GIULIA.email)
    assert giulia is not None and not giulia.is_platform_admin
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


ADMIN = {"email": "root@okr.example", "password": "a long admin password"}
"""The platform admin okr serve makes from the environment (served_env)."""


def served_env(database_url: str) -> dict[str, str]:
    """okr serve's environment on a database of its own, with its first platform admin."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "OKR_JWT_SECRET": JWT_SECRET,
        "OKR_ADMIN_EMAIL": ADMIN["email"],
        "OKR_ADMIN_PASSWORD": ADMIN["password"],
    }


async def okr_serve(
    port: int, env: dict[str, str], *, output: bool = False
) -> asyncio.subprocess.Process:
    """`okr serve` as its own process on `port`; its output piped when asked, else dropped."""
    out = asyncio.subprocess.PIPE if output else asyncio.subprocess.DEVNULL
    err = asyncio.subprocess.STDOUT if output else asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "serve", "--port", str(port),
        cwd=PROJECT_ROOT, env=env, stdout=out, stderr=err,
    )  # fmt: skip


@pytest.mark.slow
async def test_serve_answers_and_stops_in_order_on_sigterm(databases: DatabaseFactory) -> None:
    """The real process: sign in as the admin from the environment, then SIGTERM: the
    projector stops, the process exits 0."""
    port = free_port()
    process = await okr_serve(port, served_env(await databases.create()), output=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_ready(client)
            signed = await client.post("/api/v1/auth/token", json=ADMIN)
            assert signed.status_code == 200, signed.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    lines = output.decode()
    assert process.returncode == 0, lines
    assert '"serve.listening"' in lines
    assert lines.index('"projector.stopped"') < lines.index('"serve.stopped"')


@pytest.mark.slow
async def test_serve_on_a_port_in_use_says_so_and_never_that_it_listens(
    databases: DatabaseFactory,
) -> None:
    """Another process listens on the port: okr serve fails (exit not 0) saying why, and
    does not log "serve.listening" first (it did, before uvicorn tried the port)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = await okr_serve(port, served_env(await databases.create()), output=True)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    lines = output.decode()
    assert process.returncode != 0, lines
    assert "address already in use" in lines.lower(), lines
    assert '"serve.listening"' not in lines, lines


async def test_a_login_the_database_refuses_is_503_until_it_is_let_in_again(
    fresh: System, api_settings: Settings
) -> None:
    """The application's login refused by the server (its CONNECT right revoked; a changed
    password is refused alike): 503 with Retry-After, to try again, as for a server down,
    not a 500 that reads as a bug; once let in again, the same request is answered."""
    from urllib.parse import urlsplit

    import asyncpg

    from services.api import create_app

    database = urlsplit(fresh.admin_dsn).path.lstrip("/")
    body = {"email": "nobody@example.com", "password": "not the password"}
    transport = asgi_transport(create_app(fresh, api_settings))
    admin = await asyncpg.connect(fresh.admin_dsn)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
            assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
            await admin.execute(f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC, okr_app')
            await fresh.pool.expire_connections()
            refused = await client.post("/api/v1/auth/token", json=body)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["errors"][0]["rule"] == "database_unavailable"
            await admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO PUBLIC, okr_app')
            assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
    finally:
        await admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO PUBLIC, okr_app')
        await admin.close()


@pytest.mark.slow
async def test_a_sigint_passed_on_by_uv_lets_the_requests_under_way_finish(
    databases: DatabaseFactory,
) -> None:
    """A SIGINT to the process group of `python3 dev.py serve` (or `uv run okr serve`)
    with no terminal (an IDE, a process manager) reaches okr serve twice: its own, and the
    one uv passes on. uvicorn took the second for an impatient user's and quit at once,
    cutting the requests under way; both are one interrupt: a request whose body is still
    coming is let finish, and answered."""
    port = free_port()
    process = await okr_serve(port, served_env(await databases.create()))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_ready(client)
            signed = await client.post("/api/v1/auth/token", json=ADMIN)
        body = b'{"name": "Studio Ctrl-C"}'
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /api/v1/consultancies HTTP/1.1\r\nhost: okr\r\n"
            b"content-type: application/json\r\nauthorization: Bearer "
            + signed.json()["access_token"].encode()
            + b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )  # fmt: skip
        await writer.drain()
        await asyncio.sleep(0.5)  # under way: uvicorn has its headers, the app awaits its body
        process.send_signal(signal.SIGINT)  # the group's
        await asyncio.sleep(0.05)  # (two pending at once would be one)
        process.send_signal(signal.SIGINT)  # uv's, passed on
        await asyncio.sleep(3.0)  # (the projector stopped, the pool closed, had it quit)
        writer.write(body[10:])
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 20)
        writer.close()
        assert status_line.split()[1] == b"201", status_line
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.slow
async def test_sigterm_does_not_wait_for_a_purge_held_up_by_a_lock(
    databases: DatabaseFactory,
) -> None:
    """okr serve purges expired idempotency keys at its start and hourly, a statement
    given an hour. One waiting for a lock (a long transaction holding the table) held the
    shutdown for as long, the projector still running: SIGTERM waited for the lock's end.
    The purge is cancelled, rolled back: the process stops at once, exit 0."""
    dsn = await databases.create()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "OKR_JWT_SECRET": JWT_SECRET}
    await (await bootstrap(Settings(), dsn)).close()  # migrated: the table is there
    holder = await asyncpg.connect(dsn)
    process = None
    try:
        await holder.execute("BEGIN; LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE")
        process = await okr_serve(port, env)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_ready(client)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await holder.close()


async def test_housekeeping_outlives_any_failure_of_its_purge(fresh: System) -> None:
    """The hourly purge caught only PostgreSQL's and the network's errors: any other (a
    closed pool's InterfaceError, say) ended the chore for the life of the process, and
    the shutdown, awaiting it, raised before the projector was stopped. Such a failure is
    logged, the chore goes on to its next hour and ends when told."""
    await fresh.pool.close()
    stop = asyncio.Event()
    chore = asyncio.create_task(housekeeping(fresh, fresh.settings, stop))
    await asyncio.sleep(0.2)
    assert not chore.done()  # failed once, waiting for its next hour
    stop.set()
    await asyncio.wait_for(chore, 5)

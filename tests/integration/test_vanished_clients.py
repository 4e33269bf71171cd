"""A session of the application whose client is gone, or stuck, lets go of its locks within
seconds, not when TCP keepalive notices two hours on (services.db.VANISHED_CLIENT and
idle_in_transaction_limit)."""

from __future__ import annotations

import asyncio
import signal
import sys

import asyncpg

from services.bootstrap import System
from services.db import create_pool, idle_in_transaction_limit
from services.settings import PROJECT_ROOT

HELD, WAITED_FOR = 7_340_001, 7_340_002
"""The advisory locks of these tests: the one the vanished client holds, the one it waits for."""

A_CLIENT_WAITING = f"""
import asyncio, sys
from services.db import create_pool

async def main():
    pool = await create_pool(sys.argv[1], 1, 1, answer_within=60)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock({HELD})")
        print("held", flush=True)
        await conn.execute("SELECT pg_advisory_xact_lock({WAITED_FOR})")

asyncio.run(main())
"""
"""A process of the application's that takes a lock in a transaction, then waits on another."""


async def _until(admin: asyncpg.Connection, sql: str) -> None:
    """Return once `sql` says true; AssertionError after 30 s (a hang guard, not a bound)."""
    for _ in range(3000):
        if await admin.fetchval(sql):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {sql}")


async def test_a_killed_client_s_transaction_waiting_on_a_lock_lets_go_of_its_own(
    system: System,
) -> None:
    """A request's transaction holds a tenant's locks while a statement of it waits on
    another lock; its process killed (SIGKILL, the OOM killer), the server went on waiting
    on its behalf, not reading the closed socket, and held what the transaction had locked
    until the lock it waited for came free, however long. Now the server looks at the
    client's socket every 2 s: the transaction rolls back and its locks go at once."""
    admin = await asyncpg.connect(system.admin_dsn)
    client = None
    try:
        await admin.execute(f"SELECT pg_advisory_lock({WAITED_FOR})")
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-c", A_CLIENT_WAITING, system.app_dsn, cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert client.stdout is not None
        assert await asyncio.wait_for(client.stdout.readline(), 30) == b"held\n"
        await _until(
            admin,
            "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND usename = 'okr_app')",
        )
        client.send_signal(signal.SIGKILL)
        await client.wait()
        await _until(admin, f"SELECT pg_try_advisory_lock({HELD})")  # freed, while the
        await admin.execute(f"SELECT pg_advisory_unlock({HELD})")  # one it waited for is
        assert await admin.fetchval(  # still held here
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1"
            " AND granted AND pid = pg_backend_pid()",
            WAITED_FOR,
        )
    finally:
        if client is not None and client.returncode is None:
            client.kill()
            await client.wait()
        await admin.execute("SELECT pg_advisory_unlock_all()")
        await admin.close()


async def test_a_transaction_left_idle_by_a_stuck_client_is_ended_with_its_locks(
    system: System,
) -> None:
    """A client alive but stuck between two statements of its transaction (a hung event
    loop) held its locks for as long as it was stuck. A bounded pool's sessions are now
    ended by the server once idle in a transaction that long (here half a second)."""
    pool = await create_pool(system.app_dsn, 1, 1, answer_within=5, idle_in_transaction=0.5)
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        conn = await pool.acquire()
        await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({HELD})")
        await _until(admin, f"SELECT pg_try_advisory_lock({HELD})")
        await admin.execute(f"SELECT pg_advisory_unlock({HELD})")
    finally:
        await admin.close()
        pool.terminate()  # (its one connection ended by the server: nothing to close)


async def test_the_system_s_sessions_tell_a_vanished_client_within_seconds(
    system: System,
) -> None:
    """The pool every request uses (bootstrap) starts its sessions so: keepalives after 5 s
    of silence (over TCP; a Unix socket has none), its socket checked while a statement
    runs, and a transaction idle past idle_in_transaction_limit of OKR_DB_TIMEOUT_SECONDS
    ended (the server's defaults: two hours of silence, never, never)."""
    async with system.pool.acquire() as conn:
        shown = {
            name: await conn.fetchval(f"SELECT setting FROM pg_settings WHERE name = '{name}'")
            for name in (
                "client_connection_check_interval",
                "idle_in_transaction_session_timeout",
                "tcp_keepalives_idle",
            )
        }
        over_tcp = await conn.fetchval("SELECT inet_server_addr() IS NOT NULL")
    assert shown["client_connection_check_interval"] == "2000"
    limit = idle_in_transaction_limit(system.settings.db_timeout_seconds)
    assert shown["idle_in_transaction_session_timeout"] == str(round(limit * 1000))
    if over_tcp:
        assert shown["tcp_keepalives_idle"] == "5"


async def test_the_projector_s_listen_connection_tells_a_vanished_client_too(
    system: System,
) -> None:
    """The projector's LISTEN connection is a session of the application's as the pools'
    are: its host gone, the server ended it within seconds, not two hours on (its keepalives
    were the server's defaults). It is idle for ever between notifications, so no limit on
    idling (in a transaction or not) or on statements, which would end a healthy one."""
    from services.projector.registry import PROJECTIONS
    from services.projector.worker import Projector

    projector = Projector(system.pool, system.repository, PROJECTIONS)
    listener = await projector._listen(system.app_dsn, asyncio.Event())
    try:
        shown = {
            name: await listener.fetchval("SELECT setting FROM pg_settings WHERE name = $1", name)
            for name in (
                "client_connection_check_interval",
                "idle_in_transaction_session_timeout",
                "idle_session_timeout",
                "statement_timeout",
                "tcp_keepalives_idle",
                "tcp_user_timeout",
            )
        }
        over_tcp = await listener.fetchval("SELECT inet_server_addr() IS NOT NULL")
    finally:
        await listener.close()
    assert shown["client_connection_check_interval"] == "2000"
    assert shown["idle_in_transaction_session_timeout"] == "0"
    assert shown["idle_session_timeout"] == "0"
    assert shown["statement_timeout"] == "0"
    if over_tcp:
        assert shown["tcp_keepalives_idle"] == "5"
        assert shown["tcp_user_timeout"] == "10000"

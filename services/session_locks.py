"""Advisory locks that live no longer than this process: held on a connection of its own,
they go the moment the process dies (a crash, SIGKILL, the OOM killer: its socket closes
and the server ends the session), or within seconds of its host vanishing (the session's
keepalives, services.db.VANISHED_CLIENT). What holds one is known to be running still.

One connection for the whole process, whatever the number of locks: a request holding a
lock takes no connection of the pool for it, so requests that fill the pool never wait for
each other's. A session's advisory locks stack (the same session takes one it holds
again), so the locks this process holds are kept here too: one of them is not free to it.
"""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import structlog

from services.db import connection_lost, open_connection

log = structlog.get_logger("okr.session_locks")


def lock_id(*parts: str) -> int:
    """The advisory lock (a signed 64-bit number) of what these parts name."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SessionLocks:
    """Locks this process holds while it runs something (services.api.idempotency: a
    request with an Idempotency-Key), on a connection opened at the first one."""

    def __init__(self, dsn: str, *, answer_within: float | None) -> None:
        self.dsn = dsn
        self.answer_within = answer_within
        self._conn: asyncpg.Connection | None = None
        self._held: set[int] = set()
        self._using = asyncio.Lock()  # (a connection runs one statement at a time)

    async def try_hold(self, lock: int) -> bool:
        """Hold `lock` if nothing holds it, this process included: False if something does."""
        if lock in self._held:
            return False
        self._held.add(lock)  # (taken here before the await: another request of this
        try:  # process asking meanwhile is refused, not given the session's again)
            held = bool(await self._run("SELECT pg_try_advisory_lock($1)", lock))
        except BaseException:
            self._held.discard(lock)
            raise
        if not held:
            self._held.discard(lock)
        return held

    async def let_go(self, lock: int) -> None:
        """Let go of a lock try_hold gave (a connection lost meanwhile let go of it already;
        a failure to say so drops the connection, and every lock with it: never raised)."""
        try:
            await self._run("SELECT pg_advisory_unlock($1)", lock, opening=False)
        except Exception as error:
            log.warning("session_locks.let_go_failed", error=repr(error))
        finally:
            self._held.discard(lock)

    async def close(self) -> None:
        """Close the connection: the server lets go of every lock it held."""
        async with self._using:
            conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()

    async def _run(self, sql: str, lock: int, *, opening: bool = True) -> object:
        """One statement on the connection (opened first if `opening`; none: nothing is
        held). Any failure drops the connection: what it holds is then unknown, and a lock
        let go by mistake is safer than one held for ever. One that was idle since its last
        statement and is found lost (the server restarted, the path to it cut meanwhile) is
        tried again once on a new connection: the first request after an outage was told
        503 for the dead connection alone."""
        async with self._using:
            while True:
                conn = self._conn
                fresh = conn is None or conn.is_closed()
                if conn is None or conn.is_closed():
                    if not opening:
                        return None
                    conn = self._conn = await open_connection(
                        self.dsn, answer_within=self.answer_within
                    )
                try:
                    return await conn.fetchval(sql, lock)
                except BaseException as error:
                    self._conn = None
                    conn.terminate()
                    if fresh or not connection_lost(error):
                        raise

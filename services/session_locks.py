"""Advisory locks that live no longer than this process: held on connections of its own,
they go the moment the process dies (a crash, SIGKILL, the OOM killer: its sockets close
and the server ends the sessions), or within seconds of its host vanishing (the sessions'
keepalives, services.db.VANISHED_CLIENT). What holds one is known to be running still.

A connection for each lock held, from a pool of the locks' own: a request holding a lock
takes no connection of the requests' pool for it, so requests that fill that pool never
wait for each other's. A lock statement that fails, or is cancelled, leaves it unknown
whether its session holds the lock: that session is ended, and with it that lock alone.
(One connection for every lock of the process, as before, lost them all so: every other
keyed request running there could be taken over by a retry elsewhere, and told 409.)
"""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import structlog

from services.db import close_pool, connection_lost, create_pool

log = structlog.get_logger("okr.session_locks")


def lock_id(*parts: str) -> int:
    """The advisory lock (a signed 64-bit number) of what these parts name."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SessionLocks:
    """Locks this process holds while it runs something (services.api.idempotency: a
    request with an Idempotency-Key), each on a connection of a pool opened at the first
    one, of up to `most` connections (bootstrap: as many as the requests' pool, which a
    keyed request needs one of as well): a request past them waits for one
    (answer_within seconds at most: then TimeoutError, the database out of reach for it)."""

    def __init__(self, dsn: str, *, answer_within: float | None, most: int = 20) -> None:
        self.dsn = dsn
        self.answer_within = answer_within
        self.most = most
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._held: dict[int, asyncpg.Connection] = {}

    async def try_hold(self, lock: int) -> bool:
        """Hold `lock` if nothing holds it, this process included: False if something does
        (a request of this process holds it on another session: the server refuses it).
        A connection found lost (the server restarted, or the path to it was cut, while it
        sat in the pool) is given up and the lock asked for once more on another: the first
        request after an outage was told 503 for a dead connection alone."""
        pool = await self._opened()
        try:
            conn, held = await self._asked(pool, lock)
        except Exception as error:
            if not connection_lost(error):
                raise
            conn, held = await self._asked(pool, lock)
        if held:
            self._held[lock] = conn
        else:
            await pool.release(conn)
        return held

    async def let_go(self, lock: int) -> None:
        """Let go of a lock try_hold gave (a connection lost meanwhile let go of it
        already; one that fails to say so is ended, and the lock with it: never raised)."""
        conn, pool = self._held.pop(lock, None), self._pool
        if conn is None or pool is None:
            return
        try:
            if await conn.fetchval("SELECT pg_advisory_unlock($1)", lock):
                await pool.release(conn)
                return
        except Exception as error:
            log.warning("session_locks.let_go_failed", error=repr(error))
        except BaseException:
            await self._end(pool, conn)
            raise
        await self._end(pool, conn)

    async def close(self) -> None:
        """Close the connections: the server lets go of every lock they held."""
        async with self._opening:
            pool, self._pool = self._pool, None
        held, self._held = self._held, {}
        if pool is None:
            return
        for conn in held.values():
            await self._end(pool, conn)
        await close_pool(pool)

    async def _opened(self) -> asyncpg.Pool:
        """The locks' pool, opened at the first lock asked for (a process that runs no
        keyed request opens none)."""
        async with self._opening:
            if self._pool is None:
                self._pool = await create_pool(
                    self.dsn, 1, self.most, answer_within=self.answer_within
                )
            return self._pool

    async def _asked(self, pool: asyncpg.Pool, lock: int) -> tuple[asyncpg.Connection, bool]:
        """A connection of the pool, and whether it now holds `lock`. One whose statement
        fails, or is cancelled, may hold it or not: its session is ended."""
        conn = await pool.acquire(timeout=self.answer_within)
        try:
            return conn, bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock))
        except BaseException:
            await self._end(pool, conn)
            raise

    @staticmethod
    async def _end(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
        """End the session of `conn` (the server lets go of whatever lock it held) and give
        it back to the pool, which opens another in its place when one is asked for."""
        conn.terminate()
        await pool.release(conn)

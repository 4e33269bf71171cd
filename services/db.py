"""Connections: the admin DSN, the application role's DSN, pools, tenant-scoped transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import UUID

import asyncpg

from tenants.db import (  # one definition of the RLS contract
    LONG_STATEMENT_SECONDS,
    RolledBackError,
    admit_sql,
    grants_literal,
    tenant_transaction,
    transaction_with,
)

__all__ = [
    "APP_ROLE",
    "CONNECTION_LOST",
    "LONG_STATEMENT_SECONDS",
    "LoginRefusedError",
    "RolledBackError",
    "admit_sql",
    "admit_unflushed_sql",
    "app_dsn",
    "close_pool",
    "connection_lost",
    "create_pool",
    "grants_literal",
    "learn_array_types",
    "open_connection",
    "tenant_transaction",
    "transaction_with",
]

CONNECTION_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # the server refused or ended the session
    asyncpg.exceptions.OperatorInterventionError,  # terminated, shutting down, starting up
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,  # closed under a statement (not the misuses that
    # are InterfaceError too: those are bugs)
    asyncpg.InternalClientError,  # a pooled connection whose backend was terminated while
    # idle says so, where asyncpg should say the connection is gone (asyncpg issue 1069)
    OSError,
    asyncio.TimeoutError,
)
"""The database out of reach, for now: worth trying again (the projector), or answering 503
with Retry-After (the API, the portal), rather than failing as a bug would."""


def connection_lost(error: BaseException) -> bool:
    """Whether `error` says the database is out of reach: one of CONNECTION_LOST, or the
    InterfaceError asyncpg raises in its place when a transaction block ends on a connection
    lost in it ("cannot call Transaction.__aexit__(): the underlying connection is closed",
    the loss as its context): a sign-in cut so by a restart was told 500, as for a bug.

    Or one that says the connection is closed, with no loss behind it: the server ended the
    session while the client was not looking (a transaction idle past
    idle_in_transaction_session_timeout), and the next statement, or the block's end, found
    it so. The application never uses a connection it closed itself; misuses of another
    kind ("released back to the pool", "another operation is in progress") stay bugs."""
    if isinstance(error, CONNECTION_LOST):
        return True
    return isinstance(error, asyncpg.InterfaceError) and (
        isinstance(error.__context__, CONNECTION_LOST)
        or str(error).endswith("connection is closed")
    )


APP_ROLE = "okr_app"


def app_dsn(admin_dsn: str, password: str | None = None) -> str:
    """The admin DSN with its user swapped for the application role (same host, same db)."""
    parts = urlsplit(admin_dsn)
    host = parts.netloc.rpartition("@")[2]
    auth = APP_ROLE if password is None else f"{APP_ROLE}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


def admit_unflushed_sql(tenant_ids: Iterable[UUID]) -> str:
    """admit_sql, and the transaction commits without waiting for the WAL's flush: only for
    what the log can give again (read-model rows, snapshots). A crash may lose such a
    transaction whole, never an event; appends of events keep waiting for the flush."""
    return f"{admit_sql(tenant_ids)}; SET LOCAL synchronous_commit = off"


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool.

    asyncpg still rolls back an open transaction and drops listeners; the default reset
    (UNLISTEN, RESET ALL, advisory unlock...) would cost a round trip on every release, and
    this application keeps no session state: tenant grants are SET LOCAL, advisory locks
    are transaction-scoped.
    """


ARRAY_TYPES_SQL = "SELECT $1::uuid[], $2::bigint[]"
"""A statement with a parameter of each array type the application's statements take."""


async def learn_array_types(conn: asyncpg.Connection) -> None:
    """A pool's `init` (the requests' pool): asyncpg learns as a connection opens the array
    types the statements take (their codecs are not built in: it asks the server the first
    time a connection meets one, 10-25 ms on a new session), where the first requests after
    a start, each on a connection of its own, asked (the as-of and diff pages, a tenant's
    keys by id). Not every pool's: the session locks' takes no array."""
    await conn.prepare(ARRAY_TYPES_SQL)


class LoginRefusedError(ConnectionError):
    """The server refused the login for now (its CONNECT right revoked, its password
    changed): the database out of reach, as a server down is (CONNECTION_LOST)."""


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """asyncpg's connect, a refused login raised as LoginRefusedError: a query's "permission
    denied" (a bug) stays a 500, and a connection's is 503, to try again."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (
        asyncpg.InsufficientPrivilegeError,
        asyncpg.InvalidAuthorizationSpecificationError,
    ) as error:
        raise LoginRefusedError(f"the database refused the login: {error}") from error


VANISHED_CLIENT: dict[str, str] = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "10000",
    "client_connection_check_interval": "2000",
}
"""How the server tells, within about 10 s, that a session's client is gone (its host down,
the network cut: no FIN ever comes), so that its transaction rolls back and its locks go:
its keepalives unanswered (5 s idle, then 3 probes 2 s apart), data it sent unacknowledged
for 10 s, or, while a statement runs (waiting on a lock, say), the client's socket checked
every 2 s (a killed process's is closed). The server's defaults are two hours of silence
first; over a Unix socket, only the check applies."""

IDLE_IN_TRANSACTION_AT_LEAST = 30.0
"""Seconds a transaction of a bounded pool may sit between two statements, at the least
(see idle_in_transaction_limit)."""


def idle_in_transaction_limit(answer_within: float) -> float:
    """How long the server lets a bounded pool's session sit idle in a transaction before
    it ends the session (and so its transaction and its locks): a client alive but stuck
    between two statements (a hung event loop) held its locks, and every writer of the
    tenant behind them, for as long as it was stuck. Three times the bound on a statement,
    and never under IDLE_IN_TRANSACTION_AT_LEAST: a request holds its transaction while it
    waits for another statement, and a projector's pass while it folds."""
    return max(IDLE_IN_TRANSACTION_AT_LEAST, 3 * answer_within)


def session_settings(idle_in_transaction: float | None = None) -> dict[str, str]:
    """The server settings a session of the application starts with (VANISHED_CLIENT, and
    `idle_in_transaction` seconds, if given, as idle_in_transaction_session_timeout)."""
    settings = dict(VANISHED_CLIENT)
    if idle_in_transaction is not None:
        settings["idle_in_transaction_session_timeout"] = str(round(idle_in_transaction * 1000))
    return settings


async def open_connection(dsn: str, *, answer_within: float | None) -> asyncpg.Connection:
    """One connection of the application's own, outside any pool, started as a pool's
    sessions are (session_settings; no idle limit: it holds no transaction), its statements
    and its opening bound by `answer_within` seconds, as a bounded pool's."""
    bounded = (
        {}
        if answer_within is None
        else {"command_timeout": answer_within, "timeout": answer_within}
    )
    return await _connect(dsn, server_settings=session_settings(), **bounded)


async def create_pool(
    dsn: str,
    min_size: int = 2,
    max_size: int = 20,
    *,
    answer_within: float | None = None,
    idle_in_transaction: float | None = None,
    init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    """A pool of connections as the given login. With `answer_within` (seconds), a statement
    the server leaves unanswered that long fails with TimeoutError (CONNECTION_LOST: 503 to try
    again), as does a connection that takes that long to open; without, they wait for ever.

    asyncpg then sends the server a cancel request, and a connection whose server does not
    acknowledge it within as long again (a partition, a frozen server) is terminated and
    never handed out again: the pool opens a new one when the server answers again. A server
    that does answer stops the statement, and its connection is reused. The bound is on
    each statement, not on a request or a transaction: an export of many batches, or a pass
    of many statements, takes as long as it needs while each of them is answered.

    Every session tells a vanished client within seconds (VANISHED_CLIENT); a bounded
    pool's sessions are ended when idle in a transaction longer than
    `idle_in_transaction` seconds (by default idle_in_transaction_limit of the bound).
    `init`: run on each connection as it opens (learn_array_types)."""
    bounded: dict[str, Any] = (
        {}
        if answer_within is None
        else {"command_timeout": answer_within, "timeout": answer_within}
    )
    if idle_in_transaction is None and answer_within is not None:
        idle_in_transaction = idle_in_transaction_limit(answer_within)
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, reset=_keep_session, connect=_connect,
        init=init, server_settings=session_settings(idle_in_transaction), **bounded,
    )  # fmt: skip
    assert pool is not None
    return pool


CLOSE_SECONDS = 10.0
"""How long closing a pool waits for its connections to say goodbye to the server."""


async def close_pool(pool: asyncpg.Pool) -> None:
    """Close the pool's connections, and terminate those still open after CLOSE_SECONDS: a
    connection whose server stopped answering (idle in the pool since) never closes
    politely, and a shutdown after an outage waited on it, then failed as the outage."""
    try:
        await asyncio.wait_for(pool.close(), CLOSE_SECONDS)
    except CONNECTION_LOST:
        pool.terminate()

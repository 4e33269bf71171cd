"""Tenant-scoped transactions for the tenancy layer.

The same contract as services.db (which tenants must not import): row-level security admits
exactly the tenants named, set with SET LOCAL from validated uuid literals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from typing import TypeAlias
from uuid import UUID

import asyncpg

LONG_STATEMENT_SECONDS = 3600.0
"""How long a statement that goes through as many rows as there are may take (a tenant's
erasure, the hourly purges of expired rows): it takes longer the more there are, and the
pool's bound on a request's statements (OKR_DB_TIMEOUT_SECONDS, services.db.create_pool)
would cut a big one short, rolled back whole, every time. An hour, not for ever: a
database that stops answering frees the connection then."""


def grants_literal(tenant_ids: Iterable[UUID]) -> str:
    """A Postgres uuid[] literal of validated ids, for `SET LOCAL okr.tenant_ids`."""
    return "{" + ",".join(str(UUID(str(t))) for t in tenant_ids) + "}"


def admit_sql(tenant_ids: Iterable[UUID]) -> str:
    """The statement by which a transaction's row-level security admits these tenants."""
    return f"SET LOCAL okr.tenant_ids = '{grants_literal(tenant_ids)}'"


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, tenant_ids: Iterable[UUID]
) -> AsyncIterator[asyncpg.Connection]:
    """A transaction in which row-level security admits exactly these tenants; its BEGIN
    and the grant go in one round trip (see transaction_with: no savepoints inside)."""
    async with pool.acquire() as conn, transaction_with(conn, admit_sql(tenant_ids)):
        yield conn


Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection
"""Where a tenancy function runs: a pool (it opens its own tenant transaction), or the
connection of a caller's transaction that admits the tenant (services.app.access writes the
tenant's log in the same transaction)."""


@asynccontextmanager
async def in_tenant(on: Conn, tenant_ids: Iterable[UUID]) -> AsyncIterator[asyncpg.Connection]:
    """`on` itself when it is a connection (its transaction admits the tenants), or a
    tenant_transaction of the pool."""
    if not isinstance(on, asyncpg.Pool):
        if not on.is_in_transaction():  # row-level security would admit nothing
            raise asyncpg.InterfaceError("in_tenant: the connection is in no transaction")
        yield on
        return
    async with tenant_transaction(on, tenant_ids) as conn:
        yield conn


@asynccontextmanager
async def transaction_with(conn: asyncpg.Connection, setup_sql: str) -> AsyncIterator[None]:
    """A transaction whose first statements (SET LOCAL...) go with its BEGIN, in one round
    trip: committed when the block ends, rolled back when it raises (or the setup fails).

    A round trip fewer than `conn.transaction()` and a SET LOCAL, on every request. The
    block runs plain statements: asyncpg does not know of this transaction, so
    `conn.transaction()` inside it (a savepoint) raises InterfaceError; and a connection
    already in a transaction is refused (its BEGIN would only warn, and the COMMIT here
    would commit the outer transaction). A block that catches the error of one of its
    statements and ends normally raises RolledBackError: its COMMIT rolled back.
    """
    if conn.is_in_transaction():
        raise asyncpg.InterfaceError("transaction_with: the connection is in a transaction")
    try:
        await conn.execute(f"BEGIN; {setup_sql}")
        yield
    except BaseException:
        with suppress(Exception):  # a lost connection: the server rolls back on its own
            if not conn.is_closed() and conn.is_in_transaction():
                await conn.execute("ROLLBACK")
        raise
    if await conn.execute("COMMIT") != "COMMIT":  # the server answers ROLLBACK
        raise RolledBackError("the transaction failed inside its block and was rolled back")


class RolledBackError(RuntimeError):
    """A transaction_with block ended normally after one of its statements failed (the
    error was caught in it): nothing was committed, and the caller must not say it was."""

"""The requests' pool: what a connection knows before its first statement."""

from __future__ import annotations

from uuid import uuid4

from services.bootstrap import bootstrap
from services.settings import Settings

STATEMENT = "SELECT cardinality($1::uuid[]) + cardinality($2::bigint[])"


async def test_a_pooled_connection_knows_the_array_types_before_its_first_statement(
    admin_dsn: str,
) -> None:
    """asyncpg asks the server about an array type (uuid[], bigint[]) the first time a
    connection meets one, 10-25 ms on a new session: the first requests after a start, each
    on a connection of its own, waited for it. The pool's connection has asked as it opened,
    and its first statement is the only one sent."""
    system = await bootstrap(Settings(pool_min=1, pool_max=1), admin_dsn)
    sent: list[str] = []
    try:
        async with system.pool.acquire() as conn:
            conn.add_query_logger(lambda logged: sent.append(logged.query))
            assert await conn.fetchval(STATEMENT, [uuid4()], [1, 2]) == 3
    finally:
        await system.close()
    assert sent == [STATEMENT]

"""Migrations: versioned, idempotent, safe when several processes run them at once."""

from __future__ import annotations

import asyncio

import asyncpg

from services.projector.registry import PROJECTIONS
from services.projector.schema import ensure_tables
from services.store.migrate import migrate, migration_files
from tests.conftest import DatabaseFactory


async def test_concurrent_migrations_apply_each_file_exactly_once(
    databases: DatabaseFactory,
) -> None:
    """Four processes migrating one empty database at once: no error, every file once."""
    dsn = await databases.create()
    results = await asyncio.gather(*(migrate(dsn) for _ in range(4)))
    applied = [name for result in results for name in result]
    assert sorted(applied) == [p.name for p in migration_files()]
    assert await migrate(dsn) == []  # and again: nothing to do
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    finally:
        await conn.close()
    assert [r["name"] for r in rows] == [p.name for p in migration_files()]


async def test_read_model_tables_are_made_once_and_kept(databases: DatabaseFactory) -> None:
    """Read-model tables are created on first run and left alone while their spec is unchanged."""
    dsn = await databases.create()
    await migrate(dsn)
    first = await asyncio.gather(ensure_tables(dsn, PROJECTIONS), ensure_tables(dsn, PROJECTIONS))
    assert sorted(first[0] + first[1]) == sorted(p.name for p in PROJECTIONS)
    assert await ensure_tables(dsn, PROJECTIONS) == []

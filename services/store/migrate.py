"""Versioned SQL migrations: applied in order, once, under an advisory lock."""

from __future__ import annotations

from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x6F6B725F6D6967  # "okr_mig": one migrator at a time per database


def migration_files() -> list[Path]:
    """The migration files, in the order they apply."""
    return sorted(MIGRATIONS.glob("*.sql"))


async def migrate(admin_dsn: str, app_password: str | None = None) -> list[str]:
    """Apply every migration not yet applied; return the names applied now.

    Safe when several processes run it at once: they queue on an advisory lock and the
    later ones find nothing left to do.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            applied = await _apply_pending(conn)
            if app_password is not None:
                quoted = app_password.replace("'", "''")
                await conn.execute(f"ALTER ROLE okr_app PASSWORD '{quoted}'")
            return applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()


async def migrations_apart(conn: asyncpg.Connection) -> tuple[list[str], list[str]]:
    """The migrations this code has that the database has not applied, and those the
    database has applied that this code does not know (a newer code's), changing nothing."""
    mine = [path.name for path in migration_files()]
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return mine, []
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    return [m for m in mine if m not in done], sorted(done - set(mine))


async def _apply_pending(conn: asyncpg.Connection) -> list[str]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    applied = []
    for path in migration_files():
        if path.name in done:
            continue
        async with conn.transaction():
            await conn.execute(path.read_text())
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
        applied.append(path.name)
    return applied

"""Read-model tables, made from the projections' own table specs.

Each projection owns its tables plus `<prefix>positions`: per tenant, the position it has
applied and its fold state, written in the same transaction as its rows. A projection
whose specs changed (a new fingerprint) gets its tables dropped and made anew, and the
projector refills them from the logs. Every table leads with tenant_id and has FORCE RLS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import asyncpg

from projections.base import Projection, Table
from services.db import APP_ROLE

_LOCK_KEY = 0x6F6B725F726D73  # "okr_rms": one schema change at a time
_GRANTS = "(SELECT okr_tenant_ids())::uuid[]"  # a sub-select: evaluated once per query, not per row
_DDL_VERSION = 2  # bump when the DDL below changes: tables are then made anew


def ident(name: str) -> str:
    """A column name quoted for SQL (read-model columns may be keywords, like "on")."""
    return '"' + name.replace('"', '""') + '"'


def columns_sql(names: Iterable[str]) -> str:
    """A quoted, comma-separated column list."""
    return ", ".join(ident(n) for n in names)


def positions_table(projection: Projection[Any], suffix: str = "") -> str:
    return f"rm_{projection.name}__positions{suffix}"


def fingerprint(projection: Projection[Any]) -> str:
    spec = repr(
        (_DDL_VERSION, projection.name, getattr(projection, "version", 1), projection.tables)
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def table_names(projection: Projection[Any], suffix: str = "") -> list[str]:
    return [t.name + suffix for t in projection.tables] + [positions_table(projection, suffix)]


def create_sql(projection: Projection[Any], suffix: str = "") -> str:
    """DDL for the projection's tables (and positions table) with RLS and grants."""
    statements = [_create_table(t, suffix) for t in projection.tables]
    statements.append(
        f"CREATE TABLE {positions_table(projection, suffix)} (tenant_id uuid PRIMARY KEY,"
        " position bigint NOT NULL, state bytea NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())"
    )
    for name in table_names(projection, suffix):
        statements += [
            f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {name} USING (tenant_id = ANY ({_GRANTS}))"
            f" WITH CHECK (tenant_id = ANY ({_GRANTS}))",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {APP_ROLE}",
        ]
    return ";\n".join(statements)


def _create_table(table: Table, suffix: str) -> str:
    columns = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in table.columns)
    key = ", ".join(ident(k) for k in ("tenant_id", *table.key))
    name = table.name + suffix
    return f"CREATE TABLE {name} (tenant_id uuid NOT NULL, {columns}, PRIMARY KEY ({key}))"


async def ensure_tables(admin_dsn: str, projections: tuple[Projection[Any], ...]) -> list[str]:
    """Create or re-create read-model tables whose spec changed; the projections reset."""
    conn = await asyncpg.connect(admin_dsn)
    reset = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS read_model_schemas ("
            " projection text PRIMARY KEY, fingerprint text NOT NULL)"
        )
        await conn.execute(f"GRANT SELECT ON read_model_schemas TO {APP_ROLE}")
        known = dict(await conn.fetch("SELECT projection, fingerprint FROM read_model_schemas"))
        for projection in projections:
            if known.get(projection.name) == fingerprint(projection):
                continue
            async with conn.transaction():
                for name in table_names(projection):
                    await conn.execute(f"DROP TABLE IF EXISTS {name}")
                await conn.execute(create_sql(projection))
                await conn.execute(
                    "INSERT INTO read_model_schemas VALUES ($1, $2)"
                    " ON CONFLICT (projection) DO UPDATE SET fingerprint = EXCLUDED.fingerprint",
                    projection.name,
                    fingerprint(projection),
                )
            reset.append(projection.name)
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return reset

"""Writing one projection's rows for one tenant: appended log rows and state-row diffs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from projections.base import Projection, Row, RowsByTable, Table
from services.projector.schema import columns_sql, ident


def keyed(table: Table, rows: Sequence[Row]) -> dict[tuple[Any, ...], Row]:
    """Rows by their key columns."""
    names = [c.name for c in table.columns]
    index = [names.index(k) for k in table.key]
    return {tuple(row[i] for i in index): tuple(row) for row in rows}


def _insert_sql(table: Table, suffix: str, upsert: bool) -> str:
    names = ["tenant_id", *(c.name for c in table.columns)]
    params = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    sql = f"INSERT INTO {table.name}{suffix} ({columns_sql(names)}) VALUES ({params})"
    if not upsert:
        return sql
    others = [c.name for c in table.columns if c.name not in table.key]
    conflict = columns_sql(("tenant_id", *table.key))
    if not others:
        return f"{sql} ON CONFLICT ({conflict}) DO NOTHING"
    updates = ", ".join(f"{ident(n)} = EXCLUDED.{ident(n)}" for n in others)
    return f"{sql} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"


def _delete_sql(table: Table, suffix: str) -> str:
    where = " AND ".join(f"{ident(k)} = ${i}" for i, k in enumerate(table.key, start=2))
    return f"DELETE FROM {table.name}{suffix} WHERE tenant_id = $1" + (
        f" AND {where}" if where else ""
    )


async def append_rows(
    conn: asyncpg.Connection,
    projection: Projection[Any],
    tenant_id: UUID,
    rows: Mapping[str, Sequence[Row]],
    suffix: str = "",
) -> None:
    """Insert the log rows a batch of events appended."""
    for table in projection.tables:
        batch = rows.get(table.name)
        if batch:
            await conn.executemany(
                _insert_sql(table, suffix, upsert=False), [(tenant_id, *r) for r in batch]
            )


async def write_state_diff(
    conn: asyncpg.Connection,
    projection: Projection[Any],
    tenant_id: UUID,
    before: RowsByTable,
    after: RowsByTable,
    suffix: str = "",
) -> None:
    """Upsert rows that changed, delete rows that went away, leave the rest alone."""
    for table in projection.tables:
        if table.kind != "state":
            continue
        old = keyed(table, before.get(table.name, ()))
        new = keyed(table, after.get(table.name, ()))
        changed = [(tenant_id, *row) for key, row in new.items() if old.get(key) != row]
        gone = [(tenant_id, *key) for key in old.keys() - new.keys()]
        if changed:
            await conn.executemany(_insert_sql(table, suffix, upsert=True), changed)
        if gone:
            await conn.executemany(_delete_sql(table, suffix), gone)


async def save_position(
    conn: asyncpg.Connection,
    table: str,
    tenant_id: UUID,
    position: int,
    state: bytes,
) -> None:
    await conn.execute(
        f"INSERT INTO {table} (tenant_id, position, state) VALUES ($1, $2, $3)"
        " ON CONFLICT (tenant_id) DO UPDATE SET position = EXCLUDED.position,"
        " state = EXCLUDED.state, updated_at = now()",
        tenant_id,
        position,
        state,
    )

"""Read-model tables, made from the projections' own table specs.

Each projection owns its tables plus `rm_<name>__positions` (per tenant, the position it has
applied, written in the same transaction as its rows) and `rm_<name>__states` (checkpoints
of its fold state: the state after a position, every few hundred events; a projector
resumes from the latest and an as-of replay starts from the one before its instant). A projection
whose specs changed (a new fingerprint) gets its tables dropped and made anew, and the
projector refills them from the logs. Every table leads with tenant_id and has FORCE RLS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import asyncpg
import structlog

from projections.base import Column, Projection, Table
from services.db import APP_ROLE

log = structlog.get_logger("okr.read_models")

_LOCK_KEY = 0x6F6B725F726D73  # "okr_rms": one schema change at a time
_GRANTS = "(SELECT okr_tenant_ids())::uuid[]"  # a sub-select: evaluated once per query, not per row
_DDL_VERSION = 6  # bump when the DDL below changes: tables are then made anew


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
    lookups = [(t.name, t.lookups) for t in projection.tables if t.lookups]
    if lookups:  # only then: the tables of a projection without any are not made anew
        spec += repr(lookups)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def lookup_index(table_name: str, columns: tuple[str, ...]) -> str:
    """The name of a table's index on tenant_id and these columns (Table.lookups)."""
    return f"{table_name}_by_{'_'.join(columns)}"


def _lookups_sql(table: Table, suffix: str) -> list[str]:
    name = table.name + suffix
    return [
        f"CREATE INDEX {lookup_index(name, columns)} ON {name}"
        f" ({columns_sql(('tenant_id', *columns))})"
        for columns in table.lookups
    ]


def states_table(projection: Projection[Any], suffix: str = "") -> str:
    return f"rm_{projection.name}__states{suffix}"


def all_tables(projection: Projection[Any]) -> tuple[Table, ...]:
    """The projection's own tables, then its positions and states tables."""
    return (
        *projection.tables,
        Table(positions_table(projection), (Column("position", "bigint NOT NULL"),), (), "state"),
        Table(
            states_table(projection),
            (Column("position", "bigint"), Column("state", "bytea NOT NULL")),
            ("position",),
            "state",
        ),
    )


def table_names(projection: Projection[Any], suffix: str = "") -> list[str]:
    return [t.name + suffix for t in all_tables(projection)]


def lock_sql(tables: Iterable[str], mode: str) -> str:
    """LOCK of these read-model tables in name order: the order in which a rebuild's swap
    takes every one of them (ACCESS EXCLUSIVE) and a read of several statements the ones it
    reads (ACCESS SHARE), so that neither holds a table the other waits for while it waits
    for one the other holds."""
    return f"LOCK TABLE {', '.join(sorted(set(tables)))} IN {mode} MODE"


def share_lock_sql(tables: Iterable[str]) -> str:
    """What a REPEATABLE READ transaction that reads read-model tables runs before its
    first SELECT: its snapshot is taken as that SELECT begins, before it waits for a table
    a rebuild's swap holds, so a swap that commits meanwhile would show it the new tables
    through an older snapshot (the rows the rebuild wrote in the swap's transaction left
    out: a tenant's position stepping back). Waiting at a LOCK, which takes no snapshot,
    its snapshot comes after the swap and sees the new tables whole."""
    return lock_sql(tables, "ACCESS SHARE")


def row_type(table_name: str) -> str:
    """The composite type of a live table's rows: tenant_id, then the spec's columns.

    A pass sends each table's rows as one array of it (see tables.write). It is a type of
    its own, not the table's: a rebuild drops the live tables when it swaps its shadows in,
    and with them their row types, while every projector connection that prepared a pass's
    statement would keep the dropped type's id.
    """
    return f"{table_name}__row"


def bare_type(sql_type: str) -> str:
    """A column's type without its constraints ("bigint NOT NULL" -> "bigint")."""
    return sql_type.split()[0]


def create_sql(projection: Projection[Any]) -> str:
    """DDL for the projection's tables, keyed, with RLS and grants, and their row types."""
    statements = [_create_table(t, "") for t in all_tables(projection)]
    indexes = [sql for t in all_tables(projection) for sql in _lookups_sql(t, "")]
    types = [_create_row_type(t) for t in all_tables(projection)]
    return ";\n".join([*statements, *indexes, *types, finish_sql(projection, "", keys=False)])


def drop_sql(names: list[str]) -> list[str]:
    """Statements that drop these live tables and their row types, where they exist."""
    tables = [f"DROP TABLE IF EXISTS {ident(name)}" for name in names]
    return [*tables, *(f"DROP TYPE IF EXISTS {ident(row_type(name))}" for name in names)]


def bulk_create_sql(projection: Projection[Any], suffix: str) -> str:
    """DDL for shadow tables that the owner fills with COPY: no key (built once, after the
    rows), no RLS (COPY FROM cannot pass a policy) and no grant, so the application role
    cannot see them; :func:`finish_sql` makes them what :func:`create_sql` makes, before
    they are swapped in.
    """
    statements = [_create_table(t, suffix, keyed=False) for t in all_tables(projection)]
    return ";\n".join(statements)


def finish_sql(projection: Projection[Any], suffix: str, *, keys: bool = True) -> str:
    """Primary keys and lookup indexes (built once, after the rows are in), RLS and the
    role's grants."""
    statements = []
    for table in all_tables(projection):
        name = table.name + suffix
        if keys:
            key = columns_sql(("tenant_id", *table.key))
            statements.append(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY ({key})")
            statements += _lookups_sql(table, suffix)
        statements += [
            f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {name} USING (tenant_id = ANY ({_GRANTS}))"
            f" WITH CHECK (tenant_id = ANY ({_GRANTS}))",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {APP_ROLE}",
        ]
    return ";\n".join(statements)


def _create_row_type(table: Table) -> str:
    columns = ", ".join(f"{ident(c.name)} {bare_type(c.sql_type)}" for c in table.columns)
    return f"CREATE TYPE {row_type(table.name)} AS (tenant_id uuid, {columns})"


UPDATED_FILL = 70
"""fillfactor of the tables whose rows passes update in place (state tables but the
checkpoints): room on each page for the rows' next versions, so that an update stays on its
page (a HOT update: no new key entry, less WAL). Measured in `okr bench projections`' lag
after a rebuild (12,500 check-ins over 1,000 tenants): every update HOT, against 84 % of
the key results' and 70 % of the items'; 9 % less WAL. Tables made before keep their
setting until the next full rebuild (not a schema change: no reset for it)."""


def _create_table(table: Table, suffix: str, *, keyed: bool = True) -> str:
    columns = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in table.columns)
    name = table.name + suffix
    key = f", CONSTRAINT {name}_pkey PRIMARY KEY ({columns_sql(('tenant_id', *table.key))})"
    updated = table.kind == "state" and not table.name.endswith("__states")
    fill = f" WITH (fillfactor = {UPDATED_FILL})" if updated else ""
    return f"CREATE TABLE {name} (tenant_id uuid NOT NULL, {columns}{key if keyed else ''}){fill}"


SWAP_LOCK_KEY = 0x6F6B725F73776170  # "okr_swap"
"""The advisory lock a full rebuild's swap, or the drop of a retired projection's tables,
takes alone, and passes share (worker.SHARE_SWAP_SQL) before they touch a table."""

SHADOW = "__shadow"
"""The suffix of a full rebuild's tables, until they are swapped in."""

RETIRED_TABLES = {"audit": ("rm_audit",)}
"""The own tables of projections no longer kept, dropped with their positions and states
(the audit trail is read from the log itself: see projections.audit)."""


async def outdated_read_models(
    conn: asyncpg.Connection, projections: tuple[Projection[Any], ...]
) -> list[str]:
    """The projections whose tables are not of this code's spec (ensure_tables would make
    them anew), changing nothing."""
    if await conn.fetchval("SELECT to_regclass('read_model_schemas')") is None:
        return [p.name for p in projections]
    known = dict(await conn.fetch("SELECT projection, fingerprint FROM read_model_schemas"))
    return [p.name for p in projections if known.get(p.name) != fingerprint(p)]


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
        names = {p.name for p in projections}
        for retired in known.keys() - names:  # a projection no longer kept (portfolio, audit)
            tables = [
                *RETIRED_TABLES.get(retired, ()),
                f"rm_{retired}__positions",
                f"rm_{retired}__states",
            ]
            async with conn.transaction():
                # as a swap does: a pass of a process still running older code, which keeps
                # this projection, holds its tables one after another (see SHARE_SWAP_SQL)
                await conn.execute(f"SELECT pg_advisory_xact_lock({SWAP_LOCK_KEY})")
                for statement in drop_sql([*tables, *(name + SHADOW for name in tables)]):
                    await conn.execute(statement)
                await conn.execute("DELETE FROM read_model_schemas WHERE projection = $1", retired)
            log.warning("read_models.retired", projection=retired, tables=tables)
        for projection in projections:
            if known.get(projection.name) == fingerprint(projection):
                continue
            async with conn.transaction():
                # as for a retired one: a pass holding one of these tables waits for none,
                # and a rebuild under way (of the old spec) fails rather than swap its in
                await conn.execute(f"SELECT pg_advisory_xact_lock({SWAP_LOCK_KEY})")
                own = table_names(projection)
                for statement in drop_sql([*own, *(name + SHADOW for name in own)]):
                    await conn.execute(statement)
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

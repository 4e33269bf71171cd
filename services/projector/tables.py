"""What projector passes and rebuilds write: a pass in one statement, a rebuild by COPY."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import asyncpg
import msgspec

from projections.base import Projection, Row, Table
from services.projector.schema import all_tables, bare_type, columns_sql, ident, row_type


@cache
def key_index(table: Table) -> tuple[int, ...]:
    """Where a row (without tenant_id) holds the table's key columns."""
    names = [c.name for c in table.columns]
    return tuple(names.index(k) for k in table.key)


def keyed(table: Table, rows: Sequence[Row]) -> dict[tuple[Any, ...], Row]:
    """Rows by their key columns."""
    index = key_index(table)
    return {tuple(row[i] for i in index): tuple(row) for row in rows}


def _array(sql_type: str) -> str:
    """The array type of a column type ("bigint NOT NULL" -> "bigint[]")."""
    return bare_type(sql_type) + "[]"


def _insert_sql(table: Table, suffix: str, upsert: bool, first: int) -> str:
    """Many rows in one statement and one parameter, an array of the table's row type
    (tenant_id first, then the spec's columns): the statement and its RLS check run once,
    not once per row."""
    name = table.name + suffix
    names = columns_sql(["tenant_id", *(c.name for c in table.columns)])
    rows = f"${first}::{row_type(table.name)}[]"
    sql = f"INSERT INTO {name} ({names}) SELECT {names} FROM unnest({rows})"
    if not upsert:
        return sql
    others = [c.name for c in table.columns if c.name not in table.key]
    conflict = columns_sql(("tenant_id", *table.key))
    if not others:
        return f"{sql} ON CONFLICT ({conflict}) DO NOTHING"
    updates = ", ".join(f"{ident(n)} = EXCLUDED.{ident(n)}" for n in others)
    return f"{sql} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"


def _delete_sql(table: Table, suffix: str, first: int) -> str:
    """Delete many rows by key: the keys come as arrays, like the inserts' columns."""
    key = ("tenant_id", *table.key)
    types = {c.name: _array(c.sql_type) for c in table.columns} | {"tenant_id": "uuid[]"}
    arrays = ", ".join(f"${i}::{types[k]}" for i, k in enumerate(key, start=first))
    return (
        f"DELETE FROM {table.name}{suffix} WHERE ({columns_sql(key)})"
        f" IN (SELECT * FROM unnest({arrays}))"
    )


def _columns(rows: Sequence[Row], width: int) -> list[list[Any]]:
    """Rows turned into one list per column."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


@dataclass
class Writes:
    """What one pass writes, per table name: rows to insert, to upsert, keys to delete.

    Rows lead with tenant_id. Cells of bytea columns may be msgspec Structs: they are
    encoded (MessagePack) only when written.
    """

    inserts: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    upserts: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    deletes: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    prunes: dict[tuple[str, int], list[Row]] = field(default_factory=lambda: defaultdict(list))

    def insert(self, table: str, rows: Sequence[Row]) -> None:
        if rows:
            self.inserts[table].extend(rows)

    def upsert(self, table: str, rows: Sequence[Row]) -> None:
        if rows:
            self.upserts[table].extend(rows)

    def delete(self, table: str, keys: Sequence[Row]) -> None:
        if keys:
            self.deletes[table].extend(keys)

    def prune(self, table: str, kept_every: int, newest: Row) -> None:
        """Drop the tenant's checkpoints older than `newest` but one per `kept_every`."""
        self.prunes[(table, kept_every)].append(newest)

    def merge(self, other: Writes) -> None:
        """Add what `other` writes."""
        for mine, theirs in (
            (self.inserts, other.inserts),
            (self.upserts, other.upserts),
            (self.deletes, other.deletes),
            (self.prunes, other.prunes),
        ):
            for key, rows in theirs.items():
                mine[key].extend(rows)  # type: ignore[index]

    def by_tenant(self) -> dict[Any, Writes]:
        """These writes apart, per tenant (each row, key and prune leads with its tenant)."""
        out: dict[Any, Writes] = defaultdict(Writes)
        for kind in ("inserts", "upserts", "deletes", "prunes"):
            for key, rows in getattr(self, kind).items():
                for row in rows:
                    getattr(out[row[0]], kind)[key].append(row)
        return out

    def __bool__(self) -> bool:
        return bool(self.inserts or self.upserts or self.deletes)


def specs(projections: Iterable[Projection[Any]]) -> dict[str, Table]:
    """Every table of these projections (their positions and states too) by name."""
    return {t.name: t for p in projections for t in all_tables(p)}


async def write(
    conn: asyncpg.Connection, tables: Mapping[str, Table], writes: Writes, suffix: str = ""
) -> int | None:
    """Apply `writes` to live tables (or to keyed tables with `suffix`): one statement, one
    round trip, whatever the number of tables and rows (prunes of old checkpoints aside).
    The id of the transaction that wrote them, as a row's `xmin` gives it (None: nothing
    written)."""
    writer = None
    if writes:
        ops = {"insert": writes.inserts, "upsert": writes.upserts, "delete": writes.deletes}
        misplaced = sorted(
            f"{op} into {name}"
            for op, by_table in ops.items()
            for name, rows in by_table.items()
            if rows and (name not in tables or op not in _OPS[tables[name].kind])
        )
        if misplaced:  # never dropped quietly
            raise ValueError(f"rows this statement would not write: {', '.join(misplaced)}")
        slots = tuple(
            (table, op)
            for table in tables.values()
            for op in _OPS[table.kind]
            if ops[op].get(table.name)
        )
        args: list[list[Any]] = []
        for table, op in slots:
            rows = ops[op][table.name]
            if op == "delete":
                args += _columns(rows, len(table.key) + 1)
            else:
                args.append(_cells(table, rows))
        writer = await conn.fetchval(_write_sql(slots, suffix), *args)
    for (name, every), newest in writes.prunes.items():
        await conn.executemany(_prune_sql(name + suffix, every), newest)
    return writer


_OPS = {"log": ("insert",), "state": ("upsert", "delete")}
"""What a pass may do to a table of each kind (never upsert and delete the same rows)."""


@cache
def _write_sql(slots: tuple[tuple[Table, str], ...], suffix: str) -> str:
    """The statement of :func:`write`: a data-modifying CTE per table and operation that
    the pass has rows for (a CTE over empty arrays still costs the server its executor
    set-up: 3.7 of a one-tenant pass's 5.5 ms with all of them). Rows to insert or upsert
    come as one array of the table's row type per table, keys to delete as one array per
    key column. asyncpg prepares each set of slots once per connection; a projector meets
    a handful (a check-in, an edit, a new item...).

    An array of rows rather than one array per column: asyncpg encodes an array parameter
    with a fixed cost and then each element with a check of its type, and the server
    decodes each parameter on its own; a check-in's pass has ten tables and 91 columns."""
    ctes: list[str] = []
    first = 1
    for table, op in slots:
        if op == "delete":
            sql = _delete_sql(table, suffix, first)
            first += len(table.key) + 1
        else:
            sql = _insert_sql(table, suffix, op == "upsert", first)
            first += 1
        ctes.append(f"w{len(ctes)} AS ({sql})")
    return f"WITH {', '.join(ctes)} SELECT txid_current() % 4294967296"  # xmin's 32 bits


async def copying(conn: asyncpg.Connection) -> asyncpg.Connection:
    """This connection, made to COPY timestamps in half the time (300k values, 3 runs
    alternating: 1.73-1.77 us a value with asyncpg's encoder, 0.88-0.94 with this one):
    asyncpg's makes a UTC copy of each datetime and reads the difference's days, seconds
    and microseconds as Python attributes. A rebuild COPYs about 2 an event (history,
    series)."""
    await conn.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=_microseconds,
        decoder=_timestamp,
        format="tuple",
    )
    return conn


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LATEST, _EARLIEST = datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)
_INFINITY, _MINUS_INFINITY = 2**63 - 1, -(2**63)
"""How asyncpg's own codec sends the latest and earliest datetimes: as infinity."""


def _microseconds(value: datetime) -> tuple[int]:
    """An aware datetime as PostgreSQL's timestamptz: microseconds since 2000 in UTC (a
    naive one raises TypeError); the latest and earliest as asyncpg sends them."""
    if value == _LATEST:
        return (_INFINITY,)
    if value == _EARLIEST:
        return (_MINUS_INFINITY,)
    return ((value - _PG_EPOCH) // _MICROSECOND,)


def _timestamp(value: tuple[int]) -> datetime:
    if value[0] == _INFINITY:
        return _LATEST
    if value[0] == _MINUS_INFINITY:
        return _EARLIEST
    return _PG_EPOCH + value[0] * _MICROSECOND


async def copy(
    conn: asyncpg.Connection, tables: Mapping[str, Table], writes: Writes, suffix: str
) -> None:
    """Apply `writes` to fresh shadow tables by COPY (nothing there to update or delete);
    `conn` is best made `copying`."""
    if writes.deletes or writes.prunes:
        raise ValueError("COPY only adds rows")
    for source in (writes.inserts, writes.upserts):
        for name, rows in source.items():
            table = tables[name]
            await conn.copy_records_to_table(
                name + suffix,
                records=_cells(table, rows),
                columns=["tenant_id", *(c.name for c in table.columns)],
            )


def _cells(table: Table, rows: list[Row]) -> list[Row]:
    """Rows with their Struct cells of bytea columns encoded."""
    encoded = _bytea_columns(table)
    if not encoded:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for i in encoded:
            if isinstance(cells[i], msgspec.Struct):
                cells[i] = _ENCODER.encode(cells[i])
        out.append(tuple(cells))
    return out


def encoded_row(table: Table, row: Row) -> Row:
    """A row (without tenant_id) as it is stored: Struct cells of bytea columns encoded."""
    return _cells(table, [(None, *row)])[0][1:]


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string", uuid_format="bytes")


@cache
def _bytea_columns(table: Table) -> tuple[int, ...]:
    """Indexes (tenant_id counted) of bytea columns."""
    return tuple(i for i, c in enumerate(table.columns, start=1) if c.sql_type.startswith("bytea"))


def _prune_sql(name: str, every: int) -> str:
    sql = f"DELETE FROM {name} AS s WHERE s.tenant_id = $1 AND s.position < $2"
    if every <= 0:
        return sql
    return (
        f"{sql} AND s.position > (SELECT min(f.position) FROM {name} AS f"
        f" WHERE f.tenant_id = $1 AND f.position / {int(every)} = s.position / {int(every)})"
    )

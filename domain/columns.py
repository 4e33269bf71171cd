"""Tables of short texts packed column by column, for aggregates that keep a long history.

A key result keeps every check-in and a KPI every measurement. Held as one small object
per field per item, a snapshot of a long-lived stream decodes into thousands of Python
objects (and each Decimal, UUID or date costs a hook call in the store's transcoder).
Packed, a table is a dict of a few strings: one string per column, each item followed by
``END``, rows in recording order (the row index is the recording sequence). MessagePack
and JSON carry strings as they are, so a snapshot decodes in microseconds however long the
history, and turning texts back into values happens only for what a caller reads.

Items never contain ``END`` (NUL): the domain refuses NUL in free text (``values.note``,
``values.principal``) and values, ids, dates and times are written without it. Should one
slip through from an old event anyway, it is replaced rather than allowed to shift rows.

Every row has an ``id`` column of UUID hex (32 characters), the key rows are found by.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, Mapping, ValuesView
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

END = "\x00"
_REPLACEMENT = "\ufffd"
_ID = "id"

Table = dict[str, str]
"""Column name -> the column's items, each followed by END."""

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def empty(*names: str) -> Table:
    """A table with these columns (one of them ``id``) and no row."""
    if _ID not in names:
        raise ValueError("a table needs an id column")
    return dict.fromkeys(names, "")


def instant_text(moment: datetime) -> str:
    """A date-time as a cell: whole microseconds since the Unix epoch (naive taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str((moment - _EPOCH) // _MICROSECOND)


def instant(text: str) -> datetime:
    """The date-time (in UTC) of a cell written by ``instant_text``."""
    return _EPOCH + int(text) * _MICROSECOND


def _safe(text: str) -> str:
    return text.replace(END, _REPLACEMENT) if END in text else text


def add(table: Table, row: Mapping[str, str]) -> None:
    """Append a row; it must give every column, so the columns stay aligned."""
    if len(row) != len(table):
        raise ValueError(f"a row needs exactly the columns {list(table)}")
    for name in table:
        column = table[name]
        table[name] = ""  # the column's one reference is now ours: CPython appends in place
        column += _safe(row[name]) + END
        table[name] = column


def update(table: Table, index: int, changes: Mapping[str, str]) -> None:
    """Replace some cells of the row at ``index``."""
    for name, text in changes.items():
        items = table[name].split(END)
        items[index] = _safe(text)
        table[name] = END.join(items)


def count(table: Table) -> int:
    """Number of rows."""
    return table[_ID].count(END)


def items(column: str) -> list[str]:
    """The items of one column, in row order."""
    return column.split(END)[:-1]


def cell(table: Table, name: str, index: int) -> str:
    """One item of one column."""
    return items(table[name])[index]


def row(table: Table, index: int) -> dict[str, str]:
    """Every cell of the row at ``index``."""
    return {name: items(column)[index] for name, column in table.items()}


def rows(table: Table) -> list[dict[str, str]]:
    """Every row, in recording order."""
    names = list(table)
    columns = zip(*map(items, table.values()), strict=True)
    return [dict(zip(names, cells, strict=True)) for cells in columns]


def find(table: Table, row_id: UUID) -> int | None:
    """Index of the row with this id, None when there is none.

    Every id has 32 characters, so a match of ``hex + END`` can only start at a row.
    """
    at = table[_ID].find(row_id.hex + END)
    return None if at < 0 else at // (len(row_id.hex) + 1)


def last_max(column: str) -> int | None:
    """Index of the greatest item, the last one on ties; None when the column is empty.

    Items compare as text: fixed-width texts such as ISO dates sort as their values do.
    """
    values = items(column)
    if not values:
        return None
    greatest = max(values)
    return len(values) - 1 - values[::-1].index(greatest)


class Rows(Mapping[UUID, T]):
    """A table's rows by id, in recording order, each turned into a value only when read.

    It holds the columns as they were when made (strings do not change), so later rows
    or corrections do not show through. ``len`` and ``in`` read the id column alone.
    """

    def __init__(self, table: Table, make: Callable[[UUID, dict[str, str]], T]) -> None:
        self._table = dict(table)
        self._make = make
        self._made: dict[UUID, T] | None = None

    def __len__(self) -> int:
        return count(self._table)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, UUID) and find(self._table, key) is not None

    def __iter__(self) -> Iterator[UUID]:
        if self._made is not None:
            return iter(self._made)
        return (UUID(hex=text) for text in items(self._table[_ID]))

    def __getitem__(self, key: UUID) -> T:
        return self._all()[key]

    def values(self) -> ValuesView[T]:
        return self._all().values()

    def items(self) -> ItemsView[UUID, T]:
        return self._all().items()

    def _all(self) -> dict[UUID, T]:
        if self._made is None:
            made = {}
            for cells in rows(self._table):
                row_id = UUID(hex=cells[_ID])
                made[row_id] = self._make(row_id, cells)
            self._made = made
        return self._made

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows)"

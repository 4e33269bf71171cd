"""What every projection shares: state bytes, JSON-safe values, and "no rows" for an event."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import msgspec

from projections.base import Column, Row, RowsByTable, Table

S = TypeVar("S")

NO_ROWS: RowsByTable = MappingProxyType({})
"""What a fold returns when an event appends no log rows (shared, read-only)."""


class StateCodec(Generic[S]):
    """msgpack bytes of a projection state: typed decoding, Decimals kept exact as text."""

    def __init__(self, state_type: type[S]) -> None:
        self._encoder = msgspec.msgpack.Encoder(decimal_format="string", uuid_format="bytes")
        self._decoder = msgspec.msgpack.Decoder(state_type)
        self._last: tuple[S, bytes] | None = None

    def encode(self, state: S) -> bytes:
        """Bytes to persist. The same state object again (states are never changed in
        place) gives the bytes it gave last time: projections that share a state and this
        codec (history follows progress) checkpoint it at the same position, encoded once."""
        last = self._last
        if last is not None and last[0] is state:
            return last[1]
        data = self._encoder.encode(state)
        self._last = (state, data)
        return data

    def decode(self, data: bytes) -> S:
        """The state back from :meth:`encode`'s bytes."""
        return self._decoder.decode(data)


def plain(value: Any) -> Any:
    """A JSON-safe copy: Decimals as strings, UUIDs and dates as ISO strings, structs as dicts.

    A Decimal is written without exponent, every digit it has kept (a score of 1E-7 is
    "0.0000001", 19.20 stays "19.20"): str() wrote "1E-7", which a person, and a
    spreadsheet opening the trail's CSV, do not read as a number."""
    return _plain_decimals(msgspec.to_builtins(value, builtin_types=(Decimal,)))


_EXPONENT_FORM = re.compile(rb'"-?[0-9]+(?:\.[0-9]+)?E[-+][0-9]+"')
"""A JSON string as str(Decimal) writes one with an exponent: "1E-7", "-1.20E+6"."""


def json_bytes(value: Any, enc_hook: Callable[[Any], Any] | None = None) -> bytes:
    """JSON of ``value`` with every Decimal in positional notation, its digits as they are
    ("0.0000001", "1200000", "19.20"), the one encoder of what the product answers and
    exports. msgspec writes str(): "1E-7", and asyncpg reads numeric 1200000 back as
    1.20E+6, which clients and spreadsheets misread or refuse. Only JSON that holds a
    string of that form (a Decimal, or text that looks like one) is encoded again."""
    encoded = msgspec.json.encode(value, enc_hook=enc_hook)
    if _EXPONENT_FORM.search(encoded) is None:
        return encoded
    builtins = msgspec.to_builtins(value, builtin_types=(Decimal,), enc_hook=enc_hook)
    return msgspec.json.encode(_plain_decimals(builtins))


def _plain_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {key: _plain_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_decimals(item) for item in value]
    return value


def text(value: object) -> str | None:
    """One value as the text people read and exports keep: Decimals without exponent."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def decimal_text(value: Decimal) -> str:
    """A Decimal in plain notation, trailing zeros dropped: 60, 19.2, 0.625, 1200000."""
    if not value.is_finite():
        return str(value)
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


def json_text(value: Any) -> str:
    """JSON text for a json column (asyncpg's default json codec takes str)."""
    return msgspec.json.encode(value).decode()


def one_table(table: str, row: Row) -> Mapping[str, tuple[Row, ...]]:
    """The rows one event appends to one log table."""
    return {table: (row,)}


_SQL_TYPES: dict[type, str] = {
    msgspec.inspect.UUIDType: "uuid",
    msgspec.inspect.StrType: "text",
    msgspec.inspect.DecimalType: "numeric",
    msgspec.inspect.DateType: "date",
    msgspec.inspect.DateTimeType: "timestamptz",
    msgspec.inspect.IntType: "integer",
    msgspec.inspect.BoolType: "boolean",
}
_BIG = frozenset({"position", "last_position", "version"})
JSON = "json"
"""The type of columns of lists, dicts and Structs. Not jsonb: read models store JSON to hand
it back whole, never to query inside it, and json takes it as the text it is, where jsonb
parses it into its binary form on the way in and prints it again on the way out (the server's
CPU for a 200k-event rebuild's COPY: 2.75-3.21 s into jsonb, 1.53-1.91 s into json)."""


def table_of(
    name: str,
    row_type: type[msgspec.Struct],
    *,
    key: tuple[str, ...],
    kind: str,
    lookups: tuple[tuple[str, ...], ...] = (),
) -> Table:
    """A table whose columns are a row Struct's fields, typed from their annotations, and
    indexed on each of `lookups` (see Table.lookups).

    Lists, dicts and Structs are json (their row value is JSON text, see :func:`row_of`);
    positions are bigint.
    """
    info = msgspec.inspect.type_info(row_type)
    assert isinstance(info, msgspec.inspect.StructType)
    columns = tuple(Column(f.name, _sql_type(f.name, f.type)) for f in info.fields)
    names = {c.name for c in columns}
    assert set(key).union(*lookups) <= names, f"{name}: a key is not among its columns"
    return Table(name, columns, key, kind, lookups)


def _sql_type(name: str, info: msgspec.inspect.Type) -> str:
    if isinstance(info, msgspec.inspect.UnionType):
        (inner,) = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return _sql_type(name, inner)
    if name in _BIG and isinstance(info, msgspec.inspect.IntType):
        return "bigint"
    return _SQL_TYPES.get(type(info), JSON)


def row_of(struct: msgspec.Struct) -> Row:
    """A row from a Struct whose fields are the table's columns, in order (json as text)."""
    values = msgspec.structs.astuple(struct)
    json_columns = _json_columns(type(struct))
    if not json_columns:
        return values
    cells = list(values)
    for index in json_columns:
        cells[index] = json_text(cells[index])
    return tuple(cells)


@cache
def _json_columns(row_type: type[msgspec.Struct]) -> tuple[int, ...]:
    info = msgspec.inspect.type_info(row_type)
    assert isinstance(info, msgspec.inspect.StructType)
    return tuple(i for i, f in enumerate(info.fields) if _sql_type(f.name, f.type) == JSON)

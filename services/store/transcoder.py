"""A msgspec transcoder for eventsourcing's Mapper.

Event state is a dict of plain values. It is stored as MessagePack; the values MessagePack
lacks travel as extension types that msgspec turns back while parsing, with no second walk
over the decoded data: Decimal (its exact text, never a float), UUID (16 bytes), date (ISO
text), tuple and set (nested MessagePack), ints beyond 64 bits (text). Aware datetimes use
MessagePack's timestamp (UTC, the same instant); naive ones travel as ISO text.

Rows of the first version of this transcoder (JSON with one-key tags such as
``{"#d": "19.2"}``) still decode: JSON starts with "{", MessagePack maps never do.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Transcoder
from msgspec.msgpack import Ext

_DECIMAL, _UUID, _DATE, _TUPLE, _SET, _NAIVE, _BIG_INT = 1, 2, 3, 4, 5, 6, 7
_SCALARS = (str, int, bool, float, type(None))
_SCALARS_BUT_INT = (str, bool, float, type(None))


def _pack(value: Any, scalars: tuple[type, ...] = _SCALARS) -> Any:
    """A copy of `value` with the types MessagePack lacks turned into extensions."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in scalars else _pack(v, scalars) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in scalars else _pack(v, scalars) for v in value]
    if kind is int:  # only reached when ints did not fit MessagePack's 64 bits
        return value if -(2**63) <= value < 2**64 else Ext(_BIG_INT, str(value).encode())
    if kind is Decimal:
        return Ext(_DECIMAL, str(value).encode())
    if isinstance(value, UUID):
        return Ext(_UUID, value.bytes)
    if kind is datetime:
        return value if value.tzinfo is not None else Ext(_NAIVE, value.isoformat().encode())
    if kind is date:
        return Ext(_DATE, value.isoformat().encode())
    if kind is tuple:
        return Ext(_TUPLE, _ENCODER.encode([_pack(v, scalars) for v in value]))
    if kind in (set, frozenset):
        items = sorted(value, key=repr)
        return Ext(_SET, _ENCODER.encode([_pack(v, scalars) for v in items]))
    return value


def _unpack(code: int, data: memoryview) -> Any:
    if code == _DECIMAL:
        return Decimal(bytes(data).decode())
    if code == _UUID:
        return UUID(bytes=bytes(data))
    if code == _DATE:
        return date.fromisoformat(bytes(data).decode())
    if code == _TUPLE:
        return tuple(_DECODER.decode(data))
    if code == _SET:
        return set(_DECODER.decode(data))
    if code == _NAIVE:
        return datetime.fromisoformat(bytes(data).decode())
    if code == _BIG_INT:
        return int(bytes(data).decode())
    raise ValueError(f"unknown extension type {code}")


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(ext_hook=_unpack)

_LEGACY_TAGS: dict[str, Any] = {
    "#d": Decimal,
    "#u": UUID,
    "#D": date.fromisoformat,
    "#t": datetime.fromisoformat,
    "#s": set,
    "#T": tuple,
}


def _untag_legacy(value: Any) -> Any:
    """Values of the first, JSON-tagged format."""
    kind = type(value)
    if kind is dict:
        if len(value) == 1:
            ((key, inner),) = value.items()
            convert = _LEGACY_TAGS.get(key)
            if convert is not None:
                return convert(_untag_legacy(inner) if type(inner) is list else inner)
        return {k: _untag_legacy(v) for k, v in value.items()}
    if kind is list:
        return [_untag_legacy(v) for v in value]
    return value


class MsgspecTranscoder(Transcoder):
    """MessagePack via msgspec; exact for Decimal, UUID, date and datetime."""

    def encode(self, obj: Any) -> bytes:
        try:
            return _ENCODER.encode(_pack(obj))
        except OverflowError:  # an int beyond 64 bits: the slower path that checks each int
            return _ENCODER.encode(_pack(obj, _SCALARS_BUT_INT))

    def decode(self, data: bytes) -> Any:
        if data[:1] == b"{":
            return _untag_legacy(msgspec.json.decode(data))
        return _DECODER.decode(data)

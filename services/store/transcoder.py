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
from typing import Any, TypeVar
from uuid import UUID, SafeUUID

import msgspec
from eventsourcing.persistence import Transcoder
from msgspec.msgpack import Ext

_DECIMAL, _UUID, _DATE, _TUPLE, _SET, _NAIVE, _BIG_INT = 1, 2, 3, 4, 5, 6, 7
_SCALARS = (str, int, bool, float, type(None))
_SCALARS_BUT_INT = (str, bool, float, type(None))
T = TypeVar("T")


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


_new = object.__new__
_set_uuid_int = vars(UUID)["int"].__set__
_set_uuid_safety = vars(UUID)["is_safe"].__set__
_UNKNOWN_SAFETY = SafeUUID.unknown
_MEMO_SIZE = 4096
_decimals: dict[bytes | memoryview, Decimal] = {}
_dates: dict[bytes | memoryview, date] = {}
"""Decimals and dates by their text, reused (they are immutable): most events repeat a few
business dates and values, and a dict hit costs half of parsing the text again."""


def _remember(memo: dict[bytes | memoryview, T], data: memoryview, value: T) -> T:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[bytes(data)] = value
    return value


def _storable(value: Decimal) -> Decimal:
    """A zero logged with an absurd exponent (0E+99999999999, taken before the validators
    wrote numbers plainly) as 0: the same number, which PostgreSQL's numeric can hold, so
    the tenant's projections can store it again. Any other value exactly as logged."""
    exponent = value.as_tuple().exponent
    if not value and isinstance(exponent, int) and not -_ZERO_PLACES <= exponent <= _ZERO_PLACES:
        return _ZERO
    return value


_ZERO, _ZERO_PLACES = Decimal(0), 64


def _unpack(code: int, data: memoryview) -> Any:
    """Called by msgspec for each extension while parsing: lean, it runs for every value."""
    if code == _DECIMAL:
        value = _decimals.get(data)  # a read-only view (decode parses bytes): it hashes
        if value is None:
            value = _remember(_decimals, data, _storable(Decimal(str(data, "utf-8"))))
        return value
    if code == _UUID:  # UUID(bytes=...) in half the time: the two slots its __init__ fills
        if len(data) != 16:
            raise ValueError("a UUID takes 16 bytes")
        uuid = _new(UUID)
        _set_uuid_int(uuid, int.from_bytes(data, "big"))
        _set_uuid_safety(uuid, _UNKNOWN_SAFETY)
        return uuid
    if code == _DATE:
        day = _dates.get(data)
        if day is None:
            day = _remember(_dates, data, date.fromisoformat(str(data, "utf-8")))
        return day
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
    "#d": lambda text: _storable(Decimal(text)),
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
        if type(data) is not bytes:  # the memo's keys need read-only views of what we parse
            data = bytes(data)
        if data[:1] == b"{":
            return _untag_legacy(msgspec.json.decode(data))
        return _DECODER.decode(data)

    decode_message_pack = staticmethod(_DECODER.decode)
    """`decode` of MessagePack `bytes` alone, with no Python call around msgspec's: a row of
    the first JSON format raises, and so may other buffers (their views do not hash)."""

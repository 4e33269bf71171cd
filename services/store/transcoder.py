"""A msgspec transcoder for eventsourcing's Mapper.

Event state is a dict of plain values. JSON has no Decimal, UUID, date or datetime, so
those are written as one-key tagged objects (``{"#d": "19.2"}``) and turned back on decode.
Decimals keep every digit: they travel as strings, never as floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Transcoder

_TAG_TO_TYPE: dict[str, Any] = {
    "#d": Decimal,
    "#u": UUID,
    "#D": date.fromisoformat,
    "#t": datetime.fromisoformat,
    "#s": set,
    "#T": tuple,
}


def _tag(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _tag(v) for k, v in value.items()}
    if kind is list:
        return [_tag(v) for v in value]
    if kind is Decimal:
        return {"#d": str(value)}
    if isinstance(value, UUID):
        return {"#u": str(value)}
    if kind is datetime:
        return {"#t": value.isoformat()}
    if kind is date:
        return {"#D": value.isoformat()}
    if kind is tuple:
        return {"#T": [_tag(v) for v in value]}
    if kind in (set, frozenset):
        return {"#s": [_tag(v) for v in sorted(value, key=repr)]}
    return value


def _untag(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        if len(value) == 1:
            ((key, inner),) = value.items()
            convert = _TAG_TO_TYPE.get(key)
            if convert is not None:
                return convert(_untag(inner) if type(inner) is list else inner)
        return {k: _untag(v) for k, v in value.items()}
    if kind is list:
        return [_untag(v) for v in value]
    return value


class MsgspecTranscoder(Transcoder):
    """Encodes event state with msgspec's JSON encoder; exact for Decimal and UUID."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(_tag(obj))

    def decode(self, data: bytes) -> Any:
        return _untag(self._decoder.decode(data))

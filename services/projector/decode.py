"""From stored rows to `Recorded`: the domain event decoded exactly as the tenant's mapper would.

`Mapper.to_domain_event` costs more per row than the transcoder it calls: it resolves the
topic, finds the id convertor and the class version, for every event. Here a batch takes what
its rows share once (the mapper, its cipher, each topic's class and version), then does the
mapper's own steps per row: decrypt, decode, originator id and version, upcast from the stored
class version, `object.__new__` with the state as `__dict__`. The events equal the mapper's,
type and `__dict__` (tests/integration/test_decode.py). No garbage collection runs in the
middle of a batch.

Anything this path does not do itself goes through the mapper: a mapper with a compressor, a
batch with string ids, a row whose state is not MessagePack (the first JSON format) or does
not decrypt or decode (the mapper raises its usual MapperDeserialisationError).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from projections.base import Recorded, mark_failed_at
from services.store.event_store import LogRecord
from services.store.repository import Repository
from services.store.transcoder import MsgspecTranscoder

_new = object.__new__
_set_attribute = object.__setattr__
_stream_id = attrgetter("stream_id")
_NONCE, _TAG = 12, 16  # AESCipher's layout: nonce, tag, ciphertext


async def decode(
    repository: Repository, records: Sequence[LogRecord], conn: asyncpg.Connection | None = None
) -> list[Recorded]:
    """Decode a batch of one tenant's log rows (in position order); `conn`: see mapper()."""
    if not records:
        return []
    mapper = await repository.mapper(records[0].tenant_id, conn)
    if mapper.compressor is not None or str in set(map(type, map(_stream_id, records))):
        return [_recorded(r, _by_mapper(mapper, r)) for r in records]
    if not gc.isenabled():
        return _decoded(mapper, records)
    gc.disable()  # what the loop makes is kept until the batch returns: a collection in
    try:  # between could free none of it, only walk it again (a tenth of the time)
        return _decoded(mapper, records)
    finally:
        gc.enable()


def _decoded(mapper: Mapper[Any], records: Sequence[LogRecord]) -> list[Recorded]:
    """Mapper.to_domain_event for each row (its id is not a str to convert), and Recorded."""
    read, record, classes = _state_reader(mapper), _recorded, _Classes()
    out = []
    for r in records:
        try:
            cls, class_version = classes[r.topic]
        except Exception as error:  # a topic no class answers to (renamed, damaged)
            mark_failed_at(error, r.position)
            raise
        try:
            state = read(r.state)
        except Exception:  # the mapper decodes it, or raises its error
            out.append(record(r, _by_mapper(mapper, r)))
            continue
        state["originator_id"] = r.stream_id
        state["originator_version"] = r.version
        from_version = state.pop("class_version", 1)
        try:
            while from_version < class_version:
                getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
                from_version += 1
        except Exception as error:
            mark_failed_at(error, r.position)
            raise
        event = _new(cls)
        _set_attribute(event, "__dict__", state)
        out.append(record(r, event))
    return out


class _Classes(dict[str, tuple[Any, int]]):
    """Event class and class version by topic, resolved on first use."""

    def __missing__(self, topic: str) -> tuple[Any, int]:
        cls = resolve_topic(topic)
        self[topic] = cls, getattr(cls, "class_version", 1)
        return self[topic]


def _state_reader(mapper: Mapper[Any]) -> Callable[[bytes], dict[str, Any]]:
    """Stored state to the event's state dict: the mapper's cipher, then its transcoder."""
    transcoder = mapper.transcoder
    decode_state: Callable[[bytes], dict[str, Any]] = (
        transcoder.decode_message_pack
        if isinstance(transcoder, MsgspecTranscoder)
        else transcoder.decode
    )
    cipher = mapper.cipher
    if cipher is None:
        return decode_state
    if not isinstance(cipher, AESCipher):
        return lambda data: decode_state(cipher.decrypt(data))
    aes = AESGCM(cipher.key)  # AESCipher.decrypt makes one per call

    def read(data: bytes) -> dict[str, Any]:
        if len(data) < _NONCE + _TAG:
            raise ValueError("damaged cipher text")
        tag = data[_NONCE : _NONCE + _TAG]
        return decode_state(aes.decrypt(data[:_NONCE], data[_NONCE + _TAG :] + tag, None))

    return read


def _by_mapper(mapper: Mapper[Any], r: LogRecord) -> Any:
    try:
        return mapper.to_domain_event(StoredEvent(r.stream_id, r.version, r.topic, r.state))
    except Exception as error:
        mark_failed_at(error, r.position)
        raise


def _recorded(r: LogRecord, event: Any) -> Recorded:
    return Recorded(
        r.tenant_id, r.position, r.recorded_at, r.actor, r.correlation_id,
        r.stream_id, r.version, r.topic, r.hash, event,
    )  # fmt: skip

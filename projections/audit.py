"""The raw audit trail: every event as recorded, JSON-safe, with filters and exporters.

One row per event of the tenant log: position, hash (hex), actor, correlation id, topic,
recorded_at, stream id and version, and the event's own fields as a JSON-safe payload
(Decimals as strings, UUIDs and dates as ISO strings).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import is_dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.base import Recorded, RowsByTable, Table
from projections.codec import (
    NO_ROWS,
    StateCodec,
    json_text,
    one_table,
    plain,
    table_of,
)

CSV_COLUMNS = (
    "position",
    "recorded_at",
    "actor",
    "correlation_id",
    "stream_id",
    "version",
    "topic",
    "hash",
    "payload",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AuditEntry(msgspec.Struct, frozen=True):
    """rm_audit: one event of the tenant log, exactly as recorded."""

    position: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID
    stream_id: UUID
    version: int
    topic: str
    hash: str
    payload: dict[str, Any]


class AuditView(msgspec.Struct, frozen=True, gc=False):
    """How far the trail has been written."""

    last_position: int = 0
    entries: int = 0


def audit_entry(record: Recorded) -> AuditEntry:
    """The audit entry of one recorded event."""
    return AuditEntry(
        position=record.position,
        recorded_at=record.recorded_at,
        actor=record.actor,
        correlation_id=record.correlation_id,
        stream_id=record.stream_id,
        version=record.version,
        topic=record.topic,
        hash=record.hash.hex(),
        payload=_payload(record.event),
    )


def _payload(event: object) -> dict[str, Any]:
    try:
        data = plain(event)
    except TypeError:
        data = plain(dict(vars(event)))
    return data if isinstance(data, dict) else {"value": data}


def audit_fold(state: AuditView, record: Recorded) -> tuple[AuditView, RowsByTable]:
    """Append the event's entry to rm_audit: `row_of(audit_entry(record))`, made without the
    entry and its payload dict (a rebuild makes one per event)."""
    row = (
        record.position, record.recorded_at, record.actor, record.correlation_id,
        record.stream_id, record.version, record.topic, record.hash.hex(),
        _payload_json(record.event),
    )  # fmt: skip
    return AuditView(record.position, state.entries + 1), one_table("rm_audit", row)


_JSON = msgspec.json.Encoder()


def _payload_json(event: object) -> str:
    """json_text(_payload(event)), in one step for events that are dataclasses (all of ours):
    msgspec writes their fields as to_builtins would, in the same order."""
    if is_dataclass(event):
        return _JSON.encode(event).decode()
    return json_text(_payload(event))


def entry_from_row(row: Sequence[Any]) -> AuditEntry:
    """An entry back from an rm_audit row (payload as JSON text or already a dict)."""
    data = dict(zip(AuditEntry.__struct_fields__, row, strict=True))
    if isinstance(data["payload"], str | bytes):
        data["payload"] = msgspec.json.decode(data["payload"])
    return msgspec.convert(data, AuditEntry)


def filter_audit(
    entries: Iterable[AuditEntry],
    *,
    actor: str | None = None,
    stream_id: UUID | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[AuditEntry]:
    """Entries by an actor, of one item (stream), of a topic, recorded in [since, until).

    ``topic`` matches exactly or as a dotted prefix: "okr.KeyResult" keeps every key
    result event, "okr.KeyResult.CheckedIn" only check-ins.
    """
    for entry in entries:
        if actor is not None and entry.actor != actor:
            continue
        if stream_id is not None and entry.stream_id != stream_id:
            continue
        if topic is not None and not _topic_matches(entry.topic, topic):
            continue
        if since is not None and entry.recorded_at < since:
            continue
        if until is not None and entry.recorded_at >= until:
            continue
        yield entry


def _topic_matches(topic: str, wanted: str) -> bool:
    return topic == wanted or topic.startswith(wanted.rstrip(".") + ".")


def audit_csv(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """CSV text, a header then one line per entry (payload as JSON in one cell).

    Cells a spreadsheet would read as a formula (actor "=..." and the like) get a leading
    apostrophe, the usual CSV-injection guard.
    """
    yield _csv_line(CSV_COLUMNS)
    for entry in entries:
        yield _csv_line(
            (
                str(entry.position),
                entry.recorded_at.isoformat(),
                _defused(entry.actor),
                str(entry.correlation_id),
                str(entry.stream_id),
                str(entry.version),
                _defused(entry.topic),
                entry.hash,
                msgspec.json.encode(entry.payload).decode(),
            )
        )


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def audit_jsonl(entries: Iterable[AuditEntry]) -> Iterator[bytes]:
    """JSON Lines: one JSON object per entry, each ending with a newline."""
    encoder = msgspec.json.Encoder()
    for entry in entries:
        yield encoder.encode(entry) + b"\n"


TABLES: tuple[Table, ...] = (table_of("rm_audit", AuditEntry, key=("position",), kind="log"),)


class AuditProjection:
    """The audit trail: one log table, rm_audit."""

    name: str = "audit"
    version = 1
    tables: tuple[Table, ...] = TABLES

    def __init__(self) -> None:
        self._codec = StateCodec(AuditView)

    def initial(self) -> AuditView:
        return AuditView()

    def fold(self, state: AuditView, record: Recorded) -> tuple[AuditView, RowsByTable]:
        return audit_fold(state, record)

    def rows(self, state: AuditView) -> RowsByTable:
        return NO_ROWS

    def encode_state(self, state: AuditView) -> bytes:
        return self._codec.encode(state)

    def decode_state(self, data: bytes) -> AuditView:
        return self._codec.decode(data)


audit_projection = AuditProjection()
"""The module-level Projection object the projector registers."""

"""The raw audit trail: every event as recorded, JSON-safe, with filters and exporters.

One entry per event of the tenant log: position, hash (hex), actor, correlation id, topic,
recorded_at, stream id and version, and the event's own fields as a JSON-safe payload
(Decimals as strings, UUIDs and dates as ISO strings).

The trail is not a table the projector keeps: it is the log itself, read where it is shown
(services.read.audit) and made entries of by `audit_entry`, a fold with no state. A copy
of every event would double what the database holds, cost every projector pass and every
rebuild a row per event, keep payloads in plain text that the log keeps encrypted for a
tenant with its own key, and could only ever differ from the log the hash chain covers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.base import Recorded
from projections.codec import json_bytes, plain

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
BOM = "\ufeff"
"""Starts a CSV for people: without it, Excel reads UTF-8 as a legacy code page (è as Ã¨)."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_FORMULA_AFTER_A_SEPARATOR = re.compile(r"([,;])(?=[=+\-@\t\r])")
_ESCAPED = {",": "\\u002c", ";": "\\u003b"}


class AuditEntry(msgspec.Struct, frozen=True):
    """One event of the tenant log, exactly as recorded."""

    position: int
    recorded_at: datetime
    actor: str
    correlation_id: UUID
    stream_id: UUID
    version: int
    topic: str
    hash: str
    payload: dict[str, Any]


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
    wanted = wanted.rstrip(".")  # "okr.KeyResult." is "okr.KeyResult"
    return topic == wanted or topic.startswith(wanted + ".")


def audit_csv(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """CSV text, a header then one line per entry (payload as JSON in one cell), its
    instant written as the JSON trail and the payload write theirs (2026-07-02T07:00:00Z).

    Cells a spreadsheet would read as a formula (actor "=..." and the like) get a leading
    apostrophe, the usual CSV-injection guard; the payload starts none, even where a
    spreadsheet splits it on semicolons (see defused_json).
    """
    yield _csv_line(CSV_COLUMNS)
    for entry in entries:
        yield _csv_line(
            (
                str(entry.position),
                plain(entry.recorded_at),
                _defused(entry.actor),
                str(entry.correlation_id),
                str(entry.stream_id),
                str(entry.version),
                _defused(entry.topic),
                entry.hash,
                defused_json(msgspec.json.encode(entry.payload).decode()),
            )
        )


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def defused_json(text: str) -> str:
    """JSON that reads back the same, with no formula after a comma or a semicolon of its
    strings: those are written as JSON escapes there. A spreadsheet that splits a CSV on
    the other language's separator (semicolons, in Italian) started a cell after one
    ("ok;=cmd|...", a note), and ran it. Its own commas, outside strings, start no cell
    where the cell is quoted (a CSV split on commas), and none split on semicolons."""

    def escaped(string: re.Match[str]) -> str:
        return _FORMULA_AFTER_A_SEPARATOR.sub(lambda m: _ESCAPED[m[1]], string[0])

    return _JSON_STRING.sub(escaped, text)


def audit_jsonl(entries: Iterable[AuditEntry]) -> Iterator[bytes]:
    """JSON Lines: one JSON object per entry, each ending with a newline."""
    for entry in entries:
        yield json_line(json_bytes(entry))


_LINE_ENDS = {"\x85": b"\\u0085", "\u2028": b"\\u2028", "\u2029": b"\\u2029"}
"""The line ends of Unicode that JSON leaves raw in a string (it escapes the others): NEL
and the line and paragraph separators, at which a reader that splits on every line end
(Python's str.splitlines) cut an entry."""


def json_line(encoded: bytes) -> bytes:
    """One line of JSON Lines: the JSON, its strings' Unicode line ends as escapes (the same
    text read back), and a newline."""
    for end, escape in _LINE_ENDS.items():
        encoded = encoded.replace(end.encode(), escape)
    return encoded + b"\n"

"""Instants as people write them: an ISO 8601 instant, or a date that stands for its whole day.

The API, the CLI and the portal read them alike: a naive instant is UTC, and a date is the
day in UTC, taken from its first instant (`since=`), to its last (`as_of=`, `to=`: what was
known by the end of that day), up to the day after it (an exclusive `until=`), or from just
before it (`from=`: a diff from a day to itself is what changed that day).

An instant is a date in the extended form, then T or a space, then the time (minutes at
least; seconds and a fraction, with a point or a comma, of any length: past microseconds
it is cut), then Z or an offset (+02, +0200 or +02:00, after an optional space): what
RFC 3339, `date -Ins`, `git log --date=iso` and psql print. An instant keeps its own offset
(its day is its writer's). Not taken: the basic form (20261015), week dates, or a date with
an offset and no time (2026-10-15+02:00), which Python would read as midnight or as 02:00.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

Edge = Literal["before", "first", "last", "after"]
"""Which instant a bare date stands for: the last one before it (where a range of changes
from that day starts: `from=`), its first, its last, or the first one after it."""

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<fraction>\d+))?"
    r" ?(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def before(day: date) -> datetime:
    """The last instant before a day (UTC), where the day's changes start from; the first
    day's first instant."""
    return start_of(day) - timedelta(microseconds=1) if day > date.min else start_of(day)


def end_of(day: date) -> datetime:
    """The last instant of a day (UTC): "as it stood that day" includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def after(day: date) -> datetime:
    """The first instant after a day (UTC), an exclusive end; the last day's last instant."""
    return end_of(day) if day == date.max else start_of(day + timedelta(days=1))


def day(text: str) -> date:
    """A date in the extended form (2026-10-15); ValueError for anything else, 20261015 too."""
    if not _DAY.fullmatch(text):
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    return date.fromisoformat(text)


def instant(text: str, edge: Edge) -> datetime:
    """An aware instant from ISO 8601 text (see above); ValueError when it is neither an
    instant nor a date in those forms, or lies beyond what UTC can hold (year 1 at +01:00)."""
    if _DAY.fullmatch(text):
        whole = date.fromisoformat(text)
        if edge == "before":
            return before(whole)
        if edge == "first":
            return start_of(whole)
        return end_of(whole) if edge == "last" else after(whole)
    found = _INSTANT.fullmatch(text)
    if found is None:
        raise ValueError(f"not an ISO 8601 instant or date: {text!r}")
    fraction = found["fraction"]
    zone = (found["zone"] or "").upper().replace("Z", "+00:00")
    if len(zone) == 3:  # +02
        zone += ":00"
    elif len(zone) == 5:  # +0200
        zone = f"{zone[:3]}:{zone[3:]}"
    moment = datetime.fromisoformat(
        f"{found['day']}T{found['time']}{'.' + fraction[:6].ljust(6, '0') if fraction else ''}"
        f"{zone}"
    )
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)  # what the database will make of it
    except OverflowError:
        raise ValueError(f"beyond the instants UTC can hold: {text!r}") from None
    return moment


def not_after_now(moment: datetime) -> datetime:
    """An instant still to come is now: nothing more is known of it than is known now (and
    a tree's pace and status are today's, not those of a day that has not come)."""
    return min(moment, datetime.now(UTC))

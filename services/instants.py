"""Instants as people write them: an ISO 8601 instant, or a date that stands for its whole day.

The API, the CLI and the portal read them alike: a naive instant is UTC, and a date is the
day in the tenant's time zone (UTC unless told), taken from its first instant (`since=`), to
its last (`as_of=`, `to=`: what was known by the end of that day), up to the day after it
(an exclusive `until=`), or from just before it (`from=`: a diff from a day to itself is
what changed that day). Such an instant keeps the zone, so its day is the tenant's.

An instant is a date in the extended form, then T or a space, then the time (minutes at
least; seconds and a fraction, with a point or a comma, of any length: past microseconds
it is cut), then Z or an offset (+02, +0200 or +02:00, after an optional space): what
RFC 3339, `date -Ins`, `git log --date=iso` and psql print. An instant keeps its own offset
(its day is its writer's). Not taken: the basic form (20261015), week dates, or a date with
an offset and no time (2026-10-15+02:00), which Python would read as midnight or as 02:00.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

Edge = Literal["before", "first", "last", "after"]
"""Which instant a bare date stands for: the last one before it (where a range of changes
from that day starts: `from=`), its first, its last, or the first one after it."""

FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
LAST_INSTANT = datetime.max.replace(tzinfo=UTC)
"""The instants UTC can hold (and the database is given): of the first and the last day,
in a zone ahead of or behind UTC, a date stands for the part of it between them."""
UTC_RANGE = "from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<fraction>\d+))?"
    r" ?(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def now() -> datetime:
    """The views' clock: the instant "now" and "today" are taken from for a view (the real
    time; the commands' clock is services.app.base.now)."""
    return datetime.now(UTC)


def today(zone: tzinfo = UTC) -> date:
    """The day it is now in a zone: a tenant's today, for pace, status and staleness."""
    return now().astimezone(zone).date()


def start_of(day: date, zone: tzinfo = UTC) -> datetime:
    """The first instant of a day in a zone (midnight, or the end of a gap that skips it)."""
    return _held(datetime.combine(day, time.min, tzinfo=zone))


def before(day: date, zone: tzinfo = UTC) -> datetime:
    """The last instant before a day (in a zone), where the day's changes start from; the
    first day's first instant."""
    return _shifted(start_of(day, zone), -1) if day > date.min else start_of(day, zone)


def end_of(day: date, zone: tzinfo = UTC) -> datetime:
    """The last instant of a day (in a zone): "as it stood that day" includes the whole day."""
    if day == date.max:
        return _held(datetime.combine(day, time.max, tzinfo=zone))
    return _shifted(start_of(day + timedelta(days=1), zone), -1)


def after(day: date, zone: tzinfo = UTC) -> datetime:
    """The first instant after a day (in a zone), an exclusive end; the last day's last
    instant."""
    return end_of(day, zone) if day == date.max else start_of(day + timedelta(days=1), zone)


def _held(moment: datetime) -> datetime:
    """The instant, or the nearest one UTC holds (what the database takes): of the first
    or the last day, in a zone ahead of or behind UTC, shown in that zone."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return (FIRST_INSTANT if moment.year == 1 else LAST_INSTANT).astimezone(moment.tzinfo)
    return moment


def _shifted(moment: datetime, microseconds: int) -> datetime:
    """An instant moved by real time (through UTC: a zone's wall clock may repeat an hour),
    shown in the zone it was in."""
    return (moment.astimezone(UTC) + timedelta(microseconds=microseconds)).astimezone(moment.tzinfo)


def day(text: str) -> date:
    """A date in the extended form (2026-10-15); ValueError for anything else, 20261015 too."""
    if not _DAY.fullmatch(text):
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    return date.fromisoformat(text)


class BeyondUTCError(ValueError):
    """An instant written before FIRST_INSTANT or after LAST_INSTANT (year 1 at +01:00)."""


def instant(text: str, edge: Edge, zone: tzinfo = UTC) -> datetime:
    """An aware instant from ISO 8601 text (see above), a date's in `zone`; ValueError when
    it is neither an instant nor a date in those forms, BeyondUTCError when it is written
    past what UTC can hold."""
    if _DAY.fullmatch(text):
        return _day_edge(date.fromisoformat(text), edge, zone)
    moment = _written(text)
    try:
        moment.astimezone(UTC)  # what the database will make of it
    except OverflowError:
        raise BeyondUTCError(f"beyond the instants UTC can hold: {text!r}") from None
    return moment


def _day_edge(whole: date, edge: Edge, zone: tzinfo) -> datetime:
    if edge == "before":
        return before(whole, zone)
    if edge == "first":
        return start_of(whole, zone)
    return end_of(whole, zone) if edge == "last" else after(whole, zone)


def _written(text: str) -> datetime:
    """An instant written in full (naive: UTC)."""
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
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def not_after_now(moment: datetime) -> datetime:
    """An instant still to come is now (in the instant's zone): nothing more is known of it
    than is known now (and a tree's pace and status are today's, not those of a day that
    has not come)."""
    return min(moment, now().astimezone(moment.tzinfo))


def still_to_come(moment: datetime) -> bool:
    """Whether an instant is after now: nothing is known of it yet, so a span of changes
    that starts there (a diff's `from`) holds none, whatever its end."""
    return moment > now()

"""Instants as people write them: an ISO 8601 instant, or a date that stands for its whole day.

The API, the CLI and the portal read them alike: a naive instant is UTC, and a date is the
day in UTC, taken from its first instant (`since=`), to its last (`as_of=`, `from=`, `to=`:
what was known by the end of that day) or up to the day after it (an exclusive `until=`).
Only the extended forms are taken (2026-10-15, 2026-10-15T09:30, with seconds, fractions
and an offset or Z): Python would also read 20261015 or 2026-10-15+02:00, as midnight or as
02:00, which is not what whoever wrote them meant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

Edge = Literal["first", "last", "after"]
"""Which instant a bare date stands for: its first, its last, or the first one after it."""

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2}(:\d{2})?)?"
)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The last instant of a day (UTC): "as it stood that day" includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def instant(text: str, edge: Edge) -> datetime:
    """An instant in UTC from ISO 8601 text; ValueError when it is neither an instant nor a
    date in the forms above, or lies beyond what UTC can hold (year 1 at +01:00)."""
    if _DAY.fullmatch(text):
        day = date.fromisoformat(text)
        if edge == "first":
            return start_of(day)
        if edge == "last" or day == date.max:  # nothing comes after the last day
            return end_of(day)
        return start_of(day + timedelta(days=1))
    if not _INSTANT.fullmatch(text):
        raise ValueError(f"not an ISO 8601 instant or date: {text!r}")
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    try:
        return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError(f"beyond the instants UTC can hold: {text!r}") from None


def not_after_now(moment: datetime) -> datetime:
    """An instant still to come is now: nothing more is known of it than is known now (and
    a tree's pace and status are today's, not those of a day that has not come)."""
    return min(moment, datetime.now(UTC))

"""Instants as people write them: an ISO 8601 instant, or a date that stands for its whole day.

The API, the CLI and the portal read them alike: a naive instant is UTC, and a date is the
day in UTC, taken from its first instant (`since=`), to its last (`as_of=`, `from=`, `to=`:
what was known by the end of that day) or up to the day after it (an exclusive `until=`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

Edge = Literal["first", "last", "after"]
"""Which instant a bare date stands for: its first, its last, or the first one after it."""


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The last instant of a day (UTC): "as it stood that day" includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def instant(text: str, edge: Edge) -> datetime:
    """An aware instant from ISO 8601 text; ValueError when it is neither instant nor date."""
    if len(text) == 10:  # YYYY-MM-DD; fromisoformat would read a datetime from it
        day = date.fromisoformat(text)
        if edge == "first":
            return start_of(day)
        if edge == "last" or day == date.max:  # nothing comes after the last day
            return end_of(day)
        return start_of(day + timedelta(days=1))
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def not_after_now(moment: datetime) -> datetime:
    """An instant still to come is now: nothing more is known of it than is known now (and
    a tree's pace and status are today's, not those of a day that has not come)."""
    return min(moment, datetime.now(UTC))

"""Instants as the API, the CLI and the portal read them (services.instants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.instants import (
    BeyondUTCError,
    Edge,
    after,
    before,
    day,
    end_of,
    instant,
    start_of,
)

DAY = date(2026, 10, 15)
EDGES: tuple[Edge, ...] = ("before", "first", "last", "after")
PLUS_TWO, MINUS_FIVE = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))


def test_a_date_stands_for_its_whole_day() -> None:
    assert instant("2026-10-15", "first") == start_of(DAY)
    assert (
        instant("2026-10-15", "last")
        == end_of(DAY)
        == datetime(2026, 10, 15, 23, 59, 59, 999999, tzinfo=UTC)
    )
    assert instant("2026-10-15", "after") == after(DAY) == start_of(DAY + timedelta(days=1))
    assert instant("9999-12-31", "after") == after(date.max) == end_of(date.max)
    assert (  # where a diff from that day starts: what was known by the end of the one before
        instant("2026-10-15", "before") == before(DAY) == end_of(DAY - timedelta(days=1))
    )
    assert instant("0001-01-01", "before") == before(date.min) == start_of(date.min)


def test_the_first_and_last_days_are_what_utc_holds_of_them_in_any_zone() -> None:
    """The last day's end in New York and the first day's start in Rome lie past what UTC
    holds (and the database takes): a date stands for the part of its day UTC holds, in
    the zone, where it was refused as if it were not a date."""
    new_york, rome = ZoneInfo("America/New_York"), ZoneInfo("Europe/Rome")
    for edge in ("last", "after"):
        moment = instant("9999-12-31", edge, new_york)
        assert moment == datetime.max.replace(tzinfo=UTC) and moment.tzinfo is new_york
    for start in ("before", "first"):
        moment = instant("0001-01-01", start, rome)
        assert moment == datetime.min.replace(tzinfo=UTC) and moment.tzinfo is rome
    with pytest.raises(BeyondUTCError):  # written so, it is no day's: refused, saying why
        instant("9999-12-31T23:00:00-05:00", "last")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-15T09:30:00Z", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
        ("2026-10-15t09:30z", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
        ("2026-10-15T09:30", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),  # naive: UTC
        ("2026-10-15 09:30:00.25+02:00", datetime(2026, 10, 15, 9, 30, 0, 250000, PLUS_TWO)),
        ("2026-10-15T20:00-05:00", datetime(2026, 10, 15, 20, 0, tzinfo=MINUS_FIVE)),
        # Go's RFC3339Nano, Java's Instant: nanoseconds, cut to microseconds
        ("2026-10-15T09:30:00.123456789Z", datetime(2026, 10, 15, 9, 30, 0, 123456, UTC)),
        # date -Ins, date --rfc-3339=ns
        ("2026-10-15T09:30:00,393993520+00:00", datetime(2026, 10, 15, 9, 30, 0, 393993, UTC)),
        ("2026-10-15 09:30:00.396444454+00:00", datetime(2026, 10, 15, 9, 30, 0, 396444, UTC)),
        # date +%FT%T%z, git log --date=iso, and psql's timestamptz
        ("2026-10-15T09:30:00+0200", datetime(2026, 10, 15, 9, 30, tzinfo=PLUS_TWO)),
        ("2026-10-15 09:30:00 +0200", datetime(2026, 10, 15, 9, 30, tzinfo=PLUS_TWO)),
        ("2026-10-15 09:30:00.457976+02", datetime(2026, 10, 15, 9, 30, 0, 457976, PLUS_TWO)),
    ],
)
def test_an_instant_in_the_forms_people_and_programs_write(text: str, expected: datetime) -> None:
    """The same instant whatever the edge, in its own offset: its day is its writer's
    (20:00 at -05:00 on the 15th is the 15th, for the tree's pace and status)."""
    for edge in EDGES:
        moment = instant(text, edge)
        assert moment == expected and moment.utcoffset() == expected.utcoffset()
    assert instant("2026-10-15T20:00-05:00", "last").date() == DAY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-02-30",  # no such day
        "20261015",  # the basic form: Python reads it, as midnight
        "2026-W42",
        "2026-10-15+02:00",  # an offset on a date: Python reads 02:00
        "2026-10-15T10",  # an hour alone
        "2026-10-15T25:00",
        "2026-10-15T09:30:00+2",
        "0001-01-01T00:00:00+01:00",  # before the first instant UTC holds
        "9999-12-31T23:00:00-05:00",  # after the last
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        instant(text, "last")


def test_a_day_is_the_extended_form_only() -> None:
    """The portal's ?date= takes what the API's dates take: 20261015 is not a day there."""
    assert day("2026-10-15") == DAY
    for text in ("20261015", "2026-W42", "2026-10-15T00:00", "2026-02-30", " 2026-10-15", ""):
        with pytest.raises(ValueError):
            day(text)

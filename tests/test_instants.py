"""Instants as the API, the CLI and the portal read them (services.instants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.instants import end_of, instant, start_of

DAY = date(2026, 10, 15)


def test_a_date_stands_for_its_whole_day() -> None:
    assert instant("2026-10-15", "first") == start_of(DAY)
    assert (
        instant("2026-10-15", "last")
        == end_of(DAY)
        == datetime(2026, 10, 15, 23, 59, 59, 999999, tzinfo=UTC)
    )
    assert instant("2026-10-15", "after") == start_of(DAY + timedelta(days=1))
    assert instant("9999-12-31", "after") == end_of(date.max)  # no day after the last


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-15T09:30:00Z", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
        ("2026-10-15t09:30z", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),
        ("2026-10-15 09:30:00.25+02:00", datetime(2026, 10, 15, 7, 30, 0, 250000, tzinfo=UTC)),
        ("2026-10-15T23:30-05:00", datetime(2026, 10, 16, 4, 30, tzinfo=UTC)),
        ("2026-10-15T09:30", datetime(2026, 10, 15, 9, 30, tzinfo=UTC)),  # naive: UTC
    ],
)
def test_an_instant_is_read_in_utc_whatever_its_offset(text: str, expected: datetime) -> None:
    for edge in ("first", "last", "after"):
        moment = instant(text, edge)  # type: ignore[arg-type]
        assert moment == expected and moment.tzinfo is UTC


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
        "0001-01-01T00:00:00+01:00",  # before the first instant UTC holds
        "9999-12-31T23:00:00-05:00",  # after the last
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        instant(text, "last")


def test_the_utc_it_gives_is_the_same_instant() -> None:
    moment = instant("2026-10-15T09:30:00+02:00", "last")
    assert moment == datetime(2026, 10, 15, 9, 30, tzinfo=timezone(timedelta(hours=2)))

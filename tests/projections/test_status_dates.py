"""A key result row's status dates are the days its status really changes on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain import progress
from domain.values import KRKind
from projections.rollup import status_dates

START = date(2027, 1, 1)
RAWS = [Decimal(n) / 50 for n in range(-10, 66)] + [
    None,
    Decimal("0.3333333333333333333333333333"),
    Decimal("0.7125"),
    Decimal("0.95"),
    Decimal("0.999999"),
    # over 3 days, 0.95 x 2/3 rounds up at the 28th digit: at risk a day before raw / pace
    Decimal("0.63333333333333333333333333335"),
    Decimal("1E+12"),
    Decimal("-1E+12"),
]
DURATIONS = [-3, 0, 1, 2, 3, 7, 30, 90, 91, 365]


def status(kind: str, raw: Decimal | None, due: date, day: date) -> str:
    return progress.status(kind, raw, progress.expected_progress(START, due, day)).value


def first_bad_day(kind: str, raw: Decimal | None, due: date, bad: set[str]) -> date | None:
    """Day after day, from the eve of the window to its end: the arithmetic itself."""
    day, end = START - timedelta(days=1), max(due, START)
    if status(kind, raw, due, day) in bad:
        return date.min
    while day < end:
        day += timedelta(days=1)
        if status(kind, raw, due, day) in bad:
            return day
    return None


@pytest.mark.parametrize("duration", DURATIONS)
@pytest.mark.parametrize("kind", [k.value for k in KRKind])
def test_status_dates_are_the_first_days_each_status_holds(kind: str, duration: int) -> None:
    """The first day at risk (or worse) and off track, found from a guess and its
    neighbours, are the days a walk over every day of the window finds, for raw progress
    below zero, in the window, past the target, huge and unknown."""
    due = START + timedelta(days=duration)
    for raw in RAWS:
        found = status_dates.__wrapped__(kind, raw, START, due)

        assert found == (
            status(kind, raw, due, START - timedelta(days=1)),  # before the window opens
            first_bad_day(kind, raw, due, {"at_risk", "off_track"}),
            first_bad_day(kind, raw, due, {"off_track"}),
        ), raw

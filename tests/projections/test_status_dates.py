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
    # over 3 days, 0.95 x 2/3 is 0.6333…3 at 28 digits: past it by less than one of them
    Decimal("0.63333333333333333333333333335"),
    Decimal("1E+12"),
    Decimal("-1E+12"),
]
DURATIONS = [-3, 0, 1, 2, 3, 7, 30, 90, 91, 365]


def status(kind: str, raw: Decimal | None, due: date, day: date) -> str:
    return progress.status(kind, raw, progress.expected_share(START, due, day)).value


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


@pytest.mark.parametrize(
    ("value", "first_at_risk", "first_off_track"),
    [("76", date(2027, 3, 23), None), ("30", date(2027, 2, 2), date(2027, 2, 11))],
)
def test_status_dates_keep_a_day_exactly_on_the_pace(
    value: str, first_at_risk: date | None, first_off_track: date | None
) -> None:
    """0 → 89 over Q1 2027 (89 days): 76 is exactly 0.95 of the pace on day 80 (22 March),
    on track that day and at risk from the 23rd; 30 is exactly 0.75 of it on day 40
    (10 February), at risk that day and off track from the 11th. The stored days said the
    22nd and the 10th: 0.95 or 0.75 of the rounded 80/89 or 40/89 came out past p."""
    raw = progress.raw_progress("increase", Decimal(0), Decimal(89), Decimal(value))
    due = date(2027, 3, 31)

    found = status_dates.__wrapped__("increase", raw, START, due)

    assert found[1:] == (first_at_risk, first_off_track)
    assert found[1:] == (
        first_bad_day("increase", raw, due, {"at_risk", "off_track"}),
        first_bad_day("increase", raw, due, {"off_track"}),
    )

"""The days the new cycle's form proposes (planning.next_cycle_days)."""

from __future__ import annotations

from datetime import date

import pytest

from services.portal.planning import next_cycle_days

TODAY = date(2026, 11, 15)


@pytest.mark.parametrize(
    ("ends", "fiscal_start_month", "proposed"),
    [
        ([], 1, (date(2026, 10, 1), date(2026, 12, 31))),  # the quarter today is in
        ([], 12, (date(2026, 9, 1), date(2026, 11, 30))),  # a year from December
        ([], 4, (date(2026, 10, 1), date(2026, 12, 31))),
        ([date(2026, 12, 31)], 1, (date(2027, 1, 1), date(2027, 3, 31))),
        ([date(2027, 3, 31)], 4, (date(2027, 4, 1), date(2027, 6, 30))),  # its Q1
        ([date(2026, 6, 30), date(2026, 12, 31)], 1, (date(2027, 1, 1), date(2027, 3, 31))),
        # not from a quarter's first day: to the end of its quarter, or of the next one
        # where it has less than four weeks left (it proposed 31 December to 28 February,
        # three months from December)
        ([date(2026, 12, 30)], 1, (date(2026, 12, 31), date(2027, 3, 31))),
        ([date(2027, 4, 14)], 1, (date(2027, 4, 15), date(2027, 6, 30))),
        ([date(2027, 5, 31)], 1, (date(2027, 6, 1), date(2027, 6, 30))),
        ([date(2027, 6, 4)], 1, (date(2027, 6, 5), date(2027, 9, 30))),  # not 26 days
        ([date(2027, 2, 28)], 1, (date(2027, 3, 1), date(2027, 3, 31))),
        # the last day a cycle may have: none after it; the quarter of today then
        ([date(2199, 11, 30)], 1, (date(2199, 12, 1), date(2199, 12, 31))),
        ([date(2199, 12, 15)], 2, (date(2199, 12, 16), date(2199, 12, 31))),
        ([date(2199, 12, 31)], 1, (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_the_form_proposes_the_fiscal_quarter_after_the_last_cycle(
    ends: list[date], fiscal_start_month: int, proposed: tuple[date, date]
) -> None:
    assert next_cycle_days(ends, TODAY, fiscal_start_month) == proposed

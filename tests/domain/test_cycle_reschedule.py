"""A cycle's days set right while it is planned or runs; locked once it is closed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import Cycle, CycleState
from domain.errors import (
    CycleClosedError,
    DueOutsideError,
    InvalidDateError,
    InvalidTitleError,
    InvalidValueError,
)
from domain.key_result import KeyResult, follow_reschedule
from tests.domain import (
    AUTHOR,
    Q1_END,
    Q1_START,
    a_cycle,
    a_key_result,
    an_objective,
    assert_nothing_recorded,
    settled,
)


@pytest.mark.parametrize("state", ["planning", "active"])
def test_a_cycle_gets_new_days_and_its_period_by_their_length(state: str) -> None:
    """A wrong end date typed at planning had no fix: a planned or running cycle gets new
    days, with its author and a reason if given; its period, not named, is worked out from
    the new length as when it was planned (a quarter stretched to five months is custom)."""
    cycle = a_cycle(state=state)
    settled(cycle)
    cycle.reschedule(ends_on=date(2027, 5, 31), reason="typo", author=AUTHOR)
    cycle.reschedule(starts_on=date(2027, 3, 1), author=AUTHOR)
    first, second = cycle.collect_events()
    assert isinstance(first, Cycle.Rescheduled) and isinstance(second, Cycle.Rescheduled)
    assert (first.starts_on, first.ends_on, first.period) == (Q1_START, date(2027, 5, 31), "custom")
    assert (first.reason, first.author) == ("typo", AUTHOR)
    assert (second.starts_on, second.period, second.reason) == (date(2027, 3, 1), "quarter", None)
    assert (cycle.starts_on, cycle.ends_on) == (date(2027, 3, 1), date(2027, 5, 31))
    assert cycle.state == state


def test_a_period_named_is_kept_whatever_the_length() -> None:
    """A 91-day cycle a consultancy calls custom stays custom when told so."""
    cycle = a_cycle()
    cycle.reschedule(ends_on=date(2027, 4, 1), period="custom", author=AUTHOR)
    assert cycle.period.value == "custom"
    assert cycle.ends_on == date(2027, 4, 1)


def test_a_closed_cycle_keeps_its_days() -> None:
    """Its key results were graded on those days: 409-style refusal naming the field given,
    nothing recorded."""
    cycle = a_cycle(state="closed")
    version = settled(cycle)
    with pytest.raises(CycleClosedError) as refused:
        cycle.reschedule(ends_on=date(2027, 4, 30), author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == ("ends_on", "cycle_closed")
    assert_nothing_recorded(cycle, version)
    assert (cycle.ends_on, cycle.state) == (Q1_END, CycleState.CLOSED)


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"ends_on": date(2026, 12, 31)}, "ends_on", "date_out_of_range"),
        ({"starts_on": date(2027, 4, 1)}, "starts_on", "date_out_of_range"),
        ({"starts_on": date(1800, 1, 1)}, "starts_on", "out_of_range"),
        ({"ends_on": "2027-04-30"}, "ends_on", "wrong_type"),
        ({"period": "decade"}, "period", "unknown_choice"),
        ({"ends_on": Q1_END}, "ends_on", "unchanged"),
        ({"period": "quarter"}, "period", "unchanged"),
        ({}, "starts_on", "required"),
        ({"ends_on": date(2027, 4, 30), "reason": ""}, "reason", "empty"),
    ],
)
def test_bad_new_days_name_their_field_and_record_nothing(
    change: dict[str, Any], field: str, rule: str
) -> None:
    """Checked as a new cycle's: an end before the start, a day out of range or not a date,
    a period there is not, days it has already, or nothing at all; the cycle is as it was."""
    cycle = a_cycle()
    version = settled(cycle)
    with pytest.raises((InvalidDateError, InvalidTitleError, InvalidValueError)) as refused:
        cycle.reschedule(author=AUTHOR, **change)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert_nothing_recorded(cycle, version)
    assert (cycle.starts_on, cycle.ends_on, cycle.period.value) == (Q1_START, Q1_END, "quarter")


def _two_key_results(cycle: Cycle) -> tuple[KeyResult, KeyResult]:
    objective = an_objective(cycle)
    by_end = a_key_result(cycle, objective)  # due on the cycle's end, by default
    chosen = a_key_result(cycle, objective, title="Chiudere i ticket", due_on=date(2027, 2, 15))
    settled(by_end), settled(chosen)
    return by_end, chosen


def test_key_results_due_on_the_cycle_end_follow_it_and_the_others_stay() -> None:
    """A key result left due on the cycle's end means "by the end": it follows the new end
    (a DueDateChanged by the same author), and its expected progress with it; one due on a
    day someone chose that is still inside stays where it was."""
    cycle = a_cycle()
    by_end, chosen = _two_key_results(cycle)
    cycle.reschedule(ends_on=date(2027, 4, 30), author=AUTHOR)
    moved = follow_reschedule([by_end, chosen], cycle, was_ending=Q1_END, author=AUTHOR)
    assert moved == [by_end]
    (event,) = by_end.collect_events()
    assert isinstance(event, KeyResult.DueDateChanged)
    assert (event.due_on, event.author) == (date(2027, 4, 30), AUTHOR)
    assert (by_end.due_on, chosen.due_on) == (date(2027, 4, 30), date(2027, 2, 15))
    assert chosen.collect_events() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [({"ends_on": date(2027, 2, 10)}, "ends_on"), ({"starts_on": date(2027, 2, 20)}, "starts_on")],
)
def test_a_chosen_due_date_left_outside_the_new_days_is_refused(
    change: dict[str, Any], field: str
) -> None:
    """A due date someone set is not moved behind their back: new days that leave it
    outside the cycle are refused naming the day at fault (its title in the message), and
    no key result is changed."""
    cycle = a_cycle()
    by_end, chosen = _two_key_results(cycle)
    cycle.reschedule(author=AUTHOR, **change)
    with pytest.raises(DueOutsideError) as refused:
        follow_reschedule([by_end, chosen], cycle, was_ending=Q1_END, author=AUTHOR)
    assert (refused.value.field, refused.value.rule) == (field, "key_results_due_outside")
    assert "Chiudere i ticket" in refused.value.message
    assert by_end.collect_events() == chosen.collect_events() == []


def test_an_archived_key_result_stays_as_it_was() -> None:
    """Out of the progress, it neither follows nor blocks."""
    cycle = a_cycle()
    by_end, chosen = _two_key_results(cycle)
    chosen.archive(reason="doppione", cycle=cycle, author=AUTHOR)
    settled(chosen)
    cycle.reschedule(ends_on=date(2027, 2, 10), author=AUTHOR)
    assert follow_reschedule([by_end, chosen], cycle, was_ending=Q1_END, author=AUTHOR) == [by_end]
    assert chosen.due_on == date(2027, 2, 15)

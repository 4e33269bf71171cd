"""A cycle's days set right: the tree's pace and status, the history, as-of and the diff."""

from __future__ import annotations

from datetime import date, datetime

from domain import Cycle
from domain.key_result import follow_reschedule
from projections.base import collect
from projections.history import FieldChange, HistoryLine, history_projection, line_from_row, render
from projections.progress_tree import progress_tree
from projections.timetravel import diff, progress_as_of, state_as_of
from services.history_words import Phrases
from services.i18n import Locale
from tests.projections.builders import Log, check_in, fold_all, key_result, objective

TYPED_END = date(2027, 2, 28)
RIGHT_END = date(2027, 3, 31)
TODAY = date(2027, 2, 15)


def _typo_then_fixed() -> tuple[Log, Cycle, datetime]:
    """Q1 2027 planned to end on Feb 28 by mistake, a key result due by its end checked in
    at 40 of 100 on Feb 14; on Feb 15 its end is set right (Mar 31): the instant between."""
    log = Log()
    cycle = Cycle.create(name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=TYPED_END)
    cycle.activate(author="alice")
    log.save(cycle)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    log.at(date(2027, 2, 14))
    check_in(log, cycle, kr, "40", date(2027, 2, 14))
    between = log.clock
    log.at(date(2027, 2, 15))
    cycle.reschedule(ends_on=RIGHT_END, reason="typo", author="eve")
    follows = follow_reschedule([kr], cycle, was_ending=TYPED_END, author="eve")
    log.save(cycle, *follows, actor="eve")
    return log, cycle, between


def _lines(log: Log) -> list[HistoryLine]:
    _, rows = collect(history_projection, log.records)
    return [line_from_row(row) for row in rows["rm_history"]]


def test_new_days_move_the_cycle_its_due_dates_and_so_its_pace_and_status() -> None:
    """Expected progress is elapsed / the window from the cycle's start to the due date
    (GLOSSARY): 40 % on Feb 15 is off track in a cycle ending Feb 28, at risk in one
    ending Mar 31. The cycle's period follows its length (custom → quarter), and the key
    result due by the end is due on the new end."""
    log, cycle, between = _typo_then_fixed()
    state = fold_all(log.records)
    view = state.cycles[cycle.id]
    assert (view.starts_on, view.ends_on, view.period) == (date(2027, 1, 1), RIGHT_END, "quarter")
    (node,) = progress_tree(state, today=TODAY).cycles
    (kr,) = node.objectives[0].key_results
    assert (node.ends_on, node.period, kr.due_on, kr.status) == (
        RIGHT_END, "quarter", RIGHT_END, "at_risk"
    )  # fmt: skip

    then = progress_as_of(log.records, recorded_at=between, today=TODAY)
    (old,) = then.cycles
    (old_kr,) = old.objectives[0].key_results
    assert (old.ends_on, old.period, old_kr.due_on, old_kr.status) == (
        TYPED_END, "custom", TYPED_END, "off_track"
    )  # fmt: skip
    assert old_kr.expected_progress > kr.expected_progress


def test_the_diff_says_the_days_and_due_date_that_moved() -> None:
    """Between the instant before and after, the cycle's end and its key result's due date
    are what changed (with the status that follows); nothing else of the cycle."""
    log, _, between = _typo_then_fixed()
    before = state_as_of(log.records, recorded_at=between)
    after = fold_all(log.records)
    changed = {
        (c.item_kind, c.field): (c.before, c.after)
        for c in diff(before, after, today_from=TODAY, today_to=TODAY)
    }
    assert changed[("cycle", "ends_on")] == ("2027-02-28", "2027-03-31")
    assert changed[("key_result", "due_on")] == ("2027-02-28", "2027-03-31")
    assert changed[("key_result", "status")] == ("off_track", "at_risk")
    assert ("cycle", "starts_on") not in changed and ("cycle", "name") not in changed


def test_its_history_line_says_the_days_before_and_after_in_both_languages() -> None:
    """One line for the cycle, before → after per field, who and why; Italian days in
    words as the portal says them; the key result's due date has its own line."""
    log, cycle, _ = _typo_then_fixed()
    moved, due = _lines(log)[-2:]
    assert (moved.item_kind, moved.item_id, moved.template) == (
        "cycle",
        cycle.id,
        "cycle.rescheduled",
    )
    assert moved.changes == [
        FieldChange("ends_on", "2027-02-28", "2027-03-31"),
        FieldChange("period", "custom", "quarter"),
    ]
    assert moved.text == (
        "cycle 'Q1 2027' dates changed 2027-01-01 \u2013 2027-02-28 → 2027-01-01 \u2013 2027-03-31"
        " by eve; reason: 'typo'"
    )
    assert render(moved.template, moved.params, "it") == (
        "ciclo 'Q1 2027' date cambiate 2027-01-01 \u2013 2027-02-28 → 2027-01-01 \u2013"
        " 2027-03-31 da eve; motivo: 'typo'"
    )
    assert Phrases(Locale("it"), {}).text(moved) == (
        "ciclo 'Q1 2027' date cambiate 1 gen 2027 \u2013 28 feb 2027 → 1 gen 2027 \u2013"
        " 31 mar 2027 da eve; motivo: 'typo'"
    )
    assert due.text == "'Contratti': due date moved 2027-02-28 → 2027-03-31 by eve"

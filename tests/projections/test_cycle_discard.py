"""A cycle planned by mistake, discarded: gone from the tree and the portfolio, kept in the
history; as of before, there."""

from __future__ import annotations

from datetime import date

from domain import Cycle
from projections.base import collect
from projections.history import HistoryLine, history_projection, line_from_row, render
from projections.portfolio import portfolio_facts
from projections.progress_tree import progress_tree
from projections.timetravel import diff, progress_as_of, state_as_of
from tests.projections.builders import Log, active_quarter, fold_all, key_result, objective

TODAY = date(2027, 1, 20)


def _doubled() -> tuple[Log, Cycle, Cycle]:
    """Q1 running, and Q2 planned twice by mistake: the copy's drafted objective archived,
    then the copy discarded."""
    log = Log()
    active_quarter(log)
    q2 = Cycle.create(name="Q2 2027", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    copy = Cycle.create(name="Q2 2027 bis", starts_on=date(2027, 3, 25), ends_on=date(2027, 6, 30))
    log.save(q2, copy)
    draft = objective(log, copy, "Bozza")
    key_result(log, copy, draft, "Bozza KR", "increase", start=0, target=10)
    draft.archive(reason="doppione", cycle=copy, author="eve")
    log.save(draft, actor="eve")
    copy.discard(reason="creato per errore", author="eve")
    log.save(copy, actor="eve")
    return log, q2, copy


def _lines(log: Log) -> list[HistoryLine]:
    _, rows = collect(history_projection, log.records)
    return [line_from_row(row) for row in rows["rm_history"]]


def test_a_discarded_cycle_leaves_the_tree_the_state_and_the_portfolio() -> None:
    """It and its archived items are in no list, tree or roll-up; the portfolio's next
    cycle is the real one (the copy started earlier and was named first)."""
    log, q2, copy = _doubled()
    state = fold_all(log.records)
    assert copy.id not in state.cycles
    assert not [o for o in state.objectives.values() if o.cycle_id == copy.id]
    assert not [k for k in state.key_results.values() if k.cycle_id == copy.id]
    names = [c.name for c in progress_tree(state, today=TODAY, include_archived=True).cycles]
    assert names == ["Q1 2027", "Q2 2027"]
    assert (portfolio_facts(state).next_cycle, portfolio_facts(state).next_cycle_starts_on) == (
        q2.name, date(2027, 4, 1)
    )  # fmt: skip


def test_as_of_before_the_discard_it_is_there_and_the_diff_says_it_removed() -> None:
    """Transaction time keeps what was believed: before the discard the copy is listed and
    is the next cycle; between then and now the diff says the cycle removed."""
    log, _, _ = _doubled()
    before = log.records[-2].recorded_at  # the archive of its draft, the event before
    then = progress_as_of(log.records, recorded_at=before, today=TODAY)
    assert sorted(c.name for c in then.cycles) == ["Q1 2027", "Q2 2027", "Q2 2027 bis"]
    old = state_as_of(log.records, recorded_at=before)
    assert portfolio_facts(old).next_cycle == "Q2 2027 bis"
    changes = diff(old, fold_all(log.records), today_from=TODAY, today_to=TODAY)
    removed = [(c.item_kind, c.title) for c in changes if c.field == "removed"]
    assert ("cycle", "Q2 2027 bis") in removed


def test_its_history_keeps_it_in_both_languages() -> None:
    """Its line says who discarded which cycle and why; its earlier lines stay."""
    log, _, copy = _doubled()
    lines = [line for line in _lines(log) if line.item_id == copy.id]
    assert [line.template for line in lines] == ["cycle.created", "cycle.discarded"]
    gone = lines[-1]
    assert gone.text == "cycle 'Q2 2027 bis' discarded by eve: 'creato per errore'"
    assert render(gone.template, gone.params, "it") == (
        "ciclo 'Q2 2027 bis' scartato da eve: 'creato per errore'"
    )

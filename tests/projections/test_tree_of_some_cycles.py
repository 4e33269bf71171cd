"""A tree of some of the cycles (a page of them) is worked out from their own items alone:
what it says of each is what the whole tree said of it, whatever the log and the days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypedDict
from uuid import UUID

from msgspec.structs import replace

from domain import Cycle
from projections.progress import ProgressView, progress_tree
from tests.projections.builders import (
    Log,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
    seed_efficiency,
)


class Days(TypedDict):
    """What a tree is taken on besides its cycles: its day, a business date, archived."""

    today: date
    valid_at: date | None
    include_archived: bool


DAYS = [
    (date(2027, 2, 1), None),
    (date(2027, 5, 1), date(2027, 3, 1)),  # a business date's values, known later
    (date(2027, 8, 1), None),  # after every cycle: Q1 and Q2 closed
]


def rich_log() -> Log:
    """Three cycles, two of one start (the seed's Q1 and Q1 Roma) and a Q2: objectives
    aligned and rolled up, one archived with a child left live, one archived and restored,
    a key result archived, late check-ins, a correction and a target revision, a KPI
    feeding a key result measured late, Q1 closed with an adjusted score."""
    log = Log()
    q1, goal, response, _, _ = seed_efficiency(log)
    rome = Cycle.create(name="Q1 Roma", starts_on=q1.starts_on, ends_on=q1.ends_on)
    rome.activate(author="alice")
    log.save(rome)
    sales = objective(log, rome, "Vendere", roll_up_children=True)
    north = objective(log, rome, "Nord", parent=sales)
    deals = key_result(log, rome, north, "Contratti", "increase", start=0, target=40)
    check_in(log, rome, deals, "12", date(2027, 1, 10))
    check_in(log, rome, deals, "9", date(2027, 1, 5))  # late
    sales.archive(reason="riorganizzazione", cycle=rome, author="alice")
    log.save(sales)
    q2 = Cycle.create(name="Q2", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    q2.activate(author="alice")
    log.save(q2)
    grow = objective(log, q2, "Crescere", level="company", roll_up_children=True)
    keep = objective(log, q2, "Fidelizzare", parent=grow, weight=2)
    renewals = key_result(log, q2, keep, "Rinnovi", "increase", start=70, target=85)
    churn = key_result(log, q2, grow, "Abbandoni", start=10, target=5)
    meter = kpi(log, "Rinnovi mensili", green=80, red=72)
    renewals.link_to_kpi(kpi=meter, cycle=q2, author="alice")
    log.save(renewals)
    log.at(date(2027, 4, 2))
    q1.close(
        key_result_scores={response.id: Decimal("0.6")},
        objective_scores={goal.id: Decimal("0.5")},
        closed_by="alice",
    )
    log.save(q1)
    q1.adjust_score(item_id=goal.id, score=Decimal("0.7"), reason="contesto", author="alice")
    log.save(q1)
    log.at(date(2027, 4, 20))
    first = check_in(log, q2, renewals, "74", date(2027, 4, 20))
    check_in(log, q2, churn, "9", date(2027, 4, 20))
    meter.record_measurement(value=Decimal(76), on=date(2027, 4, 15), author="bob")  # late
    log.save(meter)
    renewals.correct_check_in(check_in_id=first, value=73, reason="refuso", author="ada")
    renewals.revise_target(cycle=q2, target=90, reason="più ambiziosi", author="carla")
    log.save(renewals)
    keep.archive(reason="per errore", cycle=q2, author="alice")
    log.save(keep)
    keep.restore(reason="ancora una priorità", cycle=q2, parent=grow, author="carla")
    log.save(keep)
    churn.archive(reason="non misurabile", cycle=q2, author="alice")
    log.save(churn)
    return log


def _subsets(ids: list[UUID]) -> list[list[UUID]]:
    return [[], ids[:1], ids[1:], ids[::2], ids[::-1]]


def _each_some_as_whole(state: ProgressView) -> None:
    for today, valid_at in DAYS:
        for archived in (False, True):
            days: Days = {"today": today, "valid_at": valid_at, "include_archived": archived}
            whole = progress_tree(state, **days)
            for some in _subsets(list(state.cycles)):
                shown = [c for c in whole.cycles if c.cycle_id in some]
                assert progress_tree(state, cycle_ids=some, **days) == replace(
                    whole, cycles=shown
                ), (today, archived, some)


def test_the_tree_of_some_cycles_is_what_the_whole_tree_says_of_them() -> None:
    """Some cycles asked for (none, one, all but one, every other, all), after each event
    of rich_log, on days before, in and after them, archived items shown or not: each
    tree is the one the whole tree shows of that cycle, in the state's order."""
    records = rich_log().records
    for upto in range(len(records) + 1):
        _each_some_as_whole(fold_all(records[:upto]))


def test_items_in_another_cycle_s_tree_get_the_whole_state_worked_out() -> None:
    """The domain never aligns an objective to one of another cycle, nor places a key
    result in another cycle than its objective's; a state that did (mended by hand) is
    worked out whole, as before: a cycle's own items alone would leave out what rolls up
    into it from another."""
    state = fold_all(rich_log().records)
    q1, rome, _ = state.cycles
    (grow,) = [o for o in state.objectives.values() if o.title == "Crescere"]
    moved = {
        k: replace(kr, cycle_id=rome) if kr.cycle_id == q1 else kr
        for k, kr in state.key_results.items()
    }
    aligned = {
        k: replace(o, parent_id=grow.objective_id) if o.cycle_id == rome else o
        for k, o in state.objectives.items()
    }
    _each_some_as_whole(replace(state, key_results=moved))
    _each_some_as_whole(replace(state, objectives=aligned))

"""The diff works out only the cycles and KPIs that may differ between its two states: what
it says is what comparing both whole trees said, whatever the log and the days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import TypedDict
from uuid import uuid4

from msgspec.structs import replace

from domain import Cycle
from projections import timetravel
from projections.progress import ProgressView
from projections.progress_fold import progress_fold
from projections.timetravel import Change, diff, of_cycle
from tests.projections.builders import (
    Log,
    busy_tenant,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
)

D = Decimal


class Days(TypedDict):
    """The days a diff takes its two states' statuses and paces on."""

    today_from: date
    today_to: date


DAYS = [
    (date(2027, 2, 1), date(2027, 2, 1)),
    (date(2027, 2, 1), date(2027, 3, 1)),  # statuses move with the days alone
    (date(2027, 3, 25), date(2027, 4, 10)),  # across Q1's close
    (date(2027, 4, 10), date(2027, 4, 2)),  # backwards
    (date(2026, 12, 1), date(2027, 9, 1)),  # before every cycle, after every due date
]


def _whole_diff(
    old: ProgressView, new: ProgressView, *, today_from: date, today_to: date
) -> list[Change]:
    """The diff as it was before it kept to what may differ: both whole trees compared."""
    before = timetravel._facts(old, today_from)
    after = timetravel._facts(new, today_to)
    changes: list[Change] = []
    for key in [*after, *(k for k in before if k not in after)]:
        changes.extend(timetravel._item_changes(key, before.get(key), after.get(key)))
        changes.extend(timetravel._revisions(key, old, new, today_from))
    return changes


def _rich_log() -> Log:
    """Two cycles of Q1 side by side (one quiet while the other changes: busy_tenant's
    renames, re-parenting, late check-ins, corrections, a target revision, KPI measurements
    and threshold moves, archives, a close and a score adjustment), then a Q2 with an
    objective archived and restored, a key result archived, a late check-in and a
    correction, a KPI measured late and corrected, and its close."""
    log = Log()
    rome = Cycle.create(name="Q1 Roma", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    rome.activate(author="alice")
    log.save(rome)
    sales = objective(log, rome, "Vendere")
    deals = key_result(log, rome, sales, "Contratti", "increase", start=0, target=40)
    check_in(log, rome, deals, "12", date(2027, 1, 10))
    busy_tenant(log)
    check_in(log, rome, deals, "30", date(2027, 3, 30))
    q2 = Cycle.create(name="Q2", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    q2.activate(author="alice")
    log.save(q2)
    grow = objective(log, q2, "Crescere", level="company", roll_up_children=True)
    keep = objective(log, q2, "Fidelizzare", parent=grow)
    renewals = key_result(log, q2, keep, "Rinnovi", "increase", start=70, target=85)
    churn = key_result(log, q2, grow, "Abbandoni", start=10, target=5)
    meter = kpi(log, "Costi", direction="lower_is_better", green=100, red=120)
    log.at(date(2027, 4, 20))
    first = check_in(log, q2, renewals, "74", date(2027, 4, 20))
    check_in(log, q2, churn, "9", date(2027, 4, 20))
    meter.record_measurement(value=D(110), on=date(2027, 4, 20), author="bob")
    log.save(meter)
    log.at(date(2027, 5, 10))
    check_in(log, q2, renewals, "80", date(2027, 5, 10))
    check_in(log, q2, renewals, "76", date(2027, 4, 30))  # late
    renewals.correct_check_in(check_in_id=first, value=73, reason="refuso", author="ada")
    renewals.revise_target(cycle=q2, target=90, reason="più ambiziosi", author="carla")
    log.save(renewals)
    keep.reparent(new_parent=None, new_parent_ancestors=[], cycle=q2, author="alice")
    log.save(keep)
    keep.archive(reason="per errore", cycle=q2, author="alice")
    log.save(keep)
    keep.restore(reason="ancora una priorità", cycle=q2, parent=None, author="carla")
    log.save(keep)
    churn.archive(reason="non misurabile", cycle=q2, author="alice")
    log.save(churn)
    meter.record_measurement(value=D(125), on=date(2027, 5, 10), author="bob")
    meter.record_measurement(value=D(105), on=date(2027, 5, 1), author="bob")  # late
    meter.change_thresholds(green=D(110), red=D(130), reason="più realistici", author="alice")
    log.save(meter)
    log.at(date(2027, 7, 1))
    q2.close(
        key_result_scores={renewals.id: D("0.6"), churn.id: D("0.2")},
        objective_scores={grow.id: D("0.5"), keep.id: D("0.6")},
        closed_by="alice",
    )
    log.save(q2)
    return log


def _states(log: Log) -> list[ProgressView]:
    """The state after each position, each folded from the one before (sharing what the
    event left alone, as the kept states of the as-of replays do)."""
    states = [ProgressView()]
    for record in log.records:
        states.append(progress_fold(states[-1], record))
    return states


def test_the_diff_says_what_comparing_both_whole_trees_said() -> None:
    """From every point of a rich log to points shortly after and to its end (and some
    back: items made meanwhile removed), on days the same, apart, across a close and
    backwards: the same changes in the same order (a cycle, objective, key result or KPI
    left out when it could differ would go unsaid)."""
    states = _states(_rich_log())
    last = len(states) - 1
    later = {(i, min(i + step, last)) for i in range(last) for step in (1, 2, 5, 17, last)}
    pairs = later | {(j, i) for i, j in later if j - i < 3 or (i + j) % 3 == 0}  # some back

    for i, j in sorted(pairs):
        for today_from, today_to in DAYS:
            days: Days = {"today_from": today_from, "today_to": today_to}
            said = diff(states[i], states[j], **days)
            assert said == _whole_diff(states[i], states[j], **days), (i, j, today_from)


def test_the_diff_of_one_cycle_is_the_whole_diff_placed_in_it() -> None:
    """Asked for one cycle, the diff works out that cycle (and the KPIs) alone: what it
    says is the whole diff's changes of that cycle, each item placed as it stood
    (of_cycle), for each cycle of the log and one it never had."""
    states = _states(_rich_log())
    last = len(states) - 1
    cycles = [*states[last].cycles, uuid4()]
    day_from, day_to = DAYS[1]

    for i, j in pairwise(range(0, last + 1, 3)):
        whole = _whole_diff(states[i], states[j], today_from=day_from, today_to=day_to)
        for cycle_id in cycles:
            said = diff(
                states[i], states[j], today_from=day_from, today_to=day_to, cycle_id=cycle_id
            )
            assert said == of_cycle(whole, cycle_id, states[j], states[i]), (i, j, cycle_id)


def test_states_folded_apart_give_the_same_diff() -> None:
    """A state decoded from a checkpoint shares nothing with one folded on from another:
    its items are equal, not the same objects, and the diff says the same of both."""
    log = _rich_log()
    states = _states(log)
    last = len(states) - 1

    for i in range(0, last, 7):
        apart = fold_all(log.records[:i])
        for today_from, today_to in DAYS[:3]:
            days: Days = {"today_from": today_from, "today_to": today_to}
            assert diff(apart, states[last], **days) == diff(states[i], states[last], **days)
            assert diff(apart, states[last], **days) == _whole_diff(apart, states[last], **days)


def test_a_key_result_of_another_cycle_than_its_objective_s_still_gets_the_whole_diff() -> None:
    """The domain never places a key result in another cycle than its objective, nor
    aligns an objective to one of another cycle; a state that did (mended by hand) is
    diffed as a whole, as before: keeping to the cycles that changed could leave a key
    result of a quiet cycle out of a changed one's tree."""
    states = _states(_rich_log())
    last = len(states) - 1
    rome, q1, *_ = states[last].cycles
    moved = {
        k: replace(kr, cycle_id=rome) if kr.cycle_id == q1 else kr
        for k, kr in states[last].key_results.items()
    }
    odd = [
        replace(s, key_results={k: moved.get(k, kr) for k, kr in s.key_results.items()})
        for s in states
    ]

    for i in range(0, last, 5):
        for today_from, today_to in DAYS:
            days: Days = {"today_from": today_from, "today_to": today_to}
            assert diff(odd[i], odd[last], **days) == _whole_diff(odd[i], odd[last], **days)

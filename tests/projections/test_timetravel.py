"""Transaction time (as_of) against valid time (valid_at), and diffs between two instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from projections.base import collect
from projections.history import history_projection, line_from_row
from projections.progress import KeyResultNode, ProgressTree, ProgressView, progress_tree
from projections.timetravel import Change, as_of, diff, progress_as_of, state_as_of
from tests.projections.builders import (
    Log,
    active_quarter,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
)

D = Decimal
LAST_WEEK = date(2027, 1, 14)
THIS_WEEK = date(2027, 1, 18)


def _kr(tree: ProgressTree) -> KeyResultNode:
    return tree.cycles[0].objectives[0].key_results[0]


def _late_check_in_log() -> Log:
    """10 on Jan 8, 30 on Jan 18 (this week); on Jan 19, a late 15 for Jan 14 (last week)."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    log.at(date(2027, 1, 8))
    check_in(log, cycle, kr, "10", date(2027, 1, 8))
    log.at(THIS_WEEK)
    check_in(log, cycle, kr, "30", THIS_WEEK)
    log.at(date(2027, 1, 19))
    check_in(log, cycle, kr, "15", LAST_WEEK, note="dimenticato")
    return log


def test_a_late_check_in_changes_last_weeks_value_not_this_weeks() -> None:
    """Valid time: a value recorded late for last week rewrites last week only."""
    log = _late_check_in_log()
    state = fold_all(log.records)
    today = date(2027, 1, 19)

    assert _kr(progress_tree_at(state, today)).value == D(30)
    assert _kr(progress_tree_at(state, today, valid_at=LAST_WEEK)).value == D(15)
    assert _kr(progress_tree_at(state, today, valid_at=date(2027, 1, 10))).value == D(10)


def test_as_of_before_the_late_check_in_shows_what_we_believed_then() -> None:
    """Transaction time: on Jan 18 evening we still believed last week's value was 10."""
    log = _late_check_in_log()
    believed_at = datetime(2027, 1, 18, 23, 0, tzinfo=UTC)

    then = progress_as_of(log.records, recorded_at=believed_at, today=THIS_WEEK, valid_at=LAST_WEEK)
    now = progress_as_of(log.records, today=THIS_WEEK, valid_at=LAST_WEEK)

    assert _kr(then).value == D(10)
    assert _kr(now).value == D(15)
    assert _kr(then).check_in_count == 1
    assert _kr(now).check_in_count == 2


def test_as_of_cuts_by_position_and_by_instant() -> None:
    """Both cuts give a prefix of the log; with both, the earlier one wins."""
    log = _late_check_in_log()
    records = log.records
    moment = records[5].recorded_at

    assert list(as_of(records, position=4)) == records[:4]
    assert list(as_of(records, recorded_at=moment)) == records[:6]
    assert list(as_of(records, position=3, recorded_at=moment)) == records[:3]
    assert list(as_of(records, position=0)) == []
    assert list(as_of(records)) == records


def test_state_as_of_equals_folding_the_prefix() -> None:
    """An as-of replay runs the same fold as the projector, so it gives the same state."""
    log = _late_check_in_log()

    assert state_as_of(log.records, position=5) == fold_all(log.records[:5])


def test_diff_between_two_instants_names_each_changed_field() -> None:
    """What changed since the last review must list titles, targets, values and status."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle, "Crescere")
    other = objective(log, cycle, "Fidelizzare")
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    log.at(date(2027, 1, 15))
    check_in(log, cycle, kr, "15", date(2027, 1, 15))
    review = len(log.records)
    log.at(date(2027, 2, 15))
    check_in(log, cycle, kr, "20", date(2027, 2, 15))
    kr.revise_target(cycle=cycle, target=80, reason="market shrank", author="carla")
    log.save(kr)
    goal.rename(title="Crescere bene", cycle=cycle, author="alice")
    goal.reparent(new_parent=other, new_parent_ancestors=[], cycle=cycle, author="alice")
    log.save(goal)

    changes = diff(
        state_as_of(log.records, position=review),
        fold_all(log.records),
        today_from=date(2027, 1, 15),
        today_to=date(2027, 2, 15),
    )

    by_field = {(c.item_kind, c.field): c for c in changes}
    assert by_field[("key_result", "target")] == Change(
        "key_result", kr.id, "Contratti", "target", "100", "80"
    )
    assert (by_field[("key_result", "value")].before, by_field[("key_result", "value")].after) == (
        "15",
        "20",
    )
    assert by_field[("key_result", "raw_progress")].after == "0.25"
    assert by_field[("key_result", "status")].before == "on_track"
    assert by_field[("key_result", "status")].after == "off_track"
    assert by_field[("objective", "title")].after == "Crescere bene"
    assert by_field[("objective", "parent_id")] == Change(
        "objective", goal.id, "Crescere bene", "parent_id", None, str(other.id)
    )


def test_diff_says_an_objective_s_description_changed_before_and_after() -> None:
    """A description rewritten between two reviews is a change the history tells of: the
    diff (API, portal, CLI) said nothing changed at all."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle, "Crescere", description="clienti nuovi")
    review = len(log.records)
    goal.describe(description="clienti nuovi e rinnovi", cycle=cycle, author="alice")
    log.save(goal)
    day = date(2027, 2, 1)

    changes = diff(
        state_as_of(log.records, position=review), fold_all(log.records),
        today_from=day, today_to=day,
    )  # fmt: skip

    assert changes == [
        Change("objective", goal.id, "Crescere", "description", "clienti nuovi",
               "clienti nuovi e rinnovi"),
    ]  # fmt: skip


def test_diff_reports_created_items_and_nothing_for_equal_states() -> None:
    """Items born between the instants show once, with what they weigh (an objective of
    nothing measurable has no progress, and counts in none); an unchanged tenant shows no
    change."""
    log = Log()
    cycle = active_quarter(log)
    start = len(log.records)
    objective(log, cycle, "Nuovo")
    state = fold_all(log.records)
    day = date(2027, 2, 1)

    changes = diff(state_as_of(log.records, position=start), state, today_from=day, today_to=day)

    assert [(c.item_kind, c.field, c.after) for c in changes] == [
        ("objective", "created", "Nuovo"), ("objective", "weight", "1"),
    ]  # fmt: skip
    assert diff(state, state, today_from=day, today_to=day) == []


def test_diff_says_an_item_born_between_the_instants_was_archived_too() -> None:
    """An objective made and archived between the instants: "created" alone read as if it
    were live at the end (the diff of that day listed it, nothing said it was archived)."""
    log = Log()
    cycle = active_quarter(log)
    start = len(log.records)
    gone = objective(log, cycle, "Provvisorio")
    gone.archive(reason="doppione", cycle=cycle, author="alice")
    log.save(gone)
    day = date(2027, 2, 1)

    changes = diff(
        state_as_of(log.records, position=start), fold_all(log.records), today_from=day,
        today_to=day,
    )  # fmt: skip

    assert [(c.field, c.before, c.after) for c in changes] == [
        ("created", None, "Provvisorio"), ("weight", None, "1"), ("archived", None, "true"),
    ]  # fmt: skip


def test_diff_says_what_became_of_an_item_made_between_the_instants() -> None:
    """A key result made and checked in, in a quarter made and activated between the
    instants: "created" alone said neither its value nor that the quarter runs, nor how
    far each of the three had come."""
    log = Log()
    start, day = len(log.records), date(2027, 2, 1)
    cycle = active_quarter(log)
    goal = objective(log, cycle, "Nuovo")
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    check_in(log, cycle, kr, "40", day)

    changes = diff(
        state_as_of(log.records, position=start), fold_all(log.records), today_from=day,
        today_to=day,
    )  # fmt: skip

    said = {(c.item_kind, c.field): (c.before, c.after) for c in changes}
    assert said[("cycle", "created")] == (None, "Q1 2027")
    assert said[("cycle", "state")] == (None, "active")
    assert said[("key_result", "created")] == (None, "Contratti")
    assert said[("key_result", "value")] == (None, "40")
    assert said[("key_result", "raw_progress")] == (None, "0.4")
    assert said[("key_result", "target")] == (None, "100")
    assert said[("key_result", "status")] == (None, "on_track")  # 40 % where 35 % is expected
    assert said[("objective", "created")] == (None, "Nuovo")
    assert said[("objective", "progress")] == said[("cycle", "progress")] == (None, "0.4")
    assert ("key_result", "score") not in said  # its cycle runs: unscored, as when made
    assert ("key_result", "counted_progress") not in said  # its progress says it


def _said(changes: list[Change], kind: str) -> dict[str, tuple[str | None, str | None]]:
    """The changes of the items of one kind, by field (one item of it in the test)."""
    return {c.field: (c.before, c.after) for c in changes if c.item_kind == kind}


def test_a_new_key_result_explains_its_objective_s_drop_as_the_glossary_works_it_out() -> None:
    """GLOSSARY's worked example, "efficienza operativa": response time 24 h → 19.2 h at
    21 h (0.625) and costs €1,200,000 → €1,080,000 at €1,140,000 (0.5) stood at 0.5625;
    a milestone added and checked in not done brought it to 0.375. The diff said the drop
    and "created" of the milestone, not what it weighs or stands at, so the drop could not
    be worked out from it. Now: Σ w·clamp(p) / Σ w with the milestone's weight and progress,
    as the diff says them, gives the objective's and the cycle's progress it says."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    response = key_result(log, cycle, goal, "Ridurre il tempo di risposta", start=24,
                          target_percent=-20)  # fmt: skip
    costs = key_result(log, cycle, goal, "Ridurre i costi operativi", start=1200000,
                       target_percent=-10)  # fmt: skip
    day = date(2027, 2, 15)
    log.at(day)
    check_in(log, cycle, response, "21", day)
    check_in(log, cycle, costs, "1140000", day)
    review = len(log.records)
    milestone = key_result(log, cycle, goal, "Nuovo sistema di ticketing", kind="milestone")
    check_in(log, cycle, milestone, 0, day)
    old = state_as_of(log.records, position=review)

    changes = diff(old, fold_all(log.records), today_from=day, today_to=day)

    added, objective_ = _said(changes, "key_result"), _said(changes, "objective")
    assert added["created"] == (None, "Nuovo sistema di ticketing")
    assert added["target"] == (None, "1") and added["value"] == (None, "0")
    assert added["raw_progress"] == (None, "0") and added["weight"] == (None, "1")
    assert added["status"] == (None, "off_track")  # half the quarter gone, nothing done
    assert objective_["progress"] == ("0.5625", "0.375")
    assert _said(changes, "cycle")["progress"] == ("0.5625", "0.375")
    before = progress_tree_at(old, day).cycles[0].objectives[0]
    weights = sum(kr.weight for kr in before.key_results)  # 2: what the objective was of
    weight, progress = (D(added[name][1] or "") for name in ("weight", "raw_progress"))
    worked = (D(objective_["progress"][0] or "") * weights + weight * progress) / (weights + weight)
    assert worked == D(objective_["progress"][1] or "") == (D("0.625") + 0 + D("0.5")) / 3


def test_a_new_objective_not_yet_measured_says_it_counts_zero_in_its_cycle() -> None:
    """A cycle at 60 % (renewals 70 % → 85 % at 79 %) fell to 30 % when an objective was
    added with a key result not yet checked in: both show progress "—", yet each counts 0
    in what it is rolled up into (GLOSSARY: an objective of nothing measurable has no
    progress; a key result without a check-in has not moved). The diff says so of each,
    with its weight, and the cycle's 30 % follows from them."""
    log = Log()
    cycle = active_quarter(log)
    kept = objective(log, cycle, "Fidelizzare")
    renewals = key_result(log, cycle, kept, "Rinnovi", "increase", start=70, target=85)
    day = date(2027, 2, 1)
    log.at(day)
    check_in(log, cycle, renewals, "79", day)
    review = len(log.records)
    grow = objective(log, cycle, "Crescere")
    key_result(log, cycle, grow, "Nuovi clienti", "increase", start=50, target=60)

    changes = diff(
        state_as_of(log.records, position=review), fold_all(log.records), today_from=day,
        today_to=day,
    )  # fmt: skip

    made = {(c.item_kind, c.field): (c.before, c.after) for c in changes if c.item_id != cycle.id}
    assert made == {
        ("objective", "created"): (None, "Crescere"), ("objective", "weight"): (None, "1"),
        ("objective", "counted_progress"): (None, "0"),
        ("key_result", "created"): (None, "Nuovi clienti"), ("key_result", "start"): (None, "50"),
        ("key_result", "target"): (None, "60"), ("key_result", "weight"): (None, "1"),
        ("key_result", "status"): (None, "not_started"),
        ("key_result", "counted_progress"): (None, "0"),
    }  # fmt: skip
    assert _said(changes, "cycle") == {"progress": ("0.6", "0.3")}  # (1·0.6 + 1·0) / 2


def test_an_archived_key_result_says_what_it_stood_at_where_it_still_counted() -> None:
    """Costs at 0.5 archived beside response time at 0.625: the objective rose from 0.5625
    to 0.625, and the diff said only "archived" of the one that left (its weight and
    progress unchanged, so unsaid). It says them as they stood, each unchanged (before and
    after alike); one not yet checked in says it counted 0 and counts nothing now."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    response = key_result(log, cycle, goal, "Tempo di risposta", start=24, target_percent=-20)
    costs = key_result(log, cycle, goal, "Costi", start=1200000, target_percent=-10)
    waiting = key_result(log, cycle, goal, "Ticketing", kind="milestone", weight=2)
    day = date(2027, 2, 15)
    log.at(day)
    check_in(log, cycle, response, "21", day)
    check_in(log, cycle, costs, "1140000", day)
    review = len(log.records)
    for retired in (costs, waiting):
        retired.archive(reason="fuori perimetro", cycle=cycle, author="alice")
        log.save(retired)

    changes = diff(
        state_as_of(log.records, position=review), fold_all(log.records), today_from=day,
        today_to=day,
    )  # fmt: skip

    said = {(c.title, c.field): (c.before, c.after) for c in changes}
    assert {field: said[("Costi", field)] for field in
            ("archived", "weight", "value", "raw_progress", "target")} == {
        "archived": ("false", "true"), "weight": ("1", "1"), "value": ("1140000", "1140000"),
        "raw_progress": ("0.5", "0.5"), "target": ("1080000", "1080000"),
    }  # fmt: skip
    assert said[("Ticketing", "weight")] == ("2", "2")
    assert said[("Ticketing", "counted_progress")] == ("0", None)
    assert ("Ticketing", "raw_progress") not in said  # none, before or after
    assert said[("Efficienza operativa", "progress")] == ("0.28125", "0.625")
    assert (D("0.625") + D("0.5") + 2 * 0) / 4 == D("0.28125")  # all three, as they stood


def test_an_archived_parent_s_child_moving_up_moves_its_cycle_s_progress_in_the_diff() -> None:
    """A cycle of one top objective with nothing measured of its own (no progress: "—"),
    with an objective aligned under it at 0.6 (renewals 70 % → 85 % at 79 %): archiving
    the parent moves the child to the top of the tree, and the cycle's progress goes from
    "—" to 60 %, as its tree as of each instant shows. The diff said only that the parent
    was archived: it weighed the cycle on its archived objective, not on those that count."""
    log = Log()
    cycle = active_quarter(log)
    parent = objective(log, cycle, "Crescere")
    child = objective(log, cycle, "Fidelizzare", parent=parent)
    renewals = key_result(log, cycle, child, "Rinnovi", "increase", start=70, target=85)
    day = date(2027, 2, 1)
    log.at(day)
    check_in(log, cycle, renewals, "79", day)
    review = len(log.records)
    parent.archive(reason="assorbito", cycle=cycle, author="alice")
    log.save(parent)
    before, after = state_as_of(log.records, position=review), fold_all(log.records)

    changes = diff(before, after, today_from=day, today_to=day)

    shown = [progress_tree(s, today=day).cycles[0].progress for s in (before, after)]
    assert shown == [None, D("0.6")]
    assert _said(changes, "cycle") == {"progress": (None, "0.6")}


def test_diff_says_what_changed_of_each_kpi() -> None:
    """KPIs were left out: a KPI made between the instants shows as made; one whose
    thresholds moved and whose value turned it red, handed to another owner and measured
    less often, says so, field by field."""
    log = Log()
    watched = kpi(log, "Risposta")
    watched.record_measurement(value=Decimal(95), on=date(2027, 2, 1), author="bob")
    log.save(watched)
    start = len(log.records)
    watched.change_thresholds(green=100, red=96, reason="più esigenti", author="alice")
    watched.change_owner(owner="dario", author="alice")
    watched.change_frequency(frequency_days=30, author="alice")
    log.save(watched)
    kpi(log, "Nuovo")
    day = date(2027, 2, 2)

    changes = diff(
        state_as_of(log.records, position=start), fold_all(log.records), today_from=day,
        today_to=day,
    )  # fmt: skip

    said = {(c.field, c.before, c.after) for c in changes if c.title == "Risposta"}
    assert said == {
        ("green", "90", "100"), ("red", "80", "96"), ("health", "green", "red"),
        ("owner", "alice", "dario"), ("frequency_days", "7", "30"),
    }  # fmt: skip
    assert ("kpi", "created", "Nuovo") in {(c.item_kind, c.field, c.after) for c in changes}


def test_diff_says_which_earlier_day_s_value_a_late_check_in_or_a_correction_revised() -> None:
    """A check-in recorded late for a day before the latest, or a correction of an older
    one, leaves both trees alike (the latest value stands): the diff said nothing of them.
    It names each such day, with the value in force for it as known at each instant (as a
    view valid_at that day reads it: before a late check-in, 10 carried from an earlier
    day). A correction of the latest value is the value's change; a check-in for a later
    day is not a revision."""
    log = Log()  # as _late_check_in_log
    cycle = active_quarter(log)
    kr = key_result(log, cycle, objective(log, cycle), "Contratti", "increase", start=0, target=100)
    log.at(date(2027, 1, 8))
    first = check_in(log, cycle, kr, "10", date(2027, 1, 8))
    log.at(THIS_WEEK)
    check_in(log, cycle, kr, "30", THIS_WEEK)
    since = len(log.records)
    log.at(date(2027, 1, 19))
    check_in(log, cycle, kr, "15", LAST_WEEK, note="dimenticato")
    kr.correct_check_in(check_in_id=first, value=12, reason="doppio", author="ada")
    log.save(kr)
    watched = kpi(log, "Risposta")
    watched.record_measurement(value=95, on=date(2027, 1, 10), author="bob")
    watched.record_measurement(value=91, on=date(2027, 1, 17), author="bob")
    log.save(watched)
    measured = len(log.records)
    watched.record_measurement(value=88, on=date(2027, 1, 12), author="bob")  # late
    watched.record_measurement(value=90, on=date(2027, 1, 19), author="bob")  # new
    log.save(watched)
    last = check_in(log, cycle, kr, "35", date(2027, 1, 19))  # new: the value's change
    day = date(2027, 1, 19)

    def revised(start: int, end: int | None = None) -> list[Change]:
        old, new = state_as_of(log.records, position=start), fold_all(log.records[:end])
        return [c for c in diff(old, new, today_from=day, today_to=day) if c.valid_on]

    assert revised(since, measured) == [
        Change("key_result", kr.id, "Contratti", "value", "10", "12", date(2027, 1, 8)),
        Change("key_result", kr.id, "Contratti", "value", "10", "15", LAST_WEEK),
    ]
    assert revised(measured) == [
        Change("kpi", watched.id, "Risposta", "value", "95", "88", date(2027, 1, 12)),
    ]
    latest = len(log.records)
    kr.correct_check_in(check_in_id=last, value=36, reason="refuso", author="ada")
    log.save(kr)
    assert revised(latest) == []
    assert [(c.field, c.before, c.after) for c in diff(
        state_as_of(log.records, position=latest), fold_all(log.records), today_from=day,
        today_to=day) if c.item_id == kr.id][:1] == [("value", "35", "36")]  # fmt: skip


def test_a_late_value_for_a_day_with_none_reads_alike_in_the_diff_and_the_history() -> None:
    """A check-in recorded late for a day that had no value of its own read "21.2 → 20.5"
    in the history and "— → 20.5" in the diff: the diff now says, as the history and the
    tree of that day do, that the day stood at 21.2 (carried from an earlier day) before."""
    log = Log()
    cycle = active_quarter(log)
    kr = key_result(log, cycle, objective(log, cycle), "Risposta", "decrease", start=24, target=19)
    log.at(date(2027, 1, 8))
    check_in(log, cycle, kr, "21.2", date(2027, 1, 8))
    log.at(THIS_WEEK)
    check_in(log, cycle, kr, "20", THIS_WEEK)
    since = len(log.records)
    log.at(date(2027, 1, 19))
    check_in(log, cycle, kr, "20.5", LAST_WEEK)
    old, new = state_as_of(log.records, position=since), fold_all(log.records)

    revised = [c for c in diff(old, new, today_from=THIS_WEEK, today_to=THIS_WEEK) if c.valid_on]
    _, rows = collect(history_projection, log.records)
    line = line_from_row(rows["rm_history"][-1])

    assert [(c.before, c.after) for c in revised] == [("21.2", "20.5")]
    assert (line.changes[0].before, line.changes[0].after) == ("21.2", "20.5")
    then = progress_tree(old, today=THIS_WEEK, valid_at=LAST_WEEK)
    assert _kr(then).value == D("21.2")


def test_a_late_value_for_a_day_after_the_latest_known_is_said_as_the_views_tell_it() -> None:
    """As of Jan 19, the latest value was of Jan 8 (10), and a view valid_at Jan 14 told
    10. A value recorded on Jan 20 for Jan 14 (15), then one for Jan 20 (30), moved that
    day's value to 15: the history says so and so does the view of that day, but the diff
    from Jan 19 said only the latest value's change, since Jan 14 came after the first
    state's latest. It says Jan 14's too; a value of a day after the first instant's day
    (Jan 20, 21) is new, not revised."""
    log = Log()
    cycle = active_quarter(log)
    kr = key_result(log, cycle, objective(log, cycle), "Contratti", "increase", start=0, target=100)
    log.at(date(2027, 1, 8))
    check_in(log, cycle, kr, "10", date(2027, 1, 8))
    since = len(log.records)
    log.at(date(2027, 1, 20))
    check_in(log, cycle, kr, "15", LAST_WEEK)
    check_in(log, cycle, kr, "25", date(2027, 1, 20))
    check_in(log, cycle, kr, "30", date(2027, 1, 21))
    old, new = state_as_of(log.records, position=since), fold_all(log.records)
    day_old = date(2027, 1, 19)

    said = [
        (c.valid_on, c.before, c.after)
        for c in diff(old, new, today_from=day_old, today_to=date(2027, 1, 21))
        if c.field == "value"
    ]

    assert said == [(None, "10", "30"), (LAST_WEEK, "10", "15")]
    then = progress_tree(old, today=day_old, valid_at=LAST_WEEK)
    now = progress_tree(new, today=day_old, valid_at=LAST_WEEK)
    assert (_kr(then).value, _kr(now).value) == (D(10), D(15))


def progress_tree_at(
    state: ProgressView, today: date, valid_at: date | None = None
) -> ProgressTree:
    """The progress tree on a day (valid_at optional)."""
    return progress_tree(state, today=today, valid_at=valid_at)

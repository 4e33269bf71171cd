"""The progress fold and its queries, on logs built by real domain commands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest

from domain.settings import SettingsChange
from projections import rollup
from projections.progress import (
    KeyResultNode,
    KeyResultRow,
    ObjectiveNode,
    ProgressTree,
    kpi_board,
    progress_projection,
    progress_tree,
    status_on,
)
from projections.progress_state import ProgressView
from tests.projections.builders import (
    Q1_START,
    Log,
    active_quarter,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
    seed_efficiency,
)

D = Decimal
MID_FEB = date(2027, 2, 15)

GLOSSARY = [
    # (title, kind, start, target or None, target %, value, raw, shown, over)
    ("response time", "decrease", "24", None, "-20", "21", D("0.625"), D("0.625"), D(0)),
    ("beaten", "decrease", "24", None, "-20", "18", D("1.25"), D(1), D("0.25")),
    ("worse", "decrease", "24", None, "-20", "26", D(-5) / D(12), D(0), D(0)),
    ("renewals", "increase", "70", "85", None, "79", D("0.6"), D("0.6"), D(0)),
    ("new clients", "increase", "50", None, "20", "55", D("0.5"), D("0.5"), D(0)),
    ("satisfaction", "increase", "4.1", "4.5", None, "4.3", D("0.5"), D("0.5"), D(0)),
    ("costs", "decrease", "1200000", None, "-10", "1140000", D("0.5"), D("0.5"), D(0)),
]


def _only_kr(tree: ProgressTree) -> KeyResultNode:
    (cycle,) = tree.cycles
    (goal,) = cycle.objectives
    (kr,) = goal.key_results
    return kr


def _objectives(tree: ProgressTree) -> dict[str, ObjectiveNode]:
    found: dict[str, ObjectiveNode] = {}

    def walk(nodes: list[ObjectiveNode]) -> None:
        for node in nodes:
            found[node.title] = node
            walk(node.children)

    for cycle in tree.cycles:
        walk(cycle.objectives)
    return found


@pytest.mark.parametrize(
    ("title", "kind", "start", "target", "percent", "value", "raw", "shown", "over"), GLOSSARY
)
def test_glossary_worked_examples_through_the_fold(
    title: str,
    kind: str,
    start: str,
    target: str | None,
    percent: str | None,
    value: str,
    raw: Decimal,
    shown: Decimal,
    over: Decimal,
) -> None:
    """The seed's numbers must come out of the read model exactly as the glossary states."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(
        log, cycle, goal, title, kind, start=D(start), target=target, target_percent=percent
    )
    check_in(log, cycle, kr, value, MID_FEB)

    node = _only_kr(progress_tree(fold_all(log.records), today=MID_FEB))

    assert (node.raw_progress, node.shown_progress, node.over_achievement) == (raw, shown, over)


def test_efficienza_operativa_rolls_up_to_0_375_with_the_milestone_not_done() -> None:
    """Objective progress is the weighted mean of clamped KR progress: 0.625, 0, 0.5 -> 0.375."""
    log = Log()
    seed_efficiency(log)

    tree = progress_tree(fold_all(log.records), today=MID_FEB)

    goal = _objectives(tree)["Efficienza operativa"]
    assert goal.progress == D("0.375")
    assert [kr.raw_progress for kr in goal.key_results] == [D("0.625"), D(0), D("0.5")]
    assert tree.cycles[0].progress == D("0.375")


def test_key_result_node_carries_pace_status_confidence_and_last_check_in() -> None:
    """A person needs the arithmetic's status next to the owner's confidence and note."""
    log = Log()
    seed_efficiency(log)

    response = _objectives(progress_tree(fold_all(log.records), today=MID_FEB))[
        "Efficienza operativa"
    ].key_results[0]

    assert response.expected_progress == D(45) / D(89)  # 45 of 89 days of Q1 elapsed
    assert response.status == "on_track"
    assert (response.confidence, response.note) == (7, "in linea")
    assert response.last_check_in_on == MID_FEB
    assert response.last_check_in_recorded_at == log.records[6].recorded_at
    assert response.last_check_in_source == "manual"


def test_a_correction_changes_the_effective_value_and_keeps_the_original() -> None:
    """Corrections restate a check-in; progress follows the corrected value, nothing is lost."""
    log = Log()
    _, _, response, *_ = seed_efficiency(log)
    first = next(iter(response.check_ins))
    response.correct_check_in(
        check_in_id=first, value=D("22.8"), reason="wrong export", author="eve"
    )
    log.save(response, actor="eve")

    state = fold_all(log.records)

    view = state.key_results[response.id]
    (corrected,) = [c for c in view.check_ins if c.check_in_id == first]
    assert (corrected.value, corrected.original_value, corrected.corrected) == (
        D("22.8"),
        D(21),
        True,
    )
    node = _objectives(progress_tree(state, today=MID_FEB))["Efficienza operativa"].key_results[0]
    assert node.value == D("22.8")
    assert node.raw_progress == D("0.25")


def test_a_target_revision_recomputes_progress_and_keeps_the_original_target() -> None:
    """Moving the goalposts must show: new progress, original target still visible."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85)
    check_in(log, cycle, kr, "79", MID_FEB)
    kr.revise_target(cycle=cycle, target=D(80), reason="market shrank", author="carla")
    log.save(kr, actor="carla")

    node = _only_kr(progress_tree(fold_all(log.records), today=MID_FEB))

    assert (node.target, node.original_target, node.target_revised) == (D(80), D(85), True)
    assert node.raw_progress == D("0.9")


def test_reparenting_moves_the_objective_in_the_tree() -> None:
    """Alignment has a history: after re-parenting, the tree nests the objective elsewhere."""
    log = Log()
    cycle = active_quarter(log)
    company = objective(log, cycle, "Crescere", level="company")
    other = objective(log, cycle, "Fidelizzare", level="company")
    team = objective(log, cycle, "Vendere di più", parent=company)
    before = progress_tree(fold_all(log.records), today=MID_FEB)
    team.reparent(new_parent=other, new_parent_ancestors=[], cycle=cycle, author="alice")
    log.save(team)

    after = progress_tree(fold_all(log.records), today=MID_FEB)

    assert [c.title for c in _objectives(before)["Crescere"].children] == ["Vendere di più"]
    assert _objectives(after)["Crescere"].children == []
    assert [c.title for c in _objectives(after)["Fidelizzare"].children] == ["Vendere di più"]


def test_roll_up_children_counts_aligned_objectives_by_weight() -> None:
    """A parent that rolls up its children blends their progress with its own key results."""
    log = Log()
    cycle = active_quarter(log)
    parent = objective(log, cycle, "Crescere", roll_up_children=True)
    own = key_result(log, cycle, parent, "Fatturato", "increase", start=0, target=100)
    child = objective(log, cycle, "Vendere", parent=parent, weight=3)
    sold = key_result(log, cycle, child, "Contratti", "increase", start=0, target=10)
    check_in(log, cycle, own, "100", MID_FEB)
    check_in(log, cycle, sold, "5", MID_FEB)

    goals = _objectives(progress_tree(fold_all(log.records), today=MID_FEB))

    assert goals["Vendere"].progress == D("0.5")
    assert goals["Crescere"].progress == (D(1) * 1 + D("0.5") * 3) / 4


def test_an_objective_with_nothing_measurable_has_no_progress() -> None:
    """Null, not 0: an empty objective must not drag its cycle down."""
    log = Log()
    cycle = active_quarter(log)
    objective(log, cycle, "Da definire")

    tree = progress_tree(fold_all(log.records), today=MID_FEB)

    assert _objectives(tree)["Da definire"].progress is None
    assert tree.cycles[0].progress is None


def test_kpi_fed_key_result_shows_kpi_check_ins_and_health() -> None:
    """A KR fed by a KPI must say where its value came from and how healthy the KPI is."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    availability = kpi(log, "Disponibilità servizio")
    kr = key_result(
        log, cycle, goal, "Disponibilità 95 %", "increase", start=80, target=95, kpi=availability
    )
    availability.record_measurement(value=D(85), on=MID_FEB, author="monitor", source="api")
    log.save(availability, actor="api-key-1")
    check_in(log, cycle, kr, "85", MID_FEB, source="kpi")

    state = fold_all(log.records)
    node = _only_kr(progress_tree(state, today=MID_FEB))
    (board,) = kpi_board(state, today=MID_FEB)

    assert (node.last_check_in_source, node.kpi_id, node.kpi_health) == (
        "kpi",
        availability.id,
        "amber",
    )
    assert node.raw_progress == D(5) / D(15)
    assert (board.value, board.health, board.stale, board.key_result_ids) == (
        D(85),
        "amber",
        False,
        [kr.id],
    )
    assert kpi_board(state, today=MID_FEB + timedelta(days=8))[0].stale


def test_closed_cycle_shows_scores_and_bands() -> None:
    """Once graded, every item carries its closing score, including a person's adjustment."""
    log = Log()
    cycle, goal, response, milestone, costs = seed_efficiency(log)
    krs = (response, milestone, costs)
    cycle.close(
        key_result_scores={kr.id: kr.score for kr in krs},
        objective_scores={goal.id: D("0.375")},
        closed_by="alice",
    )
    log.save(cycle)
    cycle.adjust_score(item_id=milestone.id, score=D("0.5"), reason="half shipped", author="alice")
    log.save(cycle)

    tree = progress_tree(fold_all(log.records), today=date(2027, 4, 2))

    (node,) = tree.cycles
    assert node.state == "closed"
    (goal_node,) = node.objectives
    assert (goal_node.score, goal_node.score_band) == (D("0.375"), "red")
    assert [(k.score, k.score_band) for k in goal_node.key_results] == [
        (D("0.625"), "amber"),
        (D("0.5"), "amber"),
        (D("0.5"), "amber"),
    ]
    assert node.score == D("0.375")


def test_staleness_follows_the_tenant_cadence() -> None:
    """A key result nobody checked in on for longer than the cadence needs a nudge."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85)
    check_in(log, cycle, kr, "75", date(2027, 2, 1))
    state = fold_all(log.records)

    def stale(today: date, cadence: int = 7) -> bool:
        return _only_kr(progress_tree(state, today=today, cadence_days=cadence)).stale

    assert not stale(date(2027, 2, 8))
    assert stale(date(2027, 2, 9))
    assert not stale(date(2027, 2, 9), cadence=14)


def test_a_key_result_added_mid_cycle_gets_a_cadence_before_it_is_stale() -> None:
    """Nagging about a key result created yesterday would teach people to ignore the flag."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    log.at(MID_FEB)
    key_result(log, cycle, goal, "Nuovo", "increase", start=0, target=10)
    state = fold_all(log.records)

    assert not _only_kr(progress_tree(state, today=date(2027, 2, 22))).stale
    assert _only_kr(progress_tree(state, today=date(2027, 2, 23))).stale


def test_the_day_a_key_result_or_kpi_was_made_is_the_tenant_s() -> None:
    """Made at 23:30 UTC on 14 February, 00:30 on the 15th in Rome: a tenant in Rome counts
    its check-ins and first measurement due from the 15th (it counted from the UTC day,
    so they were overdue a day early); a tenant that set no zone still counts in UTC."""

    def made_late(zone: str | None) -> ProgressView:
        log = Log()
        if zone is not None:
            settings = {
                "name": "Esempio", "colour": "#2563eb", "fiscal_year_start_month": 1,
                "check_in_cadence_days": 7, "locale": "it", "time_zone": zone,
            }  # fmt: skip
            log.save(SettingsChange.make(before=None, after=settings, author="giulia"))
        cycle = active_quarter(log)
        goal = objective(log, cycle)
        log.at(datetime(2027, 2, 14, 23, 28, tzinfo=UTC))
        key_result(log, cycle, goal, "Nuovo", "increase", start=0, target=10)
        kpi(log, frequency_days=7)
        return fold_all(log.records)

    rome, utc = made_late("Europe/Rome"), made_late(None)
    for state, first_late in ((rome, date(2027, 2, 23)), (utc, date(2027, 2, 22))):
        day_before = first_late - timedelta(days=1)
        assert not _only_kr(progress_tree(state, today=day_before)).stale
        assert _only_kr(progress_tree(state, today=first_late)).stale
        assert not kpi_board(state, today=day_before)[0].stale
        assert kpi_board(state, today=first_late)[0].stale


def test_archived_items_leave_the_tree_and_the_roll_up() -> None:
    """Retired key results must not count, yet stay visible on request."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kept = key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85)
    dropped = key_result(log, cycle, goal, "Vecchio", "increase", start=0, target=10)
    check_in(log, cycle, kept, "85", MID_FEB)
    dropped.archive(reason="no longer relevant", cycle=cycle, author="alice")
    log.save(dropped)
    state = fold_all(log.records)

    shown = _objectives(progress_tree(state, today=MID_FEB))["Efficienza operativa"]
    everything = progress_tree(state, today=MID_FEB, include_archived=True)

    assert [k.title for k in shown.key_results] == ["Rinnovi"]
    assert shown.progress == D(1)
    assert len(_objectives(everything)["Efficienza operativa"].key_results) == 2


def test_children_of_an_archived_objective_move_to_the_top() -> None:
    """Archiving a parent must not hide the live objectives aligned under it."""
    log = Log()
    cycle = active_quarter(log)
    parent = objective(log, cycle, "Vecchio")
    objective(log, cycle, "Figlio", parent=parent)
    parent.archive(reason="merged", cycle=cycle, author="alice")
    log.save(parent)

    tree = progress_tree(fold_all(log.records), today=MID_FEB)

    assert [o.title for o in tree.cycles[0].objectives] == ["Figlio"]


@pytest.mark.parametrize("due", [None, Q1_START])
@pytest.mark.parametrize("value", ["70", "72", "75", "79", "85", "60"])
def test_stored_status_dates_agree_with_the_tree_on_every_day(value: str, due: date | None) -> None:
    """SQL may count statuses from the row's dates: they must match the arithmetic each day,
    the days before the cycle starts too (a key result due on the cycle's first day was
    off track in its row before then, where nothing was expected of it yet)."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85, due_on=due)
    check_in(log, cycle, kr, value, date(2027, 1, 20) if due is None else Q1_START)
    state = fold_all(log.records)
    (raw,) = progress_projection.rows(state)["rm_key_results"]
    row = KeyResultRow(*raw)

    for offset in range(-5, 100):
        day = Q1_START + timedelta(days=offset)
        assert status_on(row, day) == _only_kr(progress_tree(state, today=day)).status, day


@pytest.mark.parametrize("value", ["72", "79", "85", "60"])
def test_a_closed_cycle_s_statuses_stay_as_they_were_at_its_close(value: str) -> None:
    """Closing grades and locks a cycle: after its close, the days going by move neither
    the expected progress nor the status (Rinnovi at 79 was on track when Q1 closed early
    on 20 February, and stays so in April), in the tree and in the row's stored dates."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85)
    check_in(log, cycle, kr, value, date(2027, 1, 20))
    closed_on = date(2027, 2, 20)
    cycle.close(key_result_scores={kr.id: kr.score}, objective_scores={}, closed_by="alice")
    log.at(closed_on).save(cycle)
    state = fold_all(log.records)
    (raw,) = progress_projection.rows(state)["rm_key_results"]
    row = KeyResultRow(*raw)

    at_close = _only_kr(progress_tree(state, today=closed_on))
    for offset in range(-5, 120):
        day = Q1_START + timedelta(days=offset)
        node = _only_kr(progress_tree(state, today=day))
        assert status_on(row, day) == node.status, day
        if day >= closed_on:
            assert (node.expected_progress, node.status) == (
                at_close.expected_progress, at_close.status
            ), day  # fmt: skip
    assert _only_kr(progress_tree(state, today=date(2027, 4, 30))).expected_progress < 1


def test_fold_ignores_events_it_does_not_know_but_moves_the_position() -> None:
    """A new event type must not break the projector; last activity still moves."""
    log = Log()
    active_quarter(log)
    unknown = msgspec.structs.replace(
        log.records[-1], position=3, topic="okr.Future", event=object()
    )

    state = progress_projection.fold(fold_all(log.records), unknown)[0]

    assert state.last_position == 3
    assert len(state.cycles) == 1


def test_an_objective_not_started_shows_no_progress_but_counts_as_zero_in_its_cycle() -> None:
    """Its key results not checked in yet: the objective shows "—" (None), as they do, and
    its cycle counts it 0 beside one at 62.5 %: 31.25 %, not 62.5 % (nothing dropped)."""
    log = Log()
    cycle = active_quarter(log)
    started, idle = objective(log, cycle, "Avviato"), objective(log, cycle, "Fermo")
    going = key_result(log, cycle, started, "Tempo", "decrease", start=24, target=D("19.2"))
    key_result(log, cycle, idle, "Contratti", "increase", start=0, target=10)
    check_in(log, cycle, going, "21", date(2027, 2, 1))
    parent = objective(log, cycle, "Insieme", roll_up_children=True)
    objective(log, cycle, "Sotto, fermo", parent=parent)  # no key result: nothing measurable

    (node,) = progress_tree(fold_all(log.records), today=MID_FEB).cycles
    by_title = {o.title: o for o in node.objectives}
    assert by_title["Avviato"].progress == D("0.625")
    assert by_title["Fermo"].progress is None
    assert by_title["Insieme"].progress is None
    assert node.progress == D("0.3125")


def test_status_dates_of_a_cycle_stored_from_year_one() -> None:
    """A window opening on the first day there is (stored before days were bounded) has no
    day before it: the status dates are worked out all the same, not an OverflowError."""
    base, at_risk, off_track = rollup.status_dates("increase", D("0.5"), date.min, date(2027, 1, 1))
    assert base == "on_track" and at_risk is not None and off_track is not None
    assert date.min < at_risk <= off_track


def test_a_guardrail_s_tally_counts_days_a_day_checked_in_again_once() -> None:
    """As the domain's score does: the tally the pages show is of days, each with its last
    value (a second check-in for a day replaces the first, as on the chart)."""
    from projections.progress_state import guardrail_tally

    log = Log()
    cycle = active_quarter(log)
    kr = key_result(log, cycle, objective(log, cycle), "Reclami", "stay_below", start=None,
                    target=5, target_percent=None, unit=None)  # fmt: skip
    for day, value in ((5, "6"), (12, "4"), (12, "7"), (19, "3")):
        check_in(log, cycle, kr, value, date(2027, 1, day))

    assert guardrail_tally(fold_all(log.records).key_results[kr.id]) == (1, 3) == kr.guardrail_tally

"""An archived objective restored, as the read models fold it: live again, with its key
results, in the tree, the roll-ups, the KPIs' tiles, the portfolio, the history, as of any
instant and in the diff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain import KPI, Cycle, KeyResult, Objective
from projections.base import collect
from projections.history import history_projection, line_from_row
from projections.history_text import render
from projections.portfolio import portfolio_row
from projections.progress import ProgressView, kpi_board, progress_tree
from projections.timetravel import diff, state_as_of
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
DAY = date(2027, 2, 15)


def _restored_log() -> tuple[Log, Cycle, Objective, KeyResult, KPI, int, int]:
    """Renewals at 0.6 and costs at 0.5, each its objective's, costs fed by a KPI; costs'
    objective archived, then restored. Also the positions after the archive and after the
    restore."""
    log = Log()
    cycle = active_quarter(log)
    kept, back = objective(log, cycle, "Fidelizzare"), objective(log, cycle, "Risparmiare")
    renewals = key_result(log, cycle, kept, "Rinnovi", "increase", start=70, target=85)
    meter = kpi(log, "Costi mensili", direction="lower_is_better", green=1100000, red=1200000)
    costs = key_result(log, cycle, back, "Costi", start=1200000, target_percent=-10, kpi=meter)
    log.at(DAY)
    check_in(log, cycle, renewals, "79", DAY)
    check_in(log, cycle, costs, "1140000", DAY)
    back.archive(reason="per errore", cycle=cycle, author="alice")
    log.save(back)
    archived = len(log.records)
    back.restore(reason="ancora una priorità", cycle=cycle, parent=None, author="carla")
    log.save(back, actor="carla")
    return log, cycle, back, costs, meter, archived, len(log.records)


def _key_results(state: ProgressView) -> list[str]:
    tree = progress_tree(state, today=DAY)
    return [k.title for c in tree.cycles for o in c.objectives for k in o.key_results]


def test_a_restored_objective_counts_again_with_its_key_results() -> None:
    """Archived, the objective and its key result left the tree, the cycle's progress, the
    KPI's tile and the portfolio; restored, they are back in each, as before the archive."""
    log, _, back, costs, meter, archived, _ = _restored_log()
    then, now = state_as_of(log.records, position=archived), fold_all(log.records)

    assert _key_results(then) == ["Rinnovi"]
    assert _key_results(now) == ["Rinnovi", "Costi"]
    assert not now.objectives[back.id].archived
    assert progress_tree(then, today=DAY).cycles[0].progress == D("0.6")
    assert progress_tree(now, today=DAY).cycles[0].progress == D("0.55")
    (tile,) = kpi_board(now, today=DAY)
    assert (tile.kpi_id, tile.key_result_ids) == (meter.id, [costs.id])
    assert portfolio_row(then, DAY).key_results == 1
    assert portfolio_row(now, DAY).key_results == 2


def test_a_restore_has_its_history_line_in_both_languages() -> None:
    """The restore said nothing in the history (an unknown event's line): it says who
    restored which objective and why, in English and Italian, archived true → false."""
    log, *_ = _restored_log()
    _, rows = collect(history_projection, log.records)

    line = line_from_row(rows["rm_history"][-1])

    assert line.template == "objective.restored"
    assert line.text == "objective 'Risparmiare' restored by carla: 'ancora una priorità'"
    assert render(line.template, line.params, "it") == (
        "obiettivo 'Risparmiare' ripristinato da carla: 'ancora una priorità'"
    )
    assert [(c.field, c.before, c.after) for c in line.changes] == [("archived", "true", "false")]
    assert line.reason == "ancora una priorità"


def test_the_diff_across_a_restore_says_what_came_back() -> None:
    """From the archive to the restore: the objective archived true → false, with what it
    counts for again (its weight and progress, unchanged), and the cycle's progress
    0.6 → 0.55."""
    log, _, _, _, _, archived, _ = _restored_log()

    changes = diff(
        state_as_of(log.records, position=archived), fold_all(log.records), today_from=DAY,
        today_to=DAY,
    )  # fmt: skip

    said = {(c.title, c.field): (c.before, c.after) for c in changes}
    assert said[("Risparmiare", "archived")] == ("true", "false")
    assert said[("Risparmiare", "weight")] == ("1", "1")
    assert said[("Risparmiare", "progress")] == ("0.5", "0.5")
    assert said[("Q1 2027", "progress")] == ("0.6", "0.55")

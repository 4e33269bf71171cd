"""Archived objectives and cycles still in planning, as the read models fold them."""

from __future__ import annotations

from datetime import date

from domain import Cycle
from projections.progress import KeyResultRow, kpi_board, progress_projection, progress_tree
from services.i18n import Locale
from services.portal.kpi_page import fed_key_results, feedable
from tests.projections.builders import (
    Q1_END,
    Q1_START,
    Log,
    active_quarter,
    fold_all,
    key_result,
    kpi,
    objective,
)


def test_a_kpi_is_not_listed_as_feeding_an_archived_objective_s_key_result() -> None:
    """Archiving the objective took its key result out of the tree, the progress and the
    portfolio, but its KPI tile still listed it in key_result_ids: it lists only the live
    one's."""
    log = Log()
    cycle = active_quarter(log)
    clients = kpi(log, "Clienti attivi")
    kept, retired = objective(log, cycle, "Crescere"), objective(log, cycle, "Ritirato")
    live = key_result(log, cycle, kept, "Clienti", "increase", start=80, target=95, kpi=clients)
    key_result(log, cycle, retired, "Vecchi", "increase", start=80, target=95, kpi=clients)
    retired.archive(reason="non più una priorità", cycle=cycle, author="alice")
    log.save(retired)

    state = fold_all(log.records)
    (board,) = kpi_board(state, today=date(2027, 2, 15))

    assert board.key_result_ids == [live.id]
    kpi_view = state.kpis[clients.id]
    assert [f.kr.key_result_id for f in fed_key_results(state, kpi_view)] == [live.id]
    other = kpi(log, "Clienti nuovi")  # the KPI page offers no retired one to feed either
    state = fold_all(log.records)
    offered = feedable(state, state.kpis[other.id], Locale("it"))
    assert [kr_id for kr_id, _ in offered] == [str(live.id)]


def test_a_key_result_of_a_cycle_still_in_planning_is_never_overdue() -> None:
    """Q1 2027 not yet activated on 15 February: its key result, never checked in, showed
    as overdue (stale in the tree, quiet_since on its row) though the cycle is not running.
    It is not; once the cycle is activated, it is counted from the start as any other."""
    log = Log()
    cycle = Cycle.create(name="Q1 2027", starts_on=Q1_START, ends_on=Q1_END)
    log.save(cycle)
    goal = objective(log, cycle)
    key_result(log, cycle, goal, "Rinnovi", "increase", start=70, target=85)
    day = date(2027, 2, 15)

    def overdue() -> tuple[bool, date | None]:
        state = fold_all(log.records)
        (node,) = [k for c in progress_tree(state, today=day).cycles for o in c.objectives
                   for k in o.key_results]  # fmt: skip
        (raw,) = progress_projection.rows(state)["rm_key_results"]
        return node.stale, KeyResultRow(*raw).quiet_since

    assert overdue() == (False, None)
    cycle.activate(author="alice")
    log.save(cycle)
    assert overdue() == (True, Q1_START)

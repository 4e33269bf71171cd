"""Archived objectives and cycles still in planning, as the read models fold them."""

from __future__ import annotations

from datetime import date

from projections.progress import kpi_board
from services.portal.i18n import Locale
from services.portal.kpi_page import fed_key_results, feedable
from tests.projections.builders import Log, active_quarter, fold_all, key_result, kpi, objective


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

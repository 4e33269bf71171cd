"""The per-tenant summary a consultancy scans across its clients."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain import Cycle
from projections.base import collect
from projections.portfolio import PortfolioFacts, portfolio_row
from projections.progress import progress_projection, progress_tree
from tests.projections.builders import (
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


def test_summary_counts_statuses_stale_key_results_and_unhealthy_kpis() -> None:
    """One line per client must say how far along it is and what needs attention today."""
    log = Log()
    cycle, goal, *_ = seed_efficiency(log)
    key_result(log, cycle, goal, "Mai aggiornato", "increase", start=0, target=10)
    done = key_result(log, cycle, goal, "Fatto", "increase", start=0, target=10)
    check_in(log, cycle, done, "10", MID_FEB)
    for name, value in (("Rosso", 70), ("Giallo", 85), ("Verde", 95)):
        meter = kpi(log, name)
        meter.record_measurement(value=D(value), on=MID_FEB, author="monitor")
        log.save(meter)
    kpi(log, "Mai misurato")  # neither green nor red: not green

    row = portfolio_row(fold_all(log.records), MID_FEB, cadence_days=7)

    assert (row.active_cycles, row.key_results) == (1, 5)
    assert (row.on_track, row.off_track, row.done, row.not_started) == (2, 1, 1, 1)
    assert row.stale_key_results == 0
    assert portfolio_row(fold_all(log.records), date(2027, 2, 23)).stale_key_results == 5
    assert (row.kpis, row.kpis_red, row.kpis_amber, row.kpis_unmeasured) == (4, 1, 1, 1)
    assert (row.kpis_stale, row.kpis_late) == (0, 0)  # the one never measured: made today
    later = portfolio_row(fold_all(log.records), MID_FEB + timedelta(days=8))
    assert (later.kpis_stale, later.kpis_late) == (4, 3)  # a week and a day: each overdue
    assert row.progress == (D("0.625") + 0 + D("0.5") + 0 + 1) / 5
    assert row.last_activity == log.records[-1].recorded_at


def test_a_milestone_done_is_never_overdue() -> None:
    """Done, there is nothing left to check in: it was counted a late check-in, on the
    dashboard beside "Done" and in the portfolio, once the cadence passed. One not done
    still is."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    done = key_result(log, cycle, goal, "Contratto firmato", "milestone", target=1)
    pending = key_result(log, cycle, goal, "Sito nuovo", "milestone", target=1)
    check_in(log, cycle, done, "1", MID_FEB)
    check_in(log, cycle, pending, "0", MID_FEB)
    state, later = fold_all(log.records), date(2027, 3, 15)

    tree = progress_tree(state, today=later, cadence_days=7)
    stale = {k.title: k.stale for k in tree.cycles[0].objectives[0].key_results}
    assert stale == {"Contratto firmato": False, "Sito nuovo": True}
    assert portfolio_row(state, later, cadence_days=7).stale_key_results == 1
    (table,) = [t for t in progress_projection.tables if t.name == "rm_key_results"]
    at = [c.name for c in table.columns].index("quiet_since")  # what the portfolio reads
    rows = progress_projection.rows(state)["rm_key_results"]
    assert sorted(str(row[at]) for row in rows) == ["2027-02-15", "None"]


def test_between_cycles_the_row_says_how_the_last_ended_and_what_comes_next() -> None:
    """The cycle closed last by its end, with its score, and the planned cycle that
    starts first; neither while there is none."""
    log = Log()
    assert portfolio_row(fold_all(log.records), MID_FEB).last_closed_cycle is None
    for name, first, score in (("Q1 2027", 1, "0.6"), ("Q4 2026", 10, "0.9")):
        start = date(2027 if first == 1 else 2026, first, 1)
        cycle = Cycle.create(name=name, starts_on=start, ends_on=start + timedelta(days=89))
        cycle.activate(author="alice")
        log.save(cycle)
        goal = objective(log, cycle, "Ordini")
        cycle.close(
            key_result_scores={}, objective_scores={goal.id: D(score)}, closed_by="alice"
        )  # fmt: skip
        log.save(cycle)
    for name, start in (("Q3 2027", date(2027, 7, 1)), ("Q2 2027", date(2027, 4, 1))):
        log.save(Cycle.create(name=name, starts_on=start, ends_on=start + timedelta(days=90)))

    row = portfolio_row(fold_all(log.records), MID_FEB)

    assert row.active_cycles == 0
    assert (row.last_closed_cycle, row.last_closed_score) == ("Q1 2027", D("0.6"))
    assert (row.next_cycle, row.next_cycle_starts_on) == ("Q2 2027", date(2027, 4, 1))


def test_statuses_move_with_the_day_while_facts_do_not() -> None:
    """Status depends on today; the stored facts row must not (it is written once per event)."""
    log = Log()
    seed_efficiency(log)
    state = fold_all(log.records)

    early = portfolio_row(state, date(2027, 1, 20))
    late = portfolio_row(state, date(2027, 3, 30))
    (facts,) = progress_projection.rows(state)["rm_portfolio"]

    assert early.on_track == 2 and late.on_track == 0
    assert early.progress == late.progress == PortfolioFacts(*facts).progress == D("0.375")


def test_a_tenant_without_events_has_an_empty_summary() -> None:
    """A new client appears in the portfolio with zeros and no progress, not an error."""
    state, _ = collect(progress_projection, [])

    row = portfolio_row(state, MID_FEB)

    assert (row.active_cycles, row.key_results, row.progress, row.last_activity) == (
        0,
        0,
        None,
        None,
    )


def test_closed_cycles_leave_the_active_summary() -> None:
    """Last quarter's key results must not count as today's work."""
    log = Log()
    cycle, *_ = seed_efficiency(log)
    cycle.close(key_result_scores={}, objective_scores={}, closed_by="alice")
    log.save(cycle)
    active_quarter(log, "Q1 bis")

    row = portfolio_row(fold_all(log.records), MID_FEB)

    assert (row.active_cycles, row.key_results, row.progress) == (1, 0, None)


def test_progress_is_none_until_something_of_the_active_cycles_is_measured() -> None:
    """Key results made, none checked in: the portfolio says "—" (it said 0 %, where each
    objective says "—"); once one is checked in, the others count 0."""
    log = Log()
    cycle = active_quarter(log)
    first, second = objective(log, cycle, "Uno"), objective(log, cycle, "Due")
    going = key_result(log, cycle, first, "Contratti", "increase", start=0, target=10)
    key_result(log, cycle, second, "Clienti", "increase", start=0, target=10)
    assert portfolio_row(fold_all(log.records), MID_FEB).progress is None
    (node,) = progress_tree(fold_all(log.records), today=MID_FEB).cycles
    assert node.progress is None  # the cycle too, as its objectives
    check_in(log, cycle, going, "5", date(2027, 2, 1))
    assert portfolio_row(fold_all(log.records), MID_FEB).progress == Decimal("0.25")


def test_an_archived_objective_s_key_results_are_not_counted() -> None:
    """An objective archived takes its key results out of the tree and of its cycle's
    progress; the summary still counted them (key results, statuses, overdue ones, check-
    ins), so a client's line said an off-track key result its dashboard shows nowhere."""
    log = Log()
    cycle = active_quarter(log)
    kept, dropped = objective(log, cycle, "Tenuto"), objective(log, cycle, "Lasciato")
    on_track = key_result(log, cycle, kept, "Rinnovi", "increase", start=0, target=10)
    behind = key_result(log, cycle, dropped, "Costi", "increase", start=0, target=10)
    check_in(log, cycle, on_track, "5", MID_FEB)
    check_in(log, cycle, behind, "0", MID_FEB)
    dropped.archive(reason="non serve più", cycle=cycle, author="alice")
    log.save(dropped)
    state = fold_all(log.records)

    row = portfolio_row(state, MID_FEB, cadence_days=7)

    shown = [
        k for c in progress_tree(state, today=MID_FEB).cycles for o in c.objectives
        for k in o.key_results
    ]  # fmt: skip
    assert (row.key_results, len(shown)) == (1, 1)
    assert (row.on_track, row.off_track) == (1, 0)
    assert portfolio_row(state, date(2027, 2, 23)).stale_key_results == 1
    assert row.progress == D("0.5")


def test_the_row_counts_the_unhealthy_kpis_with_no_recovery_okr() -> None:
    """A consultancy scanning its clients saw how many KPIs were not green, not whether
    anyone was working on them. The row counts those amber or red that feed no key result
    of an active cycle: a red one fed by one is being recovered, one fed by a key result of
    a cycle still in planning is not yet, a green one needs none; stored as the facts are."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    later = Cycle.create(name="Q2 2027", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    log.save(later)
    planned = objective(log, later, "Più avanti")
    for name, value, where in (
        ("Rosso seguito", 70, (cycle, goal)), ("Rosso pianificato", 70, (later, planned)),
        ("Giallo", 85, None), ("Verde", 95, None),
    ):  # fmt: skip
        meter = kpi(log, name)
        meter.record_measurement(value=D(value), on=MID_FEB, author="monitor")
        log.save(meter)
        if where is not None:
            key_result(log, *where, f"Recupero di {name}", "increase", start=0, target=100,
                       kpi=meter)  # fmt: skip
    state = fold_all(log.records)

    row = portfolio_row(state, MID_FEB)
    (facts,) = progress_projection.rows(state)["rm_portfolio"]

    assert (row.kpis_red, row.kpis_amber) == (2, 1)
    assert row.kpis_unrecovered == PortfolioFacts(*facts).kpis_unrecovered == 2

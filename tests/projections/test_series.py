"""Values over valid time for charts, and the expected-pace line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from projections.base import collect
from projections.series import (
    PacePoint,
    SeriesPoint,
    effective_points,
    expected_pace,
    pace_line,
    series_point,
    series_projection,
)
from tests.projections.builders import (
    Q1_END,
    Q1_START,
    Log,
    active_quarter,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
)

D = Decimal


def _points(log: Log) -> list[SeriesPoint]:
    _, rows = collect(series_projection, log.records)
    return [series_point(row) for row in rows.get("rm_series_points", [])]


def test_check_ins_and_corrections_become_points_by_valid_date() -> None:
    """A chart plots the value for each business date, corrected where it was corrected."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Contratti", "increase", start=0, target=100)
    first = check_in(log, cycle, kr, "10", date(2027, 1, 8))
    check_in(log, cycle, kr, "30", date(2027, 1, 22))
    check_in(log, cycle, kr, "15", date(2027, 1, 15))
    kr.correct_check_in(check_in_id=first, value=D(12), reason="typo", author="bob")
    log.save(kr)

    points = _points(log)
    chart = effective_points(points)

    last = points[-1]
    assert (last.valid_on, last.value, last.corrected) == (date(2027, 1, 8), D(12), True)
    assert [(p.valid_on, p.value) for p in chart] == [
        (date(2027, 1, 8), D(12)),
        (date(2027, 1, 15), D(15)),
        (date(2027, 1, 22), D(30)),
    ]
    as_known_before_correction = effective_points(points, position=points[-2].position)
    assert as_known_before_correction[0].value == D(10)


def test_kpi_measurements_are_points_of_the_kpi() -> None:
    """KPI charts come from the same table, told apart by item kind."""
    log = Log()
    meter = kpi(log)
    meter.record_measurement(value=D(91), on=date(2027, 1, 8), author="monitor", source="api")
    log.save(meter)

    (point,) = _points(log)

    assert (point.item_kind, point.item_id, point.value, point.source) == (
        "kpi",
        meter.id,
        D(91),
        "api",
    )


def test_pace_line_runs_from_start_at_cycle_start_to_target_at_due_date() -> None:
    """The dotted line on the chart: where the value should be if progress were linear."""
    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle)
    kr = key_result(log, cycle, goal, "Tempo di risposta", start=24, target_percent=-20)
    guard = key_result(log, cycle, goal, "Soddisfazione", "stay_above", target="4.5")
    state = fold_all(log.records)
    quarter = state.cycles[cycle.id]

    assert pace_line(state.key_results[kr.id], quarter) == (
        PacePoint(Q1_START, D(24)),
        PacePoint(Q1_END, D("19.2")),
    )
    assert pace_line(state.key_results[guard.id], quarter) == (
        PacePoint(Q1_START, D("4.5")),
        PacePoint(Q1_END, D("4.5")),
    )
    assert expected_pace(
        window_start=Q1_START, due_on=date(2027, 2, 28), start=D(0), target=D(1)
    ) == (PacePoint(Q1_START, D(0)), PacePoint(date(2027, 2, 28), D(1)))

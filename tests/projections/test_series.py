"""Values over valid time for charts, and the expected-pace line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import Cycle, KeyResult
from projections.base import collect
from projections.progress_state import check_in_at
from projections.series import (
    PacePoint,
    SeriesPoint,
    chart_values,
    expected_pace,
    key_result_series,
    kpi_series,
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


def _contracts(log: Log) -> tuple[Cycle, KeyResult, UUID]:
    """A key result 0 -> 100 checked in at 10 on 8 January (that check-in's id), 30 on the 22nd."""
    cycle = active_quarter(log)
    kr = key_result(log, cycle, objective(log, cycle), "Contratti", "increase", start=0, target=100)
    first = check_in(log, cycle, kr, "10", date(2027, 1, 8))
    check_in(log, cycle, kr, "30", date(2027, 1, 22))
    return cycle, kr, first


def test_check_ins_and_corrections_become_points_by_valid_date() -> None:
    """A chart plots the value for each business date, corrected where it was corrected."""
    log = Log()
    cycle, kr, first = _contracts(log)
    check_in(log, cycle, kr, "15", date(2027, 1, 15))
    kr.correct_check_in(check_in_id=first, value=D(12), reason="typo", author="bob")
    log.save(kr)

    points = _points(log)
    chart = chart_values(points)

    last = points[-1]
    assert (last.valid_on, last.value, last.corrected) == (date(2027, 1, 8), D(12), True)
    assert [(p.valid_on, p.value) for p in chart if not p.superseded] == [
        (date(2027, 1, 8), D(12)),
        (date(2027, 1, 15), D(15)),
        (date(2027, 1, 22), D(30)),
    ]
    as_known_before_correction = chart_values(points[:-1])
    assert as_known_before_correction[0].value == D(10)
    assert not as_known_before_correction[0].superseded


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


def test_a_chart_keeps_every_value_and_marks_the_superseded_ones() -> None:
    """By business date. Corrected twice: the first value and the first correction are
    superseded, the last correction and the untouched check-in are not; so is a check-in
    followed by another of the same day, even when the first is corrected after the second
    (progress takes the check-in recorded last, see check_in_at); the chart carries the key result's
    pace line and targets, original and revised, and a KPI's chart its thresholds. An item
    the state does not know has no chart."""
    log = Log()
    cycle, kr, first = _contracts(log)
    for value in (12, 11):
        kr.correct_check_in(check_in_id=first, value=D(value), reason="typo", author="bob")
        log.save(kr)
    kr.revise_target(cycle=cycle, target=D(120), reason="più contratti", author="anna")
    log.save(kr)
    meter = kpi(log)
    for value in (91, 93):  # twice on one day: the second gives the day its value
        meter.record_measurement(value=D(value), on=date(2027, 1, 8), author="m", source="api")
    log.save(meter)
    state, points = fold_all(log.records), _points(log)

    chart = key_result_series(state, kr.id, [p for p in points if p.item_id == kr.id])
    assert chart is not None
    assert [(p.value, p.corrected, p.superseded) for p in chart.values] == [
        (D(10), False, True), (D(12), True, True), (D(11), True, False), (D(30), False, False),
    ]  # fmt: skip
    assert (chart.target, chart.original_target, chart.position) == (
        D(120), D(100), log.records[-1].position,
    )  # fmt: skip
    assert chart.pace == pace_line(state.key_results[kr.id], state.cycles[cycle.id])
    gauge = kpi_series(state, meter.id, [p for p in points if p.item_id == meter.id])
    assert gauge is not None
    assert (gauge.direction, gauge.green, gauge.red) == (
        state.kpis[meter.id].direction, state.kpis[meter.id].green, state.kpis[meter.id].red,
    )  # fmt: skip
    assert [(p.value, p.superseded) for p in gauge.values] == [(D(91), True), (D(93), False)]
    assert key_result_series(state, meter.id, []) is None
    assert kpi_series(state, kr.id, []) is None


def test_a_chart_marks_current_the_value_progress_takes_for_each_date() -> None:
    """Two check-ins of one day, then a correction of the first: progress takes the second
    (recorded last), so the chart marks the first and its correction superseded; for every
    date, the one value not superseded is the one progress gives for it."""
    log = Log()
    cycle, kr, first = _contracts(log)
    second = check_in(log, cycle, kr, "20", date(2027, 1, 8))
    kr.correct_check_in(check_in_id=first, value=D(15), reason="ricontato", author="bob")
    log.save(kr)
    state = fold_all(log.records)
    chart = key_result_series(state, kr.id, [p for p in _points(log) if p.item_id == kr.id])
    assert chart is not None
    current = {p.valid_on: p for p in chart.values if not p.superseded}
    assert (current[date(2027, 1, 8)].point_id, current[date(2027, 1, 8)].value) == (second, D(20))
    for on, point in current.items():
        taken = check_in_at(state.key_results[kr.id], on)
        assert taken is not None and taken.value == point.value, on
    assert len(chart.values) - len(current) == 2  # the first check-in and its correction

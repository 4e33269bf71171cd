"""Key result and KPI values over valid time, for charts.

Every check-in and measurement appends a point; a correction appends a new point for the
same date (``corrected`` true) instead of changing the old one, so the table only grows; a
chart marks each value a later one superseded (:class:`ChartValue`), and :func:`pace_line`
gives the straight line a key result should follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec
from msgspec.structs import replace

from domain import KPI, KeyResult
from domain.values import KRKind
from projections.base import Recorded, RowsByTable, Table
from projections.choices import DirectionText, KindText
from projections.codec import NO_ROWS, StateCodec, one_table, row_of, table_of
from projections.progress_state import CycleView, KeyResultView, ProgressView

KEY_RESULT = "key_result"
KPI_KIND = "kpi"


class SeriesPoint(msgspec.Struct, frozen=True, gc=False):
    """rm_series_points: one value of a key result or KPI for a business date."""

    position: int
    item_kind: str
    item_id: UUID
    point_id: UUID
    """The check-in or measurement id; a correction repeats it."""
    valid_on: date
    value: Decimal
    corrected: bool
    source: str
    """manual, api or kpi as checked in; "correction" for a corrected value."""
    recorded_at: datetime


class SeriesView(msgspec.Struct, frozen=True, gc=False):
    """Valid date of every check-in and measurement per item (corrections do not carry it)."""

    dates: dict[UUID, dict[UUID, date]] = {}
    last_position: int = 0


class PacePoint(msgspec.Struct, frozen=True):
    """One end of the expected-pace line."""

    on: date
    value: Decimal


def series_fold(state: SeriesView, record: Recorded) -> tuple[SeriesView, RowsByTable]:
    """The next state and the point this event appends (if it is a value)."""
    e = record.event
    kind = type(e)
    if kind is KeyResult.CheckedIn:
        return _new_point(state, record, KEY_RESULT, e.check_in_id, e.source)
    if kind is KPI.Measured:
        return _new_point(state, record, KPI_KIND, e.measurement_id, e.source)
    if kind is KeyResult.CheckInCorrected:
        return _corrected(state, record, KEY_RESULT, e.check_in_id)
    if kind is KPI.MeasurementCorrected:
        return _corrected(state, record, KPI_KIND, e.measurement_id)
    return replace(state, last_position=record.position), NO_ROWS


def _new_point(
    state: SeriesView, record: Recorded, item_kind: str, point_id: UUID, source: str
) -> tuple[SeriesView, RowsByTable]:
    e = record.event
    dates = dict(state.dates)
    dates[record.stream_id] = {**dates.get(record.stream_id, {}), point_id: e.on}
    point = _point(record, item_kind, point_id, e.on, corrected=False, source=source)
    return SeriesView(dates, record.position), one_table("rm_series_points", row_of(point))


def _corrected(
    state: SeriesView, record: Recorded, item_kind: str, point_id: UUID
) -> tuple[SeriesView, RowsByTable]:
    on = state.dates.get(record.stream_id, {}).get(point_id)
    new = replace(state, last_position=record.position)
    if on is None:
        return new, NO_ROWS
    point = _point(record, item_kind, point_id, on, corrected=True, source="correction")
    return new, one_table("rm_series_points", row_of(point))


def _point(
    record: Recorded, item_kind: str, point_id: UUID, on: date, *, corrected: bool, source: str
) -> SeriesPoint:
    return SeriesPoint(
        position=record.position,
        item_kind=item_kind,
        item_id=record.stream_id,
        point_id=point_id,
        valid_on=on,
        value=record.event.value,
        corrected=corrected,
        source=source,
        recorded_at=record.recorded_at,
    )


def series_point(row: tuple[object, ...]) -> SeriesPoint:
    """A point back from a row of rm_series_points (the API reads rows, charts want points),
    its value in plain notation: asyncpg reads numeric 110000 back as 1.1E+5."""
    point = msgspec.convert(dict(zip(SeriesPoint.__struct_fields__, row, strict=True)), SeriesPoint)
    return msgspec.structs.replace(point, value=plain(point.value))


def plain(value: Decimal) -> Decimal:
    """The same number without a positive exponent (1.1E+5 is 110000): as written."""
    exponent = value.as_tuple().exponent
    return value.quantize(_ONE) if isinstance(exponent, int) and exponent > 0 else value


_ONE = Decimal(1)


def expected_pace(
    *, window_start: date, due_on: date, start: Decimal | None, target: Decimal
) -> tuple[PacePoint, PacePoint]:
    """The straight line from (window start, start) to (due date, target).

    Without a start (a guardrail given as a bare threshold) the line is flat at the target.
    """
    first = target if start is None else start
    return PacePoint(window_start, first), PacePoint(due_on, target)


def pace_line(kr: KeyResultView, cycle: CycleView) -> tuple[PacePoint, PacePoint]:
    """The expected-pace line of a key result: guardrails flat at their threshold."""
    start = None if KRKind(kr.kind).is_guardrail else kr.start
    return expected_pace(
        window_start=cycle.starts_on, due_on=kr.due_on, start=start, target=kr.target
    )


class ChartValue(SeriesPoint, frozen=True, gc=False):
    """A recorded value as a chart shows it: superseded once a later value was recorded for
    its date, a correction or another check-in (the chart keeps it, marked, as the history
    does)."""

    superseded: bool = False


class KeyResultSeries(msgspec.Struct, frozen=True):
    """A key result's chart: every value recorded, the expected-pace line (flat at the
    threshold for a guardrail), and the target, with the original one if it was revised."""

    key_result_id: UUID
    position: int
    """The tenant position the chart stands at."""
    kind: KindText
    target: Decimal
    original_target: Decimal
    pace: tuple[PacePoint, PacePoint]
    values: list[ChartValue]


class KPISeries(msgspec.Struct, frozen=True):
    """A KPI's chart: every measurement recorded, and the thresholds of its health."""

    kpi_id: UUID
    position: int
    direction: DirectionText
    green: Decimal
    red: Decimal
    values: list[ChartValue]


def chart_values(points: Iterable[SeriesPoint]) -> list[ChartValue]:
    """The points by business date (then log order), each marked superseded unless it is
    the value its date has, as progress takes it (see check_in_at): of the date's check-ins
    or measurements the one recorded last, at its latest correction."""
    ordered = sorted(points, key=lambda p: (p.valid_on, p.position))
    first: dict[UUID, int] = {}  # where each check-in or measurement was recorded
    last: dict[UUID, int] = {}  # its latest value: itself or its latest correction
    for p in ordered:  # a correction has its check-in's date: it comes after it here
        first.setdefault(p.point_id, p.position)
        last[p.point_id] = p.position
    current: dict[date, UUID] = {}
    for p in ordered:
        held = current.get(p.valid_on)
        if held is None or first[p.point_id] > first[held]:
            current[p.valid_on] = p.point_id
    return [
        ChartValue(
            **msgspec.structs.asdict(p),
            superseded=current[p.valid_on] != p.point_id or last[p.point_id] != p.position,
        )
        for p in ordered
    ]


def key_result_series(
    state: ProgressView, key_result_id: UUID, points: Iterable[SeriesPoint]
) -> KeyResultSeries | None:
    """The key result's chart as `state` knows it (None if it does not know the key result)."""
    kr = state.key_results.get(key_result_id)
    if kr is None:
        return None
    return KeyResultSeries(
        key_result_id=key_result_id, position=state.last_position, kind=kr.kind,
        target=kr.target, original_target=kr.original_target,
        pace=pace_line(kr, state.cycles[kr.cycle_id]), values=chart_values(points),
    )  # fmt: skip


def kpi_series(
    state: ProgressView, kpi_id: UUID, points: Iterable[SeriesPoint]
) -> KPISeries | None:
    """The KPI's chart as `state` knows it (None if it does not know the KPI)."""
    kpi = state.kpis.get(kpi_id)
    if kpi is None:
        return None
    return KPISeries(
        kpi_id=kpi_id, position=state.last_position, direction=kpi.direction,
        green=kpi.green, red=kpi.red, values=chart_values(points),
    )  # fmt: skip


TABLES: tuple[Table, ...] = (
    # a key result's or a KPI's points, in log order (its chart), by (item_id, position)
    table_of(
        "rm_series_points",
        SeriesPoint,
        key=("position",),
        kind="log",
        lookups=(("item_id", "position"),),
    ),
)


class SeriesProjection:
    """KR/KPI values over valid time: one log table, rm_series_points."""

    name: str = "series"
    version = 1
    tables: tuple[Table, ...] = TABLES

    def __init__(self) -> None:
        self._codec = StateCodec(SeriesView)

    def initial(self) -> SeriesView:
        return SeriesView()

    def fold(self, state: SeriesView, record: Recorded) -> tuple[SeriesView, RowsByTable]:
        return series_fold(state, record)

    def rows(self, state: SeriesView) -> RowsByTable:
        return NO_ROWS

    def encode_state(self, state: SeriesView) -> bytes:
        return self._codec.encode(state)

    def decode_state(self, data: bytes) -> SeriesView:
        return self._codec.decode(data)


series_projection = SeriesProjection()
"""The module-level Projection object the projector registers."""

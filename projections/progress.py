"""Current progress of a tenant: cycles, objectives, key results and KPIs as state tables.

The rows hold facts that do not depend on the day (latest values, raw progress, roll-ups,
closing scores). Status, pace and staleness depend on the day: the query functions
(:func:`progress_tree`, :func:`kpi_board`) compute them from a ``today`` they are given.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import msgspec

from domain import progress as maths
from projections import rollup
from projections.base import Recorded, RowsByTable, Table
from projections.codec import NO_ROWS, StateCodec, row_of, table_of
from projections.progress_fold import progress_fold
from projections.progress_state import (
    CycleView,
    KeyResultView,
    KPIView,
    ObjectiveView,
    ProgressView,
    guardrail_tally,
    kpi_health,
)
from projections.progress_tree import (
    CycleNode,
    KeyResultNode,
    KPINode,
    ObjectiveNode,
    ProgressTree,
    key_result_node,
    kpi_board,
    progress_tree,
)

__all__ = [
    "CycleNode",
    "CycleRow",
    "KPINode",
    "KPIRow",
    "KeyResultNode",
    "KeyResultRow",
    "ObjectiveNode",
    "ObjectiveRow",
    "ProgressProjection",
    "ProgressTree",
    "ProgressView",
    "key_result_node",
    "kpi_board",
    "progress_fold",
    "progress_projection",
    "progress_rows",
    "progress_tree",
    "status_on",
]


class CycleRow(msgspec.Struct, frozen=True):
    """rm_cycles: a cycle, its progress (top-level objectives) and closing score."""

    cycle_id: UUID
    name: str
    period: str
    starts_on: date
    ends_on: date
    state: str
    progress: Decimal | None
    score: Decimal | None
    closed_at: datetime | None
    closed_by: str | None


class ObjectiveRow(msgspec.Struct, frozen=True):
    """rm_objectives: an objective's facts, rolled-up progress and closing score."""

    objective_id: UUID
    cycle_id: UUID
    parent_id: UUID | None
    title: str
    description: str
    level: str
    owner: str
    committed: bool
    weight: Decimal
    roll_up_children: bool
    archived: bool
    progress: Decimal | None
    score: Decimal | None


class KeyResultRow(msgspec.Struct, frozen=True):
    """rm_key_results: a key result's current facts, latest check-in and raw progress."""

    key_result_id: UUID
    objective_id: UUID
    cycle_id: UUID
    title: str
    kind: str
    owner: str
    unit_kind: str
    currency: str | None
    unit_label: str | None
    start: Decimal | None
    target: Decimal
    original_target: Decimal
    target_relative_percent: Decimal | None
    target_revisions: int
    weight: Decimal
    due_on: date
    kpi_id: UUID | None
    archived: bool
    check_in_count: int
    latest_value: Decimal | None
    latest_on: date | None
    latest_recorded_at: datetime | None
    latest_confidence: int | None
    latest_note: str | None
    latest_source: str | None
    raw_progress: Decimal | None
    shown_progress: Decimal | None
    over_achievement: Decimal | None
    status_base: str
    """Status on the window start; with the two dates below, the status on any day."""
    at_risk_from: date | None
    """First day at risk or worse (date.min: from the start; None: never), value unchanged."""
    off_track_from: date | None
    """First day off track (date.min: from the start; None: never), value unchanged."""
    guardrail_met: int | None
    guardrail_total: int | None
    score: Decimal | None


class KPIRow(msgspec.Struct, frozen=True):
    """rm_kpis: a KPI, its latest measurement and health; stale when today > stale_after."""

    kpi_id: UUID
    name: str
    unit_kind: str
    currency: str | None
    unit_label: str | None
    direction: str
    green: Decimal
    red: Decimal
    frequency_days: int
    owner: str
    archived: bool
    measurement_count: int
    latest_value: Decimal | None
    latest_on: date | None
    latest_recorded_at: datetime | None
    health: str | None
    stale_after: date | None


def progress_rows(
    state: ProgressView,
) -> dict[str, list[CycleRow | ObjectiveRow | KeyResultRow | KPIRow]]:
    """Every state-table row of the tenant as typed Structs (see ProgressProjection.rows)."""
    krs = rollup.key_result_progress(state)
    objectives = rollup.objective_progress(state, krs)
    scores = {k: v for c in state.cycles.values() for k, v in c.key_result_scores.items()}
    obj_scores = {k: v for c in state.cycles.values() for k, v in c.objective_scores.items()}
    return {
        "rm_cycles": [_cycle_row(state, c, objectives) for c in state.cycles.values()],
        "rm_objectives": [
            _objective_row(o, objectives.get(o.objective_id), obj_scores.get(o.objective_id))
            for o in state.objectives.values()
        ],
        "rm_key_results": [
            _key_result_row(
                kr,
                krs.get(kr.key_result_id),
                scores.get(kr.key_result_id),
                state.cycles.get(kr.cycle_id),
            )
            for kr in state.key_results.values()
        ],
        "rm_kpis": [_kpi_row(kpi) for kpi in state.kpis.values()],
    }


def _cycle_row(
    state: ProgressView, cycle: CycleView, objectives: dict[UUID, Decimal | None]
) -> CycleRow:
    return CycleRow(
        cycle_id=cycle.cycle_id,
        name=cycle.name,
        period=cycle.period,
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
        state=cycle.state,
        progress=rollup.cycle_progress(state, cycle.cycle_id, objectives),
        score=rollup.cycle_score(state, cycle),
        closed_at=cycle.closed_at,
        closed_by=cycle.closed_by,
    )


def _objective_row(
    o: ObjectiveView, progress: Decimal | None, score: Decimal | None
) -> ObjectiveRow:
    return ObjectiveRow(
        objective_id=o.objective_id,
        cycle_id=o.cycle_id,
        parent_id=o.parent_id,
        title=o.title,
        description=o.description,
        level=o.level,
        owner=o.owner,
        committed=o.committed,
        weight=o.weight,
        roll_up_children=o.roll_up_children,
        archived=o.archived,
        progress=progress,
        score=score,
    )


def _key_result_row(
    kr: KeyResultView, raw: Decimal | None, score: Decimal | None, cycle: CycleView | None
) -> KeyResultRow:
    latest = kr.latest
    tally = guardrail_tally(kr)
    window_start = kr.due_on if cycle is None else cycle.starts_on
    base, at_risk, off_track = rollup.status_dates(kr.kind, raw, window_start, kr.due_on)
    return KeyResultRow(
        key_result_id=kr.key_result_id,
        objective_id=kr.objective_id,
        cycle_id=kr.cycle_id,
        title=kr.title,
        kind=kr.kind,
        owner=kr.owner,
        unit_kind=kr.unit_kind,
        currency=kr.currency,
        unit_label=kr.unit_label,
        start=kr.start,
        target=kr.target,
        original_target=kr.original_target,
        target_relative_percent=kr.target_relative_percent,
        target_revisions=kr.target_revisions,
        weight=kr.weight,
        due_on=kr.due_on,
        kpi_id=kr.kpi_id,
        archived=kr.archived,
        check_in_count=len(kr.check_ins),
        latest_value=None if latest is None else latest.value,
        latest_on=None if latest is None else latest.on,
        latest_recorded_at=None if latest is None else latest.recorded_at,
        latest_confidence=None if latest is None else latest.confidence,
        latest_note=None if latest is None else latest.note,
        latest_source=None if latest is None else latest.source,
        raw_progress=raw,
        shown_progress=None if raw is None else maths.shown_progress(raw),
        over_achievement=None if raw is None else maths.over_achievement(raw),
        status_base=base,
        at_risk_from=at_risk,
        off_track_from=off_track,
        guardrail_met=None if tally is None else tally[0],
        guardrail_total=None if tally is None else tally[1],
        score=score,
    )


def _kpi_row(kpi: KPIView) -> KPIRow:
    latest = kpi.latest
    return KPIRow(
        kpi_id=kpi.kpi_id,
        name=kpi.name,
        unit_kind=kpi.unit_kind,
        currency=kpi.currency,
        unit_label=kpi.unit_label,
        direction=kpi.direction,
        green=kpi.green,
        red=kpi.red,
        frequency_days=kpi.frequency_days,
        owner=kpi.owner,
        archived=kpi.archived,
        measurement_count=len(kpi.measurements),
        latest_value=None if latest is None else latest.value,
        latest_on=None if latest is None else latest.on,
        latest_recorded_at=None if latest is None else latest.recorded_at,
        health=kpi_health(kpi, latest),
        stale_after=None if latest is None else latest.on + timedelta(days=kpi.frequency_days),
    )


def status_on(row: KeyResultRow, day: date) -> str:
    """The status of a key result row on a day, from its stored dates (no arithmetic)."""
    if row.off_track_from is not None and day >= row.off_track_from:
        return "off_track"
    if row.at_risk_from is not None and day >= row.at_risk_from:
        return "at_risk"
    return row.status_base


TABLES: tuple[Table, ...] = (
    table_of("rm_cycles", CycleRow, key=("cycle_id",), kind="state"),
    table_of("rm_objectives", ObjectiveRow, key=("objective_id",), kind="state"),
    table_of("rm_key_results", KeyResultRow, key=("key_result_id",), kind="state"),
    table_of("rm_kpis", KPIRow, key=("kpi_id",), kind="state"),
)


class ProgressProjection:
    """The progress read model: state tables only, no log rows."""

    name: str = "progress"
    version = 1
    """Bump when the state or rows change shape: the projector then rebuilds."""
    tables: tuple[Table, ...] = TABLES

    def __init__(self) -> None:
        self._codec = StateCodec(ProgressView)

    def initial(self) -> ProgressView:
        return ProgressView()

    def fold(self, state: ProgressView, record: Recorded) -> tuple[ProgressView, RowsByTable]:
        return progress_fold(state, record), NO_ROWS

    def rows(self, state: ProgressView) -> RowsByTable:
        return {name: [row_of(r) for r in rows] for name, rows in progress_rows(state).items()}

    def encode_state(self, state: ProgressView) -> bytes:
        return self._codec.encode(state)

    def decode_state(self, data: bytes) -> ProgressView:
        return self._codec.decode(data)


progress_projection = ProgressProjection()
"""The module-level Projection object the projector registers."""

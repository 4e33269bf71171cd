"""Cycles, objectives, key results, KPIs: what a client sends, and an item as it stands.

Measured values are Decimal: send them as JSON strings ("19.2") or numbers (19.2); they are
read from the JSON text, never through a float. The domain validates every value and names
the field at fault.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.cycle import Cycle
from domain.key_result import CheckIn, KeyResult, TargetRevision
from domain.kpi import KPI, Measurement
from domain.objective import Objective
from projections.choices import (
    DirectionText,
    HealthOrNone,
    KindText,
    LevelText,
    PeriodText,
    SourceText,
    StateText,
)
from projections.progress_tree import ClosingScore
from services.api.schemas.common import Body, Out, Owner, UnitIn, UnitOut

Period = Literal["quarter", "year", "custom"]
Level = Literal["company", "team", "individual"]
KRKind = Literal["increase", "decrease", "stay_above", "stay_below", "milestone"]
Direction = Literal["higher_is_better", "lower_is_better"]


# -- requests ---------------------------------------------------------------------------------


class CycleIn(Body):
    """A new cycle, in planning until activated."""

    name: str
    starts_on: date
    ends_on: date
    period: Period | None = None
    """Unset: by its length (a quarter for 89 to 92 days, a year for 365 or 366, else custom)."""
    id: UUID | None = None


class CycleEdit(Body):
    """What to set right of a cycle, each field left out staying as it is (at least one
    of name, starts_on, ends_on, period: else 422 required naming name), with a reason if
    given (null: none), in one change: either refused, nothing is written.

    name: in any state (closed too: it stays listed), one no other cycle of the tenant has
    (else 409 duplicate_name naming name). starts_on, ends_on, period: while the cycle is
    in planning or active (closed: 409 cycle_closed naming the first given), checked as a
    new cycle's (ends_on before starts_on: 422 date_out_of_range); the period, left out,
    by the new length as when planned. Key results due on the cycle's end move to its new
    end; one due on a day someone chose that would fall outside it is 409
    key_results_due_outside naming starts_on or ends_on."""

    name: str | UnsetType = UNSET
    starts_on: date | UnsetType = UNSET
    ends_on: date | UnsetType = UNSET
    period: Annotated[
        Period | UnsetType,
        msgspec.Meta(description="Left out: by the new length, as a new cycle's."),
    ] = UNSET
    reason: str | None = None


class ScoreAdjustmentIn(Body):
    """Change a closing score (0..1) of a key result or objective, with a reason."""

    item_id: UUID
    score: Decimal
    reason: str


class ObjectiveIn(Body):
    """A new objective; owner defaults to the caller."""

    cycle_id: UUID
    title: str
    owner: Owner | None = None
    level: Level = "team"
    description: str = ""
    parent_id: UUID | None = None
    committed: bool = False
    weight: Decimal = Decimal(1)
    roll_up_children: bool = False
    id: UUID | None = None


class ObjectiveEdit(Body):
    """Fields to change (unchanged values record nothing); one left out stays as it is. Null
    clears the description (as ""); any other field always has a value: null for it is
    422 not_clearable naming it."""

    title: str | UnsetType = UNSET
    description: Annotated[
        str | UnsetType | None,
        msgspec.Meta(description='Null (or ""): the description taken away.'),
    ] = UNSET
    owner: Owner | UnsetType = UNSET
    weight: Decimal | UnsetType = UNSET
    committed: bool | UnsetType = UNSET
    roll_up_children: bool | UnsetType = UNSET


class ParentIn(Body):
    """Align under another objective of the same cycle (null: top level)."""

    parent_id: UUID | None


class ReasonIn(Body):
    """Why (archiving keeps the item in the history)."""

    reason: str


class KeyResultIn(Body):
    """A new key result: a target, or target_percent relative to the start (20, -20)."""

    objective_id: UUID
    title: str
    kind: KRKind
    owner: Owner | None = None
    start: Decimal | None = None
    target: Decimal | None = None
    target_percent: Decimal | None = None
    unit: UnitIn | None = None
    """Left out: a count, or, with `kpi_id`, the KPI's unit."""
    weight: Decimal = Decimal(1)
    due_on: date | None = None
    kpi_id: UUID | None = None
    """A KPI that feeds it from the start: what it measured for the cycle's days becomes
    its check-ins at once, and so does each measurement after. An increase of a KPI where
    lower is better, or a decrease where higher is, would aim to make it worse: 409
    `against_direction` naming it."""
    id: UUID | None = None


class KeyResultEdit(Body):
    """Fields to change (unchanged values record nothing); one left out stays as it is.
    Each always has a value (a key result is due on a day: its cycle's end unless set):
    null for one is 422 not_clearable naming it."""

    title: str | UnsetType = UNSET
    owner: Owner | UnsetType = UNSET
    weight: Decimal | UnsetType = UNSET
    due_on: date | UnsetType = UNSET


class TargetRevisionIn(Body):
    """A new target (absolute, or percent of the start), always with a reason."""

    reason: str
    target: Decimal | None = None
    target_percent: Decimal | None = None


class CheckInIn(Body):
    """A value for a business date, with the owner's confidence 0..10."""

    value: Decimal
    on: date | None = None
    """The business date (not given: today in the tenant's time zone)."""
    confidence: int | None = None
    note: str = ""
    id: UUID | None = None


class CorrectionIn(Body):
    """Restate a check-in with a reason; the original stays in the history."""

    value: Decimal
    reason: str
    confidence: int | None = None
    note: str | None = None


class KpiIn(Body):
    """A new KPI with its green and red thresholds."""

    name: str
    direction: Direction
    green: Decimal
    red: Decimal
    frequency_days: int = 7
    owner: Owner | None = None
    unit: UnitIn | None = None
    description: str = ""
    id: UUID | None = None


class KpiEditIn(Body):
    """Fields to change (unchanged values record nothing): its name, who owns it, every how
    many days it is to be measured; one left out stays as it is. Each always has a value:
    null for one is 422 not_clearable naming it."""

    name: str | UnsetType = UNSET
    owner: Owner | UnsetType = UNSET
    frequency_days: int | UnsetType = UNSET
    unit: UnitIn | UnsetType = UNSET
    """Never changes (its values were measured in it): another than its own is refused,
    422 unit_fixed naming unit; its own records nothing."""


class DirectionIn(Body):
    """Which way is better, turned (a KPI made the wrong way round), with green and red
    thresholds ordered for it and a reason."""

    direction: Direction
    green: Decimal
    red: Decimal
    reason: str


class ThresholdsIn(Body):
    """New thresholds, with a reason."""

    green: Decimal
    red: Decimal
    reason: str


class MeasurementIn(Body):
    """A KPI value for a date; linked key results get it as a check-in."""

    value: Decimal
    on: date | None = None
    """The business date (not given: today in the tenant's time zone)."""
    note: str = ""
    id: UUID | None = None


class MeasurementCorrectionIn(Body):
    """Correct a measurement (and the check-ins it fed), with a reason: its value, and its
    note if given (not given: it keeps its note; "": none)."""

    value: Decimal
    reason: str
    note: str | None = None


class KpiLinkIn(Body):
    """The key result the KPI should feed."""

    key_result_id: UUID


# -- items as they stand (from the log, with their stream version) ----------------------------


class CycleOut(Out):
    """A cycle; scores once closed."""

    id: UUID
    version: int
    name: str
    period: PeriodText
    starts_on: date
    ends_on: date
    state: StateText
    key_result_scores: dict[str, Decimal]
    objective_scores: dict[str, Decimal]

    @classmethod
    def of(cls, cycle: Cycle) -> CycleOut:
        return cls(
            id=cycle.id,
            version=cycle.version,
            name=cycle.name,
            period=cycle.period.value,
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            state=cycle.state.value,
            key_result_scores={str(k): v for k, v in cycle.key_result_scores.items()},
            objective_scores={str(k): v for k, v in cycle.objective_scores.items()},
        )


class ObjectiveOut(Out):
    """An objective."""

    id: UUID
    version: int
    cycle_id: UUID
    title: str
    description: str
    level: LevelText
    owner: str
    parent_id: UUID | None
    committed: bool
    weight: Decimal
    roll_up_children: bool
    archived: bool

    @classmethod
    def of(cls, objective: Objective) -> ObjectiveOut:
        return cls(
            id=objective.id,
            version=objective.version,
            cycle_id=objective.cycle_id,
            title=objective.title,
            description=objective.description,
            level=objective.level.value,
            owner=objective.owner,
            parent_id=objective.parent_id,
            committed=objective.committed,
            weight=objective.weight,
            roll_up_children=objective.roll_up_children,
            archived=objective.is_archived,
        )


class CheckInOut(Out):
    """A check-in as it stands after corrections (original_value as first recorded)."""

    id: UUID
    value: Decimal
    on: date
    confidence: int | None
    note: str
    author: str
    source: SourceText
    original_value: Decimal
    corrected: bool
    recorded_at: datetime

    @classmethod
    def of(cls, c: CheckIn) -> CheckInOut:
        return cls(
            id=c.check_in_id, value=c.value, on=c.on, confidence=c.confidence, note=c.note,
            author=c.author, source=c.source.value, original_value=c.original_value,
            corrected=c.corrected, recorded_at=c.recorded_at,
        )  # fmt: skip


class TargetRevisionOut(Out):
    """A revision of the target, with its reason."""

    target: Decimal
    target_relative_percent: Decimal | None
    reason: str
    author: str
    revised_at: datetime

    @classmethod
    def of(cls, r: TargetRevision) -> TargetRevisionOut:
        return cls(
            target=r.target, target_relative_percent=r.target_relative_percent,
            reason=r.reason, author=r.author, revised_at=r.revised_at,
        )  # fmt: skip


class KeyResultOut(Out):
    """A key result with its latest value and raw progress (p = (c - s) / (t - s)), and
    its closing score once its cycle is closed (which a later correction leaves as given)."""

    id: UUID
    version: int
    objective_id: UUID
    cycle_id: UUID
    title: str
    kind: KindText
    owner: str
    start: Decimal | None
    target: Decimal
    original_target: Decimal
    target_relative_percent: Decimal | None
    unit: UnitOut
    weight: Decimal
    due_on: date
    kpi_id: UUID | None
    archived: bool
    value: Decimal | None
    confidence: int | None
    progress: Decimal | None
    check_ins: int
    target_revisions: list[TargetRevisionOut]
    score: ClosingScore

    @classmethod
    def of(cls, kr: KeyResult, cycle: Cycle) -> KeyResultOut:
        """`kr` with its score in `cycle`, its own."""
        return cls(
            id=kr.id, version=kr.version, objective_id=kr.objective_id, cycle_id=kr.cycle_id,
            title=kr.title, kind=kr.kind.value, owner=kr.owner, start=kr.start,
            target=kr.target, original_target=kr.original_target,
            target_relative_percent=kr.target_relative_percent, unit=UnitOut.of(kr.unit),
            weight=kr.weight, due_on=kr.due_on, kpi_id=kr.kpi_id, archived=kr.is_archived,
            value=kr.current_value, confidence=kr.current_confidence, progress=kr.progress,
            check_ins=len(kr.check_ins),
            target_revisions=[TargetRevisionOut.of(r) for r in kr.target_revisions],
            score=cycle.key_result_scores.get(kr.id),
        )  # fmt: skip


class MeasurementOut(Out):
    """A KPI measurement as it stands after corrections."""

    id: UUID
    value: Decimal
    on: date
    author: str
    source: SourceText
    note: str
    original_value: Decimal
    corrected: bool
    recorded_at: datetime

    @classmethod
    def of(cls, m: Measurement) -> MeasurementOut:
        return cls(
            id=m.measurement_id, value=m.value, on=m.on, author=m.author, source=m.source.value,
            note=m.note, original_value=m.original_value, corrected=m.corrected,
            recorded_at=m.recorded_at,
        )  # fmt: skip


class KpiOut(Out):
    """A KPI with its latest value and health."""

    id: UUID
    version: int
    name: str
    description: str
    unit: UnitOut
    direction: DirectionText
    green: Decimal
    red: Decimal
    frequency_days: int
    owner: str
    archived: bool
    linked_key_results: list[UUID]
    """The key results it feeds: linked, neither archived nor of an archived objective."""
    value: Decimal | None
    on: date | None
    health: HealthOrNone

    @classmethod
    def of(cls, kpi: KPI, linked_key_results: list[UUID]) -> KpiOut:
        health = kpi.health
        return cls(
            id=kpi.id, version=kpi.version, name=kpi.name, description=kpi.description,
            unit=UnitOut.of(kpi.unit), direction=kpi.direction.value, green=kpi.green,
            red=kpi.red, frequency_days=kpi.frequency_days, owner=kpi.owner,
            archived=kpi.is_archived, linked_key_results=linked_key_results,
            value=kpi.latest_value, on=kpi.latest_on,
            health=None if health is None else health.value,
        )  # fmt: skip

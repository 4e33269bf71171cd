"""The progress state of one tenant: facts of cycles, objectives, key results and KPIs.

Plain facts only (what was recorded, after corrections): anything that depends on the day
(expected progress, status, staleness) is computed by the query functions. The structs are
frozen: the fold replaces what changed and shares the rest, so an older state never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from domain import progress
from domain.values import CycleState, KRKind
from projections.codec import StateCodec


class CheckInView(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One check-in as it stands now: value after corrections, the first value kept.

    Stored as an array (the most numerous struct): new fields go last, with a default.
    """

    check_in_id: UUID
    on: date
    value: Decimal
    original_value: Decimal
    confidence: int | None
    note: str
    author: str
    source: str
    recorded_at: datetime
    position: int
    corrected: bool = False


class KeyResultView(msgspec.Struct, frozen=True, gc=False):
    """A key result's current facts and every check-in in recording order."""

    key_result_id: UUID
    objective_id: UUID
    cycle_id: UUID
    title: str
    kind: str
    start: Decimal | None
    target: Decimal
    original_target: Decimal
    target_relative_percent: Decimal | None
    unit_kind: str
    currency: str | None
    unit_label: str | None
    weight: Decimal
    due_on: date
    owner: str
    kpi_id: UUID | None
    created_at: datetime
    archived: bool = False
    target_revisions: int = 0
    check_ins: tuple[CheckInView, ...] = ()
    latest: CheckInView | None = None
    """The check-in with the latest valid date (ties: recorded last)."""
    created_on: date | None = None
    """The tenant's day it was added on, in its time zone then (None: folded before days
    followed the zone: created_at's UTC day)."""


class ObjectiveView(msgspec.Struct, frozen=True, gc=False):
    """An objective's current facts."""

    objective_id: UUID
    cycle_id: UUID
    title: str
    description: str
    level: str
    owner: str
    parent_id: UUID | None
    committed: bool
    weight: Decimal
    roll_up_children: bool
    created_at: datetime
    archived: bool = False


class CycleView(msgspec.Struct, frozen=True, gc=False):
    """A cycle, and its (possibly adjusted) closing scores once closed."""

    cycle_id: UUID
    name: str
    period: str
    starts_on: date
    ends_on: date
    state: str = CycleState.PLANNING.value
    key_result_scores: dict[UUID, Decimal] = {}
    objective_scores: dict[UUID, Decimal] = {}
    closed_at: datetime | None = None
    closed_by: str | None = None
    closed_on: date | None = None
    """The tenant's day it closed on, in its time zone then (see KeyResultView.created_on)."""

    @property
    def is_closed(self) -> bool:
        """True once graded and locked."""
        return self.state == CycleState.CLOSED.value


class MeasurementView(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One KPI measurement as it stands now (stored as an array: new fields go last)."""

    measurement_id: UUID
    on: date
    value: Decimal
    original_value: Decimal
    author: str
    source: str
    note: str
    recorded_at: datetime
    position: int
    corrected: bool = False


class KPIView(msgspec.Struct, frozen=True, gc=False):
    """A KPI's definition and its measurements in recording order."""

    kpi_id: UUID
    name: str
    description: str
    unit_kind: str
    currency: str | None
    unit_label: str | None
    direction: str
    green: Decimal
    red: Decimal
    frequency_days: int
    owner: str
    archived: bool = False
    measurements: tuple[MeasurementView, ...] = ()
    latest: MeasurementView | None = None
    linked_key_results: tuple[UUID, ...] = ()
    """Key results this KPI says it feeds (its own record; key results also name their KPI)."""
    created_at: datetime | None = None
    """When it was made: its first measurement is due a frequency after (see kpi_due_after)."""
    created_on: date | None = None
    """The tenant's day it was made on (see KeyResultView.created_on)."""


class ProgressView(msgspec.Struct, frozen=True, gc=False):
    """Everything the progress read model knows of one tenant."""

    cycles: dict[UUID, CycleView] = {}
    objectives: dict[UUID, ObjectiveView] = {}
    key_results: dict[UUID, KeyResultView] = {}
    kpis: dict[UUID, KPIView] = {}
    last_position: int = 0
    last_activity: datetime | None = None
    """recorded_at of the tenant's latest change of its OKRs or KPIs (see progress_fold)."""
    cadence_days: int | None = None
    """The check-in cadence the tenant's latest change of settings set (None: its log has
    none, see cadence_of)."""
    time_zone: str = "UTC"
    """The time zone the tenant's latest change of settings set (UTC: its log set none): its
    days of the changes folded after (an item's day made, a cycle's day closed)."""

    def has_item(self, item_id: UUID) -> bool:
        """Whether a cycle, objective, key result or KPI has this id."""
        return any(item_id in items for items in (
            self.cycles, self.objectives, self.key_results, self.kpis))  # fmt: skip


PROGRESS_CODEC = StateCodec(ProgressView)
"""The progress state's bytes, for progress and for history (its state is the progress
state): one codec, so a checkpoint of both at the same position encodes the state once."""


def cadence_of(state: ProgressView, otherwise: int) -> int:
    """The check-in cadence a view of this state is shown with: the one its log had set by
    then, else `otherwise` (the directory's, for a log with no change of settings)."""
    return otherwise if state.cadence_days is None else state.cadence_days


def check_in_at(kr: KeyResultView, valid_at: date | None = None) -> CheckInView | None:
    """The check-in that gives the value on ``valid_at`` (latest valid date <= it), or now."""
    if valid_at is None:
        return kr.latest
    best: CheckInView | None = None
    for check_in in kr.check_ins:
        if check_in.on <= valid_at and (
            best is None or (check_in.on, check_in.position) > (best.on, best.position)
        ):
            best = check_in
    return best


def measurement_at(kpi: KPIView, valid_at: date | None = None) -> MeasurementView | None:
    """The measurement that gives the KPI's value on ``valid_at`` (or now)."""
    if valid_at is None:
        return kpi.latest
    best: MeasurementView | None = None
    for item in kpi.measurements:
        if item.on <= valid_at and (
            best is None or (item.on, item.position) > (best.on, best.position)
        ):
            best = item
    return best


Dated = TypeVar("Dated", bound=CheckInView | MeasurementView)


def latest_per_day(dated: Iterable[Dated]) -> dict[date, Dated]:
    """The check-in or measurement recorded last for each business day, in day order: the
    day's value, as the maths, the charts and the diff read it."""
    return {d.on: d for d in sorted(dated, key=lambda d: (d.on, d.position))}


def raw_progress(kr: KeyResultView, check_in: CheckInView | None) -> Decimal | None:
    """Raw progress of a key result at the value of ``check_in`` (domain arithmetic)."""
    value = None if check_in is None else check_in.value
    return progress.raw_progress(kr.kind, kr.start, kr.target, value)


def guardrail_tally(kr: KeyResultView) -> tuple[int, int] | None:
    """Guardrails: (business days whose value met the current target, days checked in),
    on corrected values; a day's value is the last recorded for it (KeyResult's tally)."""
    if not KRKind(kr.kind).is_guardrail:
        return None
    days = latest_per_day(kr.check_ins).values()
    return sum(progress.is_met(kr.kind, kr.target, c.value) for c in days), len(days)


def kpi_health(kpi: KPIView, measurement: MeasurementView | None) -> str | None:
    """Health band of a KPI at a measurement (None without one)."""
    if measurement is None:
        return None
    return progress.kpi_health(kpi.direction, kpi.green, kpi.red, measurement.value).value


def day_of(moment: datetime, time_zone: str) -> date:
    """The tenant's day an instant falls on, in its time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).date()  # (zoneinfo keeps each zone made)


def kpi_stale(kpi: KPIView, measurement: MeasurementView | None, today: date) -> bool:
    """Overdue: no measurement dated within ``frequency_days`` before ``today``, nor made
    within them, for one never measured."""
    due_after = kpi_due_after(kpi, measurement)
    return due_after is None or today > due_after


def kpi_due_after(kpi: KPIView, measurement: MeasurementView | None) -> date | None:
    """The last day a KPI is not overdue on: a frequency after its measurement's day, or
    after the day it was made, before its first (None: not known, a state folded before
    KPIs kept that day: overdue)."""
    if measurement is not None:
        return measurement.on + timedelta(days=kpi.frequency_days)
    if kpi.created_on is not None:
        return kpi.created_on + timedelta(days=kpi.frequency_days)
    if kpi.created_at is None:
        return None
    return kpi.created_at.date() + timedelta(days=kpi.frequency_days)


def overdue(since: date, every: int, today: date) -> bool:
    """Whether more than `every` days went by from `since` to `today`."""
    return (today - since).days > every


def kr_stale(
    kr: KeyResultView,
    cycle: CycleView | None,
    check_in: CheckInView | None,
    today: date,
    cadence_days: int,
) -> bool:
    """No check-in dated within ``cadence_days`` before ``today`` while the cycle runs.

    Without a check-in yet, counted from the cycle start or the day the key result was
    added, whichever is later; archived key results, done milestones and cycles planned or
    closed are never stale.
    """
    if cycle is None or cycle.is_closed:
        return False
    since = quiet_since(kr, cycle, check_in)
    return since is not None and overdue(since, cadence_days, today)


def quiet_since(
    kr: KeyResultView, cycle: CycleView | None, check_in: CheckInView | None
) -> date | None:
    """The day a key result's check-ins are counted overdue from: the check-in's, else the
    later of its cycle's start and the day it was added. None: it is never overdue,
    archived, a milestone done (there is nothing left to check in), or of a cycle still
    in planning (not running yet, whatever its start date says)."""
    if kr.archived or (cycle is not None and cycle.state == CycleState.PLANNING.value):
        return None
    if check_in is not None:
        if kr.kind == KRKind.MILESTONE and check_in.value >= 1:
            return None
        return check_in.on
    added = kr.created_on or kr.created_at.date()
    return added if cycle is None else max(cycle.starts_on, added)

"""The progress fold: one recorded event in, the tenant's next ProgressView out.

Each handler replaces only what the event changed and shares the rest (copy on write), so
a state handed to the fold is never modified: diffing two states of one replay is safe.
Events of kinds it does not know only move the tenant's position and last activity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from msgspec.structs import replace

from domain import KPI, Cycle, KeyResult, Objective
from domain.access import AccessChange
from domain.settings import CADENCE, TIME_ZONE, SettingsChange
from domain.values import CycleState
from projections.base import Recorded
from projections.progress_state import (
    CheckInView,
    CycleView,
    KeyResultView,
    KPIView,
    MeasurementView,
    ObjectiveView,
    ProgressView,
    day_of,
)

Handler = Callable[[ProgressView, Any, Recorded], ProgressView]


def progress_fold(state: ProgressView, record: Recorded) -> ProgressView:
    """The tenant's progress after one more event of its log. Its last activity is its
    OKRs' and KPIs': a change of settings or of who may reach it is not (a consultancy's new
    admin, recorded in every client, made them all look active at once)."""
    kind = type(record.event)
    handler = _HANDLERS.get(kind)
    if handler is not None:
        state = handler(state, record.event, record)
    if kind in _NOT_ACTIVITY:
        return replace(state, last_position=record.position)
    return replace(state, last_position=record.position, last_activity=record.recorded_at)


def _put(mapping: dict[UUID, Any], key: UUID, value: Any) -> dict[UUID, Any]:
    new = dict(mapping)
    new[key] = value
    return new


# Cycles


def _cycle_created(state: ProgressView, e: Cycle.Created, r: Recorded) -> ProgressView:
    cycle = CycleView(e.originator_id, e.name, e.period, e.starts_on, e.ends_on)
    return replace(state, cycles=_put(state.cycles, cycle.cycle_id, cycle))


def _cycle(view: ProgressView, cycle_id: UUID, **changes: Any) -> ProgressView:
    cycle = view.cycles.get(cycle_id)
    if cycle is None:
        return view
    return replace(view, cycles=_put(view.cycles, cycle_id, replace(cycle, **changes)))


def _cycle_renamed(state: ProgressView, e: Cycle.Renamed, r: Recorded) -> ProgressView:
    return _cycle(state, e.originator_id, name=e.name)


def _cycle_rescheduled(state: ProgressView, e: Cycle.Rescheduled, r: Recorded) -> ProgressView:
    return _cycle(state, e.originator_id, starts_on=e.starts_on, ends_on=e.ends_on, period=e.period)


def _cycle_discarded(state: ProgressView, e: Cycle.Discarded, r: Recorded) -> ProgressView:
    """The cycle leaves the state, and its items with it (archived ones only: the domain
    discards no cycle with a live objective), so no list, tree, row or roll-up has it."""
    gone = e.originator_id
    if gone not in state.cycles:
        return state
    return replace(
        state,
        cycles={k: v for k, v in state.cycles.items() if k != gone},
        objectives={k: v for k, v in state.objectives.items() if v.cycle_id != gone},
        key_results={k: v for k, v in state.key_results.items() if v.cycle_id != gone},
    )


def _cycle_activated(state: ProgressView, e: Cycle.Activated, r: Recorded) -> ProgressView:
    return _cycle(state, e.originator_id, state=CycleState.ACTIVE.value)


def _cycle_closed(state: ProgressView, e: Cycle.Closed, r: Recorded) -> ProgressView:
    return _cycle(
        state,
        e.originator_id,
        state=CycleState.CLOSED.value,
        key_result_scores={UUID(k): v for k, v in e.key_result_scores.items()},
        objective_scores={UUID(k): v for k, v in e.objective_scores.items()},
        closed_at=r.recorded_at,
        closed_by=e.closed_by,
        closed_on=day_of(r.recorded_at, state.time_zone),
    )


def _score_adjusted(state: ProgressView, e: Cycle.ScoreAdjusted, r: Recorded) -> ProgressView:
    cycle = state.cycles.get(e.originator_id)
    if cycle is None:
        return state
    if e.item_id in cycle.key_result_scores:
        scores = _put(cycle.key_result_scores, e.item_id, e.score)
        return _cycle(state, cycle.cycle_id, key_result_scores=scores)
    scores = _put(cycle.objective_scores, e.item_id, e.score)
    return _cycle(state, cycle.cycle_id, objective_scores=scores)


# Objectives


def _objective_created(state: ProgressView, e: Objective.Created, r: Recorded) -> ProgressView:
    objective = ObjectiveView(
        objective_id=e.originator_id,
        cycle_id=e.cycle_id,
        title=e.title,
        description=e.description,
        level=e.level,
        owner=e.owner,
        parent_id=e.parent_id,
        committed=e.committed,
        weight=e.weight,
        roll_up_children=e.roll_up_children,
        created_at=r.recorded_at,
    )
    return replace(state, objectives=_put(state.objectives, e.originator_id, objective))


def _objective(field: str, read: Callable[[Any], Any] | None = None) -> Handler:
    """A handler that sets one field of the objective (by default the event's same attribute)."""

    def handle(state: ProgressView, e: Any, r: Recorded) -> ProgressView:
        objective = state.objectives.get(e.originator_id)
        if objective is None:
            return state
        value = getattr(e, field) if read is None else read(e)
        new = replace(objective, **{field: value})
        return replace(state, objectives=_put(state.objectives, e.originator_id, new))

    return handle


def _archived(e: Any) -> bool:
    return True


def _restored(e: Any) -> bool:
    return False


# Key results


def _kr_created(state: ProgressView, e: KeyResult.Created, r: Recorded) -> ProgressView:
    kr = KeyResultView(
        key_result_id=e.originator_id,
        objective_id=e.objective_id,
        cycle_id=e.cycle_id,
        title=e.title,
        kind=e.kind,
        start=e.start,
        target=e.target,
        original_target=e.target,
        target_relative_percent=e.target_relative_percent,
        unit_kind=e.unit_kind,
        currency=e.currency,
        unit_label=e.unit_label,
        weight=e.weight,
        due_on=e.due_on,
        owner=e.owner,
        kpi_id=e.kpi_id,
        created_at=r.recorded_at,
        created_on=day_of(r.recorded_at, state.time_zone),
    )
    return replace(state, key_results=_put(state.key_results, e.originator_id, kr))


def _kr(state: ProgressView, kr_id: UUID, **changes: Any) -> ProgressView:
    kr = state.key_results.get(kr_id)
    if kr is None:
        return state
    return replace(state, key_results=_put(state.key_results, kr_id, replace(kr, **changes)))


def _checked_in(state: ProgressView, e: KeyResult.CheckedIn, r: Recorded) -> ProgressView:
    kr = state.key_results.get(e.originator_id)
    if kr is None:
        return state
    check_in = CheckInView(
        check_in_id=e.check_in_id,
        on=e.on,
        value=e.value,
        original_value=e.value,
        confidence=e.confidence,
        note=e.note,
        author=e.author,
        source=getattr(e, "source", "manual"),
        recorded_at=r.recorded_at,
        position=r.position,
    )
    latest = kr.latest
    if latest is None or (check_in.on, check_in.position) >= (latest.on, latest.position):
        latest = check_in
    return _kr(state, kr.key_result_id, check_ins=(*kr.check_ins, check_in), latest=latest)


def _check_in_corrected(
    state: ProgressView, e: KeyResult.CheckInCorrected, r: Recorded
) -> ProgressView:
    kr = state.key_results.get(e.originator_id)
    if kr is None:
        return state
    check_ins = list(kr.check_ins)
    for index, old in enumerate(check_ins):
        if old.check_in_id == e.check_in_id:
            new = replace(old, value=e.value, confidence=e.confidence, note=e.note, corrected=True)
            check_ins[index] = new
            was_latest = kr.latest is not None and kr.latest.check_in_id == new.check_in_id
            latest = new if was_latest else kr.latest
            return _kr(state, kr.key_result_id, check_ins=tuple(check_ins), latest=latest)
    return state


def _target_revised(state: ProgressView, e: KeyResult.TargetRevised, r: Recorded) -> ProgressView:
    kr = state.key_results.get(e.originator_id)
    if kr is None:
        return state
    return _kr(
        state,
        kr.key_result_id,
        target=e.target,
        target_relative_percent=e.target_relative_percent,
        target_revisions=kr.target_revisions + 1,
    )


def _key_result(field: str, read: Callable[[Any], Any] | None = None) -> Handler:
    """A handler that sets one field of the key result (by default the event's same attribute)."""

    def handle(state: ProgressView, e: Any, r: Recorded) -> ProgressView:
        value = getattr(e, field) if read is None else read(e)
        return _kr(state, e.originator_id, **{field: value})

    return handle


# KPIs


def _kpi_created(state: ProgressView, e: KPI.Created, r: Recorded) -> ProgressView:
    kpi = KPIView(
        kpi_id=e.originator_id,
        name=e.name,
        description=e.description,
        unit_kind=e.unit_kind,
        currency=e.currency,
        unit_label=e.unit_label,
        direction=e.direction,
        green=e.green,
        red=e.red,
        frequency_days=e.frequency_days,
        owner=e.owner,
        created_at=r.recorded_at,
        created_on=day_of(r.recorded_at, state.time_zone),
    )
    return replace(state, kpis=_put(state.kpis, e.originator_id, kpi))


def _kpi(state: ProgressView, kpi_id: UUID, **changes: Any) -> ProgressView:
    kpi = state.kpis.get(kpi_id)
    if kpi is None:
        return state
    return replace(state, kpis=_put(state.kpis, kpi_id, replace(kpi, **changes)))


def _measured(state: ProgressView, e: KPI.Measured, r: Recorded) -> ProgressView:
    kpi = state.kpis.get(e.originator_id)
    if kpi is None:
        return state
    item = MeasurementView(
        measurement_id=e.measurement_id,
        on=e.on,
        value=e.value,
        original_value=e.value,
        author=e.author,
        source=e.source,
        note=e.note,
        recorded_at=r.recorded_at,
        position=r.position,
    )
    latest = kpi.latest
    if latest is None or (item.on, item.position) >= (latest.on, latest.position):
        latest = item
    return _kpi(state, kpi.kpi_id, measurements=(*kpi.measurements, item), latest=latest)


def _measurement_corrected(
    state: ProgressView, e: KPI.MeasurementCorrected, r: Recorded
) -> ProgressView:
    kpi = state.kpis.get(e.originator_id)
    if kpi is None:
        return state
    items = list(kpi.measurements)
    for index, old in enumerate(items):
        if old.measurement_id == e.measurement_id:
            note = old.note if e.note is None else e.note  # (None: a v1 correction)
            new = replace(old, value=e.value, note=note, corrected=True)
            items[index] = new
            was_latest = kpi.latest is not None and kpi.latest.measurement_id == new.measurement_id
            latest = new if was_latest else kpi.latest
            return _kpi(state, kpi.kpi_id, measurements=tuple(items), latest=latest)
    return state


def _kpi_thresholds(state: ProgressView, e: KPI.ThresholdsChanged, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, green=e.green, red=e.red)


def _kpi_direction(state: ProgressView, e: KPI.DirectionChanged, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, direction=e.direction, green=e.green, red=e.red)


def _kpi_renamed(state: ProgressView, e: KPI.Renamed, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, name=e.name)


def _kpi_owner(state: ProgressView, e: KPI.OwnerChanged, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, owner=e.owner)


def _kpi_frequency(state: ProgressView, e: KPI.FrequencyChanged, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, frequency_days=e.frequency_days)


def _kpi_linked(state: ProgressView, e: KPI.KeyResultLinked, r: Recorded) -> ProgressView:
    kpi = state.kpis.get(e.originator_id)
    if kpi is None or e.key_result_id in kpi.linked_key_results:
        return state
    return _kpi(state, kpi.kpi_id, linked_key_results=(*kpi.linked_key_results, e.key_result_id))


def _kpi_unlinked(state: ProgressView, e: KPI.KeyResultUnlinked, r: Recorded) -> ProgressView:
    kpi = state.kpis.get(e.originator_id)
    if kpi is None:
        return state
    kept = tuple(k for k in kpi.linked_key_results if k != e.key_result_id)
    return _kpi(state, kpi.kpi_id, linked_key_results=kept)


def _kpi_archived(state: ProgressView, e: KPI.Archived, r: Recorded) -> ProgressView:
    return _kpi(state, e.originator_id, archived=True)


# Settings


def _settings_changed(state: ProgressView, e: SettingsChange.Created, r: Recorded) -> ProgressView:
    days, zone = e.after.get(CADENCE), e.after.get(TIME_ZONE)
    if isinstance(days, int):
        state = replace(state, cadence_days=days)
    return replace(state, time_zone=zone) if isinstance(zone, str) else state


def _access_changed(state: ProgressView, e: AccessChange.Created, r: Recorded) -> ProgressView:
    """Who may reach the tenant changes nothing of its progress (its history tells it)."""
    return state


_NOT_ACTIVITY = frozenset({SettingsChange.Created, AccessChange.Created})
"""Events of the tenant's log that are not its activity (see progress_fold)."""

_HANDLERS: dict[type, Handler] = {
    SettingsChange.Created: _settings_changed,
    AccessChange.Created: _access_changed,
    Cycle.Created: _cycle_created,
    Cycle.Renamed: _cycle_renamed,
    Cycle.Rescheduled: _cycle_rescheduled,
    Cycle.Discarded: _cycle_discarded,
    Cycle.Activated: _cycle_activated,
    Cycle.Closed: _cycle_closed,
    Cycle.ScoreAdjusted: _score_adjusted,
    Objective.Created: _objective_created,
    Objective.Renamed: _objective("title"),
    Objective.Described: _objective("description"),
    Objective.OwnerChanged: _objective("owner"),
    Objective.WeightChanged: _objective("weight"),
    Objective.CommitmentChanged: _objective("committed"),
    Objective.RollUpChanged: _objective("roll_up_children"),
    Objective.Reparented: _objective("parent_id"),
    Objective.Archived: _objective("archived", _archived),
    Objective.Restored: _objective("archived", _restored),
    KeyResult.Created: _kr_created,
    KeyResult.CheckedIn: _checked_in,
    KeyResult.CheckInCorrected: _check_in_corrected,
    KeyResult.TargetRevised: _target_revised,
    KeyResult.Renamed: _key_result("title"),
    KeyResult.WeightChanged: _key_result("weight"),
    KeyResult.OwnerChanged: _key_result("owner"),
    KeyResult.DueDateChanged: _key_result("due_on"),
    KeyResult.LinkedToKpi: _key_result("kpi_id"),
    KeyResult.UnlinkedFromKpi: _key_result("kpi_id", lambda e: None),
    KeyResult.Archived: _key_result("archived", _archived),
    KPI.Created: _kpi_created,
    KPI.Measured: _measured,
    KPI.MeasurementCorrected: _measurement_corrected,
    KPI.ThresholdsChanged: _kpi_thresholds,
    KPI.DirectionChanged: _kpi_direction,
    KPI.Renamed: _kpi_renamed,
    KPI.OwnerChanged: _kpi_owner,
    KPI.FrequencyChanged: _kpi_frequency,
    KPI.KeyResultLinked: _kpi_linked,
    KPI.KeyResultUnlinked: _kpi_unlinked,
    KPI.Archived: _kpi_archived,
}

"""Queries on the progress state: the cycle -> objective -> key result tree, and KPI health.

Everything that depends on the day (expected progress, status, staleness) is computed here
from a ``today`` the caller passes; ``valid_at`` asks for the values of a business date as
known now (only check-ins dated on or before it count).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, NamedTuple
from uuid import UUID

import msgspec

from domain import progress
from domain.values import CycleState, Health
from projections import rollup
from projections.choices import (
    DirectionText,
    HealthOrNone,
    KindText,
    LevelText,
    PeriodText,
    SourceOrNone,
    StateText,
    StatusText,
    UnitKindText,
)
from projections.progress_state import (
    CycleView,
    KeyResultView,
    KPIView,
    ObjectiveView,
    ProgressView,
    cadence_of,
    check_in_at,
    kpi_health,
    kpi_stale,
    kr_stale,
    measurement_at,
)

DEFAULT_CADENCE_DAYS = 7


ClosingScore = Annotated[
    Decimal | None,
    msgspec.Meta(
        description="Its closing score (0 to 1) once its cycle is closed, else null: given"
        " at the close from its progress then, and changed only by a score adjustment with"
        " a reason (`POST …/cycles/{cycle_id}/score-adjustments`). A check-in corrected"
        " after the close moves its value and progress, not its score: that stays as given"
        " until someone adjusts it."
    ),
]
"""A key result's score, as the API describes it (the portal's page says the same)."""


class KeyResultNode(msgspec.Struct, frozen=True):
    """A key result as a person reads it on a day: value, progress, pace and status."""

    key_result_id: UUID
    objective_id: UUID
    title: str
    kind: KindText
    owner: str
    unit_kind: UnitKindText
    currency: str | None
    unit_label: str | None
    start: Decimal | None
    target: Decimal
    original_target: Decimal
    target_revised: bool
    weight: Decimal
    due_on: date
    kpi_id: UUID | None
    kpi_health: HealthOrNone
    archived: bool
    value: Decimal | None
    raw_progress: Decimal | None
    shown_progress: Decimal | None
    over_achievement: Decimal | None
    expected_progress: Decimal
    status: StatusText
    confidence: int | None
    note: str | None
    last_check_in_on: date | None
    last_check_in_recorded_at: datetime | None
    last_check_in_source: SourceOrNone
    check_in_count: int
    stale: bool
    score: ClosingScore
    score_band: HealthOrNone


class ObjectiveNode(msgspec.Struct, frozen=True):
    """An objective with its key results and aligned children, progress rolled up by weight."""

    objective_id: UUID
    parent_id: UUID | None
    title: str
    owner: str
    level: LevelText
    committed: bool
    weight: Decimal
    roll_up_children: bool
    archived: bool
    progress: Decimal | None
    """None until something of it is measured (a key result checked in, a rolled-up child
    with progress): "—", as its key results show, not a 0 % that reads as a result. Where
    it is part of more (its parent, its cycle, the portfolio) it still counts 0."""
    score: Decimal | None
    score_band: HealthOrNone
    key_results: list[KeyResultNode]
    children: list[ObjectiveNode]


class CycleNode(msgspec.Struct, frozen=True):
    """A cycle with its top-level objectives; scores once closed."""

    cycle_id: UUID
    name: str
    period: PeriodText
    starts_on: date
    ends_on: date
    state: StateText
    progress: Decimal | None
    score: Decimal | None
    score_band: HealthOrNone
    objectives: list[ObjectiveNode]


class ProgressTree(msgspec.Struct, frozen=True):
    """The whole tree of a tenant on a day, with how far its log was read."""

    today: date
    """The day of pace, status and staleness: `valid_at` when given."""
    valid_at: date | None
    position: int
    last_activity: datetime | None
    cycles: list[CycleNode]


class KPINode(msgspec.Struct, frozen=True):
    """A KPI's latest value, health and staleness on a day, and the key results it feeds."""

    kpi_id: UUID
    name: str
    unit_kind: UnitKindText
    currency: str | None
    unit_label: str | None
    direction: DirectionText
    green: Decimal
    red: Decimal
    frequency_days: int
    owner: str
    archived: bool
    value: Decimal | None
    on: date | None
    recorded_at: datetime | None
    health: HealthOrNone
    stale: bool
    key_result_ids: list[UUID]
    recovery_key_result_ids: list[UUID]
    """Those of ``key_result_ids`` in an active cycle: the recovery OKR aligned to it."""
    needs_recovery: bool
    """Amber or red, and no key result of an active cycle fed by it: unhealthy with no
    recovery OKR aligned to it yet."""


class _Day(msgspec.Struct, frozen=True):
    """What every node of one query shares."""

    state: ProgressView
    today: date
    valid_at: date | None
    cadence_days: int
    include_archived: bool
    objective_progress: dict[UUID, Decimal | None]
    children: dict[UUID, list[UUID]]
    key_results: dict[UUID, list[KeyResultView]]


def progress_tree(
    state: ProgressView,
    *,
    today: date,
    cycle_id: UUID | None = None,
    cycle_ids: Collection[UUID] | None = None,
    valid_at: date | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
    include_archived: bool = False,
    objective_progress: dict[UUID, Decimal | None] | None = None,
) -> ProgressTree:
    """Cycles (one, these, or all) -> objectives nested by parent -> key results, on
    ``today``, in the state's order.

    ``cycle_ids``: the cycles to show (a page of them), worked out alone: a cycle's tree
    is of its own items only (rollup.cycles_only); the whole state is worked out where an
    item sits in another cycle's tree, which the domain never lets be. With ``valid_at``,
    values, pace and staleness are those of that business date. Archived objectives and
    key results are left out unless ``include_archived``. Staleness takes the check-in
    cadence the state's log set, ``cadence_days`` where it set none (see cadence_of).
    ``objective_progress``: the state's roll-up on ``valid_at`` (rollup.objective_progress),
    where the caller worked it out already.
    """
    if cycle_id is not None:
        cycle_ids = [cycle_id]
    part = state if cycle_ids is None else rollup.cycles_only(state, cycle_ids) or state
    if objective_progress is None:
        krs = rollup.key_result_progress(part, valid_at)
        objective_progress = rollup.objective_progress(part, krs)
    ctx = _Day(
        state=part,
        today=today,
        valid_at=valid_at,
        cadence_days=cadence_of(state, cadence_days),
        include_archived=include_archived,
        objective_progress=objective_progress,
        children=_children(part, include_archived),
        key_results=_key_results(part, include_archived),
    )
    shown = None if cycle_ids is None else {c.int for c in cycle_ids}
    cycles = [
        _cycle_node(ctx, cycle)
        for cycle in part.cycles.values()
        if shown is None or cycle.cycle_id.int in shown
    ]
    day = today if valid_at is None else valid_at  # the day of pace, status and staleness
    return ProgressTree(day, valid_at, state.last_position, state.last_activity, cycles)


def listed_key_results(state: ProgressView, cycle_id: UUID | None = None) -> list[KeyResultView]:
    """The key results progress_tree shows (live ones of the live objectives of each cycle's
    tree, or of one), in its order, without making a node of any: a page of them is made
    into nodes (key_result_node) alone, where a page of a big tree made every node."""
    children, by_objective = _children(state, False), _key_results(state, False)
    found: list[KeyResultView] = []

    def down(objective_id: UUID, path: frozenset[UUID]) -> None:
        here = path | {objective_id}
        found.extend(by_objective.get(objective_id, ()))
        for kid in children.get(objective_id, ()):
            if kid not in here:
                down(kid, here)

    for cycle in state.cycles.values():
        if cycle_id is None or cycle.cycle_id == cycle_id:
            for top in rollup.roots(state, cycle.cycle_id):
                down(top, frozenset())
    return found


class ListedObjective(NamedTuple):
    """An objective progress_tree shows, with its cycle and the objectives above it there."""

    cycle_id: UUID
    objective: ObjectiveView
    path: frozenset[UUID]


def listed_objectives(state: ProgressView, cycle_id: UUID | None = None) -> list[ListedObjective]:
    """The objectives progress_tree shows (live ones of each cycle's tree, or of one), in its
    order, parents before children, without making a node of any: a page of them is summed
    up (objective_figures) alone, where a page of a big tree made every node."""
    children = _children(state, False)
    found: list[ListedObjective] = []

    def down(cycle_id: UUID, objective_id: UUID, path: frozenset[UUID]) -> None:
        found.append(ListedObjective(cycle_id, state.objectives[objective_id], path))
        here = path | {objective_id}
        for kid in children.get(objective_id, ()):
            if kid not in here:
                down(cycle_id, kid, here)

    for cycle in state.cycles.values():
        if cycle_id is None or cycle.cycle_id == cycle_id:
            for top in rollup.roots(state, cycle.cycle_id):
                down(cycle.cycle_id, top, frozenset())
    return found


class ObjectiveFigures(NamedTuple):
    """What an objective's node in progress_tree says beside the objective's own facts."""

    progress: Decimal | None
    score: Decimal | None
    key_results: int
    """Its live key results."""


def objective_figures(
    state: ProgressView, listed: Iterable[ListedObjective]
) -> list[ObjectiveFigures]:
    """The progress, score and number of key results the node of each of these objectives
    says in progress_tree (values as known now), without making a node: no pace, status or
    staleness of any key result, which say nothing of them, and the progress of these
    objectives and those rolled up into them alone."""
    listed = list(listed)
    children, by_objective = _children(state, False), _key_results(state, False)
    part = _rolled_up(state, children, [o.objective.objective_id for o in listed])
    krs = rollup.key_result_progress(part)
    objective_progress = rollup.objective_progress(part, krs)
    measured: dict[UUID, bool] = {}

    def is_measured(objective_id: UUID, path: frozenset[UUID]) -> bool:
        """As _objective_node's `measured`: a live key result checked in, or, rolled up, a
        live child that shows a progress. (Alignment has no loops, the domain refuses one:
        an objective's is the same wherever it is reached.)"""
        if objective_id not in measured:
            here = path | {objective_id}
            measured[objective_id] = any(
                krs.get(kr.key_result_id) is not None for kr in by_objective.get(objective_id, ())
            ) or (
                state.objectives[objective_id].roll_up_children
                and any(
                    is_measured(kid, here) and objective_progress.get(kid) is not None
                    for kid in children.get(objective_id, ())
                    if kid not in here
                )
            )
        return measured[objective_id]

    return [
        ObjectiveFigures(
            progress=objective_progress.get(o.objective.objective_id)
            if is_measured(o.objective.objective_id, o.path)
            else None,
            score=state.cycles[o.cycle_id].objective_scores.get(o.objective.objective_id),
            key_results=len(by_objective.get(o.objective.objective_id, ())),
        )
        for o in listed
    ]


def _rolled_up(
    state: ProgressView, children: dict[UUID, list[UUID]], objective_ids: list[UUID]
) -> ProgressView:
    """The part of the state these objectives' progress is worked out from: they, the live
    children of each that rolls its children up (and theirs, and so on), their key results,
    each in the state's order (a weighted mean sums them in it)."""
    wanted: set[UUID] = set()
    stack = list(objective_ids)
    while stack:
        objective_id = stack.pop()
        if objective_id not in wanted:
            wanted.add(objective_id)
            if state.objectives[objective_id].roll_up_children:
                stack.extend(children.get(objective_id, ()))
    return ProgressView(
        cycles=state.cycles,
        objectives={k: o for k, o in state.objectives.items() if k in wanted},
        key_results={k: kr for k, kr in state.key_results.items() if kr.objective_id in wanted},
        last_position=state.last_position,
        last_activity=state.last_activity,
    )


def _children(state: ProgressView, include_archived: bool) -> dict[UUID, list[UUID]]:
    if not include_archived:
        return rollup.live_children(state)
    children: dict[UUID, list[UUID]] = {}
    for objective_id, objective in state.objectives.items():
        if objective.parent_id is not None:
            children.setdefault(objective.parent_id, []).append(objective_id)
    return children


def _key_results(state: ProgressView, include_archived: bool) -> dict[UUID, list[KeyResultView]]:
    by_objective: dict[UUID, list[KeyResultView]] = {}
    for kr in state.key_results.values():
        if include_archived or not kr.archived:
            by_objective.setdefault(kr.objective_id, []).append(kr)
    return by_objective


def _cycle_node(ctx: _Day, cycle: CycleView) -> CycleNode:
    tops = [
        _objective_node(ctx, cycle, ctx.state.objectives[o], frozenset())
        for o in rollup.roots(ctx.state, cycle.cycle_id, include_archived=ctx.include_archived)
    ]
    score = rollup.cycle_score(ctx.state, cycle)
    counted = rollup.cycle_progress(ctx.state, cycle.cycle_id, ctx.objective_progress)
    shown = _shown_progress(tops)  # (with archived ones: the live tops are nested in them)
    counting = rollup.roots(ctx.state, cycle.cycle_id)
    return CycleNode(
        cycle_id=cycle.cycle_id,
        name=cycle.name,
        period=cycle.period,
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
        state=cycle.state,
        # as the objectives it is worked out from show: none until one of them is measured
        progress=None if all(shown.get(o) is None for o in counting) else counted,
        score=score,
        score_band=_band(score),
        objectives=tops,
    )


def _shown_progress(nodes: list[ObjectiveNode]) -> dict[UUID, Decimal | None]:
    """The progress each of these objectives and those under them shows, by id."""
    shown: dict[UUID, Decimal | None] = {}
    for node in nodes:
        shown[node.objective_id] = node.progress
        shown.update(_shown_progress(node.children))
    return shown


def _objective_node(
    ctx: _Day, cycle: CycleView, objective: ObjectiveView, path: frozenset[UUID]
) -> ObjectiveNode:
    here = path | {objective.objective_id}
    score = cycle.objective_scores.get(objective.objective_id)
    key_results = [
        key_result_node(
            ctx.state, kr, today=ctx.today, valid_at=ctx.valid_at, cadence_days=ctx.cadence_days
        )
        for kr in ctx.key_results.get(objective.objective_id, ())
    ]
    children = [
        _objective_node(ctx, cycle, ctx.state.objectives[kid], here)
        for kid in ctx.children.get(objective.objective_id, ())
        if kid not in here
    ]
    measured = any(not k.archived and k.raw_progress is not None for k in key_results) or (
        objective.roll_up_children
        and any(not c.archived and c.progress is not None for c in children)
    )
    return ObjectiveNode(
        objective_id=objective.objective_id,
        parent_id=objective.parent_id,
        title=objective.title,
        owner=objective.owner,
        level=objective.level,
        committed=objective.committed,
        weight=objective.weight,
        roll_up_children=objective.roll_up_children,
        archived=objective.archived,
        progress=ctx.objective_progress.get(objective.objective_id) if measured else None,
        score=score,
        score_band=_band(score),
        key_results=key_results,
        children=children,
    )


def key_result_node(
    state: ProgressView,
    kr: KeyResultView,
    *,
    today: date,
    valid_at: date | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> KeyResultNode:
    """One key result on ``today`` (values of ``valid_at`` when given; the cadence as
    progress_tree takes it)."""
    day = today if valid_at is None else valid_at
    cycle = state.cycles.get(kr.cycle_id)
    check_in = check_in_at(kr, valid_at)
    value = None if check_in is None else check_in.value
    raw = progress.raw_progress(kr.kind, kr.start, kr.target, value)
    window_start = kr.due_on if cycle is None else cycle.starts_on
    pace = rollup.pace_day(cycle, day)
    share = progress.expected_share(window_start, kr.due_on, pace)
    score = None if cycle is None else cycle.key_result_scores.get(kr.key_result_id)
    kpi = None if kr.kpi_id is None else state.kpis.get(kr.kpi_id)
    return KeyResultNode(
        key_result_id=kr.key_result_id,
        objective_id=kr.objective_id,
        title=kr.title,
        kind=kr.kind,
        owner=kr.owner,
        unit_kind=kr.unit_kind,
        currency=kr.currency,
        unit_label=kr.unit_label,
        start=kr.start,
        target=kr.target,
        original_target=kr.original_target,
        target_revised=kr.target_revisions > 0,
        weight=kr.weight,
        due_on=kr.due_on,
        kpi_id=kr.kpi_id,
        kpi_health=None if kpi is None else kpi_health(kpi, measurement_at(kpi, valid_at)),
        archived=kr.archived,
        value=value,
        raw_progress=raw,
        shown_progress=None if raw is None else progress.shown_progress(raw),
        over_achievement=None if raw is None else progress.over_achievement(raw),
        expected_progress=progress.expected_progress(window_start, kr.due_on, pace),
        status=progress.status(kr.kind, raw, share).value,
        confidence=None if check_in is None else check_in.confidence,
        note=None if check_in is None else check_in.note,
        last_check_in_on=None if check_in is None else check_in.on,
        last_check_in_recorded_at=None if check_in is None else check_in.recorded_at,
        last_check_in_source=None if check_in is None else check_in.source,
        check_in_count=_count(kr, valid_at),
        stale=kr_stale(kr, cycle, check_in, day, cadence_of(state, cadence_days)),
        score=score,
        score_band=_band(score),
    )


def _count(kr: KeyResultView, valid_at: date | None) -> int:
    if valid_at is None:
        return len(kr.check_ins)
    return sum(1 for c in kr.check_ins if c.on <= valid_at)


def _band(score: Decimal | None) -> str | None:
    return None if score is None else progress.score_band(score).value


def kpi_board(
    state: ProgressView,
    *,
    today: date,
    valid_at: date | None = None,
    include_archived: bool = False,
) -> list[KPINode]:
    """Every KPI with its value, health and staleness on ``today`` (or ``valid_at``)."""
    day = today if valid_at is None else valid_at
    fed = fed_by_kpi(state)
    nodes = []
    for kpi in state.kpis.values():
        if include_archived or not kpi.archived:
            feeds = fed.get(kpi.kpi_id, [])
            nodes.append(_kpi_node(kpi, valid_at, day, feeds, recovering(state, feeds)))
    return nodes


def fed_by_kpi(state: ProgressView) -> dict[UUID, list[UUID]]:
    """By KPI, the key results it feeds (see is_fed)."""
    fed: dict[UUID, list[UUID]] = {}
    for kr in state.key_results.values():
        if kr.kpi_id is not None and is_fed(state, kr):
            fed.setdefault(kr.kpi_id, []).append(kr.key_result_id)
    for kpi in state.kpis.values():  # the KPI's own record of what it feeds counts too
        for kr_id in kpi.linked_key_results:
            fed_kr = state.key_results.get(kr_id)
            if fed_kr and is_fed(state, fed_kr) and kr_id not in fed.get(kpi.kpi_id, []):
                fed.setdefault(kpi.kpi_id, []).append(kr_id)
    return fed


def recovering(state: ProgressView, fed: list[UUID]) -> list[UUID]:
    """Those of the key results a KPI feeds (`fed`) of an active cycle: the recovery OKR
    aligned to it."""
    active = CycleState.ACTIVE.value
    return [k for k in fed if _cycle_state(state, state.key_results[k].cycle_id) == active]


def needs_recovery(health: str | None, recovery: list[UUID]) -> bool:
    """Amber or red, with no recovery key result (see recovering)."""
    return health in _UNHEALTHY and not recovery


def _cycle_state(state: ProgressView, cycle_id: UUID) -> str | None:
    cycle = state.cycles.get(cycle_id)
    return None if cycle is None else cycle.state


def is_fed(state: ProgressView, kr: KeyResultView) -> bool:
    """Whether a KPI feeds the key result: neither it nor its objective is archived (an
    archived objective retires its key results; restored, they are fed again)."""
    objective = state.objectives.get(kr.objective_id)
    return not kr.archived and not (objective is not None and objective.archived)


def _kpi_node(
    kpi: KPIView, valid_at: date | None, day: date, fed: list[UUID], recovery: list[UUID]
) -> KPINode:
    """`fed`: the key results it feeds; `recovery`: those of them in an active cycle."""
    latest = measurement_at(kpi, valid_at)
    health = kpi_health(kpi, latest)
    return KPINode(
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
        value=None if latest is None else latest.value,
        on=None if latest is None else latest.on,
        recorded_at=None if latest is None else latest.recorded_at,
        health=health,
        stale=kpi_stale(kpi, latest, day),
        key_result_ids=fed,
        recovery_key_result_ids=recovery,
        needs_recovery=needs_recovery(health, recovery),
    )


_UNHEALTHY = (Health.AMBER.value, Health.RED.value)

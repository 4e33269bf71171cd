"""Current progress of a tenant: cycles, objectives, key results and KPIs as state tables.

The rows hold facts that do not depend on the day (latest values, raw progress, roll-ups,
closing scores). Status, pace and staleness depend on the day: the query functions
(:func:`progress_tree`, :func:`kpi_board`) compute them from a ``today`` they are given.
"""

from __future__ import annotations

import itertools
import operator
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID

import msgspec

from domain import progress as maths
from domain.values import CycleState
from projections import rollup
from projections.base import Column, Recorded, Row, RowsByTable, Table
from projections.codec import NO_ROWS, row_of, table_of
from projections.portfolio import PORTFOLIO_TABLE, portfolio_facts
from projections.progress_fold import progress_fold
from projections.progress_state import (
    PROGRESS_CODEC,
    CycleView,
    KeyResultView,
    KPIView,
    ObjectiveView,
    ProgressView,
    guardrail_tally,
    kpi_due_after,
    kpi_health,
    quiet_since,
    raw_progress,
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
from projections.rollup import KeyResultDays, stale_on, status_on

__all__ = [
    "CycleNode",
    "CycleRow",
    "KPINode",
    "KPIRow",
    "KeyResultDays",
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
    "stale_on",
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
    quiet_since: date | None = None
    """The day its check-ins are counted overdue from (see stale_on): its latest check-in's,
    else the later of its cycle's start and the day it was added; none once archived."""


class KPIRow(msgspec.Struct, frozen=True):
    """rm_kpis: a KPI, its latest measurement and health; stale when today > stale_after (or
    with none: see kpi_due_after)."""

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


StateRow = CycleRow | ObjectiveRow | KeyResultRow | KPIRow


def progress_rows(state: ProgressView) -> dict[str, list[StateRow]]:
    """Every state-table row of the tenant as typed Structs (see ProgressProjection.rows)."""
    krs = rollup.key_result_progress(state)
    cycles, objectives = _structure(state, rollup.objective_progress(state, krs))
    scores = {k: v for c in state.cycles.values() for k, v in c.key_result_scores.items()}
    return {
        "rm_cycles": cycles,
        "rm_objectives": objectives,
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


_Rows = dict[str, list[Row]]
_Terms = list[tuple[Decimal, Decimal | None]]
_MEMO_SIZE = 500_000
"""Entries each memo keeps: every item of a few thousand tenants (a projector pass works
out every item of a tenant, so a smaller memo would churn)."""
_cycle_memo: OrderedDict[int, _CycleMemo] = OrderedDict()
_kr_memo: OrderedDict[int, tuple[KeyResultView, CycleView | None, Row, Decimal | None]] = (
    OrderedDict()
)
_kpi_memo: OrderedDict[int, tuple[KPIView, Row]] = OrderedDict()
_objective_memo: OrderedDict[int, tuple[ObjectiveView, Decimal | None, Decimal | None, Row]] = (
    OrderedDict()
)


def state_rows(state: ProgressView) -> _Rows:
    """progress_rows as table rows, worked out again only for what changed since the last
    call that saw it; the same answer as :func:`progress_rows`.

    The fold shares every item an event did not touch, so "changed" is an identity test:
    a key result's row depends on it and its cycle only; a KPI's on itself; a cycle's and
    its objectives' rows on the cycle, its objectives and its key results (alignment stays
    within a cycle). One check-in works out one key result row and one cycle's roll-ups.
    """
    if not rollup.aligned_within_cycles(state):  # then only the long way is right
        rows = {name: [row_of(r) for r in rs] for name, rs in progress_rows(state).items()}
        return rows | {"rm_portfolio": [row_of(portfolio_facts(state))]}
    out: _Rows = {"rm_cycles": [], "rm_objectives": [], "rm_key_results": []}
    tops: dict[int, _Terms] = {}
    for cycle_id, objectives, krs in _by_cycle(state, None).values():
        kr_rows, rows, tops[cycle_id.int] = _cycle_rows(state, cycle_id, objectives, krs)
        out["rm_cycles"] += rows["rm_cycles"]
        out["rm_objectives"] += rows["rm_objectives"]
        out["rm_key_results"] += kr_rows
    out["rm_kpis"] = [_kpi_row_of(kpi) for kpi in state.kpis.values()]
    out["rm_portfolio"] = [_portfolio_row(state, tops)]
    return out


def changed_rows(before: ProgressView, after: ProgressView) -> _Rows | None:
    """The rows of `after` that may differ from rows(`before`): a few more than those that
    do (the caller keeps those), or None when only the whole rows of `after` will do.

    The fold replaces the items an event touched and shares the rest in the same order,
    so the changed items are found by identity, and only their rows are worked out: the
    items' own rows, the roll-ups of the cycles they are in (or were in), and the tenant's
    portfolio row. A check-in costs one cycle's roll-up, not a walk over the tenant.
    """
    changed = [_replaced(getattr(before, n), getattr(after, n)) for n in _KINDS]
    aligned = _aligned(before) and _aligned(after)
    if before.objectives is not after.objectives:  # the next batch starts from `after`
        _aligned_memo.pop(id(before.objectives), None)
    if any(c is None for c in changed) or not aligned:
        return None  # an item went away or moved, or objectives align across cycles
    cycles, objectives, key_results, kpis = cast(list[list[_Replaced]], changed)
    items = [_tenant_row(after)]
    for kind, replaced in zip(_ITEM_KINDS, changed, strict=True):
        for rank, _, item in cast(list[_Replaced], replaced):
            items.append(_item_row(kind, rank, _item_id(item), item))
    touched = {c.cycle_id.int for _, _, c in cycles}
    for _, old, new in (*objectives, *key_results):
        touched.add(new.cycle_id.int)
        if old is not None:
            touched.add(old.cycle_id.int)
    out: _Rows = {ITEMS: items, "rm_cycles": [], "rm_objectives": [], "rm_key_results": []}
    tops: dict[int, _Terms] = {}
    for cycle_id, objectives_of, krs in _by_cycle(after, touched | _active(after)).values():
        kr_rows, rows, tops[cycle_id.int] = _cycle_rows(after, cycle_id, objectives_of, krs)
        if cycle_id.int in touched:
            out["rm_cycles"] += rows["rm_cycles"]
            out["rm_objectives"] += rows["rm_objectives"]
            out["rm_key_results"] += kr_rows
    out["rm_kpis"] = [_kpi_row_of(kpi) for _, _, kpi in kpis]
    out["rm_portfolio"] = [_portfolio_row(after, tops)]
    return out


def _aligned(state: ProgressView) -> bool:
    """rollup.aligned_within_cycles, looked at again only when the objectives changed: the
    fold shares the objectives dict between states until an objective changes."""
    objectives = state.objectives
    memo = _aligned_memo.get(id(objectives))
    if memo is None or memo[0] is not objectives:  # the dict is kept: its id stays its own
        memo = _remember(
            _aligned_memo,
            id(objectives),
            (objectives, rollup.aligned_within_cycles(state)),
            _ALIGNED_KEPT,
        )
    return memo[1]


_aligned_memo: OrderedDict[int, tuple[dict[UUID, ObjectiveView], bool]] = OrderedDict()
_ALIGNED_KEPT = 20_000
"""Objectives dicts whose alignment is remembered: about one per tenant a projector keeps
(changed_rows forgets the one a batch replaced), each kept alive by its entry."""


_Replaced = tuple[int, Any, Any]
"""(rank, item before or None when added, item after) of an item the fold replaced."""
_KINDS = ("cycles", "objectives", "key_results", "kpis")
_ITEM_KINDS = ("cycle", "objective", "key_result", "kpi")


def _replaced(before: dict[UUID, Any], after: dict[UUID, Any]) -> list[_Replaced] | None:
    """The items of `after` that are not the very ones of `before`, with their rank; None
    unless `after` is `before` with items replaced in place or added at the end."""
    if before is after:
        return []
    if len(after) < len(before) or not all(map(operator.is_, before, after)):
        return None  # the keys are the same objects when the fold copied the dict
    out = [
        (rank, old, new)
        for rank, (old, new) in enumerate(zip(before.values(), after.values(), strict=False))
        if old is not new
    ]
    added = itertools.islice(after.values(), len(before), None)
    out += [(rank, None, new) for rank, new in enumerate(added, start=len(before))]
    return out


def _active(state: ProgressView) -> set[int]:
    return {c.cycle_id.int for c in state.cycles.values() if c.state == CycleState.ACTIVE.value}


_Group = tuple[UUID, list[ObjectiveView], list[KeyResultView]]


def _by_cycle(state: ProgressView, wanted: set[int] | None) -> dict[int, _Group]:
    """The objectives and key results of each cycle (only the `wanted` ones, if given),
    in the state's order; keyed by UUID.int (UUID's own hash and == are Python code)."""
    groups: dict[int, _Group] = {}

    def group_of(cycle_id: UUID) -> _Group | None:
        group = groups.get(cycle_id.int)
        if group is None and (wanted is None or cycle_id.int in wanted):
            group = groups[cycle_id.int] = (cycle_id, [], [])
        return group

    for cycle_id in state.cycles:  # every cycle, first: a cycle with nothing in it too
        group_of(cycle_id)
    for objective in state.objectives.values():
        if (group := group_of(objective.cycle_id)) is not None:
            group[1].append(objective)
    for kr in state.key_results.values():
        if (group := group_of(kr.cycle_id)) is not None:
            group[2].append(kr)
    return groups


def _cycle_rows(
    state: ProgressView,
    cycle_id: UUID,
    objectives: list[ObjectiveView],
    krs: list[KeyResultView],
) -> tuple[list[Row], _Rows, _Terms]:
    """One cycle's key result rows, its cycle and objective rows, and its top objectives'
    (weight, progress); each worked out again only when what it depends on changed."""
    cycle = state.cycles.get(cycle_id)
    kr_rows, raws = [], {}
    for kr in krs:
        memo = _kr_memo.get(kr.key_result_id.int)
        if memo is None or memo[0] is not kr or memo[1] is not cycle:
            memo = _remember(_kr_memo, kr.key_result_id.int, _kr_row_memo(kr, cycle))
        kr_rows.append(memo[2])
        raws[kr.key_result_id] = memo[3]
    key = (cycle, *objectives, None, *krs)
    done = _cycle_memo.get(cycle_id.int)
    if done is None or len(done.key) != len(key) or any(map(operator.is_not, done.key, key)):
        part = ProgressView(
            cycles={} if cycle is None else {cycle_id: cycle},
            objectives={o.objective_id: o for o in objectives},
            key_results={k.key_result_id: k for k in krs},
        )
        known = None if done is None else _still_known(part, done, key)
        progress = rollup.objective_progress(part, raws, known)
        rows, tops = _structure_rows(part, progress)
        done = _remember(_cycle_memo, cycle_id.int, _CycleMemo(key, rows, tops, progress))
    return kr_rows, done.rows, done.tops


class _CycleMemo(NamedTuple):
    """What a cycle's roll-up was worked out from (the cycle, its objectives, None, its key
    results), its cycle and objective rows, its top objectives' terms, its objectives'
    progress."""

    key: tuple[Any, ...]
    rows: _Rows
    tops: _Terms
    progress: dict[UUID, Decimal | None]


def _still_known(
    part: ProgressView, memo: _CycleMemo, key: tuple[Any, ...]
) -> dict[UUID, Decimal | None] | None:
    """The progress of the memo's objectives that the new key results leave as it was: when
    only key results were replaced (same cycle, same objectives, same key results in the same
    order), all but their objectives (before and after) and those above them. None: work
    everything out again."""
    if len(memo.key) != len(key):
        return None
    dirty = []
    for old, new in zip(memo.key, key, strict=True):
        if old is new:
            continue
        if not isinstance(new, KeyResultView) or old.key_result_id != new.key_result_id:
            return None  # the cycle or an objective changed, or key results moved
        dirty += [old.objective_id, new.objective_id]
    stale = rollup.with_ancestors(part, dirty)
    return {o: p for o, p in memo.progress.items() if o not in stale}


def _portfolio_row(state: ProgressView, tops: dict[int, _Terms]) -> Row:
    """The portfolio row, from the top objectives' terms of (at least) the active cycles."""

    def overall(_: ProgressView, active: list[UUID]) -> Decimal | None:
        return maths.objective_progress((), [t for c in active for t in tops[c.int]])

    return row_of(portfolio_facts(state, overall))


def _kr_row_memo(
    kr: KeyResultView, cycle: CycleView | None
) -> tuple[KeyResultView, CycleView | None, Row, Decimal | None]:
    raw = raw_progress(kr, kr.latest)
    score = None if cycle is None else cycle.key_result_scores.get(kr.key_result_id)
    return kr, cycle, row_of(_key_result_row(kr, raw, score, cycle)), raw


def _structure(
    state: ProgressView, objectives: dict[UUID, Decimal | None]
) -> tuple[list[StateRow], list[StateRow]]:
    """The cycle and objective rows of a state, given its objectives' progress."""
    scores = _objective_scores(state)
    return [_cycle_row(state, c, objectives) for c in state.cycles.values()], [
        _objective_row(o, objectives.get(o.objective_id), scores.get(o.objective_id))
        for o in state.objectives.values()
    ]


def _objective_scores(state: ProgressView) -> dict[UUID, Decimal]:
    """Every objective's closing score, from the cycles that hold them."""
    return {k: v for c in state.cycles.values() for k, v in c.objective_scores.items()}


def _structure_rows(
    state: ProgressView, objectives: dict[UUID, Decimal | None]
) -> tuple[_Rows, _Terms]:
    """The cycle and objective rows of a one-cycle state, given its objectives' progress;
    and the (weight, progress) of the cycle's top objectives, for the portfolio."""
    scores = _objective_scores(state)
    rows = {
        "rm_cycles": [row_of(_cycle_row(state, c, objectives)) for c in state.cycles.values()],
        "rm_objectives": [
            _objective_row_of(o, objectives.get(o.objective_id), scores.get(o.objective_id))
            for o in state.objectives.values()
        ],
    }
    tops = [
        (state.objectives[o].weight, objectives.get(o))
        for cycle_id in state.cycles
        for o in rollup.roots(state, cycle_id)
    ]
    return rows, tops


def _objective_row_of(o: ObjectiveView, progress: Decimal | None, score: Decimal | None) -> Row:
    """An objective's row: the very same row object while the objective, its progress and
    its score stay (a check-in moves one objective of its cycle, and its parents)."""
    memo = _objective_memo.get(o.objective_id.int)
    if memo is None or memo[0] is not o or memo[1] != progress or memo[2] != score:
        row = row_of(_objective_row(o, progress, score))
        memo = _remember(_objective_memo, o.objective_id.int, (o, progress, score, row))
    return memo[3]


def _kpi_row_of(kpi: KPIView) -> Row:
    memo = _kpi_memo.get(kpi.kpi_id.int)
    if memo is None or memo[0] is not kpi:
        memo = _remember(_kpi_memo, kpi.kpi_id.int, (kpi, row_of(_kpi_row(kpi))))
    return memo[1]


_T = TypeVar("_T")


def _remember(memo: OrderedDict[int, _T], key: int, value: _T, size: int = _MEMO_SIZE) -> _T:
    """Put `value` in a bounded memo of `size` entries (the oldest go first).

    An OrderedDict: dropping a plain dict's first key again and again makes each next
    first key a walk over the holes left before it (a full 500,000-entry memo took 66 us
    per insertion that way, 0.4 us with popitem)."""
    memo.pop(key, None)
    memo[key] = value
    while len(memo) > size:
        memo.popitem(last=False)
    return value


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
    base, at_risk, off_track = rollup.frozen_at_close(
        cycle, rollup.status_dates(kr.kind, raw, window_start, kr.due_on)
    )
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
        quiet_since=quiet_since(kr, cycle, latest),
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
        stale_after=kpi_due_after(kpi, latest),
    )


ITEMS = "rm_progress_items"
"""The state itself, one row per item: a check-in rewrites its key result's row, not the
tenant's whole state. Readers put it back together with :func:`state_of_items`."""
TENANT_ITEM = UUID(int=0)
"""The row of the tenant-wide facts (last position and activity, cadence)."""


class TenantFacts(msgspec.Struct, frozen=True, gc=False):
    """What a ProgressView holds besides its items."""

    last_position: int = 0
    last_activity: datetime | None = None
    cadence_days: int | None = None


_ITEM_TYPES: dict[str, type[msgspec.Struct]] = {
    "cycle": CycleView,
    "objective": ObjectiveView,
    "key_result": KeyResultView,
    "kpi": KPIView,
    "tenant": TenantFacts,
}
_DECODERS = {kind: msgspec.msgpack.Decoder(t) for kind, t in _ITEM_TYPES.items()}


def item_rows(state: ProgressView) -> list[Row]:
    """(item id, kind, rank, Struct) per item: rows of ITEMS, the Struct encoded when
    written; the rank keeps each kind in the state's order (the order items were made).

    The fold shares unchanged items between states, and an unchanged item gets the very
    same row object as last time: comparing two states' rows costs an identity test per
    item but for the items an event touched.
    """
    rows = [_tenant_row(state)]
    for kind, name in zip(_ITEM_KINDS, _KINDS, strict=True):
        items: dict[UUID, Any] = getattr(state, name)
        rows += [_item_row(kind, rank, i, item) for rank, (i, item) in enumerate(items.items())]
    return rows


def _tenant_row(state: ProgressView) -> Row:
    """The ITEMS row of the tenant-wide facts (it changes with every event)."""
    facts = TenantFacts(state.last_position, state.last_activity, state.cadence_days)
    return (TENANT_ITEM, "tenant", 0, facts)


def _item_row(kind: str, rank: int, item_id: UUID, item: Any) -> Row:
    """An item's row of ITEMS: the very same row object while the item and rank stay."""
    memo = _item_memo.get(item_id.int)
    if memo is None or memo[0] is not item or memo[1] != rank:
        memo = _remember(_item_memo, item_id.int, (item, rank, (item_id, kind, rank, item)))
    return memo[2]


_item_memo: OrderedDict[int, tuple[Any, int, Row]] = OrderedDict()
"""The latest row of each item (by its id), with the item it was made of."""


def state_of_items(rows: Iterable[tuple[str, bytes]]) -> ProgressView:
    """The state back from ITEMS rows of one tenant, (kind, state bytes) in rank order."""
    items: dict[str, dict[UUID, Any]] = {kind: {} for kind in _ITEM_TYPES}
    facts = TenantFacts()
    for kind, data in rows:
        value = _DECODERS[kind].decode(data)
        if isinstance(value, TenantFacts):
            facts = value
        else:
            items[kind][_item_id(value)] = value
    return ProgressView(
        cycles=items["cycle"],
        objectives=items["objective"],
        key_results=items["key_result"],
        kpis=items["kpi"],
        last_position=facts.last_position,
        last_activity=facts.last_activity,
        cadence_days=facts.cadence_days,
    )


def _item_id(item: Any) -> UUID:
    if isinstance(item, CycleView):
        return item.cycle_id
    if isinstance(item, ObjectiveView):
        return item.objective_id
    if isinstance(item, KeyResultView):
        return item.key_result_id
    return cast(KPIView, item).kpi_id


TABLES: tuple[Table, ...] = (
    Table(
        ITEMS,
        (
            Column("item_id", "uuid"),
            Column("kind", "text"),
            Column("rank", "integer"),
            Column("state", "bytea"),
        ),
        ("item_id",),
        "state",
    ),
    table_of("rm_cycles", CycleRow, key=("cycle_id",), kind="state"),
    table_of("rm_objectives", ObjectiveRow, key=("objective_id",), kind="state"),
    table_of("rm_key_results", KeyResultRow, key=("key_result_id",), kind="state"),
    table_of("rm_kpis", KPIRow, key=("kpi_id",), kind="state"),
    PORTFOLIO_TABLE,
)


class ProgressProjection:
    """The progress read model: state tables only, no log rows."""

    name: str = "progress"
    version = 15  # 5: a closed cycle's key results' statuses stop worsening at its close; 6: a
    # portfolio's progress is none while nothing of its active cycles is measured; 7: a done
    # milestone is never overdue (quiet_since), and rm_portfolio says the last closed and the
    # next planned cycle; 8: a guardrail's tally counts days, a day checked in again once,
    # and a KPI never measured is overdue a frequency after it was made, not at once; 9: the
    # day an item was made and a cycle closed are the tenant's, in its time zone; 10: a
    # progress exactly on a pace threshold is on it (status_dates: a day later at risk or
    # off track, where 0.95 or 0.75 of a rounded expected progress came out past it); 11:
    # rm_portfolio leaves an archived objective's key results (and check-ins) out; 12: an
    # objective's, a cycle's and a portfolio's progress are rounded once (last digits move);
    # 13: a key result of a cycle still in planning is never overdue (quiet_since none); 14:
    # rm_portfolio counts the amber and red KPIs with no recovery OKR; 15: an objective
    # restored (Objective.Restored) is live again, with its key results, in every table
    """Bump when the state or rows change shape: the projector then rebuilds."""
    tables: tuple[Table, ...] = TABLES
    checkpoints_kept_every = 1000
    """As-of replays start from a checkpoint at most about this many events back."""

    def __init__(self) -> None:
        self._codec = PROGRESS_CODEC

    def initial(self) -> ProgressView:
        return ProgressView()

    def fold(self, state: ProgressView, record: Recorded) -> tuple[ProgressView, RowsByTable]:
        return progress_fold(state, record), NO_ROWS

    def rows(self, state: ProgressView) -> RowsByTable:
        return {ITEMS: item_rows(state), **state_rows(state)}

    def changed_rows(self, before: ProgressView, after: ProgressView) -> RowsByTable | None:
        return changed_rows(before, after)

    def encode_state(self, state: ProgressView) -> bytes:
        return self._codec.encode(state)

    def decode_state(self, data: bytes) -> ProgressView:
        return self._codec.decode(data)


progress_projection = ProgressProjection()
"""The module-level Projection object the projector registers."""

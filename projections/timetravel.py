"""As-of replays and differences between two instants, through the same progress fold.

Two times: *transaction time* ("what did we know at position p / at instant t":
:func:`as_of`) and *valid time* ("what was the value for business date d":
``valid_at`` of the progress queries). Both together answer "on March 1st, what did we
believe last week's value was?".
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import msgspec
from msgspec.structs import replace

from projections import rollup
from projections.base import Recorded
from projections.codec import text
from projections.progress_fold import progress_fold
from projections.progress_state import (
    CheckInView,
    MeasurementView,
    ProgressView,
    latest_per_day,
)
from projections.progress_tree import (
    DEFAULT_CADENCE_DAYS,
    CycleNode,
    KeyResultNode,
    KPINode,
    ObjectiveNode,
    ProgressTree,
    kpi_board,
    progress_tree,
)


class Change(msgspec.Struct, frozen=True):
    """One field of one item that differs between two instants (values as text); with
    `valid_on`, a key result's or KPI's value on that earlier business day, revised (see
    _revisions). Before equal to after: a field of an item archived or restored meanwhile,
    unchanged, said for its part in the roll-ups (see _STANDING)."""

    item_kind: str
    item_id: UUID
    title: str
    field: str
    before: str | None
    after: str | None
    valid_on: date | None = None


def as_of(
    records: Sequence[Recorded], *, position: int | None = None, recorded_at: datetime | None = None
) -> Sequence[Recorded]:
    """The records known at a position and/or instant: a prefix of the tenant's log.

    ``records`` are in position order and recorded_at never decreases within a tenant, so
    both bounds cut the log at one place (binary search); with both, the earlier cut wins.
    """
    end = len(records)
    if position is not None:
        end = min(end, bisect_right(records, position, key=lambda r: r.position))
    if recorded_at is not None:
        end = min(end, bisect_right(records, recorded_at, key=lambda r: r.recorded_at))
    return records[:end]


def state_as_of(
    records: Sequence[Recorded], *, position: int | None = None, recorded_at: datetime | None = None
) -> ProgressView:
    """The progress state as it stood at that position/instant."""
    state = ProgressView()
    for record in as_of(records, position=position, recorded_at=recorded_at):
        state = progress_fold(state, record)
    return state


def progress_as_of(
    records: Sequence[Recorded],
    *,
    today: date,
    position: int | None = None,
    recorded_at: datetime | None = None,
    valid_at: date | None = None,
    cycle_id: UUID | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> ProgressTree:
    """The progress tree as known at a position/instant, for ``today`` (or ``valid_at``)."""
    state = state_as_of(records, position=position, recorded_at=recorded_at)
    return progress_tree(
        state, today=today, cycle_id=cycle_id, valid_at=valid_at, cadence_days=cadence_days
    )


_CYCLE_FIELDS = ("name", "state", "starts_on", "ends_on", "progress", "score")
_OBJECTIVE_FIELDS = (
    "title", "owner", "level", "parent_id", "weight", "committed", "roll_up_children",
    "archived", "progress", "score",
)  # fmt: skip
_KEY_RESULT_FIELDS = (
    "title", "owner", "objective_id", "weight", "start", "target", "due_on", "kpi_id",
    "archived", "value", "confidence", "raw_progress", "status", "score",
)  # fmt: skip
_KPI_FIELDS = (
    "name", "owner", "frequency_days", "direction", "green", "red", "archived", "value",
    "health",
)  # fmt: skip
"""What of a KPI its events can change (its unit stays)."""

PROGRESS_FIELDS = frozenset({"progress", "raw_progress", "counted_progress"})
"""Fields of a Change whose values are progress, a fraction (0.5 is half way)."""

Facts = dict[tuple[str, UUID], tuple[str, dict[str, str | None]]]

_BORN = {"state": "planning", "archived": "false", "value": None, "score": None}
"""What an item is when made (a cycle in planning; live, unmeasured, unscored): of one made
between the two instants, each of these that is otherwise at the end is said after its
"created" (a cycle made and closed meanwhile, a key result made and checked in)."""

_STANDING = {
    "cycle": ("progress",),
    "objective": ("weight", "progress", "counted_progress"),
    "key_result": (
        "start", "target", "weight", "value", "raw_progress", "status", "counted_progress",
    ),
    "kpi": ("value", "health"),
}  # fmt: skip
"""What a reader needs of an item to work out its part in a roll-up (GLOSSARY: an
objective's progress is Σ w·clamp(p) / Σ w of its live key results and rolled-up children,
a cycle's of its top objectives): said of an item made or removed between the two
instants, as it stands on its one side, and of one archived or restored meanwhile, as it
stood where it still counted (before equal to after: unchanged, said for that)."""

COUNTED = "counted_progress"
"""What an item adds to the progress it is rolled up into where its own progress does not
say it: 0 for a live key result without a check-in, or an objective whose key results have
none (their progress is "—", yet they pull their objective's and cycle's down). Said only
with the standing of an item (_STANDING), never as a change of its own."""


def diff(
    state_from: ProgressView,
    state_to: ProgressView,
    *,
    today_from: date,
    today_to: date,
    cycle_id: UUID | None = None,
) -> list[Change]:
    """What changed between two states, per cycle, objective and key result, in tree order,
    then per KPI; with `cycle_id`, of that cycle and the KPIs only (of_cycle).

    Status and pace are taken on each state's own day. An item present on one side only
    shows as field "created" (before None) or "removed" (after None) with its title; one
    created between them, with what became of it since (see _BORN); and either with what
    explains its part in the roll-ups, as does one archived or restored meanwhile (see
    _STANDING). A key result's or KPI's values of earlier days that were revised meanwhile
    follow its other changes.

    Only the cycles and KPIs that may differ are worked out (_may_differ): the facts of
    the others are the same on both sides, and said nothing of. Building both whole trees
    took most of a diff of a 10,000-event tenant (100 ms, for a dozen changes).
    """
    cycles, kpis = _may_differ(state_from, state_to, today_from, today_to, cycle_id)
    before = _facts(_part(state_from, cycles, kpis), today_from)
    after = _facts(_part(state_to, cycles, kpis), today_to)
    changes: list[Change] = []
    for key in [*after, *(k for k in before if k not in after)]:
        changes.extend(_item_changes(key, before.get(key), after.get(key)))
        changes.extend(_revisions(key, state_from, state_to, today_from))
    return changes if cycle_id is None else of_cycle(changes, cycle_id, state_to, state_from)


def _may_differ(
    old: ProgressView, new: ProgressView, day_old: date, day_new: date, cycle_id: UUID | None
) -> tuple[set[UUID] | None, set[UUID]]:
    """The cycles (None: every one) and KPIs whose facts may differ between two states.

    A KPI's facts are of its own view alone. A cycle's, its objectives' and key results'
    are of the views of its own items alone (roll-ups stay inside a cycle), and of the day
    through its key results' status (_paced_apart). Unless an objective is aligned to one
    of another cycle or a key result is of another cycle than its objective (the domain
    allows neither): then every cycle may.
    """
    kpis = {
        k for k in old.kpis.keys() | new.kpis.keys() if not _same(old.kpis.get(k), new.kpis.get(k))
    }
    if not (rollup.within_cycles(old) and rollup.within_cycles(new)):
        return None, kpis
    cycles = _changed_cycles(old, new)
    cycles |= _paced_apart(new, new.cycles.keys() - cycles, day_old, day_new)
    return (cycles if cycle_id is None else cycles & {cycle_id}), kpis


def _changed_cycles(old: ProgressView, new: ProgressView) -> set[UUID]:
    """The cycles whose own view, or one of an item of theirs, is not the same on both
    sides (the fold shares what an event left alone: mostly `is`)."""
    cycles = {
        c
        for c in old.cycles.keys() | new.cycles.keys()
        if not _same(old.cycles.get(c), new.cycles.get(c))
    }
    for was, now in ((old.objectives, new.objectives), (old.key_results, new.key_results)):
        if was is not now:
            for item_id in was.keys() | now.keys():
                a, b = was.get(item_id), now.get(item_id)
                if not _same(a, b):
                    cycles.update(i.cycle_id for i in (a, b) if i is not None)
    return cycles


def _paced_apart(
    state: ProgressView, cycle_ids: Iterable[UUID], day_old: date, day_new: date
) -> set[UUID]:
    """Those of these cycles (the same on both sides) where a key result's status may
    differ between the two days: its only fact of the day, through the elapsed share of
    its window (cycle start to due date) on its pace day (rollup.pace_day). Not where both
    pace days are the same, nor past every due date of the cycle (a share of 1 on both)."""
    cycles = {c: state.cycles[c] for c in cycle_ids}
    paces = {
        c: (rollup.pace_day(cycle, day_old), rollup.pace_day(cycle, day_new))
        for c, cycle in cycles.items()
    }
    last_due: dict[UUID, date] = {}
    for kr in state.key_results.values():
        pace = paces.get(kr.cycle_id)
        if pace is not None and pace[0] != pace[1]:
            last_due[kr.cycle_id] = max(kr.due_on, last_due.get(kr.cycle_id, kr.due_on))
    return {c for c, due in last_due.items() if min(paces[c]) < due}


def _same(a: object, b: object) -> bool:
    """Whether an item's view is the same on both sides (shared by the fold, or equal)."""
    return a is b or a == b


def _part(state: ProgressView, cycles: set[UUID] | None, kpis: set[UUID]) -> ProgressView:
    """The state's items of these cycles (all of them for None) and of these KPIs, in the
    state's order (its trees' order)."""
    part = state if cycles is None else rollup.in_cycles(state, cycles)
    return replace(part, kpis={k: v for k, v in state.kpis.items() if k in kpis})


def of_cycle(changes: Sequence[Change], cycle_id: UUID, *states: ProgressView) -> list[Change]:
    """The changes of one cycle: of the cycle itself, its objectives and key results (as
    the first of `states` that knows an item places it: give the diff's own two states,
    the later first, so an item made or removed between them is placed as it stood), and
    of the KPIs, which belong to no cycle; an item no state knows, kept whatever the cycle."""
    where: dict[UUID, UUID] = {}
    for state in reversed(states):  # the first state's word wins
        where |= {c.cycle_id: c.cycle_id for c in state.cycles.values()}
        where |= {o.objective_id: o.cycle_id for o in state.objectives.values()}
        where |= {k.key_result_id: k.cycle_id for k in state.key_results.values()}
    return [c for c in changes if where.get(c.item_id, cycle_id) == cycle_id]


def _revisions(
    key: tuple[str, UUID], old: ProgressView, new: ProgressView, day_old: date
) -> Iterator[Change]:
    """The values of past business days that changed between the two states: a check-in
    or measurement recorded late for a day the first state already told a value of, or
    one corrected. Those days are up to the first state's latest value or its own day
    (`day_old`: a view as of it tells the value of any day up to it, carried from the
    latest before; a later day is still to come there), and before the second's latest
    (a change of the latest value is the item's "value" change). Each with its value on
    either side as a view `valid_at` that day reads it (in_force): a late value for a day
    with none of its own was "10 → 15" in the history, "— → 15" here, though the tree of
    that day had shown 10 (the latest of an earlier day) before it came; and one for a
    day after the first state's latest, before its own day, was not said at all."""
    kind, item_id = key
    was: Sequence[CheckInView | MeasurementView]
    now: Sequence[CheckInView | MeasurementView]
    if kind == "key_result" and item_id in old.key_results and item_id in new.key_results:
        kr = new.key_results[item_id]
        title, was, now = kr.title, old.key_results[item_id].check_ins, kr.check_ins
    elif kind == "kpi" and item_id in old.kpis and item_id in new.kpis:
        kpi = new.kpis[item_id]
        title, was, now = kpi.name, old.kpis[item_id].measurements, kpi.measurements
    else:
        return
    if was is now:  # (the fold keeps the tuple while no check-in or measurement changes)
        return
    before, after = _by_day(was), _by_day(now)
    if not before or not after:
        return
    until = min(max(next(reversed(before)), day_old), next(reversed(after)) - timedelta(days=1))
    days = sorted(day for day in before.keys() | after.keys() if day <= until)
    for day, stood, stands in zip(days, in_force(before, days), in_force(after, days), strict=True):
        if stood != stands:
            yield Change(kind, item_id, title, "value", text(stood), text(stands), day)


def _by_day(dated: Sequence[CheckInView | MeasurementView]) -> dict[date, Decimal]:
    """The value each business day was given (latest_per_day), in day order."""
    return {day: d.value for day, d in latest_per_day(dated).items()}


def in_force(by_day: Mapping[date, Decimal], days: Sequence[date]) -> list[Decimal | None]:
    """The value in force on each of these days (in order): the one given for it, else the
    latest given for a day before it (GLOSSARY: c is the latest value by valid date), None
    before the first."""
    given = sorted(by_day.items())
    found: list[Decimal | None] = []
    value, at = None, 0
    for day in days:
        while at < len(given) and given[at][0] <= day:
            value, at = given[at][1], at + 1
        found.append(value)
    return found


def _item_changes(
    key: tuple[str, UUID],
    old: tuple[str, dict[str, str | None]] | None,
    new: tuple[str, dict[str, str | None]] | None,
) -> Iterator[Change]:
    kind, item_id = key
    if old is None or new is None:
        title = (new or old or ("", {}))[0]
        yield Change(kind, item_id, title, "created" if old is None else "removed",
                     None if old is None else title, None if new is None else title)  # fmt: skip
        yield from _one_sided(kind, item_id, title, old, new)
        return
    for field, value in new[1].items():
        if field != COUNTED and old[1].get(field) != value:
            yield Change(kind, item_id, new[0], field, old[1].get(field), value)
    if old[1].get("archived") != new[1].get("archived"):  # it left the roll-ups, or came back
        for field in _STANDING[kind]:
            was, now = old[1].get(field), new[1].get(field)
            if (was == now and was is not None) or (field == COUNTED and was != now):
                yield Change(kind, item_id, new[0], field, was, now)


def _one_sided(
    kind: str,
    item_id: UUID,
    title: str,
    old: tuple[str, dict[str, str | None]] | None,
    new: tuple[str, dict[str, str | None]] | None,
) -> Iterator[Change]:
    """After its "created", what became of an item made since (_BORN) and how it stands
    (_STANDING), in the order of its fields; after its "removed", how it stood."""
    if new is not None:
        for field, value in new[1].items():
            born = field in _BORN and value != _BORN[field]
            if born or (field in _STANDING[kind] and value is not None):
                yield Change(kind, item_id, title, field, None, value)
    elif old is not None:
        for field in _STANDING[kind]:
            if old[1].get(field) is not None:
                yield Change(kind, item_id, title, field, old[1][field], None)


def _facts(state: ProgressView, today: date) -> Facts:
    counted = rollup.objective_progress(state, rollup.key_result_progress(state))
    tree = progress_tree(state, today=today, include_archived=True, objective_progress=counted)
    facts: Facts = {}
    for cycle in tree.cycles:
        facts[("cycle", cycle.cycle_id)] = (cycle.name, _pick(cycle, _CYCLE_FIELDS))
        for objective in cycle.objectives:
            _objective_facts(objective, facts, counted, state)
    for kpi in kpi_board(state, today=today, include_archived=True):
        facts[("kpi", kpi.kpi_id)] = (kpi.name, _pick(kpi, _KPI_FIELDS))
    return facts


def _objective_facts(
    objective: ObjectiveNode,
    facts: Facts,
    counted: Mapping[UUID, Decimal | None],
    state: ProgressView,
) -> None:
    """An objective's facts, its key results' and its children's, each with what it counts
    as where its progress is "—" (COUNTED: the roll-up's own value, rollup.objective_progress;
    a key result without a check-in counts 0 there). Its description, after its title, is
    the state's: the tree does not show it, and a diff left its change unsaid."""
    unsaid = not objective.archived and objective.progress is None
    described = state.objectives[objective.objective_id].description
    facts[("objective", objective.objective_id)] = (
        objective.title,
        {**_pick(objective, _OBJECTIVE_FIELDS[:1]), "description": described,
         **_pick(objective, _OBJECTIVE_FIELDS[1:]),
         COUNTED: text(counted.get(objective.objective_id)) if unsaid else None},
    )  # fmt: skip
    for kr in objective.key_results:
        unmeasured = not kr.archived and kr.raw_progress is None
        facts[("key_result", kr.key_result_id)] = (
            kr.title,
            {**_pick(kr, _KEY_RESULT_FIELDS), COUNTED: "0" if unmeasured else None},
        )
    for child in objective.children:
        _objective_facts(child, facts, counted, state)


def _pick(
    node: CycleNode | ObjectiveNode | KeyResultNode | KPINode, fields: tuple[str, ...]
) -> dict[str, str | None]:
    return {name: text(getattr(node, name)) for name in fields}

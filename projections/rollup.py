"""Roll-ups over the progress state: key result progress up to objectives and cycles.

Weighted means come from ``domain.progress.objective_progress``; this module only decides
which items count (archived ones never do) and walks the alignment tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from functools import lru_cache
from typing import Protocol
from uuid import UUID

import msgspec
from msgspec.structs import replace

from domain import progress
from projections.progress_state import (
    CycleView,
    ProgressView,
    check_in_at,
    overdue,
    raw_progress,
)

Progresses = Mapping[UUID, Decimal | None]


def aligned_within_cycles(state: ProgressView) -> bool:
    """True when no objective is aligned to one of another cycle (the domain forbids it)."""
    cycle_of = {k.int: o.cycle_id.int for k, o in state.objectives.items()}
    return all(
        o.parent_id is None or cycle_of.get(o.parent_id.int, o.cycle_id.int) == o.cycle_id.int
        for o in state.objectives.values()
    )


def within_cycles(state: ProgressView) -> bool:
    """No objective aligned to one of another cycle, no key result of another cycle than
    its objective's: each item sits in its own cycle's tree, and counts only there."""
    cycle_of = {k.int: o.cycle_id.int for k, o in state.objectives.items()}
    return aligned_within_cycles(state) and all(
        cycle_of.get(kr.objective_id.int, kr.cycle_id.int) == kr.cycle_id.int
        for kr in state.key_results.values()
    )


def in_cycles(state: ProgressView, cycle_ids: Collection[UUID]) -> ProgressView:
    """The state's cycles, objectives and key results of these cycles, in its order (its
    trees' order); its KPIs and tenant-wide facts as they are."""
    wanted = {c.int for c in cycle_ids}  # UUID's hash is Python code, an int's is not
    return replace(
        state,
        cycles={k: v for k, v in state.cycles.items() if k.int in wanted},
        objectives={k: v for k, v in state.objectives.items() if v.cycle_id.int in wanted},
        key_results={k: v for k, v in state.key_results.items() if v.cycle_id.int in wanted},
    )


def cycles_only(state: ProgressView, cycle_ids: Collection[UUID]) -> ProgressView | None:
    """The part of the state in these cycles (in_cycles), for views that only look inside
    a cycle; None unless each item sits in its own cycle's tree (within_cycles: then only
    the whole state gives the same answer)."""
    return in_cycles(state, cycle_ids) if within_cycles(state) else None


def key_result_progress(
    state: ProgressView, valid_at: date | None = None
) -> dict[UUID, Decimal | None]:
    """Raw progress of every key result, at its latest value (or its value on ``valid_at``)."""
    return {
        kr_id: raw_progress(kr, check_in_at(kr, valid_at))
        for kr_id, kr in state.key_results.items()
    }


def objective_progress(
    state: ProgressView, kr_progress: Progresses, known: Progresses | None = None
) -> dict[UUID, Decimal | None]:
    """Progress of every objective: its live key results and, when rolled up, live children.

    ``known``: objectives whose progress is already known (their key results, children and
    their children's progress are as when it was worked out): taken as they are.
    """
    krs: defaultdict[UUID, list[tuple[Decimal, Decimal | None]]] = defaultdict(list)
    for kr_id, kr in state.key_results.items():
        if not kr.archived:
            krs[kr.objective_id].append((kr.weight, kr_progress.get(kr_id)))
    children = live_children(state)
    done: dict[UUID, Decimal | None] = {} if known is None else dict(known)

    def visit(objective_id: UUID, path: frozenset[UUID]) -> Decimal | None:
        if objective_id in done:
            return done[objective_id]
        objective = state.objectives[objective_id]
        kids: list[tuple[Decimal, Decimal | None]] = []
        if objective.roll_up_children:
            kids = [
                (state.objectives[kid].weight, visit(kid, path | {objective_id}))
                for kid in children.get(objective_id, ())
                if kid not in path
            ]
        done[objective_id] = progress.objective_progress(krs.get(objective_id, ()), kids)
        return done[objective_id]

    for objective_id in state.objectives:
        visit(objective_id, frozenset())
    return done


def with_ancestors(state: ProgressView, objective_ids: Collection[UUID]) -> set[UUID]:
    """These objectives and every objective above them (the ones their progress rolls into)."""
    out: set[UUID] = set()
    for objective_id in objective_ids:
        current: UUID | None = objective_id
        while current is not None and current not in out and current in state.objectives:
            out.add(current)
            current = state.objectives[current].parent_id
    return out


def live_children(state: ProgressView) -> dict[UUID, list[UUID]]:
    """Ids of the not-archived objectives aligned under each objective, in creation order."""
    children: defaultdict[UUID, list[UUID]] = defaultdict(list)
    for objective_id, objective in state.objectives.items():
        if objective.parent_id is not None and not objective.archived:
            children[objective.parent_id].append(objective_id)
    return dict(children)


def roots(state: ProgressView, cycle_id: UUID, *, include_archived: bool = False) -> list[UUID]:
    """Objectives at the top of a cycle's tree: no parent, or a parent that is not shown.

    Without archived objectives, the children of an archived one move up to the top.
    """

    def shown(objective_id: UUID | None) -> bool:
        objective = None if objective_id is None else state.objectives.get(objective_id)
        return objective is not None and (include_archived or not objective.archived)

    return [
        objective_id
        for objective_id, objective in state.objectives.items()
        if objective.cycle_id == cycle_id and shown(objective_id) and not shown(objective.parent_id)
    ]


def cycle_progress(state: ProgressView, cycle_id: UUID, objectives: Progresses) -> Decimal | None:
    """Weighted mean of the live top-level objectives' progress (None: nothing measurable)."""
    tops = [(state.objectives[o].weight, objectives.get(o)) for o in roots(state, cycle_id)]
    return progress.objective_progress((), tops)


def cycle_score(state: ProgressView, cycle: CycleView) -> Decimal | None:
    """Once closed: weighted mean of the live top-level objectives' closing scores."""
    if not cycle.is_closed:
        return None
    scores = cycle.objective_scores
    tops = [(state.objectives[o].weight, scores.get(o)) for o in roots(state, cycle.cycle_id)]
    return progress.objective_progress((), tops)


StatusDates = tuple[str, date | None, date | None]


def pace_day(cycle: CycleView | None, day: date) -> date:
    """The day a key result's pace is of: `day`, or for a closed cycle at the latest the
    day it closed (the tenant's): closing grades and locks it, so its expected progress and
    statuses stay as they were then."""
    closed = _closed_on(cycle)
    return day if closed is None else min(day, closed)


def frozen_at_close(cycle: CycleView | None, dates: StatusDates) -> StatusDates:
    """status_dates of a key result of `cycle`, with the days past its close taken out:
    a status worsens no more once its cycle is closed (pace_day)."""
    closed = _closed_on(cycle)
    if closed is None:
        return dates
    base, at_risk, off_track = dates
    return (
        base,
        at_risk if at_risk is not None and at_risk <= closed else None,
        off_track if off_track is not None and off_track <= closed else None,
    )


def _closed_on(cycle: CycleView | None) -> date | None:
    if cycle is None or cycle.closed_at is None or not cycle.is_closed:
        return None
    return cycle.closed_on or cycle.closed_at.date()


@lru_cache(maxsize=8192)
def status_dates(kind: str, raw: Decimal | None, window_start: date, due: date) -> StatusDates:
    """How a key result's status moves with the day while its value stays put.

    Returns (status before the window opens, first day at risk or worse, first day off
    track); a day is None when it never comes, ``date.min`` when it holds from the start.
    Expected progress only grows with the day, so status only worsens: status on day d is
    off_track from the third date, at_risk from the second, else the first value. Lets SQL
    count statuses for any day with date comparisons, no arithmetic. (Before the window,
    not on its first day: a key result due on that day is expected whole there already.)
    """
    before = window_start - _DAY if window_start > date.min else window_start
    first = _status_on(kind, raw, window_start, due, before)
    at_risk = _first_day(kind, raw, window_start, due, _AT_RISK_OR_WORSE, progress.ON_TRACK_PACE)
    off_track = _first_day(kind, raw, window_start, due, _OFF_TRACK, progress.AT_RISK_PACE)
    return first, at_risk, off_track


_DAY = timedelta(days=1)
_AT_RISK_OR_WORSE = frozenset({"at_risk", "off_track"})
_OFF_TRACK = frozenset({"off_track"})


def _status_on(kind: str, raw: Decimal | None, window_start: date, due: date, day: date) -> str:
    return progress.status(kind, raw, progress.expected_share(window_start, due, day)).value


def _first_day(
    kind: str,
    raw: Decimal | None,
    window_start: date,
    due: date,
    bad: frozenset[str],
    pace: Decimal,
) -> date | None:
    """The first day whose status is in `bad`, which a paced key result reaches once its
    expected progress passes raw / `pace`: that day is tried first, then its neighbour,
    then the days between are halved (status only worsens with the day)."""
    end = max(due, window_start)
    if _status_on(kind, raw, window_start, due, end) not in bad:
        return None
    low = (
        window_start - _DAY if window_start > date.min else window_start
    )  # (year 1: no day before)
    high = end
    if _status_on(kind, raw, window_start, due, low) in bad:
        return date.min  # bad before the window opens: bad on every day
    # status(low) good, status(high) bad: halve until they are neighbours, trying first
    # the day raw / pace says and the days beside it (rounding moves it by one at most)
    guess = _paced_guess(raw, window_start, due, pace)
    tries = [] if guess is None else [guess, guess - _DAY, guess + _DAY]
    while (high - low).days > 1:
        tries = [day for day in tries if low < day < high]
        middle = tries.pop(0) if tries else low + timedelta(days=(high - low).days // 2)
        if _status_on(kind, raw, window_start, due, middle) in bad:
            high = middle
        else:
            low = middle
    return high


def _paced_guess(raw: Decimal | None, window_start: date, due: date, pace: Decimal) -> date | None:
    """The first day whose elapsed share of the window exceeds raw / pace, before rounding;
    None when there is no such day before the due date (the due date itself is tried
    anyway, and the day after it may not exist)."""
    duration = (due - window_start).days
    if raw is None or duration <= 0:
        return None
    with localcontext(prec=28):
        elapsed = int((raw * duration / pace).to_integral_value(rounding=ROUND_FLOOR)) + 1
    if not 0 <= elapsed < duration:
        return None
    return window_start + timedelta(days=elapsed)


class Dated(Protocol):
    """A key result's stored days (a row of rm_key_results, or only these columns of it)."""

    @property
    def status_base(self) -> str: ...
    @property
    def at_risk_from(self) -> date | None: ...
    @property
    def off_track_from(self) -> date | None: ...
    @property
    def quiet_since(self) -> date | None: ...


class KeyResultDays(msgspec.Struct, frozen=True):
    """What of a key result's row its status and staleness on any day are read from."""

    status_base: str
    at_risk_from: date | None
    off_track_from: date | None
    quiet_since: date | None


def status_on(row: Dated, day: date) -> str:
    """The status of a key result row on a day, from its stored dates (no arithmetic)."""
    if row.off_track_from is not None and day >= row.off_track_from:
        return "off_track"
    if row.at_risk_from is not None and day >= row.at_risk_from:
        return "at_risk"
    return row.status_base


def stale_on(row: Dated, day: date, cadence_days: int) -> bool:
    """Whether the key result of a running cycle is overdue on a day (kr_stale)."""
    return row.quiet_since is not None and overdue(row.quiet_since, cadence_days, day)

"""One summary row per tenant, for a consultancy's portfolio of client companies.

Folded from the progress state: the progress projection keeps rm_portfolio (what does not
depend on the day) beside its other tables; :func:`portfolio_row` adds what does (statuses,
staleness) for a ``today`` it is given. The consultancy-wide view is these rows for its
tenants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias
from uuid import UUID

import msgspec

from domain import progress
from domain.values import CycleState, Health, Status
from projections import rollup
from projections.codec import table_of
from projections.progress_state import KeyResultView, ProgressView, kpi_due_after, kpi_health
from projections.progress_tree import (
    DEFAULT_CADENCE_DAYS,
    fed_by_kpi,
    key_result_node,
    needs_recovery,
    recovering,
)
from projections.rollup import KeyResultDays, stale_on, status_on


class PortfolioFacts(msgspec.Struct, frozen=True):
    """rm_portfolio: a tenant's summary that holds on any day (one row per tenant)."""

    active_cycles: int
    progress: Decimal | None
    """Weighted progress of the top-level objectives of the active cycle(s)."""
    key_results: int
    check_ins: int
    kpis: int
    kpis_red: int
    kpis_amber: int
    last_activity: datetime | None
    last_position: int
    last_closed_cycle: str | None = None
    """The name of the cycle closed last (by its end), and its score."""
    last_closed_score: Decimal | None = None
    next_cycle: str | None = None
    """The name of the cycle in planning that starts first, and its first day."""
    next_cycle_starts_on: date | None = None
    kpis_unrecovered: int = 0
    """Live KPIs amber or red with no recovery OKR (progress_tree.needs_recovery)."""


class PortfolioRow(msgspec.Struct, frozen=True):
    """A tenant's summary on a day: progress, key results by status, what needs attention."""

    today: date
    active_cycles: int
    progress: Decimal | None
    key_results: int
    not_started: int
    on_track: int
    at_risk: int
    off_track: int
    done: int
    stale_key_results: int
    kpis: int
    kpis_red: int
    kpis_amber: int
    kpis_stale: int
    last_activity: datetime | None
    last_position: int
    kpis_unmeasured: int = 0
    """Live KPIs with no measurement yet: neither green nor red (the portal counts them
    among those not green)."""
    last_closed_cycle: str | None = None
    """The name of the cycle closed last (by its end), and its score: between cycles, how
    the last one ended."""
    last_closed_score: Decimal | None = None
    next_cycle: str | None = None
    """The name of the cycle in planning that starts first, and its first day."""
    next_cycle_starts_on: date | None = None
    kpis_late: int = 0
    """Live KPIs measured, but not within their frequency since (of any colour: a green
    one too); kpis_stale counts those and the ones never measured a frequency after made."""
    kpis_unrecovered: int = 0
    """Live KPIs amber or red that feed no key result of an active cycle: unhealthy, with no
    recovery OKR aligned to them."""


def _live(state: ProgressView, kr: KeyResultView) -> bool:
    """Whether a key result counts: neither it nor its objective archived (an archived
    objective's key results are left out of every tree and roll-up with it)."""
    objective = state.objectives.get(kr.objective_id)
    return not kr.archived and (objective is None or not objective.archived)


def _active_cycles(state: ProgressView) -> list[UUID]:
    return [c.cycle_id for c in state.cycles.values() if c.state == CycleState.ACTIVE.value]


def _overall(state: ProgressView, active: list[UUID]) -> Decimal | None:
    state = rollup.cycles_only(state, active) or state
    objectives = rollup.objective_progress(state, rollup.key_result_progress(state))
    tops = [
        (state.objectives[o].weight, objectives.get(o))
        for cycle_id in active
        for o in rollup.roots(state, cycle_id)
    ]
    return progress.objective_progress((), tops)


Overall: TypeAlias = Callable[[ProgressView, list[UUID]], Decimal | None]


def portfolio_facts(state: ProgressView, overall: Overall | None = None) -> PortfolioFacts:
    """The day-independent summary of a tenant; `overall` works out the weighted progress
    of the active cycles' top objectives (the progress projection hands in what it has)."""
    active = _active_cycles(state)
    live = {c.int for c in active}
    krs = [k for k in state.key_results.values() if k.cycle_id.int in live and _live(state, k)]
    live_kpis = [k for k in state.kpis.values() if not k.archived]
    healths = [(k, kpi_health(k, k.latest)) for k in live_kpis]
    health = Counter(h for _, h in healths)
    unhealthy = [k for k, h in healths if needs_recovery(h, [])]
    fed = fed_by_kpi(state) if unhealthy else {}  # (it walks every key result: each pass)
    unrecovered = sum(not recovering(state, fed.get(k.kpi_id, [])) for k in unhealthy)
    check_ins = sum(len(k.check_ins) for k in krs)
    cycles = state.cycles.values()
    closed = [c for c in cycles if c.is_closed]
    last = max(closed, key=lambda c: (c.ends_on, c.name), default=None)
    planned = [c for c in cycles if c.state == CycleState.PLANNING.value]
    upcoming = min(planned, key=lambda c: (c.starts_on, c.name), default=None)
    return PortfolioFacts(
        active_cycles=len(active),
        # none until a key result of the active cycles is checked in (each objective "—")
        progress=(overall or _overall)(state, active) if check_ins else None,
        key_results=len(krs),
        check_ins=check_ins,
        kpis=len(live_kpis),
        kpis_red=health[Health.RED.value],
        kpis_amber=health[Health.AMBER.value],
        last_activity=state.last_activity,
        last_position=state.last_position,
        last_closed_cycle=None if last is None else last.name,
        last_closed_score=None if last is None else rollup.cycle_score(state, last),
        next_cycle=None if upcoming is None else upcoming.name,
        next_cycle_starts_on=None if upcoming is None else upcoming.starts_on,
        kpis_unrecovered=unrecovered,
    )


def portfolio_row(
    state: ProgressView, today: date, cadence_days: int = DEFAULT_CADENCE_DAYS
) -> PortfolioRow:
    """The tenant's summary on ``today``: live key results of active cycles by status
    (staleness by the cadence its log set, ``cadence_days`` where it set none)."""
    active = set(_active_cycles(state))
    nodes = [
        key_result_node(state, kr, today=today, cadence_days=cadence_days)
        for kr in state.key_results.values()
        if kr.cycle_id in active and _live(state, kr)
    ]
    live_kpis = [k for k in state.kpis.values() if not k.archived]
    return _summary(
        portfolio_facts(state), today, Counter(n.status for n in nodes),
        sum(n.stale for n in nodes),
        [(None if k.latest is None else k.latest.on, kpi_due_after(k, k.latest))
         for k in live_kpis],
    )  # fmt: skip


def portfolio_of_rows(
    facts: PortfolioFacts | None,
    key_results: Iterable[KeyResultDays],
    kpis: Iterable[tuple[date | None, date | None]],
    today: date,
    cadence_days: int,
) -> PortfolioRow:
    """portfolio_row's summary from the read model's rows rather than the whole state:
    the tenant's facts (None: it has no log yet), its live key results of active cycles,
    its live KPIs (their latest measurement's day and the last day they are not overdue on,
    rm_kpis's latest_on and stale_after), and the cadence
    its view is shown with (cadence_of)."""
    days = list(key_results)
    return _summary(
        facts or PortfolioFacts(0, None, 0, 0, 0, 0, 0, None, 0), today,
        Counter(status_on(kr, today) for kr in days),
        sum(stale_on(kr, today, cadence_days) for kr in days), list(kpis),
    )  # fmt: skip


def _summary(
    facts: PortfolioFacts,
    today: date,
    statuses: Counter[str],
    stale: int,
    kpis: list[tuple[date | None, date | None]],
) -> PortfolioRow:
    """A summary of these facts, statuses, overdue key results and KPIs (their latest
    measurement's day, and the last day they are not overdue on: see kpi_due_after)."""
    return PortfolioRow(
        today=today,
        active_cycles=facts.active_cycles,
        progress=facts.progress,
        key_results=facts.key_results,
        not_started=statuses[Status.NOT_STARTED.value],
        on_track=statuses[Status.ON_TRACK.value],
        at_risk=statuses[Status.AT_RISK.value],
        off_track=statuses[Status.OFF_TRACK.value],
        done=statuses[Status.DONE.value],
        stale_key_results=stale,
        kpis=facts.kpis,
        kpis_red=facts.kpis_red,
        kpis_amber=facts.kpis_amber,
        kpis_stale=sum(due is None or today > due for _, due in kpis),
        kpis_late=sum(on is not None and due is not None and today > due for on, due in kpis),
        last_activity=facts.last_activity,
        last_position=facts.last_position,
        kpis_unmeasured=sum(on is None for on, _ in kpis),
        last_closed_cycle=facts.last_closed_cycle,
        last_closed_score=facts.last_closed_score,
        next_cycle=facts.next_cycle,
        next_cycle_starts_on=facts.next_cycle_starts_on,
        kpis_unrecovered=facts.kpis_unrecovered,
    )


PORTFOLIO_TABLE = table_of("rm_portfolio", PortfolioFacts, key=(), kind="state")
"""A state table of the progress projection (its rows come from the same state)."""

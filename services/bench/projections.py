"""`okr bench projections`: how fast the read side rebuilds, keeps up, and travels in time.

Against a fresh database on the server (`okr_bench_<random>`, dropped at the end whatever
happens):

- load: N tenants with E events in all (one of them with 10,000 events), realistic OKR
  histories made through the domain (cycles, objectives, key results, KPIs feeding key
  results, mostly check-ins, some corrections, target revisions and edits, earlier cycles
  closed with scores), built in memory and appended ~250 events per `Repository.save`,
  several tenants at once;
- rebuild: `rebuild_all` of every projection over those events, against a raw sequential
  read of the same rows (per tenant, in batches, as the application role, state bytes not
  decoded);
- lag, twice: writers here record single check-ins through `OKRApplication`, started at a
  steady rate round robin over the tenants, while `Projector.run` keeps up, first as
  `okr serve` and `okr project` run it (a process of its own, this module run as a script:
  `lag_*`), then, as a baseline, as a task of the process that writes, on connections of
  its own (`lag_in_process_*`: how `okr serve` ran it before it made it a child process,
  see services.projector_process). Lag is the instant the projector committed the batch
  holding a position (its `on_committed`, CLOCK_MONOTONIC is system-wide) minus the
  instant `record_check_in` returned. The first `lag_warmup_seconds` of writing warm the
  caches a running system has warm (PostgreSQL's buffers of each tenant's streams and
  read-model rows, the writers' key result to cycle map): their lags are reported apart
  (`lag_warmup_ms_p99`), the steady-state figures come from the seconds after;
- as-of: `progress_as_of` of the 10,000-event tenant at its head position (the progress
  projection's checkpoint before it, then read, decode and fold what follows, and the
  tree), median of several runs, each as a first one, the process keeping no state of the
  tenant; then the same asked again (`as_of_again_ms`: from the state kept of it) and
  asked after a point NEARBY events back (`as_of_nearby_ms`: from the state kept of that);
  and the diff of the states at those two points, a week apart (`diff_ms`: the states
  kept, the changes alone).

Before each lag the bench runs a CHECKPOINT (see `checkpoint`), so the write-back of the
load and the rebuild is not measured as lag; `lag_from_checkpoint` says whether it could.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import resource
import statistics
import sys
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import structlog
from eventsourcing.domain import Aggregate, Snapshot

from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.kpi import KPI
from domain.objective import Objective
from domain.values import KRKind, Unit, UnitKind
from projections.timetravel import diff
from services.app import Context, OKRApplication
from services.app.kpis import fed_check_in_id
from services.bench.harness import (
    TODAY,
    bench_database,
    bench_settings,
    connection,
    machine_info,
    on_bench_server,
)
from services.bootstrap import System, bootstrap
from services.db import admit_sql, tenant_transaction
from services.projector.rebuild import BATCH as REBUILD_BATCH
from services.projector.rebuild import rebuild_all
from services.projector.registry import PROJECTIONS
from services.projector.worker import Projector, projector_pool
from services.projector_process import project_until_told
from services.read.progress import progress_as_of, state_as_of
from services.settings import Settings
from services.store.repository import Repository

LOAD_ACTOR = "system:bench-load"
FIRST_QUARTER = date(2025, 1, 1)
EVENTS_PER_CYCLE = 250
"""A tenant gets one quarter per this many events, at most MAX_CYCLES (the earlier ones are
closed with scores): 1,000 events are a year of 4 quarters."""
MAX_CYCLES = 8
EVENTS_PER_KEY_RESULT = 16
"""About this many events per key result of a cycle: a check-in a week, a correction now
and then (15 key results in a quarter of 250 events)."""
MIN_TENANT_EVENTS = 40
PROJECTOR_DEPLOYMENTS = {
    "lag": "okr serve's child process, and okr project: a process of its own",
    "lag_in_process": "baseline: a task of the process that writes, on connections of its own",
}
RAW_READ = "SELECT * FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3"
NOTES = (
    "",
    "",
    "in linea con il piano",
    "ritardo sul fornitore",
    "nuovo triage dei ticket in arrivo",
    "campagna partita lunedì",
    "dati dal CRM",
    "stima, da confermare a fine mese",
)
REASONS = (
    "valore riportato male",
    "dato aggiornato dal gestionale",
    "il mercato si è ristretto",
    "nuovo accordo col cliente",
)


@dataclass(frozen=True)
class Config:
    """How much to load and how long to measure."""

    tenants: int
    events: int
    """Events in all tenants together, the big one included."""
    lag_seconds: float
    lag_warmup_seconds: float = 0.0
    """Writing at lag_rate before the measured lag_seconds (see the module's docstring)."""
    big_tenant_events: int = 10_000
    lag_rate: float = 500.0
    """Single check-in commands per second during the lag phase."""
    as_of_runs: int = 7
    load_concurrency: int = 8
    """Tenants loaded at once."""
    events_per_append: int = 250
    pool_size: int = 20
    drain_timeout: float = 120.0
    """How long to wait after the writers for every position to become visible."""

    def __post_init__(self) -> None:
        others = self.events - self.big_tenant_events
        if self.tenants < 2 or others < (self.tenants - 1) * MIN_TENANT_EVENTS:
            raise ValueError(f"{self.events} events are too few for {self.tenants} tenants")


FULL = Config(tenants=1000, events=1_000_000, lag_seconds=20.0, lag_warmup_seconds=5.0)
QUICK = Config(tenants=100, events=50_000, lag_seconds=5.0, lag_warmup_seconds=2.0)


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The CLI entry: on DATABASE_URL's server or the embedded one."""
    config = QUICK if args.quick else FULL
    _quiet_logs()
    return await on_bench_server(
        settings, lambda dsn, kind: bench_projections(dsn, settings, config, server_kind=kind)
    )


async def bench_projections(
    server_dsn: str, settings: Settings, config: Config, *, server_kind: str
) -> dict[str, Any]:
    """Every measurement, on a database of its own created on this server and dropped after."""
    async with bench_database(server_dsn) as admin_dsn:
        system = await bootstrap(bench_settings(settings, admin_dsn, config.pool_size), admin_dsn)
        try:
            plans = tenant_plans(config)
            load_s, writers = await load_phase(system.repository, plans, config)
            events = await count_events(system.pool)
            _log(f"loaded {events} events in {len(plans)} tenants: {events / load_s:.0f} ev/s")
            await vacuum(admin_dsn)
            raw_s, raw_events = await raw_read_phase(system.pool)
            rebuild_s, rebuilt = await rebuild_phase(system)
            if raw_events != events or rebuilt != events:
                raise RuntimeError(f"read {raw_events} and rebuilt {rebuilt} of {events} events")
            big = plans[0].tenant_id
            as_of = await as_of_phase(system.repository, big, config.as_of_runs)
            from_checkpoint = await checkpoint(admin_dsn)
            lag = await lag_phase(system, writers, config, _projector_process)
            await checkpoint(admin_dsn)
            lag_in_process = await lag_phase(system, writers, config, _projector_task)
            machine = await machine_info(admin_dsn, server_kind)
        finally:
            await system.close()
    rebuild_eps, raw_eps = events / rebuild_s, events / raw_s
    ratio = rebuild_eps / raw_eps
    return {
        "machine": machine,
        "quick": config == QUICK,
        "tenants": len(plans),
        "events": events,
        "events_per_append": config.events_per_append,
        "load_seconds": round(load_s, 2),
        "load_eps": round(events / load_s, 1),
        "rebuild_seconds": round(rebuild_s, 2),
        "rebuild_eps": round(rebuild_eps, 1),
        "raw_read_seconds": round(raw_s, 3),
        "raw_read_eps": round(raw_eps, 1),
        "ratio_rebuild_vs_raw_read": round(ratio, 4),
        "rebuild_workers": system.settings.rebuild_processes,
        "projector": PROJECTOR_DEPLOYMENTS,
        "projector_batch": system.settings.projector_batch,
        "lag_from_checkpoint": from_checkpoint,
        "lag_rate_eps": config.lag_rate,
        "lag_seconds": config.lag_seconds,
        "lag_warmup_seconds": config.lag_warmup_seconds,
        **lag.figures("lag", config.lag_rate, config.lag_seconds),
        **lag_in_process.figures("lag_in_process", config.lag_rate, config.lag_seconds),
        "projector_peak_rss_mb": None
        if lag.projector_peak_rss_mb is None
        else round(lag.projector_peak_rss_mb, 1),
        "as_of_events": as_of.events,
        "as_of_ms": round(as_of.first_ms, 2),
        "as_of_again_ms": round(as_of.again_ms, 2),
        "as_of_nearby_ms": round(as_of.nearby_ms, 2),
        "diff_ms": round(as_of.diff_ms, 2),
        "as_of_runs": config.as_of_runs,
        "targets": {
            "ratio_rebuild_vs_raw_read_0_3": ratio >= 0.3,
            "lag_p99_under_100ms": lag.p99_ms < 100,
            "as_of_under_250ms": as_of.first_ms < 250,
        },
    }


# -- the tenants' histories ------------------------------------------------------------------


@dataclass(frozen=True)
class TenantPlan:
    """One tenant to load: its id, how many events, the seed of its history."""

    tenant_id: UUID
    events: int
    seed: int


@dataclass(frozen=True)
class CheckInTarget:
    """A key result of an active cycle the lag writers check in on."""

    tenant_id: UUID
    key_result_id: UUID
    value: Decimal
    on: date


def tenant_plans(config: Config) -> list[TenantPlan]:
    """The big tenant first, then the others sharing the rest of the events (±50 % each)."""
    rng = random.Random(20270101)
    others = config.tenants - 1
    weights = [rng.uniform(0.5, 1.5) for _ in range(others)]
    spare = config.events - config.big_tenant_events - others * MIN_TENANT_EVENTS
    sizes = [MIN_TENANT_EVENTS + int(spare * w / sum(weights)) for w in weights]
    for i in range(config.events - config.big_tenant_events - sum(sizes)):
        sizes[i % others] += 1
    return [
        TenantPlan(uuid4(), n, seed) for seed, n in enumerate([config.big_tenant_events, *sizes])
    ]


class History:
    """One tenant's aggregates in memory; their events appended a few hundred per command.

    Appends take no snapshots on the way (a KR's snapshot holds every check-in it has: taking
    one at each interval would cost more than the events); once the history is written, each
    aggregate with at least its interval of versions (`Repository.snapshot_interval`: a
    cycle's is 1) gets one snapshot at the head, as a product-made stream has one fewer than
    that many events back.
    """

    def __init__(self, repository: Repository, tenant_id: UUID, per_append: int) -> None:
        self.repository = repository
        self._appender = Repository(repository.store, snapshot_every=0)
        self.tenant_id = tenant_id
        self.per_append = per_append
        self.count = 0
        """Events made so far (saved or pending)."""
        self._made: dict[UUID, Aggregate] = {}
        self._pending: dict[UUID, Aggregate] = {}
        self._unsaved = 0
        self._head = 0

    def made(self, events: int, *aggregates: Aggregate) -> None:
        """Note that one domain command just made `events` events on these aggregates."""
        for aggregate in aggregates:
            self._pending[aggregate.id] = aggregate
        self.count += events
        self._unsaved += events

    async def commit(self) -> None:
        """Append the pending events once there are enough of them for one call."""
        if self._unsaved >= self.per_append:
            await self.flush()

    async def flush(self) -> None:
        if self._pending:
            positions = await self._appender.save(
                self.tenant_id, *self._pending.values(), actor=LOAD_ACTOR
            )
            self._head = positions[-1]
            self._made.update(self._pending)
        self._pending, self._unsaved = {}, 0

    async def snapshot(self) -> None:
        """A snapshot of each long stream at the head (after the last flush)."""
        mapper = await self.repository.mapper(self.tenant_id)
        for aggregate in self._made.values():
            every = self.repository.snapshot_interval(aggregate)
            if 0 < every <= aggregate.version:
                stored = mapper.to_stored_event(Snapshot.take(aggregate))
                await self.repository.store.save_snapshot(self.tenant_id, stored, self._head)


@dataclass
class _KeyResult:
    """What the generator remembers of a key result it made."""

    kr: KeyResult
    kind: KRKind
    low: Decimal
    high: Decimal
    check_ins: list[UUID] = field(default_factory=list)

    def value(self, rng: random.Random, progress: float) -> Decimal:
        if self.kind is KRKind.MILESTONE:
            return Decimal(1 if progress > 0.8 and rng.random() < 0.5 else 0)
        span = float(self.high - self.low)
        guess = float(self.low) + span * progress * rng.uniform(0.6, 1.15)
        return Decimal(f"{max(guess, 0.0):.1f}")


@dataclass
class _Kpi:
    kpi: KPI
    fed: list[_KeyResult] = field(default_factory=list)
    measurements: list[UUID] = field(default_factory=list)


async def load_tenant(
    repository: Repository, plan: TenantPlan, per_append: int
) -> list[CheckInTarget]:
    """Make and append the tenant's history; the key results of its active cycle."""
    rng = random.Random(plan.seed)
    history = History(repository, plan.tenant_id, per_append)
    people = [f"user:{uuid4()}" for _ in range(rng.randint(2, 6))]
    kpis = [_new_kpi(rng, people, i) for i in range(1 + plan.events // 4000)]
    history.made(len(kpis), *(k.kpi for k in kpis))
    cycles = min(max(1, round(plan.events / EVENTS_PER_CYCLE)), MAX_CYCLES)
    current: list[_KeyResult] = []
    starts_on = FIRST_QUARTER
    for number in range(cycles):
        last = number == cycles - 1
        budget = round(plan.events * (number + 1) / cycles) - (0 if last else 1)
        cycle, current = _plan_cycle(history, rng, people, kpis, starts_on, budget)
        await history.commit()
        await _run_cycle(history, rng, people, kpis, cycle, current, budget)
        if not last:
            _close(history, rng, cycle, current, people)
            starts_on = cycle.ends_on + timedelta(days=1)
    await history.flush()
    await history.snapshot()
    if history.count != plan.events:
        raise RuntimeError(f"tenant {plan.tenant_id}: {history.count} != {plan.events} events")
    on = min(starts_on + timedelta(days=60), TODAY)  # a value is of a day that has begun
    return [
        CheckInTarget(plan.tenant_id, k.kr.id, k.value(rng, 0.7), on)
        for k in current
        if k.kind is not KRKind.MILESTONE
    ]


def _new_kpi(rng: random.Random, people: list[str], i: int) -> _Kpi:
    kpi = KPI.create(
        name=f"NPS clienti {i + 1}", direction="higher_is_better", green=40, red=20,
        frequency_days=7, owner=rng.choice(people), unit=Unit(UnitKind.SCORE),
    )  # fmt: skip
    return _Kpi(kpi)


_KR_SHAPES: tuple[tuple[KRKind, str, int, int, Unit], ...] = (
    (KRKind.INCREASE, "Fatturato ricorrente", 120_000, 150_000, Unit(UnitKind.CURRENCY, "EUR")),
    (KRKind.INCREASE, "Nuovi clienti", 10, 25, Unit(UnitKind.COUNT)),
    (KRKind.DECREASE, "Tempo di risposta", 24, 18, Unit(UnitKind.HOURS)),
    (KRKind.INCREASE, "Tasso di conversione", 12, 18, Unit(UnitKind.PERCENT)),
    (KRKind.DECREASE, "Ticket aperti", 80, 40, Unit(UnitKind.COUNT)),
    (KRKind.STAY_ABOVE, "Margine lordo", 35, 30, Unit(UnitKind.PERCENT)),
    (KRKind.MILESTONE, "Nuovo gestionale in produzione", 0, 1, Unit(UnitKind.COUNT)),
)


def _plan_cycle(
    history: History,
    rng: random.Random,
    people: list[str],
    kpis: list[_Kpi],
    starts_on: date,
    budget: int,
) -> tuple[Cycle, list[_KeyResult]]:
    """A quarter, activated, with its objective tree and key results (one fed by a KPI)."""
    quarter = (starts_on.month - 1) // 3 + 1
    ends_on = date(starts_on.year + quarter // 4, quarter % 4 * 3 + 1, 1) - timedelta(days=1)
    cycle = Cycle.create(name=f"Q{quarter} {starts_on.year}", starts_on=starts_on, ends_on=ends_on)
    cycle.activate(author=rng.choice(people))
    history.made(2, cycle)
    share = budget - history.count
    n_krs = min(max(3, share // EVENTS_PER_KEY_RESULT), 80)
    company = Objective.create(
        cycle=cycle, title="Crescita sostenibile", owner=rng.choice(people), level="company",
        roll_up_children=True,
    )  # fmt: skip
    objectives = [company]
    for i in range(max(1, n_krs // 3 - 1)):
        team = Objective.create(
            cycle=cycle, title=f"Obiettivo di team {i + 1}", owner=rng.choice(people),
            parent=company, weight=rng.choice((1, 1, 2)), committed=rng.random() < 0.5,
        )  # fmt: skip
        objectives.append(team)
    history.made(len(objectives), *objectives)
    krs = []
    for i in range(n_krs):
        kind, title, low, high, unit = _KR_SHAPES[i % len(_KR_SHAPES)]
        objective = objectives[i % len(objectives)]
        kr = KeyResult.create(
            cycle=cycle, objective=objective, title=f"{title} {i + 1}", kind=kind,
            owner=rng.choice(people), unit=unit,
            start=None if kind is KRKind.MILESTONE else low,
            target=None if kind is KRKind.MILESTONE else high,
        )  # fmt: skip
        krs.append(_KeyResult(kr, kind, Decimal(low), Decimal(high)))
    history.made(len(krs), *(k.kr for k in krs))
    for kpi in kpis:
        kpi.fed = []
    fed = KeyResult.create(
        cycle=cycle, objective=company, title="NPS medio", kind="increase",
        owner=rng.choice(people), start=25, target=45, unit=Unit(UnitKind.SCORE), kpi=kpis[0].kpi,
    )  # fmt: skip
    kpis[0].kpi.link_key_result(key_result_id=fed.id, author=rng.choice(people))
    kpis[0].fed = [_KeyResult(fed, KRKind.INCREASE, Decimal(25), Decimal(45))]
    history.made(2, fed, kpis[0].kpi)
    return cycle, krs


async def _run_cycle(
    history: History,
    rng: random.Random,
    people: list[str],
    kpis: list[_Kpi],
    cycle: Cycle,
    krs: list[_KeyResult],
    budget: int,
) -> None:
    """Commands until the cycle's share of events is made: mostly check-ins."""
    first = history.count
    days = (cycle.ends_on - cycle.starts_on).days
    while history.count < budget:
        progress = (history.count - first) / max(1, budget - first)
        on = cycle.starts_on + timedelta(days=int(progress * days))
        author = rng.choice(people)
        left = budget - history.count
        roll = rng.random() if left > 3 else 0.0
        if roll < 0.86:
            k = rng.choice(krs)
            check_in = k.kr.record_check_in(
                cycle=cycle, value=k.value(rng, progress), on=on, author=author,
                confidence=rng.randint(3, 9), note=rng.choice(NOTES),
            )  # fmt: skip
            k.check_ins.append(check_in)
            history.made(1, k.kr)
        elif roll < 0.92:
            _measure(history, rng, rng.choice(kpis), cycle, on, author, progress)
        elif roll < 0.96:
            k = rng.choice(krs)
            wrong = rng.choice(k.check_ins) if k.check_ins else None
            value = k.value(rng, progress)
            if wrong is not None and k.kr.check_ins[wrong].value != value:  # else unchanged
                k.kr.correct_check_in(
                    check_in_id=wrong, value=value, reason=rng.choice(REASONS), author=author
                )
                history.made(1, k.kr)
        elif roll < 0.97:
            _correct_measurement(history, rng, rng.choice(kpis), author, progress)
        elif roll < 0.98:
            k = rng.choice(krs)
            if k.kind in (KRKind.INCREASE, KRKind.DECREASE):
                k.high = k.low + (k.high - k.low) * Decimal(rng.choice(("0.8", "0.9", "1.1")))
                k.kr.revise_target(
                    cycle=cycle, target=k.high, reason=rng.choice(REASONS), author=author
                )
                history.made(1, k.kr)
        elif roll < 0.99:
            k = rng.choice(krs)
            k.kr.change_owner(owner=rng.choice(people), cycle=cycle, author=author)
            history.made(1, k.kr)
        else:
            k = rng.choice(krs)
            k.kr.rename(title=f"{k.kr.title.split(' (')[0]} (rev.)", cycle=cycle, author=author)
            history.made(1, k.kr)
        await history.commit()


def _measure(
    history: History,
    rng: random.Random,
    kpi: _Kpi,
    cycle: Cycle,
    on: date,
    author: str,
    progress: float,
) -> None:
    """A KPI measurement and the check-ins it feeds, in one command."""
    value = Decimal(f"{25 + 20 * progress * rng.uniform(0.7, 1.1):.1f}")
    measurement_id = kpi.kpi.record_measurement(value=value, on=on, author=author)
    kpi.measurements.append(measurement_id)
    for k in kpi.fed:
        k.kr.record_check_in(
            cycle=cycle, value=value, on=on, author=author, source="kpi",
            check_in_id=fed_check_in_id(measurement_id, k.kr.id),
        )  # fmt: skip
    history.made(1 + len(kpi.fed), kpi.kpi, *(k.kr for k in kpi.fed))


def _correct_measurement(
    history: History, rng: random.Random, kpi: _Kpi, author: str, progress: float
) -> None:
    """A measurement corrected, and the check-ins it fed with it."""
    if not kpi.measurements:
        return
    measurement_id = rng.choice(kpi.measurements)
    value = Decimal(f"{25 + 20 * progress:.1f}")
    if kpi.kpi.measurements[measurement_id].value == value:
        return  # no correction: it says this already
    reason = rng.choice(REASONS)
    kpi.kpi.correct_measurement(
        measurement_id=measurement_id, value=value, reason=reason, author=author
    )
    fed = []
    for k in kpi.fed:
        check_in_id = fed_check_in_id(measurement_id, k.kr.id)
        fed_in = k.kr.check_ins.get(check_in_id)
        if fed_in is not None and fed_in.value != value:  # as the product's correction
            k.kr.correct_check_in(
                check_in_id=check_in_id, value=value, reason=reason, author=author
            )
            fed.append(k.kr)
    history.made(1 + len(fed), kpi.kpi, *fed)


def _close(
    history: History,
    rng: random.Random,
    cycle: Cycle,
    krs: list[_KeyResult],
    people: list[str],
) -> None:
    """Grade and close the cycle."""
    scores = {k.kr.id: Decimal(rng.choice(("0.3", "0.5", "0.7", "0.8", "1"))) for k in krs}
    objectives = {k.kr.objective_id for k in krs}
    cycle.close(
        key_result_scores=scores,
        objective_scores={o: Decimal("0.7") for o in objectives},
        closed_by=rng.choice(people),
    )
    history.made(1, cycle)


# -- phases ----------------------------------------------------------------------------------


async def load_phase(
    repository: Repository, plans: list[TenantPlan], config: Config
) -> tuple[float, list[CheckInTarget]]:
    """Seconds to load every tenant, `load_concurrency` at a time; the lag writers' targets."""
    queue = list(reversed(plans))  # the big tenant first: it takes longest
    targets: list[CheckInTarget] = []
    done = 0

    async def loader() -> None:
        nonlocal done
        while queue:
            plan = queue.pop()
            targets.extend(await load_tenant(repository, plan, config.events_per_append))
            done += 1
            if done % max(1, len(plans) // 10) == 0:
                _log(f"load: {done}/{len(plans)} tenants")

    began = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(config.load_concurrency):
            group.create_task(loader())
    return time.perf_counter() - began, targets


async def count_events(pool: asyncpg.Pool) -> int:
    total = await pool.fetchval("SELECT coalesce(sum(position), 0) FROM okr_tenant_positions()")
    return int(total)


async def vacuum(admin_dsn: str) -> None:
    """VACUUM ANALYZE after the bulk load, as a database in steady state would be."""
    began = time.perf_counter()
    async with connection(admin_dsn) as conn:
        await conn.execute("VACUUM (ANALYZE) events")
    _log(f"vacuum: {time.perf_counter() - began:.1f} s")


async def raw_read_phase(pool: asyncpg.Pool) -> tuple[float, int]:
    """Seconds to read every tenant's log row by row (undecoded), as the rebuild reads it."""
    tenants = [r["tenant_id"] for r in await pool.fetch("SELECT * FROM okr_tenant_positions()")]
    rows = 0
    began = time.perf_counter()
    async with pool.acquire() as conn:
        for tenant_id in tenants:
            async with conn.transaction():
                await conn.execute(admit_sql([tenant_id]))
                after = 0
                while True:
                    batch = await conn.fetch(RAW_READ, tenant_id, after, REBUILD_BATCH)
                    rows += len(batch)
                    if len(batch) < REBUILD_BATCH:
                        break
                    after = batch[-1]["position"]
    seconds = time.perf_counter() - began
    _log(f"raw read: {rows} events in {seconds:.2f} s: {rows / seconds:.0f} ev/s")
    return seconds, rows


async def rebuild_phase(system: System) -> tuple[float, int]:
    """Seconds of a full `rebuild_all` of every projection, in as many processes as the
    product's rebuild takes (`Settings.rebuild_processes`); the events it replayed."""
    last_report = time.perf_counter()

    def report(line: str) -> None:
        nonlocal last_report
        if time.perf_counter() - last_report >= 10:
            last_report = time.perf_counter()
            _log(line)

    began = time.perf_counter()
    events = (
        await rebuild_all(system, PROJECTIONS, report, workers=system.settings.rebuild_processes)
    ).events
    seconds = time.perf_counter() - began
    _log(f"rebuild: {events} events in {seconds:.1f} s: {events / seconds:.0f} ev/s")
    return seconds, events


async def checkpoint(admin_dsn: str) -> bool:
    """CHECKPOINT before the steady state is measured; False where this login may not.

    The load and the rebuild have just written about 3 GB (1,000 tenants). Left to the
    kernel and the checkpointer, that write-back lands in the lag's 20 seconds as WAL
    flushes that stall for a few hundred ms: check-ins then return in a burst, which the
    projector takes at once. A system that writes 500 events/s has no such backlog; a
    checkpoint does happen every few minutes, and the lag is measured right after one,
    while the most full-page images are written.
    """
    began = time.perf_counter()
    async with connection(admin_dsn) as conn:
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError as error:
            _log(f"checkpoint: not allowed ({error}); the lag follows the bulk writes")
            return False
    _log(f"checkpoint: {time.perf_counter() - began:.1f} s")
    return True


NEARBY = 100
"""How many events back the point of `as_of_nearby_ms` is from the head."""


@dataclass(frozen=True)
class AsOf:
    """The head position of the as-of tenant, and the median ms of its tree there."""

    events: int
    first_ms: float
    """As a first replay, from the checkpoint before it."""
    again_ms: float
    """Asked again, from the state kept of it."""
    nearby_ms: float
    """Asked after a point NEARBY events back, from the state kept of that one."""
    diff_ms: float
    """The diff of the states at that point and at the head, on days a week apart."""


async def as_of_phase(repository: Repository, tenant_id: UUID, runs: int) -> AsOf:
    """`progress_as_of` at the tenant's head, as a first one, again, and after a point
    nearby (see AsOf): the median ms of each, after a warm-up."""
    head = await repository.store.head(tenant_id)
    back = await _append_end_before(repository, tenant_id, head - NEARBY)
    today = FIRST_QUARTER + timedelta(days=5 * 365)

    async def seconds_at(position: int) -> float:
        began = time.perf_counter()
        await progress_as_of(repository, tenant_id, today=today, position=position)
        return time.perf_counter() - began

    first, again, nearby = [], [], []
    for _ in range(runs + 1):
        repository.fold_states.forget(tenant_id)
        first.append(await seconds_at(head))
        again.append(await seconds_at(head))
        repository.fold_states.forget(tenant_id)
        await seconds_at(back)
        nearby.append(await seconds_at(head))
    if not (await progress_as_of(repository, tenant_id, today=today, position=head)).cycles:
        raise RuntimeError("the as-of tree is empty")
    first_ms, again_ms, nearby_ms = (
        statistics.median(t[1:]) * 1000 for t in (first, again, nearby)
    )
    _log(f"as-of: {head} events, median {first_ms:.1f} ms of {runs}, again {again_ms:.1f} ms")
    diff_ms = await _diff_ms(repository, tenant_id, back, head, today, runs)
    return AsOf(head, first_ms, again_ms, nearby_ms, diff_ms)


async def _append_end_before(repository: Repository, tenant_id: UUID, position: int) -> int:
    """The last position at or before `position` that ends an append (of the bench's
    loader: 250 events each): an "as of" a position inside one stands at its end (see
    read.progress.CUT), so a point NEARBY events back inside the last append was the head
    itself."""
    async with tenant_transaction(repository.store.pool, [tenant_id]) as conn:
        found = await conn.fetchval(_APPEND_END_BEFORE, tenant_id, max(position, 0))
    return int(found or 0)


_APPEND_END_BEFORE = (
    "SELECT max(e.position) FROM events e, events p WHERE e.tenant_id = $1 AND p.tenant_id = $1"
    " AND p.position = $2 AND e.position <= $2"
    " AND (e.recorded_at, e.correlation_id) IS DISTINCT FROM (p.recorded_at, p.correlation_id)"
)


async def _diff_ms(
    repository: Repository, tenant_id: UUID, back: int, head: int, today: date, runs: int
) -> float:
    """The median ms of the diff of the states NEARBY events back or more (at the end of an
    append, `back`) and at the head (each read once: the diff alone is timed), on days a
    week apart, after a warm-up."""
    before = await state_as_of(repository, tenant_id, position=back)
    after = await state_as_of(repository, tenant_id, position=head)
    seconds = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        diff(before, after, today_from=today - timedelta(days=7), today_to=today)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds[1:]) * 1000


RATE_SLACK = 1.0
"""Seconds after the last check-in starts within which all must be done to keep the rate."""


@dataclass(frozen=True)
class Lag:
    write_eps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    samples: int
    warmup_p99_ms: float
    """p99 of the warm-up's check-ins (0 without a warm-up)."""
    projector_peak_rss_mb: float | None
    """The projector process's peak resident memory, its catch-up included (None: it ran
    in this process, or it ended without saying)."""

    def figures(self, prefix: str, rate: float, seconds: float) -> dict[str, Any]:
        """The report's fields of this lag, their names led by `prefix`. `rate_kept`: the
        `rate * seconds` check-ins started on time were all done within RATE_SLACK of the
        last start. When they were not (a machine too busy or too slow for writers,
        projector and server together), a backlog grows from the first second, and the lag
        says so, not how far the projector trails a steady load."""
        return {
            f"{prefix}_write_eps": round(self.write_eps, 1),
            f"{prefix}_rate_kept": self.write_eps * (seconds + RATE_SLACK) >= rate * seconds,
            f"{prefix}_warmup_ms_p99": round(self.warmup_p99_ms, 2),
            f"{prefix}_ms_p50": round(self.p50_ms, 2),
            f"{prefix}_ms_p99": round(self.p99_ms, 2),
            f"{prefix}_ms_max": round(self.max_ms, 2),
            f"{prefix}_samples": self.samples,
        }


@dataclass
class ProjectorReport:
    """What the projector's process says of itself when it stops."""

    peak_rss_mb: float | None = None


Running = Callable[["System", "Visible"], AbstractAsyncContextManager[ProjectorReport]]
"""How the lag runs the projector: `_projector_process` (okr serve's child, okr project) or
`_projector_task` (the baseline)."""


async def lag_phase(
    system: System, targets: list[CheckInTarget], config: Config, running: Running
) -> Lag:
    """Commit-to-visible lag of single check-ins written at a steady rate, projector running:
    the warm-up's, then the measured seconds' (written on from the warm-up, no pause)."""
    visible: Visible = defaultdict(list)
    app = OKRApplication(system.repository)
    async with running(system, visible) as process:
        await asyncio.sleep(0.5)  # LISTEN is on
        warmup, _ = await write_steadily(app, targets, config, config.lag_warmup_seconds)
        commits, write_eps = await write_steadily(app, targets, config, config.lag_seconds)
        await _drain(visible, warmup + commits, config.drain_timeout)
    lags = _lags(visible, commits)
    if len(lags) < len(commits):
        _log(f"lag: only {len(lags)} of {len(commits)} positions became visible")
    p50, p99 = _percentiles(lags)
    warmup_p99 = _percentiles(_lags(visible, warmup))[1] if warmup else 0.0
    _log(
        f"lag: p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(lags)} samples"
        f" (warm-up of {config.lag_warmup_seconds} s: p99 {warmup_p99:.1f} ms)"
    )
    return Lag(write_eps, p50, p99, max(lags) * 1000, len(lags), warmup_p99, process.peak_rss_mb)


def _percentiles(lags: list[float]) -> tuple[float, float]:
    """p50 and p99 in ms of lags in seconds."""
    if not lags:
        raise RuntimeError("no position became visible")
    ordered = sorted(lags)
    cuts = statistics.quantiles(
        ordered * 2 if len(lags) == 1 else ordered, n=100, method="inclusive"
    )
    return cuts[49] * 1000, cuts[98] * 1000


Visible = dict[UUID, list[tuple[int, float]]]
"""Per tenant, (last position of a batch, instant the projector committed it), in order."""


@asynccontextmanager
async def _projector_task(system: System, visible: Visible) -> AsyncIterator[ProjectorReport]:
    """`Projector.run` as a task of this process, on a pool of its own."""

    def on_committed(tenant_id: UUID, position: int) -> None:
        visible[tenant_id].append((position, time.monotonic()))

    settings = system.settings
    pool = await projector_pool(system.app_dsn, answer_within=settings.db_timeout)
    try:
        projector = Projector.configured(
            pool, system.repository, settings, on_committed=on_committed
        )
        began = time.perf_counter()
        await projector.catch_up_all()  # nothing to apply after the rebuild: learns positions
        await projector.warm_up()  # as the child does before it says it is ready
        _log(f"lag: projector caught up and warmed up in {time.perf_counter() - began:.1f} s")
        stop = asyncio.Event()
        runner = asyncio.create_task(projector.run(system.app_dsn, stop))
        try:
            yield ProjectorReport()
        finally:
            stop.set()
            await runner
    finally:
        await pool.close()


@asynccontextmanager
async def _projector_process(system: System, visible: Visible) -> AsyncIterator[ProjectorReport]:
    """`Projector.run` in a child process (this module run as a script), as `okr serve`'s
    child and `okr project` run it; it prints a line per committed batch, and stops when
    its stdin closes, after a last line with its peak resident memory."""
    settings = system.settings
    began = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.bench.projections", system.app_dsn,
        str(settings.projector_batch), str(settings.projector_poll),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    stdout = child.stdout

    process = ProjectorReport()

    async def read() -> None:
        async for line in stdout:
            first, *rest = line.split()
            if first == b"peak_rss_kb":
                process.peak_rss_mb = int(rest[0]) / 1024
            else:
                position, at = rest
                visible[UUID(first.decode())].append((int(position), float(at)))

    reader = None
    try:
        if (await stdout.readline()).strip() != b"ready":
            raise RuntimeError("the projector process did not start")
        _log(
            f"lag: projector process caught up and warmed up in {time.perf_counter() - began:.1f} s"
        )
        reader = asyncio.create_task(read())
        yield process
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()
        if reader is not None:
            await reader


async def project_until_stdin_closes(app_dsn: str, batch_size: int, poll_interval: float) -> None:
    """The child of `_projector_process`: okr serve's projector process (without its report
    pipe), saying "ready" once caught up and warmed up, then a line per batch."""
    out = sys.stdout

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    settings = replace(
        Settings.from_env(), projector_batch=batch_size, projector_poll=poll_interval
    )

    def on_committed(tenant_id: UUID, position: int) -> None:
        say(f"{tenant_id} {position} {time.monotonic()!r}")

    await project_until_told(
        app_dsn, settings, on_committed=on_committed, caught_up=lambda: say("ready")
    )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    say(f"peak_rss_kb {peak_kb}")


Commit = tuple[UUID, int, float]
"""(tenant, position, instant record_check_in returned)."""


async def write_steadily(
    app: OKRApplication, targets: list[CheckInTarget], config: Config, seconds: float
) -> tuple[list[Commit], float]:
    """Single check-in commands started at lag_rate for `seconds`, round robin over tenants."""
    by_tenant: dict[UUID, list[CheckInTarget]] = defaultdict(list)
    for target in targets:
        by_tenant[target.tenant_id].append(target)
    tenants = list(by_tenant)
    rng = random.Random(7)
    rng.shuffle(tenants)
    commits: list[Commit] = []

    async def check_in(target: CheckInTarget) -> None:
        ctx = Context(target.tenant_id, f"user:{target.tenant_id}")
        written = await app.key_results.record_check_in(
            ctx, target.key_result_id, value=target.value, on=target.on, confidence=7,
            note=rng.choice(NOTES),
        )  # fmt: skip
        commits.append((target.tenant_id, written.position, time.monotonic()))

    count = round(config.lag_rate * seconds)
    if not count:
        return [], 0.0
    began = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for i in range(count):
            delay = began + i / config.lag_rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            group.create_task(check_in(rng.choice(by_tenant[tenants[i % len(tenants)]])))
    took = time.monotonic() - began
    _log(f"lag: {count} check-ins in {took:.1f} s")
    return commits, count / took


async def _drain(
    visible: dict[UUID, list[tuple[int, float]]], commits: list[Commit], seconds: float
) -> None:
    """Wait until every committed position is visible (or `seconds` passed)."""
    heads: dict[UUID, int] = {}
    for tenant_id, position, _ in commits:
        heads[tenant_id] = max(position, heads.get(tenant_id, 0))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(visible[t] and visible[t][-1][0] >= p for t, p in heads.items()):
            return
        await asyncio.sleep(0.01)


def _lags(visible: dict[UUID, list[tuple[int, float]]], commits: list[Commit]) -> list[float]:
    """Seconds from each commit to the first projector commit that covered its position.

    A batch committed before the writer's await returned gives 0 (the writer was late).
    """
    positions = {t: [p for p, _ in seen] for t, seen in visible.items()}
    out = []
    early = 0
    for tenant_id, position, committed in commits:
        seen = visible.get(tenant_id, [])
        i = bisect_left(positions.get(tenant_id, []), position)
        if i < len(seen):
            lag = seen[i][1] - committed
            early += lag < 0
            out.append(max(lag, 0.0))
    if early:
        _log(f"lag: {early} position(s) visible before record_check_in returned (counted 0)")
    return out


def _quiet_logs() -> None:
    """structlog at INFO on stderr, as a deployed projector logs: no line per batch."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _log(message: str) -> None:
    print(f"bench projections: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    _quiet_logs()
    asyncio.run(project_until_stdin_closes(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))

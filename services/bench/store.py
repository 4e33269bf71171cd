"""`okr bench store`: how fast our event store takes single check-in commands, and loads.

Against a fresh database on the server (`okr_bench_<random>`, dropped at the end whatever
happens), for concurrency 1 and 16, each phase a fixed window:

- ours: `OKRApplication.key_results.record_check_in` (load KR, load its cycle, record, save),
  N asyncio workers on one pool, each on its own KR in its own tenant; and again with every
  worker on its own KR of ONE tenant (they queue on that tenant's head row);
- library: the eventsourcing library's own Postgres `Application` doing the same domain work
  with the same aggregates, N threads (it is synchronous), same snapshot interval;
- raw: one-row asyncpg `INSERT` of a payload of the same size, autocommit: the floor.

Each worker's KR gains every check-in of its window, and a KeyResult snapshot holds all of
them: ours and library figures fall as the window grows (5 s gives KRs of several hundred).

Then the median `Repository.get` of a 10-event KR and of a 1,000-check-in KR (snapshot plus
the events after it), and a transcoder round trip of a CheckedIn event, ours vs the library's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID, uuid4

import asyncpg
from eventsourcing.application import Application
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    Transcoding,
    UUIDAsHex,
)

from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.values import Unit, UnitKind
from services.app import Context, OKRApplication
from services.bench.harness import (
    CHECK_IN_DAY,
    CYCLE_END,
    CYCLE_NAME,
    CYCLE_START,
    SNAPSHOT_EVERY,
    bench_database,
    bench_settings,
    connection,
    machine_info,
    on_bench_server,
)
from services.bootstrap import bootstrap
from services.settings import Settings
from services.store.repository import Repository
from services.store.transcoder import MsgspecTranscoder

ACTOR = "user:bench"


class CheckInFields(TypedDict):
    value: Decimal
    on: date
    confidence: int
    note: str


CHECK_IN = CheckInFields(
    value=Decimal("21.5"), on=CHECK_IN_DAY, confidence=7, note="nuovo triage dei ticket in arrivo"
)
RAW_TABLE = (
    "CREATE TABLE bench_raw (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " payload bytea NOT NULL)"
)
RAW_INSERT = "INSERT INTO bench_raw (payload) VALUES ($1)"


@dataclass(frozen=True)
class Config:
    """How long and how much to measure."""

    seconds: float
    """Length of each throughput window."""
    loads: int
    """Timed Repository.get calls per stream."""
    concurrencies: tuple[int, ...] = (1, 16)
    small_stream_events: int = 10
    big_stream_check_ins: int = 1000
    transcoder_round_trips: int = 20_000


FULL = Config(seconds=5.0, loads=200)
QUICK = Config(seconds=1.0, loads=50, transcoder_round_trips=5_000)


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The CLI entry: on DATABASE_URL's server or the embedded one."""
    config = QUICK if args.quick else FULL
    return await on_bench_server(
        settings, lambda dsn, kind: bench_store(dsn, settings, config, server_kind=kind)
    )


async def bench_store(
    server_dsn: str, settings: Settings, config: Config, *, server_kind: str
) -> dict[str, Any]:
    """Every measurement, on a database of its own created on this server and dropped after."""
    pool_size = max(config.concurrencies)
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    async with bench_database(server_dsn) as admin_dsn, AsyncExitStack() as cleanup:
        system = await bootstrap(bench_settings(settings, admin_dsn, pool_size), admin_dsn)
        cleanup.push_async_callback(system.close)
        raw_pool = await _raw_pool(admin_dsn, pool_size)
        cleanup.push_async_callback(raw_pool.close)
        library = await asyncio.to_thread(LibraryApp, env=library_env(admin_dsn, pool_size))
        cleanup.push_async_callback(asyncio.to_thread, library.close)
        stop_threads = threading.Event()
        cleanup.callback(stop_threads.set)  # first thing on the way out

        app = OKRApplication(system.repository)
        payload = os.urandom(len(MsgspecTranscoder().encode(checked_in_state())))
        by_concurrency = {}
        for workers in config.concurrencies:
            ours = await ours_phase(app, config.seconds, workers, one_tenant=False)
            one_tenant = await ours_phase(app, config.seconds, workers, one_tenant=True)
            lib = await asyncio.to_thread(
                library_phase, library, config.seconds, workers, stop_threads
            )
            raw = await raw_phase(raw_pool, config.seconds, workers, payload)
            by_concurrency[str(workers)] = {
                "ours_eps": round(ours, 1),
                "ours_eps_one_tenant": round(one_tenant, 1),
                "library_eps": round(lib, 1),
                "raw_eps": round(raw, 1),
                "ratio_vs_library": round(ours / lib, 3),
                "ratio_vs_raw": round(ours / raw, 3),
            }
            _log(f"c={workers}: {by_concurrency[str(workers)]}")
        small_ms, big_ms = await load_phase(app, system.repository, config)
        machine = await machine_info(admin_dsn, server_kind, load_before)
    top = by_concurrency[str(max(config.concurrencies))]
    return {
        "machine": machine,
        "quick": config == QUICK,
        "seconds_per_phase": config.seconds,
        "concurrency": by_concurrency,
        "load_ms_10_events": round(small_ms, 4),
        "load_ms_1000_events_snapshotted": round(big_ms, 4),
        "ratio_load_1000_vs_10": round(big_ms / small_ms, 3),
        "transcoder": transcoder_phase(config.transcoder_round_trips),
        "targets": {
            "c16_vs_library_4x": top["ratio_vs_library"] >= 4,
            "c16_vs_raw_0_6x": top["ratio_vs_raw"] >= 0.6,
            "load_1000_within_2x_of_10": big_ms <= 2 * small_ms,
        },
    }


# -- the measuring loops ---------------------------------------------------------------------


async def measure(
    seconds: float, workers: int, op: Callable[[int], Coroutine[Any, Any, Any]]
) -> float:
    """Ops per second completed by `workers` asyncio workers within a window of `seconds`.

    Each worker first runs `op` once, uncounted (connections, statement caches); an op
    still running when the window closes is not counted.
    """
    async with asyncio.TaskGroup() as warm_up:
        for i in range(workers):
            warm_up.create_task(op(i))
    deadline = time.perf_counter() + seconds

    async def worker(i: int) -> int:
        done = 0
        while time.perf_counter() < deadline:
            await op(i)
            done += time.perf_counter() <= deadline
        return done

    async with asyncio.TaskGroup() as group:
        counts = [group.create_task(worker(i)) for i in range(workers)]
    return sum(c.result() for c in counts) / seconds


def measure_threads(
    seconds: float, workers: int, op: Callable[[int], Any], stop: threading.Event
) -> float:
    """The same as `measure`, with `workers` threads running a synchronous `op`."""
    with ThreadPoolExecutor(max_workers=workers) as threads:
        list(threads.map(op, range(workers)))
        deadline = time.perf_counter() + seconds

        def worker(i: int) -> int:
            done = 0
            while time.perf_counter() < deadline and not stop.is_set():
                op(i)
                done += time.perf_counter() <= deadline
            return done

        return sum(threads.map(worker, range(workers))) / seconds


# -- phases ----------------------------------------------------------------------------------


async def ours_phase(
    app: OKRApplication, seconds: float, workers: int, *, one_tenant: bool
) -> float:
    """Check-ins per second through the application, each worker on its own KR."""
    targets = await seed_key_results(app, workers, one_tenant=one_tenant)

    async def check_in(i: int) -> None:
        tenant_id, kr_id = targets[i]
        await app.key_results.record_check_in(Context(tenant_id, ACTOR), kr_id, **CHECK_IN)

    return await measure(seconds, workers, check_in)


def library_phase(
    library: LibraryApp, seconds: float, workers: int, stop: threading.Event
) -> float:
    """Check-ins per second through the library's Postgres application, one thread each."""
    kr_ids = [library.seed_key_result() for _ in range(workers)]

    def check_in(i: int) -> None:
        kr: KeyResult = library.repository.get(kr_ids[i])
        cycle: Cycle = library.repository.get(kr.cycle_id)
        kr.record_check_in(cycle=cycle, author=ACTOR, **CHECK_IN)
        library.save(kr)

    return measure_threads(seconds, workers, check_in, stop)


async def raw_phase(pool: asyncpg.Pool, seconds: float, workers: int, payload: bytes) -> float:
    """One-row autocommit INSERTs per second: what one round trip and one commit cost."""

    async def insert(_: int) -> None:
        await pool.execute(RAW_INSERT, payload)

    return await measure(seconds, workers, insert)


async def load_phase(
    app: OKRApplication, repository: Repository, config: Config
) -> tuple[float, float]:
    """Median ms of Repository.get: a KR with 10 events, and one with 1,000 check-ins."""
    ctx = Context(uuid4(), ACTOR)
    objective_id = await seed_objective(app, ctx)
    small = await seed_key_result(app, ctx, objective_id)
    for _ in range(config.small_stream_events - 1):
        await app.key_results.record_check_in(ctx, small, **CHECK_IN)
    big = await seed_key_result(app, ctx, objective_id)
    await append_check_ins(repository, ctx.tenant_id, big, config.big_stream_check_ins)
    rows = await repository.store.load_stream(ctx.tenant_id, big)
    if rows.snapshot is None or len(rows.events) >= SNAPSHOT_EVERY:
        raise RuntimeError(f"expected a snapshot and < {SNAPSHOT_EVERY} events after it")
    _log(f"big stream: snapshot at v{rows.snapshot.originator_version} + {len(rows.events)}")
    return (
        await median_load_ms(repository, ctx.tenant_id, small, config.loads),
        await median_load_ms(repository, ctx.tenant_id, big, config.loads),
    )


async def median_load_ms(repository: Repository, tenant_id: UUID, kr_id: UUID, loads: int) -> float:
    await repository.get(tenant_id, kr_id)  # warm-up
    times = []
    for _ in range(loads):
        began = time.perf_counter()
        await repository.get(tenant_id, kr_id)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def transcoder_phase(round_trips: int) -> dict[str, float]:
    """µs per encode+decode of a CheckedIn event's state: msgspec vs the library's JSON."""
    state = checked_in_state()
    ours_us = round_trip_us(MsgspecTranscoder(), state, round_trips)
    library_us = round_trip_us(library_transcoder(), state, round_trips)
    return {
        "msgspec_us": round(ours_us, 3),
        "library_json_us": round(library_us, 3),
        "speedup": round(library_us / ours_us, 3),
    }


def round_trip_us(transcoder: Transcoder, state: dict[str, Any], round_trips: int) -> float:
    """Median over 5 runs of the µs one encode+decode takes (checked to give `state` back)."""
    if transcoder.decode(transcoder.encode(state)) != state:
        raise RuntimeError(f"{type(transcoder).__name__} does not round-trip the state")
    per_run = max(1, round_trips // 5)
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(per_run):
            transcoder.decode(transcoder.encode(state))
        runs.append((time.perf_counter() - began) / per_run)
    return statistics.median(runs) * 1e6


# -- seeding ---------------------------------------------------------------------------------


async def seed_objective(app: OKRApplication, ctx: Context) -> UUID:
    """An active Q1 cycle with one objective in the context's tenant."""
    cycle = await app.cycles.create(ctx, name=CYCLE_NAME, starts_on=CYCLE_START, ends_on=CYCLE_END)
    await app.cycles.activate(ctx, cycle.item_id)
    objective = await app.objectives.create(
        ctx, cycle_id=cycle.item_id, title="Efficienza operativa", owner="marco"
    )
    return objective.item_id


async def seed_key_result(app: OKRApplication, ctx: Context, objective_id: UUID) -> UUID:
    """The seed article's response-time KR (24 h -> -20 %)."""
    kr = await app.key_results.create(
        ctx, objective_id=objective_id, title="Tempo di risposta", kind="decrease",
        owner="marco", start=Decimal(24), target_percent=Decimal(-20), unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    return kr.item_id


async def seed_key_results(
    app: OKRApplication, count: int, *, one_tenant: bool
) -> list[tuple[UUID, UUID]]:
    """(tenant, KR) per worker: a tenant each, or `count` KRs of one tenant."""
    targets = []
    shared = Context(uuid4(), ACTOR)
    shared_objective = await seed_objective(app, shared) if one_tenant else None
    for _ in range(count):
        ctx = shared if one_tenant else Context(uuid4(), ACTOR)
        objective_id = shared_objective or await seed_objective(app, ctx)
        targets.append((ctx.tenant_id, await seed_key_result(app, ctx, objective_id)))
    return targets


async def append_check_ins(repository: Repository, tenant_id: UUID, kr_id: UUID, n: int) -> None:
    """n check-ins, one command each (snapshots taken as the product takes them)."""
    kr: KeyResult = await repository.get(tenant_id, kr_id)
    cycle: Cycle = await repository.get(tenant_id, kr.cycle_id)
    for _ in range(n):
        kr.record_check_in(cycle=cycle, author=ACTOR, **CHECK_IN)
        await repository.save(tenant_id, kr, actor=ACTOR)


def checked_in_state() -> dict[str, Any]:
    """The state dict the Mapper hands to a transcoder for a real KeyResult.CheckedIn."""
    cycle, _, kr = new_key_result()
    kr.record_check_in(cycle=cycle, author=ACTOR, **CHECK_IN)
    event = kr.collect_events()[-1]
    state = dict(vars(event))
    del state["originator_id"], state["originator_version"]
    state["class_version"] = getattr(type(event), "class_version", 1)
    return state


def new_key_result() -> tuple[Cycle, Objective, KeyResult]:
    """An active cycle, an objective and a KR, in memory, not saved."""
    cycle = Cycle.create(name=CYCLE_NAME, starts_on=CYCLE_START, ends_on=CYCLE_END)
    cycle.activate(author=ACTOR)
    objective = Objective.create(cycle=cycle, title="Efficienza operativa", owner="marco")
    kr = KeyResult.create(
        cycle=cycle, objective=objective, title="Tempo di risposta", kind="decrease",
        owner="marco", start=Decimal(24), target_percent=Decimal(-20), unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    return cycle, objective, kr


# -- the library's own Postgres application ----------------------------------------------------


class DateAsISO(Transcoding):
    """The library has no date transcoding: a date as its ISO string."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class LibraryApp(Application[UUID]):
    """eventsourcing's Application on its Postgres module, snapshotting KRs as we do."""

    name = "LibraryBench"
    snapshotting_intervals = {KeyResult: SNAPSHOT_EVERY}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        for transcoding in library_transcodings():
            transcoder.register(transcoding)

    def seed_key_result(self) -> UUID:
        cycle, objective, kr = new_key_result()
        self.save(cycle, objective, kr)
        return kr.id


def library_transcodings() -> list[Transcoding]:
    """The library's own Decimal, UUID and datetime transcodings, and our date one."""
    return [UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()]


def library_transcoder() -> JSONTranscoder:
    """The library's JSON transcoder as LibraryApp configures it."""
    transcoder = JSONTranscoder()
    for transcoding in library_transcodings():
        transcoder.register(transcoding)
    return transcoder


def library_env(admin_dsn: str, pool_size: int) -> dict[str, str]:
    """POSTGRES_* settings for the same server and database, as the admin login."""
    parts = urlsplit(admin_dsn)
    query = parse_qs(parts.query)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": parts.hostname or query.get("host", ["localhost"])[0],
        "POSTGRES_PORT": str(parts.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


# -- the raw floor's table --------------------------------------------------------------------


async def _raw_pool(admin_dsn: str, pool_size: int) -> asyncpg.Pool:
    async with connection(admin_dsn) as conn:
        await conn.execute(RAW_TABLE)
    pool = await asyncpg.create_pool(admin_dsn, min_size=pool_size, max_size=pool_size)
    assert pool is not None
    return pool


def _log(message: str) -> None:
    print(f"bench store: {message}", file=sys.stderr, flush=True)

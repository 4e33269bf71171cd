"""`okr bench api`: the API over real HTTP, against the store it writes to and a hello route.

Against a fresh database on the server (`okr_bench_<random>`, dropped at the end whatever
happens):

- load: N tenants of one consultancy, each with an active cycle, an objective and a few key
  results (built in memory, one append per tenant), and one user who is a client_member of
  every tenant (the API reads a bearer's grants on every request: here N of them);
- one real server process, `python -m services.cli serve --port <free port>`, on that
  database with its projector process as in production (its pool as large as the
  concurrency); the benchmark signs in over `POST /api/v1/auth/token` and drives it over
  loopback with one httpx.AsyncClient (HTTP/1.1, keep-alive, a pool of `concurrency`
  connections), `concurrency` workers, each phase a fixed window after one uncounted
  request per worker:
  - check-in: `POST .../key-results/{id}/check-ins`, round robin over every tenant's KRs,
    each with its own Idempotency-Key as a retrying client sends it (only 2xx count);
  - store: the same command, `OKRApplication.key_results.record_check_in`, in this process,
    same concurrency, same targets, a pool as large as the server's;
  - progress: `GET /api/v1/tenants/{id}/progress`, round robin over the tenants;
  - hello: `GET /healthz` (a constant JSON body, no authentication or database, through the
    same middleware, logging and metrics as every route);
  - client ceiling: the same client against a do-nothing asyncio responder in a process of
    its own: the most requests per second this client drives on this machine.
  After each writing phase the server's projector is left to catch up (read models'
  positions read from the tables), so every phase starts from an idle server; it projects
  during both writing phases alike.

Client, server and PostgreSQL share the machine's cores: HTTP figures carry the client's
cost too. So each phase also reports the CPU the server process (with its projector's) and
this process spent per request (Linux /proc), which says where the time went whatever else
runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import os
import random
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from eventsourcing.domain import Aggregate

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
    TODAY,
    bench_database,
    bench_settings,
    connection,
    machine_info,
    on_bench_server,
)
from services.bootstrap import System, bootstrap
from services.projector.registry import PROJECTIONS
from services.projector.schema import positions_table
from services.settings import PROJECT_ROOT, Settings
from services.store.repository import Repository
from tenants import directory, memberships, users
from tenants.roles import Role

LOAD_ACTOR = "system:bench-load"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-" + "x" * 16
HELLO = "/healthz"
READY_POLL = 0.1
"""Seconds between looks at the read models' positions while the projector catches up."""
TOKEN_MINUTES = 240
"""Access tokens outlive any run: the benchmark signs in once."""
SERVER_ARGS = ("-m", "services.cli", "serve")
"""How the server is started (after the interpreter; `--port N` is appended)."""
KR_SHAPES: tuple[tuple[str, str, int, int, Unit, str], ...] = (
    ("Tempo di risposta", "decrease", 24, 18, Unit(UnitKind.HOURS), "21.5"),
    ("Nuovi clienti", "increase", 10, 25, Unit(UnitKind.COUNT), "17"),
    ("Tasso di conversione", "increase", 12, 18, Unit(UnitKind.PERCENT), "14.5"),
    ("Ticket aperti", "decrease", 80, 40, Unit(UnitKind.COUNT), "61"),
)
NOTE = "nuovo triage dei ticket in arrivo"
RESPONDER = r"""
import asyncio, sys

BODY = b'{"status":"ok"}'
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY), BODY)

async def answer(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ANSWER)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()

async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""
"""The least an HTTP/1.1 server can do (bodiless requests only): the client's ceiling."""


@dataclass(frozen=True)
class Config:
    """How much to load and how long to measure."""

    tenants: int
    seconds: float
    """Length of each measured window."""
    key_results_per_tenant: int = 3
    concurrency: int = 32
    """Workers of each phase; also the client's connection pool and both database pools."""
    load_concurrency: int = 8
    """Tenants loaded at once."""
    server_start_timeout: float = 120.0
    catch_up_timeout: float = 120.0


FULL = Config(tenants=1000, seconds=10.0)
QUICK = Config(tenants=100, seconds=3.0)


@dataclass(frozen=True)
class Target:
    """A key result to check in on, with a value that suits it."""

    tenant_id: UUID
    key_result_id: UUID
    value: str


@dataclass(frozen=True)
class Window:
    """What one phase measured: successful requests' latencies, failures, its length."""

    latencies: list[float]
    errors: int
    seconds: float
    cpu: dict[str, float]
    """CPU seconds each metered process spent in the window."""

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def cpu_ms(self, who: str) -> float:
        """CPU ms that process spent per successful op."""
        return self.cpu[who] * 1000 / max(1, len(self.latencies))

    def ms(self, percent: int) -> float:
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[percent - 1] * 1000


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The CLI entry: on DATABASE_URL's server or the embedded one."""
    config = QUICK if args.quick else FULL
    load_before = os.getloadavg()[0]  # before the embedded server starts, too
    return await on_bench_server(
        settings,
        lambda dsn, kind: bench_api(
            dsn, settings, config, server_kind=kind, load_before=load_before
        ),
    )


async def bench_api(
    server_dsn: str,
    settings: Settings,
    config: Config,
    *,
    server_kind: str,
    load_before: float | None = None,
) -> dict[str, Any]:
    """Every measurement, on a database of its own created on this server and dropped after."""
    if load_before is None:
        load_before = os.getloadavg()[0]
    async with bench_database(server_dsn) as admin_dsn, AsyncExitStack() as cleanup:
        system_settings = bench_settings(settings, admin_dsn, config.concurrency)
        system = await bootstrap(system_settings, admin_dsn)
        cleanup.push_async_callback(system.close)
        load_s, user_id, targets = await load_phase(system, config)
        tenants = list(dict.fromkeys(t.tenant_id for t in targets))
        _log(f"loaded {len(tenants)} tenants, {len(targets)} key results in {load_s:.1f} s")

        server = await cleanup.enter_async_context(api_server(system_settings, config))
        client = await cleanup.enter_async_context(http_client(server.base_url, config))
        await caught_up(admin_dsn, config.catch_up_timeout)
        token = await sign_in(client)
        client.headers["Authorization"] = f"Bearer {token}"

        meters = {"server": process_cpu(server.pid), "bench": process_cpu()}
        checkins = await checkin_phase(client, targets, config, meters)
        checkin_catch_up = await caught_up(admin_dsn, config.catch_up_timeout)
        store = await store_phase(system, user_id, targets, config, meters)
        await caught_up(admin_dsn, config.catch_up_timeout)
        progress = await progress_phase(client, tenants, config, meters)
        hello = await hello_phase(client, config, meters)
        ceiling = await ceiling_phase(config)
        machine = await machine_info(admin_dsn, server_kind, load_before)

    store_eps = store.rps
    ratio_store = checkins.rps / store_eps
    ratio_hello = progress.rps / hello.rps
    p99 = checkins.ms(99)
    cores = os.cpu_count()
    return {
        "machine": machine,
        "quick": config == QUICK,
        "note": (
            f"client (httpx), server (uvicorn + projector) and PostgreSQL share {cores} cores;"
            " HTTP figures include the client's CPU (client_ceiling_rps: the most it drives"
            " here, against a do-nothing responder), the store phase has no HTTP client;"
            " cpu_ms_per_op: CPU ms per successful op of the server process (its projector"
            " included) and of this bench process (the httpx client, or the store's"
            " commands): steadier than rates when other work shares the machine, not immune"
        ),
        "server": {
            "command": "python -m services.cli serve --port <free port>",
            "projector": "child process",
            "pool": config.concurrency,
            "http": server.http,
        },
        "principal": f"one user, client_member of all {len(tenants)} tenants (JWT)",
        "hello_route": f"GET {HELLO}",
        "tenants": len(tenants),
        "key_results": len(targets),
        "load_seconds": round(load_s, 2),
        "concurrency": config.concurrency,
        "seconds_per_phase": config.seconds,
        "checkin_requests": len(checkins.latencies),
        "checkin_rps": round(checkins.rps, 1),
        "checkin_ms_p50": round(checkins.ms(50), 2),
        "checkin_ms_p99": round(p99, 2),
        "checkin_errors": checkins.errors,
        "projector_catch_up_seconds": round(checkin_catch_up, 3),
        "store_checkins_per_s": round(store_eps, 1),
        "ratio_checkin_vs_store": round(ratio_store, 3),
        "progress_rps": round(progress.rps, 1),
        "progress_ms_p50": round(progress.ms(50), 2),
        "progress_ms_p99": round(progress.ms(99), 2),
        "progress_errors": progress.errors,
        "hello_rps": round(hello.rps, 1),
        "hello_ms_p50": round(hello.ms(50), 2),
        "hello_ms_p99": round(hello.ms(99), 2),
        "hello_errors": hello.errors,
        "ratio_progress_vs_hello": round(ratio_hello, 3),
        "client_ceiling_rps": round(ceiling.rps, 1),
        "cpu_ms_per_op": {
            "server_per_checkin": round(checkins.cpu_ms("server"), 3),
            "client_per_checkin": round(checkins.cpu_ms("bench"), 3),
            "store_per_checkin": round(store.cpu_ms("bench"), 3),
            "server_projecting_per_store_checkin": round(store.cpu_ms("server"), 3),
            "server_per_progress": round(progress.cpu_ms("server"), 3),
            "client_per_progress": round(progress.cpu_ms("bench"), 3),
            "server_per_hello": round(hello.cpu_ms("server"), 3),
            "client_per_hello": round(hello.cpu_ms("bench"), 3),
            "client_per_ceiling_request": round(ceiling.cpu_ms("bench"), 3),
        },
        "targets": {
            "ratio_checkin_vs_store_0_5": ratio_store >= 0.5,
            "ratio_progress_vs_hello_0_5": ratio_hello >= 0.5,
            "checkin_p99_under_50ms": p99 < 50,
        },
    }


# -- loading ---------------------------------------------------------------------------------


async def load_phase(system: System, config: Config) -> tuple[float, UUID, list[Target]]:
    """Seconds to load every tenant and the user; the user's id; the KRs to check in on."""
    began = time.perf_counter()
    pool = system.pool
    consultancy = await directory.create_consultancy(pool, "Bench Consulting")
    user = await users.create_user(pool, EMAIL, "Bench user", password=PASSWORD)
    appender = Repository(system.store, snapshot_every=0)  # nothing to snapshot: all new
    queue = list(range(config.tenants))
    targets: list[Target] = []
    done = 0

    async def loader() -> None:
        nonlocal done
        while queue:
            number = queue.pop()
            tenant = await directory.create_tenant(
                pool, consultancy.id, f"Bench client {number:04d}", slug=f"bench-{number:04d}"
            )
            aggregates, made = tenant_history(tenant.id, config.key_results_per_tenant)
            await appender.save(tenant.id, *aggregates, actor=LOAD_ACTOR)
            await memberships.add_membership(pool, tenant.id, user.id, Role.CLIENT_MEMBER)
            targets.extend(made)
            done += 1
            if done % max(1, config.tenants // 5) == 0:
                _log(f"load: {done}/{config.tenants} tenants")

    async with asyncio.TaskGroup() as group:
        for _ in range(config.load_concurrency):
            group.create_task(loader())
    rng = random.Random(20270201)
    rng.shuffle(targets)  # consecutive requests land on different tenants
    return time.perf_counter() - began, user.id, targets


def tenant_history(tenant_id: UUID, key_results: int) -> tuple[list[Aggregate], list[Target]]:
    """An active quarter, an objective and its key results, in memory (one append)."""
    cycle = Cycle.create(name=CYCLE_NAME, starts_on=CYCLE_START, ends_on=CYCLE_END)
    cycle.activate(author=LOAD_ACTOR)
    objective = Objective.create(cycle=cycle, title="Efficienza operativa", owner="marco")
    aggregates: list[Aggregate] = [cycle, objective]
    targets = []
    for i in range(key_results):
        title, kind, start, target, unit, value = KR_SHAPES[i % len(KR_SHAPES)]
        kr = KeyResult.create(
            cycle=cycle, objective=objective, title=f"{title} {i + 1}", kind=kind,
            owner="marco", start=start, target=target, unit=unit,
        )  # fmt: skip
        aggregates.append(kr)
        targets.append(Target(tenant_id, kr.id, value))
    return aggregates, targets


# -- the server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    http: str
    """The HTTP implementation uvicorn picked (h11 or httptools) and its event loop."""
    pid: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(settings: Settings, config: Config) -> dict[str, str]:
    """The environment of `okr serve` on the bench database (a pool like the store phase's)."""
    env = dict(os.environ)
    assert settings.database_url is not None
    env["DATABASE_URL"] = settings.database_url
    env.pop("OKR_APP_DATABASE_URL", None)
    if settings.app_database_url is not None:
        env["OKR_APP_DATABASE_URL"] = settings.app_database_url
    env["OKR_JWT_SECRET"] = secrets.token_urlsafe(48)
    env["OKR_ACCESS_TOKEN_MINUTES"] = str(TOKEN_MINUTES)
    env["OKR_POOL_MIN"] = env["OKR_POOL_MAX"] = str(config.concurrency)
    env["OKR_SNAPSHOT_EVERY"] = str(settings.snapshot_every)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_flavour() -> str:
    """What uvicorn's "auto" picks in the server process (same interpreter, same path).

    The loop is asyncio's whatever is installed: `okr serve` runs uvicorn inside the
    loop of `asyncio.run`, so uvicorn's loop setting never applies.
    """
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn, {http}, asyncio loop"


@asynccontextmanager
async def api_server(settings: Settings, config: Config) -> AsyncIterator[Server]:
    """`okr serve` in a subprocess until it answers /healthz; SIGTERM and wait on the way out.

    Its JSON log goes to a temporary file, shown (its tail) if it fails to start.
    """
    port = free_port()
    command = [sys.executable, *SERVER_ARGS, "--port", str(port)]
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally
        prefix="okr-bench-api-", suffix=".log", delete=False
    )
    process = await asyncio.create_subprocess_exec(
        *command, cwd=PROJECT_ROOT, env=server_env(settings, config),
        stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    _log(f"server pid {process.pid} on port {port}")
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(process, base_url, config.server_start_timeout, Path(log_file.name))
        yield Server(base_url, http_flavour(), process.pid)
    finally:
        await _stop(process)
        log_file.close()
        with contextlib.suppress(OSError):
            os.unlink(log_file.name)


async def _wait_until_up(
    process: asyncio.subprocess.Process, base_url: str, within: float, log: Path
) -> None:
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as probe:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"{base_url} exited with {process.returncode}:\n{_tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await probe.get(HELLO)).status_code == 200:
                    _log(f"{base_url} up in {time.monotonic() - began:.1f} s")
                    return
            if time.monotonic() - began > within:
                raise RuntimeError(f"{base_url} did not answer in {within:.0f} s:\n{_tail(log)}")
            await asyncio.sleep(0.1)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM (graceful: requests, projector), then SIGKILL if it takes too long."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 40)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    _log(f"process {process.pid} stopped ({process.returncode})")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@asynccontextmanager
async def http_client(base_url: str, config: Config) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP/1.1 with keep-alive, one connection per worker."""
    limits = httpx.Limits(
        max_connections=config.concurrency, max_keepalive_connections=config.concurrency
    )
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:
        yield client


async def sign_in(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _behind_sql() -> str:
    """(tenant, read model) pairs whose applied position is short of the tenant's head."""
    counts = " + ".join(
        f"(SELECT count(*) FROM tenant_heads h LEFT JOIN {positions_table(p)} x"
        " USING (tenant_id) WHERE coalesce(x.position, 0) < h.position)"
        for p in PROJECTIONS
    )
    return f"SELECT {counts}"


async def caught_up(admin_dsn: str, within: float) -> float:
    """Seconds until the server's projector has applied every event to every read model.

    Read as the admin login, straight from the tables: the server's /readyz computes the
    same with row-level security over every tenant id, which takes seconds with 1,000
    tenants (see the report) and would slow the catch-up it measures.
    """
    began = time.perf_counter()
    query = _behind_sql()
    async with connection(admin_dsn) as conn:
        while True:
            behind = await conn.fetchval(query)
            seconds = time.perf_counter() - began
            if behind == 0:
                _log(f"projector caught up in {seconds:.1f} s")
                return seconds
            if seconds > within:
                _log(f"projector: {behind} read models still behind after {within:.0f} s")
                return seconds
            await asyncio.sleep(READY_POLL)


# -- measuring -------------------------------------------------------------------------------


Op = Callable[[], Awaitable[bool]]
"""One request (or command); True when it succeeded."""
Meter = Callable[[], float]
"""CPU seconds a process has used so far."""


def process_cpu(pid: int | None = None) -> Meter:
    """A meter of this process (every thread), or of another one with the children it has
    at each reading (Linux /proc): the server and its projector process."""
    if pid is None:
        return time.process_time
    ticks = os.sysconf("SC_CLK_TCK")

    def used(process: int) -> int:
        try:
            stat = Path(f"/proc/{process}/stat").read_text()
        except FileNotFoundError:  # a child that just ended
            return 0
        fields = stat.rpartition(")")[2].split()  # from field 3, "state"
        return int(fields[11]) + int(fields[12])  # utime + stime

    def read() -> float:
        children = [
            int(child)
            for listing in Path(f"/proc/{pid}/task").glob("*/children")
            for child in listing.read_text().split()
        ]
        return sum(map(used, [pid, *children])) / ticks

    return read


async def drive(
    label: str, seconds: float, workers: int, op: Op, meters: Mapping[str, Meter]
) -> Window:
    """`workers` concurrent loops of `op` for a window of `seconds`.

    Each worker first runs `op` once, uncounted (connections, caches); an op still running
    when the window closes is not counted. An op that raises counts as an error.
    """

    async def attempt() -> tuple[bool, float]:
        began = time.perf_counter()
        try:
            ok = await op()
        except (httpx.HTTPError, OSError) as error:
            _log(f"request failed: {error!r}")
            ok = False
        return ok, time.perf_counter() - began

    async with asyncio.TaskGroup() as warm_up:
        for _ in range(workers):
            warm_up.create_task(attempt())
    _log(f"{label}: measuring for {seconds:g} s")
    cpu_before = {who: meter() for who, meter in meters.items()}
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            ok, took = await attempt()
            if time.perf_counter() > deadline:
                return
            if ok:
                latencies.append(took)
            else:
                errors += 1

    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
    cpu = {who: meter() - cpu_before[who] for who, meter in meters.items()}
    return Window(latencies, errors, seconds, cpu)


def _ok(response: httpx.Response, label: str, errors_shown: list[int]) -> bool:
    if response.is_success:
        return True
    if len(errors_shown) < 5:
        errors_shown.append(response.status_code)
        _log(f"{label}: {response.status_code} {response.text[:300]}")
    return False


async def checkin_phase(
    client: httpx.AsyncClient, targets: list[Target], config: Config, meters: Mapping[str, Meter]
) -> Window:
    """Check-in POSTs over HTTP, round robin over every KR, each with an Idempotency-Key."""
    turn = itertools.cycle(targets)
    shown: list[int] = []

    async def post() -> bool:
        target = next(turn)
        response = await client.post(
            f"/api/v1/tenants/{target.tenant_id}/key-results/{target.key_result_id}/check-ins",
            json={
                "value": target.value, "on": CHECK_IN_DAY.isoformat(), "confidence": 7,
                "note": NOTE,
            },
            headers={"Idempotency-Key": uuid4().hex},
        )  # fmt: skip
        return _ok(response, "check-in", shown)

    window = await drive("check-in", config.seconds, config.concurrency, post, meters)
    _log(f"check-in: {window.rps:.0f}/s, p50 {window.ms(50):.1f} ms, p99 {window.ms(99):.1f} ms")
    return window


async def store_phase(
    system: System,
    user_id: UUID,
    targets: list[Target],
    config: Config,
    meters: Mapping[str, Meter],
) -> Window:
    """The same check-in command through the application in this process: commands/s."""
    app = OKRApplication(system.repository)
    actor = f"user:{user_id}"
    turn = itertools.cycle(targets)

    async def command() -> bool:
        target = next(turn)
        ctx = Context(target.tenant_id, actor, grants=(target.tenant_id,))
        await app.key_results.record_check_in(
            ctx, target.key_result_id, value=Decimal(target.value), on=CHECK_IN_DAY,
            confidence=7, note=NOTE,
        )  # fmt: skip
        return True

    window = await drive("store", config.seconds, config.concurrency, command, meters)
    _log(f"store: {window.rps:.0f} check-ins/s")
    return window


async def progress_phase(
    client: httpx.AsyncClient, tenants: list[UUID], config: Config, meters: Mapping[str, Meter]
) -> Window:
    """GET progress, round robin over the tenants."""
    turn = itertools.cycle(tenants)
    shown: list[int] = []
    params = {"today": TODAY.isoformat()}

    async def get() -> bool:
        response = await client.get(f"/api/v1/tenants/{next(turn)}/progress", params=params)
        return _ok(response, "progress", shown)

    window = await drive("progress", config.seconds, config.concurrency, get, meters)
    _log(f"progress: {window.rps:.0f}/s, p50 {window.ms(50):.1f} ms, p99 {window.ms(99):.1f} ms")
    return window


async def hello_phase(
    client: httpx.AsyncClient, config: Config, meters: Mapping[str, Meter]
) -> Window:
    """GET /healthz: the same server's cost of a request that does nothing."""
    shown: list[int] = []

    async def get() -> bool:
        return _ok(await client.get(HELLO), "hello", shown)

    window = await drive("hello", config.seconds, config.concurrency, get, meters)
    _log(f"hello: {window.rps:.0f}/s, p50 {window.ms(50):.1f} ms")
    return window


async def ceiling_phase(config: Config) -> Window:
    """The same client on a minimal asyncio responder in another process: the most requests
    per second this client drives on this machine, whatever the server."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RESPONDER, str(port), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(process, base_url, config.server_start_timeout, Path(os.devnull))
        async with http_client(base_url, config) as client:
            shown: list[int] = []

            async def get() -> bool:
                return _ok(await client.get(HELLO), "ceiling", shown)

            window = await drive(
                "client ceiling", config.seconds, config.concurrency, get,
                {"bench": process_cpu()},
            )  # fmt: skip
    finally:
        await _stop(process)
    _log(f"client ceiling: {window.rps:.0f}/s")
    return window


def _log(message: str) -> None:
    print(f"bench api: {message}", file=sys.stderr, flush=True)

"""What every bench target runs in: the server, a database of its own, the signals, the machine.

A target's `run` is `on_bench_server(settings, lambda dsn, kind: bench_x(...))`; its
measurement opens `bench_database(dsn)`, wires a system with `bench_settings` and reports
`machine_info` beside its figures.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg

from services.bootstrap import with_database
from services.runtime import admin_database
from services.settings import Settings

SNAPSHOT_EVERY = Settings.snapshot_every
"""Snapshot interval of every bench database: the product's default, whatever the caller's
environment says (the store bench gives the library the same)."""
BENCH_DATABASE_PREFIX = "okr_bench_"
TODAY = datetime.now(UTC).date()
"""The day the benches ask progress for. Their plans lie around the calendar's today: a
value cannot be of a day still to come (services.app.base.Commands.today)."""
CYCLE_START, CYCLE_END = TODAY - timedelta(days=45), TODAY + timedelta(days=45)
CHECK_IN_DAY = TODAY - timedelta(days=14)
CYCLE_NAME = "Bench quarter"


async def on_bench_server(
    settings: Settings, bench: Callable[[str, str], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """`bench(server_dsn, server_kind)` on DATABASE_URL's server or the embedded one.

    Ctrl-C or SIGTERM cancel it, so its `finally` drops the bench database while the
    (embedded) server still runs, then end the process as that signal would have.
    """
    kind = "DATABASE_URL" if settings.database_url else "embedded"
    with admin_database(settings) as server_dsn, signals_cancel_this_task() as received:
        try:
            return await bench(server_dsn, kind)
        except asyncio.CancelledError:
            if not received:
                raise
            if received[0] == signal.SIGINT:
                raise KeyboardInterrupt from None
            raise SystemExit(128 + received[0]) from None


@asynccontextmanager
async def connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection of its own, closed on every way out."""
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def bench_database(server_dsn: str) -> AsyncIterator[str]:
    """A fresh database `okr_bench_<random>` on the server, dropped on every way out."""
    name = f"{BENCH_DATABASE_PREFIX}{uuid4().hex[:12]}"
    async with connection(server_dsn) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
    _log(f"database {name} created")
    try:
        yield with_database(server_dsn, name)
    finally:
        async with connection(server_dsn) as conn:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _log(f"database {name} dropped")


async def bench_databases(server_dsn: str) -> set[str]:
    """Names of the bench databases on the server now (none once every run has ended)."""
    async with connection(server_dsn) as conn:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
            BENCH_DATABASE_PREFIX,
        )
    return {row["datname"] for row in rows}


def bench_settings(settings: Settings, admin_dsn: str, pool_size: int) -> Settings:
    """The caller's settings, on the bench database, with a pool as large as the concurrency,
    and no statement timeout (OKR_DB_TIMEOUT_SECONDS): the bench drives the system to its
    limits on purpose, and loads and rebuilds in large statements; a statement slow under
    that load is a measurement, not a database gone."""
    database = urlsplit(admin_dsn).path.lstrip("/")
    app_url = settings.app_database_url
    return replace(
        settings,
        database_url=admin_dsn,
        app_database_url=None if app_url is None else with_database(app_url, database),
        snapshot_every=SNAPSHOT_EVERY,
        pool_min=pool_size,
        pool_max=pool_size,
        db_timeout_seconds=0,
    )


async def machine_info(
    admin_dsn: str, server_kind: str, load_before: float | None = None
) -> dict[str, Any]:
    """Cores, Python, platform, PostgreSQL version and server kind (and the load before)."""
    async with connection(admin_dsn) as conn:
        version = await conn.fetchval("SHOW server_version")
    machine = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": version,
        "server": server_kind,
    }
    if load_before is not None:
        machine["load_average_1m_before"] = round(load_before, 2)
    return machine


@contextmanager
def signals_cancel_this_task() -> Iterator[list[int]]:
    """Ctrl-C or SIGTERM cancel the running task, so its `finally` drops the bench database
    while the (embedded) server still runs; a second signal interrupts at once.
    Yields the signals received."""
    received: list[int] = []
    task = asyncio.current_task()
    if task is None or threading.current_thread() is not threading.main_thread():
        yield received
        return
    loop = asyncio.get_running_loop()

    def cancel(signum: int, _frame: FrameType | None) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake the loop up

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in saved:
        signal.signal(signum, cancel)
    try:
        yield received
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)

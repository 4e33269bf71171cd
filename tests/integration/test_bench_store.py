"""The store benchmark runs end to end in a tiny mode and reports every figure (speed unchecked)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.bench import harness, store
from services.bench.store import Config, bench_store
from services.settings import Settings

TINY = Config(seconds=0.3, loads=5, transcoder_round_trips=500)

PER_CONCURRENCY = [
    "ours_eps",
    "ours_eps_one_tenant",
    "library_eps",
    "raw_eps",
    "ratio_vs_library",
    "ratio_vs_raw",
]
TOP_LEVEL_NUMBERS = [
    "seconds_per_phase",
    "load_ms_10_events",
    "load_ms_1000_events_snapshotted",
    "ratio_load_1000_vs_10",
]


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


async def database_exists(server_dsn: str, name: str) -> bool:
    conn = await asyncpg.connect(server_dsn)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def test_store_benchmark_reports_every_figure_and_drops_its_database(
    server_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[str] = []
    create_and_drop = harness.bench_database  # what store opens, as it imported it

    @asynccontextmanager
    async def recording(dsn: str) -> AsyncIterator[str]:
        async with create_and_drop(dsn) as admin_dsn:
            used.append(urlsplit(admin_dsn).path.lstrip("/"))
            yield admin_dsn

    monkeypatch.setattr(store, "bench_database", recording)
    kind = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"

    result = await bench_store(server_dsn, Settings(), TINY, server_kind=kind)

    [name] = used
    assert name.startswith("okr_bench_")
    assert not await database_exists(server_dsn, name)
    assert result["quick"] is False
    assert result["machine"]["server"] == kind
    assert positive(result["machine"]["cpu_count"])
    assert result["machine"]["python"] and result["machine"]["postgres"]
    assert set(result["concurrency"]) == {"1", "16"}
    for workers, figures in result["concurrency"].items():
        assert set(figures) == set(PER_CONCURRENCY), workers
        assert all(positive(figures[name]) for name in PER_CONCURRENCY), (workers, figures)
    assert all(positive(result[name]) for name in TOP_LEVEL_NUMBERS), result
    assert set(result["transcoder"]) == {"msgspec_us", "library_json_us", "speedup"}
    assert all(positive(v) for v in result["transcoder"].values()), result["transcoder"]
    assert set(result["targets"]) == {
        "c16_vs_library_4x",
        "c16_vs_raw_0_6x",
        "load_1000_within_2x_of_10",
    }
    assert all(isinstance(v, bool) for v in result["targets"].values())
